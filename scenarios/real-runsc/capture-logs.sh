# runsc's log files: what --log (under each --log-format) and --debug-log hold
# after a lifecycle with failures. Sourced by capture.sh (after its helpers
# are defined); `SECTION=logs capture.sh` records only this part.
#
# Each case directory also gets "log" (the --log file after the call) and,
# for the debug-log cases, "debug-log". The lifecycle is the same under
# every format so the files can be compared call by call.

# log_lifecycle FORMAT: the lifecycle, with --log={tmp}/runsc.log and
# --log-format=FORMAT (none: the flag left out).
log_lifecycle() {
  local fmt=$1
  scen "lg${fmt//-/}"
  mkbundle "$B" sleep 1000
  printf '{"ociVersion": "1.0.2-dev", "process": {' > "$B2/config.json"
  local L=$S/runsc.log
  local F=()
  [ "$fmt" != none ] && F=(--log-format="$fmt")
  export LOGFILE=$L
  lr() { local c=$1 n=$2; shift 2; rec "log-$fmt-$c" "$n" 30 --root="$R" --network=none --log="$L" "${F[@]}" "$@"; }
  lr 01-state-missing "state of a missing id (fails)" state "$ID"
  lr 02-create "create (succeeds)" create --bundle "$B" "$ID"
  lr 03-run-bad-bundle "run of a bundle whose config.json is cut short (fails)" run --bundle "$B2" "$ID2"
  lr 04-start "start (succeeds)" start "$ID"
  lr 05-exec-exit-128 "exec of sh -c 'exit 128' (the process exits 128; runsc does not fail)" exec "$ID" sh -c 'exit 128'
  lr 06-exec-missing "exec in a missing container (fails)" exec "$ID3" true
  lr 07-delete-running "delete of a running container without --force (fails)" delete "$ID"
  lr 08-kill-bad-signal "kill with signal 99 (fails)" kill "$ID" 99
  lr 09-pause "pause (succeeds)" pause "$ID"
  lr 10-pause-paused "pause of a paused container (fails)" pause "$ID"
  lr 11-resume "resume (succeeds)" resume "$ID"
  lr 12-delete-force "delete --force (succeeds)" delete --force "$ID"
  lr 13-state-deleted "state after delete (fails)" state "$ID"
  lr 14-list "list (succeeds)" list
  unset LOGFILE
  qdel "$ID" "$ID2"
}
for fmt in json text none; do log_lifecycle "$fmt"; done

# The log cannot be opened.
scen lgopen
mkbundle "$B" sleep 1000
rec log-open-missing-dir-run "run with --log in a missing directory" 30 --root="$R" --network=none --log="$S/no-such-dir/runsc.log" --log-format=json run --bundle "$B" "$ID"
rec log-open-missing-dir-exec "exec with --log in a missing directory" 30 --root="$R" --network=none --log="$S/no-such-dir/runsc.log" exec "$ID" true
rec log-open-missing-dir-list "list with --log in a missing directory" 30 --root="$R" --network=none --log="$S/no-such-dir/runsc.log" list
rec log-open-is-dir "state with --log naming a directory" 30 --root="$R" --network=none --log="$S" state "$ID"
touch "$S/afile"
rec log-open-under-file "state with --log under a regular file" 30 --root="$R" --network=none --log="$S/afile/runsc.log" state "$ID"
rec log-open-version "--version with --log in a missing directory" 30 --log="$S/no-such-dir/runsc.log" --version
rec log-format-bogus "list with --log-format=yaml (not checked by the command)" 30 --root="$R" --network=none --log="$S/yaml.log" --log-format=yaml list
qdel "$ID"

# --debug-log: the lines a failure adds, under each --debug-log-format.
for dfmt in text json json-k8s; do
  scen "lgd${dfmt//-/}"
  export DEBUGLOG=$S/debug.log LOGFILE=$S/runsc.log
  rec "log-debug-$dfmt-state-missing" "state of a missing id with --debug-log={tmp}/debug.log --debug-log-format=$dfmt" 30 --root="$R" --network=none --log="$S/runsc.log" --debug-log="$S/debug.log" --debug-log-format="$dfmt" state "$ID"
  unset DEBUGLOG LOGFILE
done
scen lgdd
export LOGFILE=$S/runsc.log
rec log-debug-dir "state with --debug-log={tmp}/dbg/ (a directory, created)" 30 --root="$R" --network=none --log="$S/runsc.log" --debug-log="$S/dbg/" state "$ID"
ls "$S/dbg" | sed -E 's/[0-9]{8}-[0-9]{6}\.[0-9]{6}/{stamp}/' > "$OUT/log-debug-dir/debug-dir.ls"
touch "$S/afile"
rec log-debug-under-file "state with --debug-log under a regular file" 30 --root="$R" --network=none --log="$S/runsc.log" --debug-log="$S/afile/x/" state "$ID"
rec log-debug-bad-format "state with --debug-log-format=yaml" 30 --root="$R" --network=none --log="$S/runsc.log" --debug-log="$S/y.log" --debug-log-format=yaml state "$ID"
unset LOGFILE
rec log-panic-log "pause of a missing id with --panic-log={tmp}/panic.log (not created by the command)" 30 --root="$R" --network=none --panic-log="$S/panic.log" pause "$ID"
ls "$S" > "$OUT/log-panic-log/tmp.ls"
