//! Helpers shared by every area: the fake binary (found at run time, as
//! users find it), replay sessions, calls through argv, a host bundle, and
//! `/proc`.

#![allow(dead_code)] // Each area uses a different part.

use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use fake_runsc::scenario::Scenario;
use fake_runsc::testing::FakeRuntime;

/// How one fake call ended.
#[derive(Debug)]
pub struct Outcome {
    pub code: Option<i32>,
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// The fake binary, found as users find it.
pub fn binary() -> PathBuf {
    fake_runsc::testing::locate_binary().expect("the fake-runsc binary is built")
}

/// Starts a fake session for a scenario. The fake's own tests make wrong
/// calls and use scenarios `check` rejects on purpose, so neither the
/// start's check nor the verification on drop applies here; the
/// `testing_api` tests cover both.
pub fn start(scenario: &Scenario) -> FakeRuntime {
    let fake = FakeRuntime::start_unchecked(scenario, binary()).expect("fake session starts");
    fake.skip_verify_on_drop();
    fake
}

/// A command for the fake with `--root` of the session, so the session file selects it.
pub fn command(fake: &FakeRuntime, args: &[&str]) -> Command {
    let mut cmd = Command::new(fake.command_path());
    cmd.arg(format!("--root={}", fake.root().display()))
        .args(args)
        .env_remove("FAKE_RUNSC_SCENARIO")
        .env_remove("FAKE_RUNSC_SESSION")
        .stdin(Stdio::null());
    cmd
}

/// Runs the fake with `--root` of the session and the given args.
pub fn call(fake: &FakeRuntime, args: &[&str]) -> Outcome {
    let output = command(fake, args).output().expect("fake runs");
    Outcome {
        code: output.status.code(),
        signal: output.status.signal(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Parses a scenario from JSON text, panicking with the reason when invalid.
pub fn scenario(json: &str) -> Scenario {
    Scenario::from_json(json.as_bytes()).unwrap_or_else(|e| panic!("bad test scenario: {e}"))
}

/// Writes `DIR/bundle/config.json` for a container running `sleep 1000`
/// (the host bundle: root `/` read-only, no terminal) and returns the
/// bundle directory.
pub fn sleep_bundle(dir: &std::path::Path) -> PathBuf {
    let bundle = dir.join("bundle");
    fake_runsc::testing::write_host_bundle(&bundle, &["sleep", "1000"])
        .unwrap_or_else(|e| panic!("{e}"));
    bundle
}

/// What `/proc/PID/stat` says of a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcStat {
    /// The pid.
    pub pid: i32,
    /// `R`, `S`, `Z`, ...
    pub state: char,
    /// The parent's pid.
    pub ppid: i32,
    /// The process group.
    pub pgrp: i32,
}

/// `/proc/PID/stat`, or `None` once the process is gone (reaped).
pub fn stat(pid: i32) -> Option<ProcStat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses; it ends at the last ')'.
    let rest = &text[text.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    let pgrp = fields.next()?.parse().ok()?;
    Some(ProcStat {
        pid,
        state,
        ppid,
        pgrp,
    })
}

/// Whether a host process is alive (not gone, and not a zombie).
pub fn pid_alive(pid: i32) -> bool {
    stat(pid).is_some_and(|s| !matches!(s.state, 'Z' | 'X'))
}

/// The recorded outputs of real runsc (`scenarios/real-runsc/cases`).
pub fn real_cases_dir() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/real-runsc/cases")
}

/// What a recorded case's placeholders stand for in a scratch dir `tmp`
/// laid out as `capture.sh`'s `scen` lays one out (`root`, `bundle`,
/// `bundle2`, `bundle3`), with container ids made unique by `id_prefix`.
/// Longer placeholders come first, so `{bundle}` never eats `{bundle2}`.
pub fn case_placeholders(tmp: &std::path::Path, id_prefix: &str) -> Vec<(&'static str, String)> {
    let unique = format!("{id_prefix}-{}", std::process::id());
    let path = |sub: &str| tmp.join(sub).display().to_string();
    vec![
        ("{root}", path("root")),
        ("{bundle3}", path("bundle3")),
        ("{bundle2}", path("bundle2")),
        ("{bundle}", path("bundle")),
        ("{id3}", format!("{unique}-c")),
        ("{id2}", format!("{unique}-b")),
        ("{id}", format!("{unique}-a")),
        ("{tmp}", tmp.display().to_string()),
    ]
}

/// `text` with glog's time and pid (`W1202 08:02:44.240757    5308 `) taken
/// out of its lines: they differ from run to run.
pub fn without_glog_stamps(text: &str) -> String {
    let stamp =
        regex::Regex::new(r"(?m)^([IWED])\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ ").expect("a regex");
    stamp.replace_all(text, "$1{stamp} ").into_owned()
}
