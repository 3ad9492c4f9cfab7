//! The harness as a crate outside the workspace uses it: concurrent calls
//! replay in any interleaving, misuse is loud, matching knows runsc, and
//! the fake's own commands (`verify`, `--help`) serve other languages.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use fake_runsc::journal::CallResult;
use fake_runsc::scenario::{Scenario, Step, Times, ValueMatch};
use fake_runsc::testing::FakeRuntime;
use fake_runsc::Error;

use crate::common::{self, call};

/// create, start, a background `wait`, exec, kill, delete: the job whose
/// `wait` reaches runsc before or after `exec` at random.
fn job_with_one_wait() -> Scenario {
    Scenario::new()
        .step(Step::command("create").id(ValueMatch::capture("id")))
        .step(Step::command("start").id(ValueMatch::reference("id")))
        .step(
            Step::command("wait")
                .id(ValueMatch::reference("id"))
                .stdout("{\"id\":\"{{id}}\",\"exitStatus\":137}\n"),
        )
        .step(Step::command("exec").id(ValueMatch::reference("id")))
        .step(
            Step::command("kill")
                .id(ValueMatch::reference("id"))
                .field("signal", "SIGKILL"),
        )
        .step(Step::command("delete").id(ValueMatch::reference("id")))
}

fn run_job(fake: &FakeRuntime, order: &[&[&str]]) -> Vec<i32> {
    order
        .iter()
        .map(|args| call(fake, args).code.unwrap_or(-1))
        .collect()
}

#[test]
fn a_wait_step_answers_before_during_or_after_the_calls_around_it() {
    let create: &[&str] = &["create", "--bundle=/b", "c1"];
    let start: &[&str] = &["start", "c1"];
    let wait: &[&str] = &["wait", "c1"];
    let exec: &[&str] = &["exec", "c1", "true"];
    let kill: &[&str] = &["kill", "c1", "KILL"];
    let delete: &[&str] = &["delete", "c1"];
    let orders: [&[&[&str]]; 4] = [
        &[create, start, wait, exec, kill, delete],
        &[create, start, exec, wait, kill, delete],
        &[create, start, exec, kill, wait, delete],
        &[create, start, exec, kill, delete, wait],
    ];
    for order in orders {
        let fake = FakeRuntime::start(&job_with_one_wait()).expect("starts");
        assert_eq!(run_job(&fake, order), vec![0; 6], "{order:?}");
        fake.verify().unwrap_or_else(|e| panic!("{order:?}: {e}"));
        let reasons: Vec<String> = fake
            .calls()
            .expect("journal")
            .into_iter()
            .filter_map(|c| c.reason)
            .collect();
        assert_eq!(reasons.len(), 6, "every matched call says why: {reasons:?}");
        assert!(
            reasons.iter().any(|r| r.starts_with("unordered step")),
            "{reasons:?}"
        );
    }
}

#[test]
fn an_unordered_step_waits_for_the_steps_before_it_that_must_come() {
    let fake = common::start(&job_with_one_wait());
    assert_eq!(call(&fake, &["create", "--bundle=/b", "c1"]).code, Some(0));
    let early = call(&fake, &["wait", "c1"]);
    assert_eq!(early.code, Some(fake_runsc::exit::EXIT_UNMATCHED));
    assert!(
        early
            .stderr
            .contains("it matches, but step #2 must come first"),
        "{}",
        early.stderr
    );
}

#[test]
fn an_ordered_wait_keeps_its_place() {
    let scenario = Scenario::new()
        .step(Step::command("start").id("c1"))
        .step(Step::command("wait").id("c1").ordered())
        .step(Step::command("delete").id("c1"));
    let fake = common::start(&scenario);
    assert_eq!(call(&fake, &["start", "c1"]).code, Some(0));
    assert_eq!(
        call(&fake, &["delete", "c1"]).code,
        Some(fake_runsc::exit::EXIT_UNMATCHED)
    );
}

