"""Drives gVisor's Python bindings (`gvisor.Sandbox`) through fixed steps.

usage: python gvisor_steps.py RUNTIME_DIR RESULTS.json

The bindings find the runtime through RUNSC_PATH. Each step's observable
result (stdout, stderr, exit status, error) is written to RESULTS.json as
soon as it is known, so a run cut short by its deadline still shows how far
it got. The sandbox lives under RUNTIME_DIR, which the caller owns and
cleans up even when this script is killed.
"""

import json
import os
import subprocess
import sys

import gvisor

# Bounds each exec; the caller bounds the whole script as well.
EXEC_TIMEOUT = 20


def result(step, **fields):
    entry = {"step": step, "stdout": None, "stderr": None, "exit": None, "error": None}
    entry.update(fields)
    return entry


def exec_step(sandbox, step, *argv, **kwargs):
    kwargs.setdefault("timeout", EXEC_TIMEOUT)
    try:
        stdout, stderr = sandbox.exec(*argv, **kwargs)
        return result(step, stdout=stdout, stderr=stderr, exit=0)
    except gvisor.Error as e:
        cause = e.__cause__
        if isinstance(cause, subprocess.CalledProcessError):
            return result(step, stderr=cause.stderr, exit=cause.returncode)
        if isinstance(cause, subprocess.TimeoutExpired):
            return result(step, error="timed out")
        return result(step, error=str(e))


def main(argv):
    if len(argv) != 3:
        sys.exit("usage: gvisor_steps.py RUNTIME_DIR RESULTS.json")
    runtime_dir, results_path = argv[1:]
    results = []

    def record(entry):
        results.append(entry)
        with open(results_path, "w") as f:
            json.dump(results, f, indent=1)

    try:
        sandbox = gvisor.Sandbox(
            runtime_dir=runtime_dir,
            env={"GREETING": "hello"},
            working_dir="/usr",
        )
    except gvisor.Error as e:
        record(result("open", error=str(e)))
        return
    record(result("open", exit=0))
    with sandbox:
        record(exec_step(sandbox, "pwd (sandbox working_dir)", "pwd"))
        record(exec_step(sandbox, "pwd --cwd /usr/bin", "pwd", cwd="/usr/bin"))
        record(exec_step(sandbox, "env from the sandbox", "sh", "-c", "echo ${GREETING:-unset}"))
        record(exec_step(sandbox, "--env FOO=bar", "sh", "-c", "echo ${GREETING:-unset} $FOO", env={"FOO": "bar"}))
        record(
            exec_step(
                sandbox,
                "--env and --cwd together",
                "sh",
                "-c",
                'echo "$A $B $(pwd)"',
                env={"A": "1", "B": "two words"},
                cwd="/bin",
            )
        )
        record(exec_step(sandbox, "stderr and stdout", "sh", "-c", "echo out; echo err >&2"))
        record(exec_step(sandbox, "exit 3", "sh", "-c", "exit 3"))
        record(exec_step(sandbox, "killed by SIGKILL", "sh", "-c", "kill -9 $$"))
        record(exec_step(sandbox, "missing binary", "/no/such/binary"))
        record(exec_step(sandbox, "timeout 1s on sleep 30", "sleep", "30", timeout=1))
        record(exec_step(sandbox, "exec after a timeout", "echo", "still", "here"))
    closed_ok = not os.path.exists(sandbox.bundle_dir)
    record(result("close", exit=0 if closed_ok else None, error=None if closed_ok else "bundle left behind"))


if __name__ == "__main__":
    main(sys.argv)
