//! Shared by the `reliability_*` suites: starting the fake, a client that
//! runs it, and reading `/proc` to see which processes are left.

#![allow(dead_code)] // Each suite uses a different part.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use fake_runsc::journal::Call;
use fake_runsc::scenario::Scenario;
use fake_runsc::testing::FakeRuntime;
use runsc::Runsc;

/// The fake binary cargo built for these tests.
/// Writes `DIR/bundle/config.json` for a container running `sleep 1000`
/// (root `/` read-only, no terminal) and returns the bundle directory.
pub fn sleep_bundle(dir: &std::path::Path) -> PathBuf {
    let bundle = dir.join("bundle");
    std::fs::create_dir_all(&bundle).expect("bundle dir");
    std::fs::write(
        bundle.join("config.json"),
        serde_json::json!({"process": {"args": ["sleep", "1000"], "terminal": false}, "root": {"path": "/", "readonly": true}})
            .to_string(),
    )
    .expect("config.json");
    bundle
}

pub fn fake_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_fake-runsc"))
}

/// A replay session for `scenario`.
pub fn start(scenario: &Scenario) -> FakeRuntime {
    FakeRuntime::start_with_binary(scenario, fake_binary()).expect("start a fake session")
}

/// A client that runs the fake with the session's `--root`.
pub fn client(fake: &FakeRuntime, timeout: Option<Duration>) -> Runsc {
    Runsc::builder()
        .command(fake.command_path())
        .root(fake.root())
        .timeout(timeout)
        .build()
        .expect("a valid client")
}

/// The journal's `call` entries.
pub fn calls(fake: &FakeRuntime) -> Vec<Call> {
    fake.calls().expect("a readable journal")
}

/// A state document as runsc 20221219 prints it.
pub fn state_json(id: &str) -> String {
    format!(
        r#"{{"ociVersion":"1.0.2-dev","id":"{id}","status":"running","pid":4242,"bundle":"/b","rootfs":"/","created":"2026-01-01T00:00:00Z","owner":""}}"#
    )
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

/// Every process on the machine, as far as `/proc` shows it now.
pub fn all_processes() -> Vec<ProcStat> {
    std::fs::read_dir("/proc")
        .expect("/proc is readable")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(stat)
        .collect()
}

/// Processes whose parent is this test process (zombies included).
pub fn children_of_this_process() -> Vec<ProcStat> {
    let me = std::process::id() as i32;
    all_processes()
        .into_iter()
        .filter(|p| p.ppid == me)
        .collect()
}

/// Processes in group `pgid` (zombies included).
pub fn group_members(pgid: i32) -> Vec<ProcStat> {
    all_processes()
        .into_iter()
        .filter(|p| p.pgrp == pgid)
        .collect()
}

/// Polls `done` every 10 ms until it holds or `limit` passes; panics with
/// `what` and the last observation then. This waits for something to
/// happen, it does not measure how fast.
pub fn wait_for<T: std::fmt::Debug>(
    what: &str,
    limit: Duration,
    mut probe: impl FnMut() -> (bool, T),
) {
    let started = Instant::now();
    loop {
        let (done, seen) = probe();
        if done {
            return;
        }
        if started.elapsed() > limit {
            panic!("{what} did not happen within {limit:?}; last seen: {seen:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The pid of the fake process that journalled call number `index` (from 0).
pub fn journalled_pid(fake: &FakeRuntime, index: usize) -> Option<i32> {
    calls(fake)
        .get(index)
        .and_then(|call| i32::try_from(call.pid).ok())
}