#[test]
fn a_hundred_replays_of_the_job_with_concurrent_waits_all_pass() {
    // The wait runs in its own thread, as a client's background task does,
    // so the interleaving is the scheduler's.
    for round in 0..100 {
        let fake = FakeRuntime::start(&job_with_one_wait()).expect("starts");
        assert_eq!(call(&fake, &["create", "--bundle=/b", "c1"]).code, Some(0));
        assert_eq!(call(&fake, &["start", "c1"]).code, Some(0));
        let waiter = std::thread::scope(|scope| {
            let waiter = scope.spawn(|| call(&fake, &["wait", "c1"]).code);
            assert_eq!(call(&fake, &["exec", "c1", "true"]).code, Some(0));
            assert_eq!(call(&fake, &["kill", "c1", "9"]).code, Some(0));
            waiter.join().expect("the waiter")
        });
        assert_eq!(waiter, Some(0), "round {round}");
        assert_eq!(call(&fake, &["delete", "c1"]).code, Some(0));
        fake.verify()
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
    }
}

#[test]
fn signals_match_by_meaning() {
    for given in ["KILL", "SIGKILL", "9", "kill"] {
        for written in [
            ValueMatch::from("SIGKILL"),
            ValueMatch::from("KILL"),
            ValueMatch::from(9_i64),
        ] {
            let scenario =
                Scenario::new().step(Step::command("kill").id("c1").field("signal", written));
            let fake = common::start(&scenario);
            assert_eq!(
                call(&fake, &["kill", "c1", given]).code,
                Some(0),
                "{given} against {:?}",
                scenario.steps[0].matches["signal"]
            );
        }
    }
    let scenario = Scenario::new().step(Step::command("kill").id("c1").field("signal", "TERM"));
    let fake = common::start(&scenario);
    assert_eq!(
        call(&fake, &["kill", "c1", "KILL"]).code,
        Some(fake_runsc::exit::EXIT_UNMATCHED)
    );
}

#[test]
fn step_id_is_the_container_id_for_delete_too() {
    let scenario = Scenario::new().step(Step::command("delete").id("c1"));
    assert!(fake_runsc::check::check_scenario(&scenario).is_empty());
    assert!(scenario.steps[0].matches.contains_key("ids.0"));
    let fake = FakeRuntime::start(&scenario).expect("check accepts it");
    assert_eq!(call(&fake, &["delete", "c1"]).code, Some(0));
    fake.assert_verified();
}

#[test]
fn lists_and_repeat_counts_have_builders() {
    let scenario = Scenario::new()
        .step(
            Step::command("exec")
                .id("c1")
                .field("process-spec.args", vec!["echo", "hi"])
                .times(Times::at_most(2)),
        )
        .step(Step::command("state").id("c1").times(Times::any()))
        .step(
            Step::command("ps")
                .id("c1")
                .times(Times::at_least(1))
                .field(
                    "format",
                    ValueMatch::from(vec!["json".to_owned()].remove(0)),
                ),
        );
    assert!(fake_runsc::check::check_scenario(&scenario).is_empty());
    let json = scenario.to_json();
    assert!(json.contains("\"at_most\": 2"), "{json}");
    assert!(json.contains("\"times\": \"any\""), "{json}");
    assert!(json.contains("\"echo\",\n"), "{json}");
}

#[test]
fn start_refuses_what_check_refuses() {
    let scenario = Scenario::new()
        .step(Step::command("state").id("c1").times(Times::any()))
        .step(Step::command("state").id("c1"));
    match FakeRuntime::start(&scenario) {
        Err(e @ Error::InvalidScenario { .. }) => {
            let text = e.to_string();
            assert!(text.contains("shadowed by step #1"), "{text}");
            assert_eq!(format!("{e:?}"), text, "Debug is Display");
        }
        other => panic!("expected InvalidScenario, got {other:?}"),
    }
}

