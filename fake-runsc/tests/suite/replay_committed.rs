//! The committed example and fault scenarios do what their descriptions say.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use crate::common;
use crate::common::{call, start};
use fake_runsc::scenario::Scenario;
use fake_runsc::testing::FakeRuntime;

fn load(name: &str) -> FakeRuntime {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios")
        .join(name);
    start(&Scenario::from_json(&std::fs::read(path).unwrap()).unwrap())
}

fn create(fake: &FakeRuntime) {
    let out = call(fake, &["create", "--bundle=/srv/bundle", "c1"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
}

#[test]
fn create_start_state() {
    let fake = load("examples/create-start-state.json");
    let out = call(
        &fake,
        &["--network=none", "create", "--bundle", "/srv/bundle", "c1"],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    call(&fake, &["start", "c1"]);
    let state: serde_json::Value =
        serde_json::from_str(&call(&fake, &["state", "c1"]).stdout).unwrap();
    assert_eq!(
        (state["id"].as_str(), state["bundle"].as_str()),
        (Some("c1"), Some("/srv/bundle"))
    );
    fake.verify().unwrap();
}

#[test]
fn exec_process() {
    let dir = tempfile::tempdir().unwrap();
    let process = dir.path().join("process.json");
    std::fs::write(&process, r#"{"args": ["echo", "hello"]}"#).unwrap();
    let fake = load("examples/exec-process.json");
    create(&fake);
    let out = call(
        &fake,
        &["exec", &format!("--process={}", process.display()), "c1"],
    );
    assert_eq!(out.stdout, "hello\n");
    let out = call(&fake, &["exec", "c1", "/no/such/binary"]);
    assert_eq!(out.code, Some(128));
    fake.verify().unwrap();
}

#[test]
fn delete_never_forced() {
    let fake = load("examples/delete-never-forced.json");
    create(&fake);
    assert_eq!(
        call(&fake, &["delete", "--force", "c1"]).code,
        Some(fake_runsc::exit::EXIT_UNMATCHED)
    );
    call(&fake, &["kill", "c1", "KILL"]);
    assert!(call(&fake, &["wait", "c1"]).stdout.contains("137"));
    assert_eq!(call(&fake, &["delete", "c1"]).code, Some(0));
    assert_eq!(fake.verify().unwrap_err().unexpected.len(), 1);
}

#[test]
fn events_stream() {
    let fake = load("examples/events-stream.json");
    create(&fake);
    call(&fake, &["start", "c1"]);
    let mut child = common::command(&fake, &["events", "--interval=1", "c1"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(child.stdout.take().unwrap()));
    for _ in 0..3 {
        let line = lines.next().unwrap().unwrap();
        let event: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(event["id"], "c1");
    }
    std::thread::sleep(Duration::from_millis(100));
    assert!(child.try_wait().unwrap().is_none(), "events keeps running");
    child.kill().unwrap();
    child.wait().unwrap();
    fake.verify().unwrap();
}

#[test]
fn fault_files() {
    let killed = load("faults/killed.json");
    create(&killed);
    assert_eq!(call(&killed, &["start", "c1"]).signal, Some(9));

    let segv = load("faults/killed-segv.json");
    create(&segv);
    let out = call(&segv, &["state", "c1"]);
    assert_eq!(out.signal, Some(11));
    assert!(out.stdout.contains("\"id\": \"c1\""));

    let truncated = load("faults/truncated-json.json");
    create(&truncated);
    let out = call(&truncated, &["state", "c1"]);
    assert_eq!(out.code, Some(0));
    assert!(serde_json::from_str::<serde_json::Value>(&out.stdout).is_err());

    let garbage = load("faults/garbage.json");
    let output = common::command(&garbage, &["list", "--format=json"])
        .output()
        .unwrap();
    assert_eq!(output.stdout.len(), 512);

    let cut = load("faults/stream-cut.json");
    create(&cut);
    let out = call(&cut, &["events", "--interval=1", "c1"]);
    assert_eq!(out.signal, Some(9));
    assert_eq!(
        out.stdout.matches('\n').count(),
        2,
        "two whole events, then a cut one"
    );

    let flaky = load("faults/nth-call-fails.json");
    create(&flaky);
    let codes: Vec<Option<i32>> = (0..3)
        .map(|_| call(&flaky, &["state", "c1"]).code)
        .collect();
    assert_eq!(codes, vec![Some(0), Some(128), Some(0)]);

    let hang = load("faults/hang.json");
    create(&hang);
    let mut child = common::command(&hang, &["state", "c1"]).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(child.try_wait().unwrap().is_none());
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn huge_stderr_and_slow_start_files_ask_for_what_they_say() {
    use fake_runsc::scenario::Fault;
    let fault_of = |name: &str| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../scenarios/faults")
            .join(name);
        let scenario = Scenario::from_json(&std::fs::read(path).unwrap()).unwrap();
        scenario
            .steps
            .last()
            .unwrap()
            .fault
            .as_ref()
            .unwrap()
            .resolve()
    };
    assert_eq!(
        fault_of("huge-stderr.json"),
        Fault::HugeStderr { bytes: 100_000_000 }
    );
    assert_eq!(
        fault_of("slow-start.json"),
        Fault::SlowStart { delay_ms: 5000 }
    );
}
