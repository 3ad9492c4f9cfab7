//! gVisor's Python bindings (`pip install gvisor`, `gvisor.Sandbox`) as a
//! client: `xtask/clients/gvisor_steps.py` opens a sandbox, execs commands
//! with cwd, env and timeouts, and closes it, through whatever runtime
//! `RUNSC_PATH` names.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde::Deserialize;

use super::proc::{self, run_bounded};
use super::{Expect, Runtime, StepResult, Trial};
use crate::cargo::workspace_root;

/// The bindings' release the steps were written against (its source is what
/// the steps exercise: `run --detach` of `sleep infinity`, `exec`, `kill`,
/// `delete --force`).
const VERSION: &str = "2026.10.22.0";
/// Bounds the whole script; each exec inside has its own, shorter deadline.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(240);
const INSTALL_TIMEOUT: Duration = Duration::from_secs(300);

/// The steps and what real runsc 20221219 gives for each.
pub fn expectations() -> Vec<(&'static str, Expect)> {
    let ok = |stdout: &'static str| Expect {
        stdout: Some(stdout),
        exit: Some(Some(0)),
        ..Expect::default()
    };
    vec![
        ("open", Expect::exit(0)),
        ("pwd (sandbox working_dir)", ok("/usr\n")),
        ("pwd --cwd /usr/bin", ok("/usr/bin\n")),
        ("env from the sandbox", ok("hello\n")),
        ("--env FOO=bar", ok("hello bar\n")),
        ("--env and --cwd together", ok("1 two words /bin\n")),
        (
            "stderr and stdout",
            Expect {
                stderr: Some("err\n"),
                ..ok("out\n")
            },
        ),
        ("exit 3", Expect::exit(3)),
        ("killed by SIGKILL", Expect::exit(137)),
        (
            "missing binary",
            Expect {
                exit: Some(Some(128)),
                stderr: Some("executing processes for container: executing command \"/no/such/binary\" in sandbox: failed to load /no/such/binary: no such file or directory\n"),
                ..Expect::default()
            },
        ),
        (
            "timeout 1s on sleep 30",
            Expect {
                exit: Some(None),
                error: Some("timed out"),
                ..Expect::default()
            },
        ),
        ("exec after a timeout", ok("still here\n")),
        ("close", Expect::exit(0)),
    ]
}

/// The Python interpreter that makes the venv: Debian's, else the first
/// `python3` on PATH.
pub fn system_python() -> PathBuf {
    let debian = Path::new("/usr/bin/python3");
    if debian.is_file() {
        debian.to_owned()
    } else {
        PathBuf::from("python3")
    }
}

/// Why the Python client cannot run here, if it cannot.
pub fn cannot_run() -> Option<String> {
    let ran = Command::new(system_python())
        .args(["-c", "import venv, ensurepip"])
        .output();
    match ran {
        Ok(out) if out.status.success() => None,
        _ => Some(
            "python3 with the venv module is missing (apt-get install python3-venv)".to_owned(),
        ),
    }
}

/// The venv with the bindings installed, made on first use under the
/// target directory and reused while it still imports them.
pub fn venv(scratch: &Path) -> Result<PathBuf, String> {
    let dir = workspace_root().join("target/clients/venv");
    let python = dir.join("bin/python");
    let imports = |python: &Path| {
        Command::new(python)
            .args(["-c", &format!("import gvisor, importlib.metadata as m; assert m.version('gvisor') == '{VERSION}'")])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if imports(&python) {
        return Ok(python);
    }
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!(
        "clients: making a venv with gvisor {VERSION} in {}",
        dir.display()
    );
    let made = run_bounded(
        Command::new(system_python()).args(["-m", "venv"]).arg(&dir),
        scratch,
        INSTALL_TIMEOUT,
    )?;
    if made.code != Some(0) {
        return Err(format!(
            "`python3 -m venv {}` failed: {}",
            dir.display(),
            made.stderr.trim()
        ));
    }
    let installed = run_bounded(
        Command::new(dir.join("bin/pip"))
            .args(["install", "--quiet"])
            .arg(format!("gvisor=={VERSION}")),
        scratch,
        INSTALL_TIMEOUT,
    )?;
    if installed.code != Some(0) || !imports(&python) {
        return Err(format!(
            "`pip install gvisor=={VERSION}` into {} failed (PyPI must be reachable): {}",
            dir.display(),
            installed.stderr.trim()
        ));
    }
    Ok(python)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScriptStep {
    step: String,
    stdout: Option<String>,
    stderr: Option<String>,
    exit: Option<i32>,
    error: Option<String>,
}

/// Runs the steps against `runtime`, with the argv of every runtime call
/// logged, and removes every sandbox the script left behind.
pub fn run(python: &Path, runtime: &Runtime, scratch: &Path) -> Result<Trial, String> {
    let runtime_dir = scratch.join("sandbox");
    let logs = scratch.join("argv");
    let wrapper = scratch.join("runsc");
    std::fs::create_dir_all(&runtime_dir)
        .map_err(|e| format!("cannot create {}: {e}", runtime_dir.display()))?;
    proc::write_wrapper(&wrapper, runtime.binary(), &[], &logs)?;
    let results = scratch.join("results.json");
    let script = workspace_root().join("xtask/clients/gvisor_steps.py");
    let ran = run_bounded(
        Command::new(python)
            .arg(&script)
            .arg(&runtime_dir)
            .arg(&results)
            .env("RUNSC_PATH", &wrapper),
        scratch,
        SCRIPT_TIMEOUT,
    );
    let state = runtime_dir.join("state");
    let scratch_text = scratch.to_string_lossy().into_owned();
    let replacements = [(scratch_text.clone(), "$TMP")];
    let leftovers =
        super::delete_all(runtime.binary(), &state, scratch) + proc::kill_leftovers(&scratch_text);
    let ran = ran?;
    let mut steps: Vec<StepResult> = match std::fs::read(&results) {
        Ok(bytes) => serde_json::from_slice::<Vec<ScriptStep>>(&bytes)
            .map_err(|e| format!("{} is not what the script writes: {e}", results.display()))?
            .into_iter()
            .map(|s| {
                StepResult {
                    step: s.step,
                    stdout: s.stdout,
                    stderr: s.stderr,
                    exit: s.exit,
                    error: s.error,
                    state: None,
                }
                .normalised(&replacements)
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    if ran.timed_out || ran.code != Some(0) {
        steps.push(StepResult {
            step: "script".to_owned(),
            error: Some(if ran.timed_out {
                format!("killed after {}s", SCRIPT_TIMEOUT.as_secs())
            } else {
                format!("exit {:?}: {}", ran.code, ran.stderr.trim())
            }),
            ..StepResult::default()
        });
    }
    let argv = proc::read_argv_log(&logs)?
        .iter()
        .map(|a| proc::normalise_argv(a, &replacements))
        .collect();
    Ok(Trial {
        steps,
        argv,
        leftovers,
    })
}