#[test]
fn dropping_an_unverified_session_fails_the_test_with_every_unmatched_call() {
    let dropped = catch_unwind(|| {
        let fake = FakeRuntime::start(&job_with_one_wait()).expect("starts");
        assert_eq!(call(&fake, &["create", "--bundle=/b", "c1"]).code, Some(0));
        let _ = call(&fake, &["pause", "c1"]);
    });
    let payload = dropped.expect_err("the drop fails the test");
    let text = payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(text.contains("missing: step #2"), "{text}");
    assert!(text.contains("`runsc --root="), "{text}");
    assert!(text.contains("pause c1`: no step answers it"), "{text}");
    assert!(
        text.contains("nearest steps:"),
        "the fake's diagnostic: {text}"
    );
    assert!(text.contains("skip_verify_on_drop"), "{text}");
}

#[test]
fn a_test_already_failing_or_opting_out_is_not_failed_again_on_drop() {
    let failing = catch_unwind(AssertUnwindSafe(|| {
        let _fake = FakeRuntime::start(&job_with_one_wait()).expect("starts");
        panic!("the test's own failure");
    }));
    let payload = failing.expect_err("the test failed");
    assert_eq!(
        payload.downcast_ref::<&str>().copied(),
        Some("the test's own failure")
    );
    let opted_out = catch_unwind(|| {
        let fake = FakeRuntime::start(&job_with_one_wait()).expect("starts");
        fake.skip_verify_on_drop();
    });
    assert!(opted_out.is_ok());
}

#[test]
fn verify_errors_read_the_same_in_debug_and_display() {
    let fake = FakeRuntime::start(&job_with_one_wait()).expect("starts");
    let _ = call(&fake, &["pause", "c1"]);
    let error = fake.verify().expect_err("pause is unexpected");
    assert_eq!(format!("{error:?}"), error.to_string());
    assert!(error.to_string().lines().count() > 5, "{error}");
}

#[test]
fn the_simulator_helper_runs_a_container_and_cleans_up() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("bundle");
    fake_runsc::testing::write_host_bundle(&bundle, &["sleep", "1000"]).unwrap();
    let sim = FakeRuntime::simulator().expect("the simulator");
    assert!(sim.envs().is_empty());
    let root = format!("--root={}", sim.root().display());
    // The sandbox inherits the stdio of create and start: never a pipe
    // whose end-of-file the test would wait for.
    let status = |args: &[&str]| {
        Command::new(sim.command_path())
            .arg(&root)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("the fake runs")
    };
    let bundle_arg = format!("--bundle={}", bundle.display());
    assert!(status(&["create", &bundle_arg, "sim-helper-1"]).success());
    assert!(status(&["start", "sim-helper-1"]).success());
    let state = Command::new(sim.command_path())
        .arg(&root)
        .args(["state", "sim-helper-1"])
        .stdin(Stdio::null())
        .output()
        .expect("the fake runs");
    let pid = serde_json::from_slice::<serde_json::Value>(&state.stdout)
        .ok()
        .and_then(|v| v["pid"].as_i64())
        .unwrap_or_else(|| panic!("a running state with a pid: {state:?}"));
    let root_dir = sim.root();
    drop(sim);
    assert!(!root_dir.exists(), "the temp root is removed");
    let alive = std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        !stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
    });
    assert!(
        !alive,
        "the container's process {pid} ended with the simulator"
    );
}

