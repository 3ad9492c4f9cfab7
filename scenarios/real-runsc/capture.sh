#!/usr/bin/env bash
# Re-record real runsc behaviour into scenarios/real-runsc/cases/.
#
# Usage (as root):  scenarios/real-runsc/capture.sh
#   RUNSC=/path/to/runsc   runsc binary (default /usr/bin/runsc)
#   OUT=/some/dir          output dir (default: <dir of this script>/cases)
#   SECTION=programs       record only the real-program cases (capture-programs.sh),
#                          keeping the other cases; likewise SECTION=logs
#                          (capture-logs.sh), SECTION=failures (capture-failures.sh)
#                          and SECTION=hardening (capture-hardening.sh)
#
# Every container runs with the host "/" as a read-only rootfs, so no image is
# needed.  Every scenario gets its own --root and unique container ids.  All
# sandboxes are force-deleted on exit (trap), and the scratch dir is removed.
#
# Each case directory gets: argv.json (args after the program name), stdout,
# stderr, meta.json {exit_code, signal, wall_ms, note}, and optionally
# stdout.normalized (pids -> {pid}), pidfile (raw pid-file bytes) and
# stream.json (per-line arrival times for streaming commands), and log /
# debug-log (runsc's --log / --debug-log file after the call).
# Placeholders: {root} {bundle} {bundle2} {bundle3} {id} {id2} {id3} {tmp},
# and exec-pid-{n} for the temp dir runsc itself creates under /tmp.
# ({tmp} = the per-scenario scratch dir that holds pid files, process.json,
# checkpoint images).
set -u

RUNSC=${RUNSC:-/usr/bin/runsc}
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$HERE/cases}
if [ "$(id -u)" != 0 ]; then echo "must run as root" >&2; exit 1; fi
WORK=$(mktemp -d /tmp/runsc-capture.XXXXXX)
BG_PIDS=()

