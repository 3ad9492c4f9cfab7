//! The simulator's containers run real processes: what they print is their
//! own, and none of them outlives its container, also when the fake itself
//! is SIGKILLed mid-`run` or mid-`exec`.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::prelude::*;

fn fake(root: &Path) -> Command {
    let mut cmd = Command::new(crate::common::binary());
    cmd.env_remove("FAKE_RUNSC_SCENARIO")
        .env_remove("FAKE_RUNSC_SESSION")
        .env_remove("FAKE_RUNSC_PROCESSES")
        .arg(format!("--root={}", root.display()))
        .arg("--network=none")
        .stdin(Stdio::null());
    cmd
}

/// Every live process whose command line holds `marker`.
fn marked(marker: &str) -> BTreeSet<i32> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| crate::common::pid_alive(*pid))
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).contains(marker))
        })
        .collect()
}

fn wait_until(what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn real_programs_print_their_own_output() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let bundle = dir.path().join("bundle");
    fake_runsc::testing::write_host_bundle(
        &bundle,
        &["sh", "-c", "echo init $0; cat /proc/self/comm"],
    )
    .unwrap();
    let id = format!("real-out-{}", std::process::id());
    fake(&root)
        .args(["run", &format!("--bundle={}", bundle.display()), &id])
        .assert()
        .code(0)
        .stdout("init sh\ncat\n");
}

#[test]
fn nothing_outlives_a_container_whose_fake_was_sigkilled_mid_run_and_mid_exec() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    // A sleep length no other process uses marks every process of the
    // container in its argv (the shells' scripts and the sleeps), so /proc
    // finds them all.
    let marker = format!("{}", 7_000_000 + std::process::id());
    let bundle = dir.path().join("bundle");
    let script = format!("sleep {marker} & sleep {marker}; true");
    fake_runsc::testing::write_host_bundle(&bundle, &["sh", "-c", &script]).unwrap();
    let id = format!("real-kill-{}", std::process::id());
    let mut run = fake(&root)
        .args(["run", &format!("--bundle={}", bundle.display()), &id])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_until("the container's shell and sleeps run", || {
        marked(&marker).len() >= 3
    });
    // A foreground exec, then the fake running it, both killed mid-call.
    let mut exec = fake(&root)
        .args(["exec", &id, "sh", "-c", &format!("sleep {marker}; true")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_until("the exec runs beside the init process", || {
        marked(&marker).len() >= 5
    });
    exec.kill().unwrap();
    exec.wait().unwrap();
    run.kill().unwrap();
    run.wait().unwrap();
    assert!(
        marked(&marker).len() >= 5,
        "the container's processes outlive the calls that started them, as runsc's sandbox does"
    );
    fake(&root)
        .args(["delete", "--force", &id])
        .assert()
        .success();
    wait_until("no process of the container is left", || {
        marked(&marker).is_empty()
    });
    fake(&root)
        .args(["state", &id])
        .assert()
        .code(128)
        .stderr("loading container: file does not exist\n");
}

#[test]
fn simulated_programs_on_request_name_what_they_cannot_play() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let bundle = dir.path().join("bundle");
    fake_runsc::testing::write_host_bundle(&bundle, &["sleep", "infinity"]).unwrap();
    let id = format!("sim-switch-{}", std::process::id());
    let simulated = |args: &[&str]| {
        let mut cmd = fake(&root);
        cmd.env("FAKE_RUNSC_PROCESSES", "simulated").args(args);
        cmd
    };
    simulated(&[
        "run",
        "--detach",
        &format!("--bundle={}", bundle.display()),
        &id,
    ])
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .assert()
    .success();
    // GNU sleep's `infinity` keeps the simulated container running.
    simulated(&["state", &id])
        .assert()
        .success()
        .stdout(predicates::str::contains("\"status\": \"running\""));
    simulated(&["exec", &id, "echo", "played"])
        .assert()
        .code(0)
        .stdout("played\n");
    assert_cmd::Command::from_std(simulated(&["exec", &id, "cat", "/etc/hostname"]))
        .timeout(Duration::from_secs(10))
        .assert()
        .code(128)
        .stderr(predicates::str::contains(
            "executing command \"cat /etc/hostname\" in sandbox: fake-runsc: simulated processes",
        ))
        .stderr(predicates::str::contains("cannot play \"cat\""))
        .stderr(predicates::str::contains("FAKE_RUNSC_PROCESSES"));
    fake(&root)
        .env("FAKE_RUNSC_PROCESSES", "sometimes")
        .args([
            "create",
            &format!("--bundle={}", bundle.display()),
            "bad-switch",
        ])
        .assert()
        .code(128)
        .stderr(predicates::str::contains(
            "FAKE_RUNSC_PROCESSES=\"sometimes\" is not one of real, simulated",
        ));
    simulated(&["delete", "--force", &id]).assert().success();
}