/// A session state file deleted mid-test is an error, not a silent restart
/// that would let the scenario's steps answer twice.
#[test]
fn a_deleted_state_file_is_an_error_and_a_deleted_lock_is_harmless() {
    let scenario = Scenario::new()
        .step(Step::command("start").id("c1"))
        .step(Step::command("state").id("c1").times(Times::any()));
    let fake = common::start(&scenario);
    assert_eq!(call(&fake, &["start", "c1"]).code, Some(0));
    std::fs::remove_file(fake.session_dir().join("state.lock")).unwrap();
    assert_eq!(call(&fake, &["state", "c1"]).code, Some(0));
    std::fs::remove_file(fake.session_dir().join("state.json")).unwrap();
    let after = call(&fake, &["start", "c1"]);
    assert_eq!(after.code, Some(fake_runsc::exit::EXIT_CONFIG));
    assert!(after.stderr.contains("state.json"), "{}", after.stderr);
    assert!(
        after.stderr.contains("is missing although"),
        "{}",
        after.stderr
    );
}

#[test]
fn a_call_whose_journal_line_fails_does_not_use_up_its_step() {
    let scenario = Scenario::new()
        .step(Step::command("create").id("c1"))
        .step(Step::command("start").id("c1"));
    let fake = common::start(&scenario);
    assert_eq!(call(&fake, &["create", "--bundle=/b", "c1"]).code, Some(0));
    let journal = fake.session_dir().join("journal.jsonl");
    let kept = std::fs::read(&journal).unwrap();
    std::fs::remove_file(&journal).unwrap();
    std::fs::create_dir(&journal).unwrap();
    assert_eq!(
        call(&fake, &["start", "c1"]).code,
        Some(fake_runsc::exit::EXIT_CONFIG)
    );
    std::fs::remove_dir(&journal).unwrap();
    std::fs::write(&journal, kept).unwrap();
    assert_eq!(
        call(&fake, &["start", "c1"]).code,
        Some(0),
        "the step is still there"
    );
    fake.verify().expect("both steps answered once");
}

fn fake_cmd(args: &[&str]) -> std::process::Output {
    Command::new(common::binary())
        .args(args)
        .env_remove("FAKE_RUNSC_SCENARIO")
        .env_remove("FAKE_RUNSC_SESSION")
        .stdin(Stdio::null())
        .output()
        .expect("the fake runs")
}

#[test]
fn verify_command_reports_unmatched_and_missing_calls() {
    let fake = common::start(&job_with_one_wait());
    let session = fake.session_dir();
    let session = session.to_str().unwrap();
    assert_eq!(call(&fake, &["create", "--bundle=/b", "c1"]).code, Some(0));
    let _ = call(&fake, &["pause", "c1"]);
    let out = fake_cmd(&["verify", session]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("missing: step #2"), "{text}");
    assert!(text.contains("pause c1`: no step answers it"), "{text}");

    let good = common::start(&Scenario::new().step(Step::command("start").id("c1")));
    assert_eq!(call(&good, &["start", "c1"]).code, Some(0));
    let out = fake_cmd(&["verify", good.session_dir().to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let empty = tempfile::tempdir().unwrap();
    let out = fake_cmd(&["verify", empty.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--scenario"));
}

#[test]
fn help_describes_the_fake_after_runscs_usage() {
    let out = fake_cmd(&["--help"]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let usage = text
        .find("Usage: runsc")
        .or_else(|| text.find("runsc flags"));
    let fake = text.find("fake-runsc verify");
    assert!(usage.is_some() && fake.is_some() && usage < fake, "{text}");
    for variable in [
        "FAKE_RUNSC_SCENARIO",
        "FAKE_RUNSC_RECORD_APPEND",
        "FAKE_RUNSC_REAL",
    ] {
        assert!(text.contains(variable), "{variable}: {text}");
    }
    let check = fake_cmd(&["check", "--help"]);
    assert_eq!(check.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&check.stdout).starts_with("usage: fake-runsc check"));
}

/// A stand-in for real runsc that the recorder forwards to: `state` takes
/// a while, everything else answers at once.
fn slow_state_runsc(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("runsc");
    std::fs::write(
        &path,
        "#!/bin/sh\nfor a in \"$@\"; do [ \"$a\" = state ] && sleep 0.6; done\nexit 0\n",
    )
    .unwrap();
    std::os::unix::fs::PermissionsExt::set_mode(
        &mut std::fs::metadata(&path).unwrap().permissions(),
        0o755,
    );
    let mut perms = std::fs::metadata(&path).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&path, perms).unwrap();
    path
}

fn record_via_shell(dir: &Path, output: &Path, append: bool, args: &str) {
    // Each `sh` is a new parent process: a new recording.
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!(
            "{} --root={} {args}",
            common::binary().display(),
            dir.display()
        ))
        .env("FAKE_RUNSC_RECORD", output)
        .env("FAKE_RUNSC_REAL", slow_state_runsc(dir))
        .env_remove("FAKE_RUNSC_SCENARIO")
        .env_remove("FAKE_RUNSC_SESSION")
        .stdin(Stdio::null());
    if append {
        cmd.env("FAKE_RUNSC_RECORD_APPEND", "1");
    }
    assert!(cmd.status().expect("sh runs").success());
}

#[test]
fn record_mode_starts_a_fresh_file_unless_asked_to_append_and_leaves_no_lock() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("rec.json");
    std::fs::write(&output, job_with_one_wait().to_json()).unwrap();
    record_via_shell(dir.path(), &output, false, "start c1");
    let steps = |path: &Path| {
        Scenario::from_json(&std::fs::read(path).unwrap())
            .unwrap()
            .steps
            .len()
    };
    assert_eq!(steps(&output), 1, "the old content is gone");
    record_via_shell(dir.path(), &output, true, "pause c1");
    assert_eq!(steps(&output), 2, "appended on request");
    record_via_shell(dir.path(), &output, false, "resume c1");
    assert_eq!(steps(&output), 1, "a new recording");
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["rec.json", "rec.json.record", "runsc"]);
}

