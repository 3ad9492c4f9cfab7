//! The job, tested as a user would: a hand-written scenario, a recording
//! of real runsc, and the simulator. Each replay runs many times in a loop:
//! the background `wait` reaches the fake before or after `exec` at random,
//! and every interleaving must pass.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use downstream_check::{run_job, JobReport};
use fake_runsc::scenario::{Scenario, Step, ValueMatch};
use fake_runsc::testing::{locate_binary, write_host_bundle, FakeRuntime};
use runsc::cli::ContainerId;
use runsc::Runsc;

/// Every replay runs this many times; a single failure fails the test.
const REPLAYS: usize = 100;

fn client(command: &Path, root: &Path) -> Runsc {
    Runsc::builder()
        .command(command)
        .root(root)
        .config("network", "none")
        .timeout(Duration::from_secs(60))
        .build()
        .expect("a client")
}

fn unique_id(prefix: &str) -> ContainerId {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    ContainerId::new(format!("{prefix}-{}-{nanos}", std::process::id())).expect("a valid id")
}

fn bundle(dir: &Path) -> PathBuf {
    let bundle = dir.join("bundle");
    write_host_bundle(&bundle, &["sleep", "1000"]).expect("the bundle");
    bundle
}

/// Replays `scenario` REPLAYS times with container ids `PREFIX-PID-NANOS`;
/// each run must give `expected` and verify clean.
async fn replay_many(scenario: &Scenario, expected: &JobReport, id_prefix: &str) {
    let dir = tempfile::tempdir().unwrap();
    let bundle = bundle(dir.path());
    let mut failures = Vec::new();
    for round in 0..REPLAYS {
        let fake = FakeRuntime::start(scenario).expect("the scenario passes fake-runsc check");
        let runsc = client(fake.command_path(), &fake.root());
        let id = unique_id(id_prefix);
        match run_job(&runsc, &id, &bundle).await {
            Ok(report) if report == *expected => {}
            Ok(report) => failures.push(format!("round {round}: {report:?}")),
            Err(e) => failures.push(format!("round {round}: {e}")),
        }
        if let Err(e) = fake.verify() {
            failures.push(format!("round {round}: {e}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {REPLAYS} replays failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hand_written_scenario_with_one_wait_step_replays_every_time() {
    let scenario = Scenario::new()
        .step(Step::command("create").id(ValueMatch::capture("id")))
        .step(Step::command("start").id(ValueMatch::reference("id")))
        .step(
            Step::command("wait")
                .id(ValueMatch::reference("id"))
                .stdout("{\"id\":\"{{id}}\",\"exitStatus\":9}\n"),
        )
        .step(Step::command("exec").id(ValueMatch::reference("id")))
        .step(
            Step::command("kill")
                .id(ValueMatch::reference("id"))
                .field("signal", "SIGKILL"),
        )
        .step(Step::command("delete").id(ValueMatch::reference("id")));
    let expected = JobReport {
        exec_status: 0,
        container_status: 9,
    };
    replay_many(&scenario, &expected, "job").await;
}

/// Real runsc as root, or `None` with a loud SKIP; under `CI` its absence fails.
fn real_runsc() -> Option<PathBuf> {
    let runsc = PathBuf::from("/usr/bin/runsc");
    let why = if !nix_is_root() {
        "not root"
    } else if !runsc.is_file() {
        "/usr/bin/runsc is missing"
    } else {
        return Some(runsc);
    };
    if std::env::var_os("CI").is_some() {
        panic!("recording needs real runsc as root, and CI is set: {why}");
    }
    eprintln!("SKIP: recording the job needs root and /usr/bin/runsc: {why}");
    None
}

fn nix_is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|uid| uid == "0"))
        })
        .unwrap_or(false)
}

/// Force-deletes the recorded container whatever happens to the test.
struct Cleanup {
    runsc: PathBuf,
    root: PathBuf,
    id: ContainerId,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = std::process::Command::new(&self.runsc)
            .arg(format!("--root={}", self.root.display()))
            .args(["delete", "--force", self.id.as_str()])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_of_real_runsc_replays_every_time() {
    let Some(real) = real_runsc() else { return };
    let dir = tempfile::tempdir().unwrap();
    let bundle = bundle(dir.path());
    let root = dir.path().join("root");
    let output = dir.path().join("job.json");
    let id = unique_id("downstream-rec");
    let _cleanup = Cleanup {
        runsc: real.clone(),
        root: root.clone(),
        id: id.clone(),
    };
    let recorder = Runsc::builder()
        .command(locate_binary().expect("the fake binary"))
        .root(&root)
        .config("network", "none")
        .timeout(Duration::from_secs(120))
        .env("FAKE_RUNSC_RECORD", &output)
        .env("FAKE_RUNSC_REAL", &real)
        .build()
        .expect("a client");
    let recorded = run_job(&recorder, &id, &bundle)
        .await
        .expect("the job runs against real runsc");
    let scenario = Scenario::from_json(&std::fs::read(&output).expect("the recording"))
        .expect("a valid scenario");
    assert_eq!(
        scenario
            .steps
            .iter()
            .filter_map(|s| s.command_name())
            .collect::<Vec<_>>()
            .len(),
        6,
        "one step per call: {}",
        scenario.to_json()
    );
    // The recorder matches ids by their shape: replay with ids of the same shape.
    replay_many(&scenario, &recorded, "downstream-rec").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulator_runs_the_job() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = bundle(dir.path());
    let sim = FakeRuntime::simulator().expect("the simulator");
    let runsc = client(sim.command_path(), &sim.root());
    let report = run_job(&runsc, &unique_id("downstream-sim"), &bundle)
        .await
        .expect("the job runs in the simulator");
    assert_eq!(report.exec_status, 0);
    // Killed by SIGKILL: runsc's wait reports the signal's status.
    assert_ne!(report.container_status, 0, "{report:?}");
}
