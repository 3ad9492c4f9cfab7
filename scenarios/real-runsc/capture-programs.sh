# Real programs: how runsc 20221219 reports failures to start a real program,
# and what exec's --cwd, --env and --user do. Sourced by capture.sh (after its
# helpers are defined); `SECTION=programs capture.sh` records only this part
# into an existing cases dir without removing the others.

# mkbundle_at DIR CWD ENV arg...: like mkbundle, with a chosen cwd and one
# extra environment entry.
mkbundle_at() {
  local d=$1 cwd=$2 env=$3; shift 3
  mkbundle "$d" "$@"
  python3 - "$d/config.json" "$cwd" "$env" <<'PY'
import json, sys
path, cwd, env = sys.argv[1:]
cfg = json.load(open(path))
cfg["process"]["cwd"] = cwd
if env:
    cfg["process"]["env"].append(env)
json.dump(cfg, open(path, "w"), indent=2)
PY
}

scen pg1; mkbundle "$B" /nonexistent
rr prog-start-missing-binary-create "create with process.args = [/nonexistent]" create --bundle "$B" "$ID"
rr prog-start-missing-binary "start: the init binary does not exist" start "$ID"
rr prog-start-missing-binary-state "state after the failed start" state "$ID"
qdel "$ID"
rr prog-run-missing-binary "run with process.args = [/nonexistent]" run --bundle "$B" "$ID2"
qdel "$ID2"

scen pg2; mkbundle_at "$B" /nonexistent-dir "" /bin/sh -c pwd
rr prog-start-bad-cwd-create "create with process.cwd = /nonexistent-dir" create --bundle "$B" "$ID"
rr prog-start-bad-cwd "start: the init process's cwd does not exist" start "$ID"
qdel "$ID"
rr prog-run-bad-cwd "run with process.cwd = /nonexistent-dir" run --bundle "$B" "$ID2"
qdel "$ID2"

scen pg3; mkbundle "$B" /etc/hostname; mkbundle "$B2" /etc
rr prog-run-not-executable "run with process.args = [/etc/hostname] (a file without x bits)" run --bundle "$B" "$ID"
qdel "$ID"
rr prog-run-directory "run with process.args = [/etc] (a directory)" run --bundle "$B2" "$ID2"
qdel "$ID2"

scen pg4; mkbundle_at "$B" /tmp FOO=from-spec /bin/sh -c 'echo "$FOO"; pwd; id -u'
rr prog-run-env-cwd "run /bin/sh -c 'echo \$FOO; pwd; id -u' with env FOO and cwd /tmp" run --bundle "$B" "$ID"
qdel "$ID"
mkbundle "$B2" echo relative argv0
rr prog-run-relative "run with process.args = [echo, ...]: argv[0] found through PATH" run --bundle "$B2" "$ID2"
qdel "$ID2"
mkbundle "$B3" no-such-command
rr prog-run-relative-missing "run with process.args = [no-such-command]: not on PATH" run --bundle "$B3" "$ID3"
qdel "$ID3"

scen pg5; mkbundle "$B" /bin/sh -c 'kill -9 $$'
rr prog-run-signal-death "run of a shell that SIGKILLs itself" run --bundle "$B" "$ID"
qdel "$ID"

scen pg6; mkbundle "$B" sleep 1000
q create --bundle "$B" "$ID"; q start "$ID"
rr prog-exec-missing-binary "exec ID /nonexistent" exec "$ID" /nonexistent
rr prog-exec-relative-missing "exec ID no-such-command" exec "$ID" no-such-command
rr prog-exec-not-executable "exec ID /etc/hostname" exec "$ID" /etc/hostname
rr prog-exec-bad-cwd "exec --cwd /nonexistent-dir ID /bin/sh -c pwd" exec --cwd /nonexistent-dir "$ID" /bin/sh -c pwd
rr prog-exec-true "exec ID /bin/true" exec "$ID" /bin/true
rr prog-exec-relative "exec ID true: argv[0] found through the spec's PATH" exec "$ID" true
rr prog-exec-cwd "exec --cwd /tmp ID /bin/sh -c pwd" exec --cwd /tmp "$ID" /bin/sh -c pwd
rr prog-exec-env "exec --env FOO=bar ID /bin/sh -c 'echo \$FOO'" exec --env FOO=bar "$ID" /bin/sh -c 'echo "$FOO"'
rr prog-exec-env-path "exec ID /bin/sh -c 'echo \$PATH' (the spec's env is inherited)" exec "$ID" /bin/sh -c 'echo "$PATH"'
rr prog-exec-user "exec --user 65534:65534 ID /bin/sh -c 'id -u; id -g'" exec --user 65534:65534 "$ID" /bin/sh -c 'id -u; id -g'
rr prog-exec-exit-status "exec ID /bin/sh -c 'exit 3'" exec "$ID" /bin/sh -c 'exit 3'
rr prog-exec-signal-death "exec ID /bin/sh -c 'kill -9 \$\$'" exec "$ID" /bin/sh -c 'kill -9 $$'
# (exit 9, not the shell's 2, which the argv tests read as a flag error)
rr prog-exec-readonly-root "exec ID /bin/sh -c 'echo x > /x || exit 9': the read-only root" exec "$ID" /bin/sh -c 'echo x > /x || exit 9'
mkproc "$S/bad-cwd.json" /bin/sh -c pwd
python3 -c 'import json,sys; p=json.load(open(sys.argv[1])); p["cwd"]="/nonexistent-dir"; json.dump(p,open(sys.argv[1],"w"))' "$S/bad-cwd.json"
rr prog-exec-process-bad-cwd "exec --process FILE with cwd /nonexistent-dir" exec --process "$S/bad-cwd.json" "$ID"
qdel "$ID"
