//! Shared by the `reliability_*` areas: a client that runs the fake, the
//! journalled calls, and which processes `/proc` shows are left.

#![allow(dead_code)] // Each suite uses a different part.

use std::time::{Duration, Instant};

use fake_runsc::journal::Call;
use fake_runsc::testing::FakeRuntime;
use runsc::Runsc;

use crate::common::{stat, ProcStat};

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
