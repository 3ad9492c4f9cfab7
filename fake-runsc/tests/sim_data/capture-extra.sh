#!/usr/bin/env bash
# Records the real runsc cases the simulator needs beyond scenarios/real-runsc/capture.sh:
# wrong transitions on created containers, calls on missing ids, bundles without
# config.json, and `events --interval` when the container stops mid-stream.
#
# Usage (as root): fake-runsc/tests/sim_data/capture-extra.sh
# Reuses the recorder and helpers of scenarios/real-runsc/capture.sh, writes into a
# scratch directory and then copies the cases into scenarios/real-runsc/cases/sim-*.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../../.." && pwd)
DEST=$TOP/scenarios/real-runsc/cases
OUT=$(mktemp -d /tmp/sim-capture-out.XXXXXX)
export OUT
# The shared capture script's preamble defines rec/rr/q/qdel/scen/mkbundle/mkproc
# and installs the cleanup trap; the recorded sections that follow it are skipped.
eval "$(sed -n '1,/^echo "runsc:/p' "$TOP/scenarios/real-runsc/capture.sh" | sed 's/^HERE=.*$/HERE=$TOP\/scenarios\/real-runsc/')"

scen sim-created
mkbundle "$B" sleep 1000
q create --bundle "$B" "$ID"
rr sim-created-pause "pause a created container" pause "$ID"
rr sim-created-resume "resume a created container" resume "$ID"
TMO=10 rr sim-created-exec "exec into a created container" exec "$ID" true
rr sim-created-ps "ps on a created container" ps "$ID"
rr sim-created-events-stats "events --stats on a created container" events --stats "$ID"
rr sim-created-delete-noforce "delete a created container without --force" delete "$ID"
rr sim-created-state-after-delete "state after deleting a created container" state "$ID"
q create --bundle "$B" "$ID3"
rr sim-created-create-again "create with an id that already exists" create --bundle "$B" "$ID3"
rr sim-created-create-again-state "state after the failed create" state "$ID3"
q create --bundle "$B" "$ID"
rr sim-created-kill "kill a created container with 9" kill "$ID" 9
sleep 1
rr sim-created-kill-state "state 1s after kill of a created container" state "$ID"
qdel "$ID"
q create --bundle "$B" "$ID2"
rr_bg sim-created-wait "wait on a created container, started 1s later and killed 1s after that" wait "$ID2"
sleep 1
q start "$ID2"
sleep 1
q kill "$ID2" 9
wait "$LAST_BG"
qdel "$ID2"

scen sim-running
mkbundle "$B" sleep 1000
q create --bundle "$B" "$ID"; q start "$ID"
rr sim-running-start-again "start a running container" start "$ID"
mkproc "$S/p.json" sh -c 'exit 9'
rr sim-running-exec-process-exit "exec --process of sh -c 'exit 9'" exec --process "$S/p.json" "$ID"
rr sim-running-exec-missing-process "exec --process with a missing file" exec --process "$S/nope.json" "$ID"
KILL_AFTER=1.5 rr sim-running-exec-sleep-sigterm "exec of sleep 100 not detached; recorder sends SIGTERM after 1.5s" exec "$ID" sleep 100
PIDFILE=$S/e.pid rr sim-running-exec-detach-sleep "exec --detach --pid-file of sleep 100" exec --detach --pid-file "$S/e.pid" --internal-pid-file "$S/ei.pid" "$ID" sleep 100
rr sim-running-kill-pid-missing "kill --pid=9999 ID 9" kill --pid=9999 "$ID" 9
rr sim-running-kill-pid-term "kill --pid=<exec sleep> ID TERM" kill --pid="$(cat "$S/ei.pid")" "$ID" TERM
rr sim-running-create-again "create with the id of a running container" create --bundle "$B" "$ID"
rr sim-running-create-again-state "state after the failed create" state "$ID"
rr sim-running-create-again-list "list after the failed create" list --format=json
rr sim-running-run-again "run with the id of a running container" run --bundle "$B" "$ID"
rr sim-running-delete-force "delete --force a running container" delete --force "$ID"
rr sim-running-delete-force-missing "delete --force an id that does not exist" delete --force "$ID"

scen sim-missing
rr sim-missing-start "start a missing id" start "$ID"
rr sim-missing-kill "kill a missing id" kill "$ID" 9
rr sim-missing-delete "delete a missing id" delete "$ID"
rr sim-missing-wait "wait on a missing id" wait "$ID"
rr sim-missing-pause "pause a missing id" pause "$ID"
rr sim-missing-resume "resume a missing id" resume "$ID"
rr sim-missing-ps "ps on a missing id" ps "$ID"
rr sim-missing-events "events --stats on a missing id" events --stats "$ID"
rr sim-missing-exec "exec into a missing id" exec "$ID" true
rr sim-missing-create-no-config "create with a bundle dir without config.json" create --bundle "$B" "$ID"
rr sim-missing-run-no-config "run with a bundle dir without config.json" run --bundle "$B" "$ID"
rr sim-missing-create-no-bundle "create with a bundle dir that does not exist" create --bundle "$S/nope" "$ID"
echo '{not json' > "$B2/config.json"
rr sim-missing-create-bad-config "create with a config.json that is not JSON" create --bundle "$B2" "$ID"
rr sim-missing-list-after "list json after failed creates" list --format=json

scen sim-events
mkbundle "$B" sh -c 'sleep 2; exit 0'
q create --bundle "$B" "$ID"; q start "$ID"
STREAM=1 KILL_AFTER=5 rr sim-events-interval-until-stop "events --interval=1 on a container that exits after 2s; SIGTERM after 5s" events --interval=1 "$ID"
qdel "$ID"
mkbundle "$B2" sleep 1000
q create --bundle "$B2" "$ID2"
STREAM=1 KILL_AFTER=2.5 rr sim-events-interval-created "events --interval=1 on a created container" events --interval=1 "$ID2"
qdel "$ID2"

scen sim-run
mkbundle "$B" sh -c 'echo out; echo err >&2; exit 3'
rr sim-run-out-err-exit "run of sh printing to stdout and stderr, exit 3" run --bundle "$B" "$ID"
mkbundle "$B2" false
rr sim-run-false "run of false" run --bundle "$B2" "$ID2"
mkbundle "$B3" sh -c 'echo before; sleep 2; echo after'
q create --bundle "$B3" "$ID3"
rr sim-run-start-output "start of a container that prints (create got the capture's stdio, start did not)" start "$ID3"
sleep 3
qdel "$ID3"

for d in "$OUT"/sim-*; do rm -rf "${DEST:?}/$(basename "$d")"; cp -r "$d" "$DEST/"; done
rm -rf "$OUT"
