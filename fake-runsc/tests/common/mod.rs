//! Helpers shared by the fake's integration tests.
#![allow(dead_code)]

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

/// Starts a fake session for a scenario.
pub fn start(scenario: &Scenario) -> FakeRuntime {
    FakeRuntime::start(scenario).expect("fake session starts")
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
