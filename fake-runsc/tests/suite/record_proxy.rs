//! Record mode: the recorder forwards to a runsc, passes its output, exit
//! status and signal through, and appends normalised steps that replay
//! elsewhere. Most tests put a stand-in in front of the recorder (the
//! simulator, or a shell script), so they need neither root nor gVisor;
//! `real_runsc_recording_replays_through_the_client` needs real runsc.

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use client_driver::{self as driver, Driver, Target};
use fake_runsc::record::{sidecar_path, Sidecar, ENV_REAL};
use fake_runsc::scenario::{PidFile, Scenario};
use serde_json::json;

use crate::common::binary;

/// A stand-in "real runsc": a shell script.
fn script(dir: &Path, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("runsc-standin");
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write script");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

fn recorder(output: &Path, real: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(binary());
    cmd.args(args)
        .env("FAKE_RUNSC_RECORD", output)
        .env(ENV_REAL, real)
        .env_remove("FAKE_RUNSC_SCENARIO")
        .env_remove("FAKE_RUNSC_SESSION")
        .stdin(Stdio::null());
    cmd
}

fn load(path: &Path) -> Scenario {
    Scenario::from_json(&std::fs::read(path).expect("the recording exists"))
        .expect("a valid scenario")
}

fn driver() -> Driver {
    serde_json::from_value(json!({
        "description": "a small lifecycle",
        "bundles": {"bundle": {"args": ["sleep", "100"]}, "exit3": {"args": ["sh", "-c", "sleep 1; exit 3"]}},
        "calls": [
            {"op": "list"},
            {"op": "create", "bundle": "bundle", "pid_file": true},
            {"op": "state"},
            {"op": "start"},
            {"op": "list"},
            {"op": "ps"},
            {"op": "stats"},
            {"op": "exec", "args": ["echo", "hi"]},
            {"op": "create", "id": "id2", "bundle": "exit3"},
            {"op": "start", "id": "id2"},
            {"op": "wait", "id": "id2"},
            {"op": "state", "id": "id2"},
            {"op": "kill", "signal": "KILL"},
            {"op": "delete", "force": true},
            {"op": "delete", "id": "id2"},
            {"op": "state"}
        ]
    }))
    .expect("a valid driver")
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(future)
}

/// Records `driver` in front of `real` and checks that the recording,
/// replayed in another directory with other ids, gives the same results.
fn record_then_replay(real: &Path, cleanup: &Path) -> (Scenario, Sidecar) {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = dir.path().join("recording.json");
    let scratch = dir.path().join("run");
    std::fs::create_dir_all(&scratch).expect("scratch");
    let target = Target {
        command: binary(),
        env: vec![
            (
                "FAKE_RUNSC_RECORD".into(),
                output.to_string_lossy().into_owned(),
            ),
            (ENV_REAL.into(), real.to_string_lossy().into_owned()),
        ],
        cleanup: Some(cleanup.to_owned()),
        id_suffix: driver::unique_suffix(),
    };
    let driver = driver();
    let recorded =
        block_on(driver::execute(&driver, &target, &scratch)).expect("the recorded run succeeds");
    let scenario = load(&output);
    let replayed =
        block_on(driver::replay(&driver, &scenario, &binary())).expect("the recording replays");
    assert_eq!(
        recorded, replayed,
        "the replay differs from what was recorded"
    );
    let sidecar: Sidecar =
        serde_json::from_slice(&std::fs::read(sidecar_path(&output)).expect("sidecar"))
            .expect("valid sidecar");
    (scenario, sidecar)
}

#[test]
fn a_simulator_recording_replays_elsewhere_with_volatile_values_normalised() {
    let (scenario, sidecar) = record_then_replay(&binary(), &binary());
    assert_eq!(scenario.steps.len(), 16, "one step per runsc call");
    let text = scenario.to_json();
    let root = sidecar
        .names
        .values
        .iter()
        .find(|v| v.name == "root")
        .expect("root is named");
    assert!(
        !text.contains(&root.value),
        "the root path is left in the scenario"
    );
    for value in &sidecar.names.values {
        assert!(
            !text.contains(&value.value),
            "{:?} ({}) is left in the scenario",
            value.value,
            value.name
        );
    }
    let create = &scenario.steps[1];
    assert_eq!(create.reply.pid_file, PidFile::Fixed { pid: 10001 });
    let state = serde_json::to_string(&scenario.steps[2].reply.stdout).expect("json");
    assert!(
        state.contains(r#"\"pid\": 10001"#)
            && state.contains("{{id}}")
            && state.contains("{{bundle}}"),
        "{state}"
    );
    let stats = serde_json::to_string(&scenario.steps[6].reply.stdout).expect("json");
    assert!(
        stats.contains(r#"\"total\":1000000"#),
        "cpu usage is not normalised: {stats}"
    );
    assert!(
        sidecar
            .steps
            .iter()
            .any(|s| s.notes.iter().any(|n| n.contains("host pid"))),
        "pid rewrites are not reported"
    );
    assert_eq!(sidecar.steps.len(), scenario.steps.len());
}

#[test]
fn output_exit_status_and_pid_file_pass_through() {
    let dir = tempfile::tempdir().expect("tempdir");
    let real = script(dir.path(), "echo out; echo err >&2; for a; do case $a in --pid-file=*) printf 4321 > \"${a#--pid-file=}\";; esac; done; exit 7");
    let output = dir.path().join("rec.json");
    let pid_file = dir.path().join("pid");
    let result = recorder(
        &output,
        &real,
        &[
            "create",
            &format!("--pid-file={}", pid_file.display()),
            "c1",
        ],
    )
    .output()
    .expect("recorder runs");
    assert_eq!(result.status.code(), Some(7));
    assert_eq!(String::from_utf8_lossy(&result.stdout), "out\n");
    assert_eq!(String::from_utf8_lossy(&result.stderr), "err\n");
    assert_eq!(
        std::fs::read_to_string(&pid_file).expect("pid file"),
        "4321"
    );
    let step = &load(&output).steps[0];
    assert_eq!(step.reply.exit, 7);
    assert_eq!(step.reply.pid_file, PidFile::Fixed { pid: 10001 });
    assert_eq!(
        serde_json::to_value(&step.reply.stdout).expect("json"),
        json!("out\n")
    );
}

#[test]
fn a_death_by_signal_is_passed_on_and_recorded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let real = script(dir.path(), "echo partial; kill -SEGV $$");
    let output = dir.path().join("rec.json");
    let result = recorder(&output, &real, &["state", "c1"])
        .output()
        .expect("recorder runs");
    assert_eq!(result.status.signal(), Some(11), "{result:?}");
    let step = &load(&output).steps[0];
    assert_eq!(
        serde_json::to_value(&step.reply.signal).expect("json"),
        json!(11)
    );
}

#[test]
fn a_stream_the_caller_ends_is_recorded_as_timed_chunks_then_hang() {
    let dir = tempfile::tempdir().expect("tempdir");
    let real = script(
        dir.path(),
        "case \"$*\" in *events*) while :; do echo '{\"type\":\"stats\"}'; sleep 1; done;; esac",
    );
    let output = dir.path().join("rec.json");
    let mut child = recorder(&output, &real, &["events", "--interval=1", "c1"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("recorder runs");
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(
        child.stdout.take().expect("stdout"),
    ));
    for _ in 0..2 {
        assert!(
            lines
                .next()
                .is_some_and(|l| l.is_ok_and(|l| l.contains("stats"))),
            "a passed-through line"
        );
    }
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .expect("kill");
    let status = child.wait().expect("wait");
    assert_eq!(
        status.signal(),
        Some(15),
        "the recorder ends as runsc ended"
    );
    let step = &load(&output).steps[0];
    assert!(
        step.reply.hang,
        "a stream the caller stopped must replay as hang: {step:?}"
    );
    let chunks = step.reply.stdout.chunks();
    assert!(chunks.len() >= 2, "{chunks:?}");
    assert_eq!(chunks[1].after_ms, 1000, "delays are kept (rounded)");
}

#[test]
fn the_recorder_does_not_wait_for_the_sandbox_to_close_runscs_stdout() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Like runsc create: a process that outlives runsc holds its stdout open.
    let real = script(dir.path(), "sleep 30 & echo created");
    let output = dir.path().join("rec.json");
    let result = assert_cmd::Command::from_std(recorder(&output, &real, &["create", "c1"]))
        .timeout(Duration::from_secs(10))
        .output()
        .expect("recorder runs");
    assert_eq!(
        result.status.code(),
        Some(0),
        "the recorder waited for EOF: {result:?}"
    );
    assert_eq!(String::from_utf8_lossy(&result.stdout), "created\n");
}

#[test]
fn concurrent_recorders_append_every_call_in_start_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let real = script(dir.path(), "echo \"$@\"");
    let output = dir.path().join("rec.json");
    let children: Vec<_> = (0..12)
        .map(|i| {
            recorder(&output, &real, &["state", &format!("c{i}")])
                .stdout(Stdio::null())
                .spawn()
                .expect("recorder runs")
        })
        .collect();
    for mut child in children {
        assert!(child.wait().expect("wait").success());
    }
    let scenario = load(&output);
    assert_eq!(scenario.steps.len(), 12, "a call was lost");
    let sidecar: Sidecar =
        serde_json::from_slice(&std::fs::read(sidecar_path(&output)).expect("sidecar"))
            .expect("valid");
    let starts: Vec<u128> = sidecar.steps.iter().map(|s| s.started_unix_ns).collect();
    assert!(
        starts.windows(2).all(|w| w[0] <= w[1]),
        "steps are not in start order: {starts:?}"
    );
    let ids: std::collections::BTreeSet<String> = sidecar
        .names
        .values
        .iter()
        .map(|v| v.value.clone())
        .collect();
    assert_eq!(ids.len(), 12);
}

#[test]
fn argv_the_fake_refuses_is_forwarded_but_is_no_step() {
    let dir = tempfile::tempdir().expect("tempdir");
    let real = script(
        dir.path(),
        "echo 'invalid value \"1s\" for flag -interval: parse error' >&2; exit 128",
    );
    let output = dir.path().join("rec.json");
    let result = recorder(&output, &real, &["events", "--interval=1s", "c1"])
        .output()
        .expect("recorder runs");
    assert_eq!(result.status.code(), Some(128));
    assert!(String::from_utf8_lossy(&result.stderr).contains("parse error"));
    assert!(!output.exists() || load(&output).steps.is_empty());
    let sidecar: Sidecar =
        serde_json::from_slice(&std::fs::read(sidecar_path(&output)).expect("sidecar"))
            .expect("valid");
    assert_eq!(sidecar.unrecorded.len(), 1);
    assert!(sidecar.unrecorded[0]
        .output
        .as_ref()
        .is_some_and(|(_, err)| err.contains("parse error")));
}

#[test]
fn record_mode_without_a_real_runsc_says_what_to_set() {
    let dir = tempfile::tempdir().expect("tempdir");
    let result = Command::new(binary())
        .args(["list"])
        .env("FAKE_RUNSC_RECORD", dir.path().join("rec.json"))
        .env_remove(ENV_REAL)
        .env_remove("FAKE_RUNSC_SCENARIO")
        .env_remove("FAKE_RUNSC_SESSION")
        .output()
        .expect("fake runs");
    assert_eq!(result.status.code(), Some(fake_runsc::exit::EXIT_CONFIG));
    assert!(
        String::from_utf8_lossy(&result.stderr).contains("FAKE_RUNSC_REAL"),
        "{result:?}"
    );
}

/// Real runsc must be usable here; in CI its absence is a failure.
fn real_runsc() -> Option<PathBuf> {
    let real = PathBuf::from("/usr/bin/runsc");
    let why = if !nix::unistd::geteuid().is_root() {
        "not root"
    } else if !real.is_file() {
        "/usr/bin/runsc is missing"
    } else {
        return Some(real);
    };
    assert!(
        std::env::var_os("CI").is_none(),
        "CI is set but real runsc cannot run: {why}"
    );
    eprintln!(
        "SKIP real_runsc_recording_replays_through_the_client: needs root and real runsc ({why})"
    );
    None
}

#[test]
fn real_runsc_recording_replays_through_the_client() {
    let Some(real) = real_runsc() else { return };
    let (scenario, _) = record_then_replay(&real, &real);
    assert_eq!(scenario.runsc_version.as_deref(), Some("20221219"));
}