#[test]
fn record_mode_marks_a_call_that_a_later_call_overtook_as_unordered() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("rec.json");
    let real = slow_state_runsc(dir.path());
    let recorder = |args: &[&str]| {
        let mut cmd = Command::new(common::binary());
        cmd.arg(format!("--root={}", dir.path().display()))
            .args(args)
            .env("FAKE_RUNSC_RECORD", &output)
            .env("FAKE_RUNSC_REAL", &real)
            .env_remove("FAKE_RUNSC_SCENARIO")
            .env_remove("FAKE_RUNSC_SESSION")
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        cmd
    };
    assert!(recorder(&["create", "--bundle=/b", "c1"])
        .status()
        .unwrap()
        .success());
    let mut slow = recorder(&["state", "c1"]).spawn().expect("state runs");
    std::thread::sleep(Duration::from_millis(150));
    assert!(recorder(&["pause", "c1"]).status().unwrap().success());
    assert!(slow.wait().unwrap().success());
    assert!(recorder(&["resume", "c1"]).status().unwrap().success());
    let scenario = Scenario::from_json(&std::fs::read(&output).unwrap()).unwrap();
    let shape: Vec<(Option<&str>, Option<bool>)> = scenario
        .steps
        .iter()
        .map(|s| (s.command_name(), s.unordered))
        .collect();
    assert_eq!(
        shape,
        [
            (Some("create"), None),
            (Some("state"), Some(true)),
            (Some("pause"), None),
            (Some("resume"), None)
        ]
    );
    // Replayed, the overtaken call may come in either place.
    let fake = FakeRuntime::start(&scenario).expect("the recording checks");
    let calls: [&[&str]; 4] = [
        &["create", "--bundle=/b", "c1"],
        &["pause", "c1"],
        &["resume", "c1"],
        &["state", "c1"],
    ];
    for args in calls {
        assert_eq!(call(&fake, args).code, Some(0), "{args:?}");
    }
    fake.assert_verified();
    let results: Vec<CallResult> = fake.calls().unwrap().iter().map(|c| c.result).collect();
    assert_eq!(results, [CallResult::Matched; 4]);
}