cleanup() {
  set +u
  for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for r in "$WORK"/*/root; do
    [ -d "$r" ] || continue
    for c in $(timeout 10 "$RUNSC" --root="$r" list -quiet 2>/dev/null); do
      timeout 30 "$RUNSC" --root="$r" delete --force "$c" >/dev/null 2>&1
    done
  done
  # Anything still running that was started with one of our roots.
  for p in $(pgrep -f -- "--root=$WORK/" 2>/dev/null); do
    [ "$p" != "$$" ] && kill -9 "$p" 2>/dev/null
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$OUT" = "$HERE/cases" ] && [ -z "${SECTION:-}" ]; then rm -rf "$OUT"; fi
mkdir -p "$OUT"

# ---------------------------------------------------------------- recorder
cat > "$WORK/rec.py" <<'PY'
import json, os, re, signal, subprocess, sys, threading, time

def main():
    a = sys.argv[1:]
    case, note, tmo = a[0], a[1], float(a[2])
    assert a[3] == "--"
    args = a[4:]
    out = os.path.join(os.environ["OUTDIR"], case)
    if os.path.exists(out):
        sys.exit("duplicate case " + case)
    os.makedirs(out)
    subs = json.loads(os.environ.get("SUBS", "[]"))
    subs = sorted([s for s in subs if s[0]], key=lambda s: -len(s[0]))
    def sub(b):
        for v, ph in subs:
            b = b.replace(v.encode(), ph.encode())
        # temp pid file runsc invents for "exec --detach" without --pid-file
        return re.sub(rb"exec-pid-[0-9]+", b"exec-pid-{n}", b)
    stream = os.environ.get("STREAM") == "1"
    kill_after = float(os.environ.get("KILL_AFTER", "0") or 0)
    max_bytes = int(os.environ.get("MAX_BYTES", "0") or 0)
    so_path, se_path = os.path.join(out, "stdout"), os.path.join(out, "stderr")
    cmd = [os.environ["RUNSC"]] + args
    timed_out = False
    lines = []
    t0 = time.monotonic()
    with open(se_path + ".raw", "wb") as se:
        if stream:
            p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=se)
            buf = bytearray()
            def reader():
                for line in iter(p.stdout.readline, b""):
                    lines.append((round((time.monotonic() - t0) * 1000), line))
            th = threading.Thread(target=reader, daemon=True); th.start()
        else:
            so = open(so_path + ".raw", "wb")
            p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=so, stderr=se)
        try:
            p.wait(timeout=kill_after if kill_after else tmo)
        except subprocess.TimeoutExpired:
            if kill_after:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    timed_out = True; p.kill(); p.wait()
            else:
                timed_out = True; p.kill(); p.wait()
        wall = round((time.monotonic() - t0) * 1000)
        if stream:
            th.join(timeout=5)
        else:
            so.close()
    if stream:
        with open(so_path + ".raw", "wb") as f:
            for _, l in lines:
                f.write(l)
    rc = p.returncode
    for pth in (so_path, se_path):
        data = open(pth + ".raw", "rb").read()
        os.remove(pth + ".raw")
        if max_bytes and len(data) > max_bytes:
            note += " [%s truncated from %d to %d bytes]" % (os.path.basename(pth), len(data), max_bytes)
            data = data[:max_bytes]
        with open(pth, "wb") as f:
            f.write(sub(data))
    so_data = open(so_path, "rb").read()
    norm = re.sub(rb'("pid"\s*:\s*)[0-9]+', rb'\1{pid}', so_data)
    if norm != so_data:
        open(os.path.join(out, "stdout.normalized"), "wb").write(norm)
    if stream:
        if max_bytes and len(lines) > 50:
            note += " [stream.json keeps first 50 of %d lines]" % len(lines)
            lines = lines[:50]
        json.dump([{"t_ms": t, "line": sub(l).decode("utf-8", "replace")} for t, l in lines],
                  open(os.path.join(out, "stream.json"), "w"), indent=1)
    pf = os.environ.get("PIDFILE")
    if pf:
        if os.path.exists(pf):
            raw = open(pf, "rb").read()
            open(os.path.join(out, "pidfile"), "wb").write(raw)
            note += " [pidfile bytes: %r]" % raw
        else:
            note += " [pidfile not created]"
    # LOGFILE / DEBUGLOG: copy runsc's --log / --debug-log file as it is
    # after the call (cumulative), as "log" / "debug-log".
    for var, name in (("LOGFILE", "log"), ("DEBUGLOG", "debug-log")):
        lf = os.environ.get(var)
        if not lf:
            continue
        if os.path.exists(lf):
            open(os.path.join(out, name), "wb").write(sub(open(lf, "rb").read()))
        else:
            note += " [%s file not created]" % name
    if timed_out:
        note += " [TIMED OUT after %ss, killed by recorder]" % tmo
    if kill_after and rc is not None and rc < 0:
        note += " [recorder sent SIGTERM after %ss]" % kill_after
    meta = {"exit_code": rc if rc >= 0 else None,
            "signal": -rc if rc < 0 else None,
            "wall_ms": wall, "note": note}
    json.dump([sub(x.encode()).decode() for x in args], open(os.path.join(out, "argv.json"), "w"), indent=1)
    open(os.path.join(out, "argv.json"), "a").write("\n")
    json.dump(meta, open(os.path.join(out, "meta.json"), "w"), indent=1)
    open(os.path.join(out, "meta.json"), "a").write("\n")
    print("%-48s rc=%-4s %6dms" % (case, meta["exit_code"] if meta["exit_code"] is not None else "sig%s" % meta["signal"], wall), file=sys.stderr)

main()
PY

# ---------------------------------------------------------------- helpers
rnd() { head -c3 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

# scen NAME: fresh root, bundle dirs, ids.
scen() {
  SN=$1
  S=$WORK/$SN
  R=$S/root; B=$S/bundle; B2=$S/bundle2; B3=$S/bundle3
  mkdir -p "$R" "$B" "$B2" "$B3"
  local r; r=$(rnd)
  ID=rec-$SN-a-$r; ID2=rec-$SN-b-$r; ID3=rec-$SN-c-$r
  export SUBS
  SUBS=$(python3 -c 'import json,sys; a=sys.argv[1:]; print(json.dumps([[a[0],"{root}"],[a[1],"{bundle}"],[a[2],"{bundle2}"],[a[3],"{bundle3}"],[a[4],"{id}"],[a[5],"{id2}"],[a[6],"{id3}"],[a[7],"{tmp}"]]))' \
    "$R" "$B" "$B2" "$B3" "$ID" "$ID2" "$ID3" "$S")
}

# mkbundle DIR arg...: write config.json running args with / as read-only root.
mkbundle() {
  local d=$1; shift
  mkdir -p "$d"
  python3 - "$d" "$@" <<'PY'
import json, sys
d, args = sys.argv[1], sys.argv[2:]
cfg = {
  "ociVersion": "1.0.2-dev",
  "process": {"terminal": False, "user": {"uid": 0, "gid": 0}, "args": args,
              "env": ["PATH=/usr/bin:/bin"], "cwd": "/"},
  "root": {"path": "/", "readonly": True},
  "hostname": "runsc",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs"},
    {"destination": "/sys", "type": "sysfs", "source": "sysfs",
     "options": ["nosuid", "noexec", "nodev", "ro"]}],
  "linux": {"namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"},
                           {"type": "uts"}, {"type": "mount"}]}
}
json.dump(cfg, open(d + "/config.json", "w"), indent=2)
PY
}

export RUNSC OUTDIR=$OUT
# rec CASE NOTE TIMEOUT args...   (args are passed to runsc verbatim)
rec() { local c=$1 n=$2 t=$3; shift 3; python3 "$WORK/rec.py" "$c" "$n" "$t" -- "$@"; }
# rr CASE NOTE args...            (prepends --root=$R --network=none, timeout 30s)
rr() { local c=$1 n=$2; shift 2; rec "$c" "$n" "${TMO:-30}" --root="$R" --network=none "$@"; }
# rr_bg: same, in background; sets LAST_BG
rr_bg() { rr "$@" & LAST_BG=$!; BG_PIDS+=("$LAST_BG"); }
# quiet helpers that are not recorded
q() { timeout 30 "$RUNSC" --root="$R" --network=none "$@" >"$S/q.out" 2>"$S/q.err"; }
qdel() { for c in "$@"; do timeout 30 "$RUNSC" --root="$R" delete --force "$c" >/dev/null 2>&1; done; }
mkproc() { # mkproc FILE arg...: minimal process.json
  python3 -c 'import json,sys; json.dump({"terminal":False,"user":{"uid":0,"gid":0},"args":sys.argv[2:],"env":["PATH=/usr/bin:/bin"],"cwd":"/"},open(sys.argv[1],"w"),indent=2)' "$@"
}

echo "runsc: $("$RUNSC" --version 2>&1 | tr '\n' ' ')" >&2
case "${SECTION:-}" in
  programs|logs|failures|hardening)
    . "$HERE/capture-${SECTION}.sh"
    echo "done; cases in $OUT" >&2
    exit 0;;
esac

# ================================================================ 1. lifecycle
scen lc
mkbundle "$B" sleep 1000
mkbundle "$B2" sleep 1000
rr lc-01-list-json-empty "list --format=json with no containers in root" list --format=json
rr lc-02-list-text-empty "list (text) with no containers" list
rr lc-03-list-quiet-empty "list -quiet with no containers" list -quiet
PIDFILE=$S/create.pid rr lc-04-create "create with --pid-file; process is sleep 1000" create --bundle "$B" --pid-file "$S/create.pid" "$ID"
rr lc-05-state-created "state after create" state "$ID"
rr lc-06-list-json-one-created "list --format=json with one created container" list --format=json
rr lc-07-list-text-one-created "list text with one created container" list
rr lc-08-start "start created container" start "$ID"
rr lc-09-state-running "state after start" state "$ID"
rr lc-10-create-second "create second container (no --pid-file)" create --bundle "$B2" "$ID2"
rr lc-11-start-second "start second container" start "$ID2"
rr lc-12-list-json-two "list --format=json with two running containers" list --format=json
rr lc-13-list-text-two "list text with two running containers" list
rr lc-14-list-quiet-two "list -quiet with two containers" list -quiet
rr lc-15-list-sandbox-json "list -sandbox --format=json" list -sandbox --format=json
rr lc-16-ps-json "ps --format=json of running sleep" ps --format=json "$ID"
rr lc-17-ps-table "ps --format=table" ps --format=table "$ID"
rr lc-18-ps-default "ps with no flag" ps "$ID"
rr lc-19-events-stats "events --stats on running container" events --stats "$ID"
KILL_AFTER=3.5 STREAM=1 rr lc-20-events-interval-1 "events --interval=1 streaming; recorder sends SIGTERM after 3.5s; see stream.json for per-line times" events --interval=1 "$ID"
KILL_AFTER=3.5 STREAM=1 rr lc-21-events-default-interval "events with default interval (5s); SIGTERM after 3.5s" events "$ID"
mkproc "$S/process.json" echo hi
rr lc-22-exec-process-file "exec --process process.json with args [echo, hi], not detached" exec --process "$S/process.json" "$ID"
rr lc-23-exec-argv "exec ID echo hello world (argv form)" exec "$ID" echo hello world
PIDFILE=$S/exec.pid rr lc-24-exec-detach-pidfile "exec --detach --pid-file of sleep 30" exec --detach --pid-file "$S/exec.pid" "$ID" sleep 30
rr lc-25-ps-json-after-exec "ps --format=json after detached exec (2 processes)" ps --format=json "$ID"
rr lc-26-ps-table-after-exec "ps table after detached exec" ps "$ID"
rr lc-27-exec-exit-5 "exec of sh -c 'exit 5' (not detached)" exec "$ID" sh -c 'exit 5'
rr lc-28-exec-missing-binary "exec of a binary that does not exist" exec "$ID" /no/such/binary
rr lc-28a-exec-detach-no-pidfile-echo "exec --detach WITHOUT --pid-file of echo A B: runsc re-execs itself without --detach and appends --pid-file=<tmp> AFTER the command args" exec --detach "$ID" echo A B
rr lc-28b-exec-detach-no-pidfile-sleep "exec --detach WITHOUT --pid-file of sleep 3" exec --detach "$ID" sleep 3
rr lc-28c-exec-detach-no-pidfile-process "exec --detach --process process.json (echo hi) WITHOUT --pid-file" exec --detach --process "$S/process.json" "$ID"
PIDFILE=$S/int.pid rr lc-29-exec-detach-internal-pid "exec --detach --pid-file --internal-pid-file of sh -c 'sleep 2; exit 4'; pidfile file = internal pid" exec --detach --pid-file "$S/int-host.pid" --internal-pid-file "$S/int.pid" "$ID" sh -c 'sleep 2; exit 4'
IPID=$(cat "$S/int.pid" 2>/dev/null || echo 0)
rr lc-30-wait-pid "wait --pid=<internal pid of exec'd sh that exits 4> (pid literal in argv is run-specific)" wait --pid="$IPID" "$ID"
PIDFILE=$S/int2.pid rr lc-31-exec-detach-internal-pid-2 "exec --detach --pid-file --internal-pid-file of sh -c 'sleep 2; exit 6'" exec --detach --pid-file "$S/int2-host.pid" --internal-pid-file "$S/int2.pid" "$ID" sh -c 'sleep 2; exit 6'
IPID2=$(cat "$S/int2.pid" 2>/dev/null || echo 0)
rr lc-32-wait-rootpid "wait --rootpid=<pid of exec'd sh that exits 6> (same pid ns as root container here)" wait --rootpid="$IPID2" "$ID"
TMO=10 rr lc-33-wait-pid-nonexistent "wait --pid=99999 on running container (no such pid)" wait --pid=99999 "$ID"
TMO=10 rr lc-33b-wait-rootpid-nonexistent "wait --rootpid=99999 on running container (no such pid)" wait --rootpid=99999 "$ID"
TMO=10 rr lc-34-wait-pid-again "wait --pid on the already-reaped exec pid again" wait --pid="$IPID" "$ID"
rr lc-35-pause "pause running container" pause "$ID"
rr lc-36-state-paused "state when paused" state "$ID"
rr lc-36a-ps-paused "ps when paused" ps "$ID"
rr lc-36b-events-stats-paused "events --stats when paused" events --stats "$ID"
rr lc-37-list-json-paused "list json with one paused, one running" list --format=json
rr lc-38-list-text-paused "list text with one paused" list
rr lc-39-pause-paused "pause an already paused container" pause "$ID"
TMO=10 rr lc-40-exec-paused "exec into a paused container (timeout 10s)" exec "$ID" true
rr lc-41-resume "resume paused container" resume "$ID"
rr lc-42-state-resumed "state after resume" state "$ID"
rr lc-43-resume-running "resume a running (not paused) container" resume "$ID"
rr lc-44-delete-running-noforce "delete a running container without --force" delete "$ID"
rr lc-45-delete-force-running "delete --force on running container" delete --force "$ID"
rr lc-46-state-after-delete "state after delete" state "$ID"
rr lc-47-list-json-after-delete "list json after one of two deleted" list --format=json
rr lc-48-delete-force-second "delete --force second running container" delete --force "$ID2"
rr lc-49-list-json-empty-again "list json after all deleted" list --format=json

# ---- kill variants (each on its own running sleep 1000)
for v in "15:num-15" "SIGTERM:name-SIGTERM" "TERM:name-TERM" "9:num-9" "SIGKILL:name-SIGKILL" "KILL:name-KILL" ":default" "sigterm:lower-sigterm" "0:num-0" "BOGUS:bad-name" "99:num-99" "-9:neg-9"; do
  sig=${v%%:*}; nm=${v#*:}
  scen "k${nm,,}"
  mkbundle "$B" sleep 1000
  q create --bundle "$B" "$ID"; q start "$ID"
  if [ -z "$sig" ]; then
    rr kill-$nm "kill with no signal argument, running sleep 1000 (PID 1 in sandbox)" kill "$ID"
  else
    rr kill-$nm "kill ID $sig, running sleep 1000 (PID 1 in sandbox)" kill "$ID" "$sig"
  fi
  sleep 1
  rr kill-$nm-state-after-1s "state 1s after kill" state "$ID"
  qdel "$ID"
done

# kill --all and --pid
scen kall
mkbundle "$B" sleep 1000
q create --bundle "$B" "$ID"; q start "$ID"
q exec --detach --pid-file "$S/h.pid" --internal-pid-file "$S/i.pid" "$ID" sleep 500
rr kill-pid-flag "kill --pid=<internal pid of exec'd sleep 500> ID 9" kill --pid="$(cat "$S/i.pid")" "$ID" 9
rr kill-pid-flag-ps "ps after kill --pid" ps "$ID"
rr kill-all-flag "kill --all ID 9" kill --all "$ID" 9
sleep 1
rr kill-all-flag-state "state 1s after kill --all 9" state "$ID"
qdel "$ID"

# ---- wait: container exits 3 while wait is blocked
scen w3
mkbundle "$B" sh -c 'sleep 2; exit 3'
q create --bundle "$B" "$ID"; q start "$ID"
rr wait-exit-3 "wait on running sh -c 'sleep 2; exit 3' (wait started right after start)" wait "$ID"
rr wait-exit-3-state-after "state after container exited 3" state "$ID"
rr wait-exit-3-list-json "list json with a stopped container" list --format=json
rr wait-exit-3-list-text "list text with a stopped container" list
rr wait-exit-3-second-wait "second wait after a successful wait" wait "$ID"
rr wait-exit-3-ps-stopped "ps on stopped container" ps "$ID"
rr wait-exit-3-events-stats-stopped "events --stats on stopped container" events --stats "$ID"
rr wait-exit-3-start-stopped "start a stopped container" start "$ID"
rr wait-exit-3-pause-stopped "pause a stopped container" pause "$ID"
rr wait-exit-3-resume-stopped "resume a stopped container" resume "$ID"
rr wait-exit-3-kill-stopped "kill ID 9 on a stopped container" kill "$ID" 9
rr wait-exit-3-kill-stopped-15 "kill ID 15 on a stopped container" kill "$ID" 15
rr wait-exit-3-exec-stopped "exec into a stopped container" exec "$ID" true
rr wait-exit-3-delete-stopped "delete (no --force) a stopped container" delete "$ID"
rr wait-exit-3-state-deleted "state after delete" state "$ID"

# ---- wait called only after the container already exited
scen wl
mkbundle "$B" sh -c 'exit 3'
q create --bundle "$B" "$ID"; q start "$ID"
sleep 2
rr wait-late-exit-3-state "state 2s after start of sh -c 'exit 3' (no wait yet)" state "$ID"
rr wait-late-exit-3 "first wait, called 2s after the container exited 3" wait "$ID"
rr wait-late-exit-3-second "second wait" wait "$ID"
qdel "$ID"

# ---- wait on SIGKILLed container
scen wk
mkbundle "$B" sleep 1000
q create --bundle "$B" "$ID"; q start "$ID"
rr_bg wait-sigkill "wait blocked on running sleep 1000, then another process runs kill ID 9 (~1s later)" wait "$ID"
sleep 1
rr wait-sigkill-the-kill "kill ID 9 issued while a wait is blocked" kill "$ID" 9
wait "$LAST_BG"
rr wait-sigkill-second "wait after the SIGKILLed container was already waited" wait "$ID"
rr wait-sigkill-third "wait again (third)" wait "$ID"
rr wait-sigkill-state "state after SIGKILL" state "$ID"
rr wait-sigkill-delete "delete (no force) after SIGKILL" delete "$ID"

scen wk2
mkbundle "$B" sleep 1000
q create --bundle "$B" "$ID"; q start "$ID"
rr wait-after-sigkill-kill "kill ID 9 with no wait pending" kill "$ID" 9
sleep 1
rr wait-after-sigkill-first "first wait, called 1s after SIGKILL" wait "$ID"
rr wait-after-sigkill-second "second wait" wait "$ID"
rr wait-after-sigkill-state "state" state "$ID"
qdel "$ID"

# wait on SIGTERMed container where the process handles TERM
scen wt
mkbundle "$B" sh -c 'trap "exit 143" TERM; while :; do sleep 0.1; done'
q create --bundle "$B" "$ID"; q start "$ID"
sleep 0.5
rr_bg wait-sigterm-trapped "wait on sh that traps TERM and exits 143; kill ID TERM ~1s later" wait "$ID"
sleep 1
q kill "$ID" TERM
wait "$LAST_BG"
qdel "$ID"

# ---- run
scen run
mkbundle "$B" echo hello
mkbundle "$B2" sh -c 'exit 7'
mkbundle "$B3" echo hello world
rr run-echo-hello "run (not detached) of echo hello" run --bundle "$B" "$ID"
rr run-echo-hello-state-after "state after non-detached run finished" state "$ID"
rr run-echo-hello-list-after "list json after non-detached run" list --format=json
rr run-exit-7 "run (not detached) of sh -c 'exit 7'" run --bundle "$B2" "$ID2"
rr run-reuse-id "run with an id that already exists (stopped)" run --bundle "$B" "$ID"
qdel "$ID" "$ID2"
scen run2
mkbundle "$B" echo hello world
mkbundle "$B2" true
mkbundle "$B3" sleep 1000
rr run-echo-hello-world "run of echo hello world" run --bundle "$B" "$ID"
rr run-true "run of true" run --bundle "$B2" "$ID2"
qdel "$ID" "$ID2"
scen run3
mkbundle "$B" sleep 1000
mkbundle "$B2" sh -c 'exit 7'
PIDFILE=$S/run.pid rr run-detach "run --detach --pid-file of sleep 1000" run --detach --pid-file "$S/run.pid" --bundle "$B" "$ID"
rr run-detach-state "state after run --detach" state "$ID"
PIDFILE=$S/run2.pid rr run-detach-exit-7 "run --detach of sh -c 'exit 7'" run --detach --pid-file "$S/run2.pid" --bundle "$B2" "$ID2"
sleep 1
rr run-detach-exit-7-wait "wait on detached-run container that exited 7 (called ~1s after)" wait "$ID2"
rr run-detach-delete-force "delete --force on run --detach container" delete --force "$ID"
qdel "$ID2"
scen run4
mkbundle "$B" sleep 1000
KILL_AFTER=2 rr run-foreground-sigterm "run (not detached) of sleep 1000; recorder sends SIGTERM to runsc after 2s" run --bundle "$B" "$ID"
rr run-foreground-sigterm-state "state after runsc run got SIGTERM" state "$ID"
qdel "$ID"

# ---- checkpoint / restore
scen cr
mkbundle "$B" sleep 1000
mkdir -p "$S/img"
q create --bundle "$B" "$ID"; q start "$ID"
TMO=60 rr cr-01-checkpoint "checkpoint --image-path {tmp}/img of running sleep 1000 (timeout 60s)" checkpoint --image-path "$S/img" "$ID"
rr cr-02-state-after-checkpoint "state after checkpoint" state "$ID"
ls -la "$S/img" > "$S/img.ls" 2>&1
rr cr-03-delete-after-checkpoint "delete --force after checkpoint" delete --force "$ID"
TMO=60 rr cr-04-restore "restore --detach --image-path {tmp}/img --bundle {bundle} with a NEW id" restore --detach --image-path "$S/img" --bundle "$B" "$ID2"
rr cr-05-state-after-restore "state of restored container" state "$ID2"
rr cr-06-ps-after-restore "ps of restored container" ps "$ID2"
qdel "$ID2"
scen cr2
mkbundle "$B" sleep 1000
mkdir -p "$S/img"
q create --bundle "$B" "$ID"; q start "$ID"
TMO=20 rr cr-07-checkpoint-leave-running "checkpoint --leave-running" checkpoint --leave-running --image-path "$S/img" "$ID"
rr cr-08-state-after-leave-running "state after checkpoint --leave-running" state "$ID"
rr cr-09-checkpoint-no-image-path "checkpoint without --image-path" checkpoint "$ID"
qdel "$ID"
TMO=60 rr cr-10-restore-missing-image "restore --detach with an empty image dir" restore --detach --image-path "$S/nonexistent-img" --bundle "$B" "$ID2"
qdel "$ID2"

# ================================================================ 2. failures
scen miss
MISSING=$ID
for c in state start kill delete pause resume ps wait; do
  rr fail-missing-$c "$c on an id that does not exist (root dir exists, empty)" $c "$MISSING"
done
rr fail-missing-kill-9 "kill missing 9" kill "$MISSING" 9
rr fail-missing-delete-force "delete --force on missing id" delete --force "$MISSING"
rr fail-missing-events-stats "events --stats on missing id" events --stats "$MISSING"
rr fail-missing-events "events on missing id" events "$MISSING"
rr fail-missing-exec "exec missing-id true" exec "$MISSING" true
rr fail-missing-checkpoint "checkpoint --image-path on missing id" checkpoint --image-path "$S/img" "$MISSING"
rec fail-nonexistent-root-list "list with --root=<nonexistent dir>" 30 --root="$S/no-such-root" --network=none list
rec fail-nonexistent-root-list-json "list --format=json with --root=<nonexistent dir>" 30 --root="$S/no-such-root" --network=none list --format=json
rec fail-nonexistent-root-state "state with --root=<nonexistent dir>" 30 --root="$S/no-such-root" --network=none state "$MISSING"

scen st
mkbundle "$B" sleep 1000
rr fail-created-setup-create "create (setup for created-state failures)" create --bundle "$B" "$ID"
rr fail-pause-created "pause a created (not started) container" pause "$ID"
rr fail-resume-created "resume a created container" resume "$ID"
rr fail-exec-created "exec into a created (not started) container" exec "$ID" true
rr fail-ps-created "ps on a created container" ps "$ID"
rr fail-ps-json-created "ps --format=json on a created container" ps --format=json "$ID"
rr fail-events-stats-created "events --stats on a created container" events --stats "$ID"
KILL_AFTER=2.5 STREAM=1 MAX_BYTES=4096 rr fail-events-interval-1-created "events --interval=1 on a created container; SIGTERM after 2.5s" events --interval=1 "$ID"
TMO=5 rr fail-wait-created "wait on a created container (recorder timeout 5s)" wait "$ID"
TMO=5 rr fail-wait-created-pid "wait --pid=1 on a created container (recorder timeout 5s)" wait --pid=1 "$ID"
rr fail-created-state-before-kill "state of the created container before kill" state "$ID"
rr fail-kill-created "kill ID 9 on a created container" kill "$ID" 9
sleep 1
rr fail-kill-created-state "state 1s after kill 9 of created container" state "$ID"
qdel "$ID"

scen st2
mkbundle "$B" sleep 1000
q create --bundle "$B" "$ID"
rr fail-delete-created-noforce "delete (no --force) a created container" delete "$ID"
rr fail-delete-created-noforce-state "state after delete (no --force) of created container" state "$ID"
qdel "$ID"

scen st3
mkbundle "$B" sleep 1000
mkbundle "$B2" sleep 1000
q create --bundle "$B" "$ID"
rr fail-start-twice-1 "first start" start "$ID"
rr fail-start-twice-2 "second start of the same (running) container" start "$ID"
rr fail-create-existing-id-running "create with an id that already exists (running); note what happens to the original" create --bundle "$B2" "$ID"
rr fail-create-existing-id-running-state "state of the original id after the failed duplicate create" state "$ID"
rr fail-create-existing-id-running-list "list after the failed duplicate create" list --format=json
qdel "$ID"

scen st4
mkbundle "$B" sleep 1000
mkbundle "$B2" sleep 1000
q create --bundle "$B" "$ID"
rr fail-create-existing-id "create with an id that already exists (created)" create --bundle "$B2" "$ID"
rr fail-create-existing-id-state "state of the original id after the failed duplicate create" state "$ID"
rr fail-create-existing-id-list "list after the failed duplicate create" list --format=json
rr fail-create-existing-id-recreate "create the same id again after that" create --bundle "$B" "$ID"
qdel "$ID"

# events streaming while the container exits
scen evs
mkbundle "$B" sh -c 'sleep 2'
q create --bundle "$B" "$ID"; q start "$ID"
KILL_AFTER=7 STREAM=1 MAX_BYTES=65536 rr events-interval-1-container-exits "events --interval=1 on sh -c 'sleep 2' which exits ~2s in; recorder SIGTERMs after 7s if still running" events --interval=1 "$ID"
qdel "$ID"

# id prefix matching
scen pfx
mkbundle "$B" sleep 1000
mkbundle "$B2" sleep 1000
q create --bundle "$B" "$ID"; q start "$ID"
rr id-prefix-unique "state <unique prefix of id> (first 9 chars: rec-pfx-a)" state "${ID:0:9}"
rr id-prefix-empty-unique "state '' with exactly one container in root" state ""
rr id-prefix-pause-unique "pause <unique prefix>" pause "${ID:0:9}"
rr id-prefix-state-after-pause "state after pause via prefix" state "$ID"
q resume "$ID"
q create --bundle "$B2" "$ID2"
rr id-prefix-ambiguous "state <prefix matching two containers> (rec-pfx-)" state "${ID:0:8}"
rr id-prefix-empty-ambiguous "state '' with two containers in root" state ""
rr id-prefix-nomatch "state <prefix matching nothing>" state "rec-pfx-z"
rr id-prefix-delete-force-ambiguous "delete --force <ambiguous prefix>" delete --force "${ID:0:8}"
qdel "$ID" "$ID2"

# delete several ids at once
scen dm
mkbundle "$B" true
mkbundle "$B2" true
q create --bundle "$B" "$ID"; q start "$ID"
q create --bundle "$B2" "$ID2"; q start "$ID2"
sleep 1
rr delete-two-stopped "delete ID ID2, both stopped" delete "$ID" "$ID2"
rr delete-two-stopped-list "list json after" list --format=json
q create --bundle "$B" "$ID"; q start "$ID"
sleep 1
rr delete-stopped-and-missing "delete ID(stopped) ID3(missing): order matters?" delete "$ID" "$ID3"
rr delete-stopped-and-missing-state "state ID after that" state "$ID"
q create --bundle "$B" "$ID"; q start "$ID"
sleep 1
rr delete-missing-and-stopped "delete ID3(missing) ID(stopped)" delete "$ID3" "$ID"
rr delete-missing-and-stopped-state "state ID after that" state "$ID"
qdel "$ID" "$ID2"

scen bd
rr fail-bundle-no-config "create --bundle <empty dir without config.json>" create --bundle "$B" "$ID"
rr fail-run-bundle-no-config "run --bundle <empty dir without config.json>" run --bundle "$B" "$ID"
scen bd2; printf '{"ociVersion": "1.0.2-dev", "process": {' > "$B/config.json"
rr fail-bundle-invalid-json "create with a truncated (invalid JSON) config.json" create --bundle "$B" "$ID"
printf '' > "$B2/config.json"
rr fail-bundle-empty-config "create with an empty config.json" create --bundle "$B2" "$ID"
echo '[]' > "$B3/config.json"
rr fail-bundle-config-array "create with config.json = []" create --bundle "$B3" "$ID"
rr fail-bundle-nonexistent "create --bundle <nonexistent path>" create --bundle "$S/nope" "$ID"
scen bd3; mkbundle "$B"; mkbundle "$B2" /no/such/binary
rr fail-bundle-no-args "create with process.args = []" create --bundle "$B" "$ID"
qdel "$ID"
rr fail-bundle-bad-binary-create "create with process.args[0] = /no/such/binary" create --bundle "$B2" "$ID2"
rr fail-bundle-bad-binary-start "start of that container" start "$ID2"
rr fail-bundle-bad-binary-state "state after failed start" state "$ID2"
qdel "$ID2"
scen bd4; mkbundle "$B" /no/such/binary
rr fail-run-bad-binary "run with process.args[0] = /no/such/binary" run --bundle "$B" "$ID"
qdel "$ID"
(cd "$S" && rec fail-create-no-bundle-flag-cwd "create without --bundle; cwd={tmp} has no config.json" 30 --root="$R" --network=none create "$ID")
qdel "$ID"

# ================================================================ 3. argv errors
scen av
mkbundle "$B" sleep 1000
q create --bundle "$B" "$ID"; q start "$ID"
MISSING=$ID3
A() { rr "$@"; }
A argv-version "--version" --version
rec argv-version-bare "--version without --root" 10 --version
A argv-unknown-global-flag "unknown global flag before subcommand" --bogus list
A argv-unknown-subcommand "unknown subcommand" frob
A argv-no-subcommand "no subcommand at all (only global flags)"
rec argv-no-args-at-all "runsc with no arguments at all" 10
A argv-help "help" help
A argv-help-list "help list" help list
A argv-help-flag-global "-h" -h
A argv-help-flag-global-long "--help" --help
A argv-list-help-flag "list -h" list -h
A argv-list-help-long "list --help" list --help
A argv-flags "flags subcommand (describe top-level flags)" flags
A argv-list-unknown-flag "unknown subcommand flag" list --bogus
A argv-list-positional "list with 1 positional" list extra
A argv-list-bad-format "list --format=yaml" list --format=yaml
A argv-ps-bad-format "ps --format=yaml ID" ps --format=yaml "$ID"
A argv-events-interval-1s "events --interval=1s ID (not an int)" events --interval=1s "$ID"
KILL_AFTER=2 STREAM=1 MAX_BYTES=4096 A argv-events-interval-0 "events --interval=0 on running container; SIGTERM after 2s" events --interval=0 "$ID"
KILL_AFTER=2 STREAM=1 MAX_BYTES=4096 A argv-events-interval-neg1 "events --interval=-1 on running container; SIGTERM after 2s" events --interval=-1 "$ID"
A argv-events-interval-0-stats "events --interval=0 --stats" events --interval=0 --stats "$ID"
A argv-wait-pid-abc "wait --pid=abc ID" wait --pid=abc "$ID"
TMO=10 A argv-wait-pid-hex "wait --pid=0x10 ID (running; no such pid 16)" wait --pid=0x10 "$ID"
TMO=10 A argv-wait-pid-octal "wait --pid=010 ID (running; octal 8 or decimal 10?)" wait --pid=010 "$ID"
TMO=10 A argv-wait-pid-underscore "wait --pid=1_000 ID" wait --pid=1_000 "$ID"
TMO=10 A argv-wait-pid-decimal-16 "wait --pid=16 ID for comparison with 0x10" wait --pid=16 "$ID"
TMO=10 A argv-wait-pid-overflow "wait --pid=99999999999999999999 ID" wait --pid=99999999999999999999 "$ID"
TMO=10 A argv-wait-pid-empty "wait --pid= ID" wait --pid= "$ID"
A argv-wait-pid-missing-hex "wait --pid=0x10 on a missing id" wait --pid=0x10 "$MISSING"
A argv-debug-false "--debug=false list" --debug=false list
A argv-debug-bare "--debug list (with --debug-log unset)" --debug list
A argv-delete-force-true "delete --force=true on missing id" delete --force=true "$MISSING"
A argv-delete-force-maybe "delete --force=maybe ID" delete --force=maybe "$MISSING"
A argv-delete-force-space-true "delete --force true ID (true becomes a positional id)" delete --force true "$MISSING"
A argv-create-bundle-missing-value "create --bundle (no value)" create --bundle
A argv-global-root-missing-value "--root with no value (last arg)" list --root
rec argv-global-root-missing-value2 "runsc --network=none --root (no value, no subcommand)" 10 --network=none --root
A argv-state-0 "state with no id" state
A argv-state-2 "state with 2 ids" state "$ID" "$ID2"
A argv-kill-3 "kill with 3 positionals" kill "$ID" 9 extra
A argv-kill-0 "kill with no positionals" kill
A argv-start-0 "start with no id" start
A argv-start-2 "start with 2 ids" start "$ID" "$ID2"
A argv-create-0 "create with no id" create --bundle "$B"
A argv-create-2 "create with 2 ids" create --bundle "$B" "$ID" "$ID2"
A argv-run-0 "run with no id" run --bundle "$B"
A argv-delete-0 "delete with no ids" delete
A argv-delete-2-missing "delete with 2 missing ids" delete "$ID3" "$ID2"
A argv-pause-0 "pause with no id" pause
A argv-resume-0 "resume with no id" resume
A argv-ps-0 "ps with no id" ps
A argv-ps-2 "ps with 2 positionals" ps "$ID" extra
A argv-events-0 "events with no id" events
A argv-events-2 "events with 2 positionals" events --stats "$ID" extra
A argv-wait-0 "wait with no id" wait
A argv-wait-2 "wait with 2 ids" wait "$ID" "$ID2"
A argv-exec-0 "exec with no args" exec
A argv-exec-id-only "exec ID without command and without --process" exec "$ID"
A argv-exec-process-missing-file "exec --process <nonexistent file> ID" exec --process "$S/nope.json" "$ID"
A argv-checkpoint-0 "checkpoint with no id" checkpoint
A argv-update "update ID (no update subcommand in 20221219)" update "$ID"
A argv-state-id-then-flag "flags after positionals: state ID --bogus" state "$ID" --bogus
A argv-list-then-format-after-positional "list extra --format=json" list extra --format=json
rec argv-single-dash-root "-root=R -network=none list --format=json (single-dash global flags)" 30 -root="$R" -network=none list -format=json
rec argv-double-dash-root "--root=R --network=none list --format=json" 30 --root="$R" --network=none list --format=json
rec argv-root-space-value "--root R (space-separated value)" 30 --root "$R" --network none list -format json
A argv-format-space-value "list --format json (space-separated)" list --format json
A argv-format-single-dash-space "list -format json" list -format json
A argv-format-single-dash-eq "list -format=json" list -format=json
A argv-repeated-flag "list --format=json --format=text (last wins?)" list --format=json --format=text
A argv-repeated-flag-2 "list --format=text --format=json" list --format=text --format=json
A argv-triple-dash "list ---format=json" list ---format=json
A argv-dashdash-before-id "state -- ID" state -- "$ID"
A argv-dashdash-then-flag "list -- --format=json (flag after -- is a positional)" list -- --format=json
rec argv-dashdash-global "--root=R --network=none -- list (global -- terminator)" 30 --root="$R" --network=none -- list
A argv-dashdash-exec "exec ID -- echo hi" exec "$ID" -- echo hi
A argv-exec-flags-of-cmd "exec ID sh -c 'echo \$0' --foo (flags after command go to command)" exec "$ID" sh -c 'echo $0 $1' x --foo
A argv-kill-signal-flag-looking "kill ID -9 (dash signal; parsed after positional)" kill "$ID" -9
A argv-empty-id "state '' (empty id)" state ""
A argv-bad-id-chars "state with id containing a slash" state "a/b"
A argv-bad-id-dotdot "state .." state ..
A argv-create-bad-id "create --bundle B 'bad/id'" create --bundle "$B" "bad/id"
A argv-long-id "state with a 300-char id" state "$(printf 'x%.0s' $(seq 300))"
qdel "$ID"

# ================================================================ 4. real programs
. "$HERE/capture-programs.sh"

# ================================================================ 5. log files
. "$HERE/capture-logs.sh"

# ================================================================ 6. check order, leftovers, odd roots
. "$HERE/capture-failures.sh"

# ================================================================ 7. hardening
. "$HERE/capture-hardening.sh"

echo "done; cases in $OUT" >&2
