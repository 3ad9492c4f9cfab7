//! The Rust test-support API: build in code, run, verify.

use std::process::Command;

use crate::common;
use fake_runsc::scenario::{Fault, Scenario, Step, Times, TimesWord, ValueMatch};
use fake_runsc::testing::{FakeRuntime, BINARY_VARS};

fn lifecycle() -> Scenario {
    Scenario::new()
        .description("create then state")
        .step(
            Step::command("create")
                .named("create")
                .id(ValueMatch::capture("id"))
                .field("bundle", ValueMatch::glob("*/bundle")),
        )
        .step(
            Step::command("state")
                .id(ValueMatch::reference("id"))
                .times(Times::AtLeast { at_least: 1 })
                .stdout("{\"id\":\"{{id}}\",\"status\":\"created\"}\n"),
        )
}

#[test]
fn a_built_scenario_round_trips_through_json() {
    let scenario = lifecycle().step(
        Step::command("kill")
            .field("signal", ValueMatch::from(9).and_capture("sig"))
            .times(Times::Word(TimesWord::Never))
            .fault(Fault::SlowStart { delay_ms: 5 }),
    );
    let again = Scenario::from_json(scenario.to_json().as_bytes()).unwrap();
    assert_eq!(again, scenario);
    assert!(fake_runsc::check::check_scenario(&scenario).is_empty());
}

#[test]
fn verify_passes_when_every_expected_call_came() {
    let fake = FakeRuntime::start(&lifecycle()).unwrap();
    assert_eq!(
        common::call(&fake, &["create", "--bundle=/x/bundle", "c1"]).code,
        Some(0)
    );
    let state = common::call(&fake, &["state", "c1"]);
    assert_eq!(state.stdout, "{\"id\":\"c1\",\"status\":\"created\"}\n");
    fake.verify().unwrap();
}

#[test]
fn verify_names_the_missing_step() {
    let fake = FakeRuntime::start(&lifecycle()).unwrap();
    common::call(&fake, &["create", "--bundle=/x/bundle", "c1"]);
    let err = fake.verify().unwrap_err();
    assert_eq!(err.unexpected, Vec::<String>::new());
    assert_eq!(
        err.missing,
        vec!["step #2 (state) for container \"c1\" took 0 of at least 1 call(s)".to_owned()]
    );
    let untouched = FakeRuntime::start(&lifecycle())
        .unwrap()
        .verify()
        .unwrap_err();
    assert_eq!(untouched.missing.len(), 2, "{untouched}");
}

#[test]
fn verify_catches_an_unexpected_call_the_caller_swallowed() {
    let fake = FakeRuntime::start(&lifecycle()).unwrap();
    common::call(&fake, &["create", "--bundle=/x/bundle", "c1"]);
    common::call(&fake, &["state", "c1"]);
    // The code under test ignores this failure; the journal does not.
    let _ = common::call(&fake, &["pause", "c1"]);
    let _ = common::call(&fake, &["events", "--interval=1s", "c1"]);
    let err = fake.verify().unwrap_err();
    assert!(err.missing.is_empty(), "{err}");
    assert_eq!(err.unexpected.len(), 2, "{err}");
    assert!(
        err.unexpected[0].contains("pause c1`: no step answers it"),
        "{err}"
    );
    assert!(err.unexpected[1].contains("runsc would refuse it"), "{err}");
}

#[test]
fn environment_variables_select_the_session_without_root() {
    let fake =
        FakeRuntime::start(&Scenario::new().step(Step::command("list").stdout("[]\n"))).unwrap();
    let output = Command::new(fake.command_path())
        .arg("list")
        .envs(fake.envs())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout), "[]\n");
    fake.verify().unwrap();
}

#[test]
fn half_a_configuration_is_refused_clearly() {
    let output = Command::new(common::binary())
        .arg("list")
        .env("FAKE_RUNSC_SCENARIO", "/nowhere.json")
        .env_remove("FAKE_RUNSC_SESSION")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(fake_runsc::exit::EXIT_CONFIG));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "fake-runsc: FAKE_RUNSC_SCENARIO is set but FAKE_RUNSC_SESSION is not; set \
         FAKE_RUNSC_SESSION to a directory of its own for each test (it holds the replay state \
         and the journal)\n"
    );
}

#[test]
fn a_broken_scenario_fails_every_call_and_verify() {
    let fake = FakeRuntime::start(&Scenario::new()).unwrap();
    std::fs::write(
        fake.scenario_path(),
        r#"{"version": 1, "steps": [], "extra": 1}"#,
    )
    .unwrap();
    let out = common::call(&fake, &["list"]);
    assert_eq!(out.code, Some(fake_runsc::exit::EXIT_CONFIG));
    assert!(
        out.stderr.contains("unknown field `extra`"),
        "{}",
        out.stderr
    );
    assert_eq!(fake.verify().unwrap_err().unexpected.len(), 1);
}

#[test]
fn the_binary_is_located_at_run_time_from_the_environment() {
    let fake_path = common::binary();
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "testing_api::located_in_child", "--nocapture"])
        .env("LOCATE_CHILD", "1")
        .env("FAKE_RUNSC_BIN", "/no/such/fake-runsc")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    // FAKE_RUNSC_BIN names nothing, so the search went on and found the build output.
    assert!(
        text.contains(&format!("located: {}", fake_path.display())),
        "{text}"
    );
    assert!(BINARY_VARS.contains(&"NEXTEST_BIN_EXE_fake-runsc"));
}

#[test]
fn located_in_child() {
    if std::env::var_os("LOCATE_CHILD").is_some() {
        println!(
            "located: {}",
            fake_runsc::testing::locate_binary().unwrap().display()
        );
    }
}

#[test]
fn a_missing_binary_is_reported_with_everything_tried() {
    let dir = tempfile::tempdir().unwrap();
    let lonely = dir.path().join("lonely-test");
    std::fs::copy(std::env::current_exe().unwrap(), &lonely).unwrap();
    let mut cmd = Command::new(&lonely);
    cmd.args([
        "--exact",
        "testing_api::locate_in_child_reports",
        "--nocapture",
    ]);
    cmd.env("LOCATE_CHILD", "1");
    for var in BINARY_VARS {
        cmd.env_remove(var);
    }
    let output = cmd.output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("cannot find the fake-runsc binary; tried:\n  $FAKE_RUNSC_BIN (not set)"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "{} (no such file)",
            dir.path().join("fake-runsc").display()
        )),
        "{text}"
    );
    assert!(text.contains("set FAKE_RUNSC_BIN"), "{text}");
}

#[test]
fn locate_in_child_reports() {
    if std::env::var_os("LOCATE_CHILD").is_some() {
        match fake_runsc::testing::locate_binary() {
            Ok(path) => println!("found {}", path.display()),
            Err(e) => println!("{e}"),
        }
    }
}

#[test]
fn environment_variables_win_over_the_session_file() {
    let by_root =
        FakeRuntime::start(&Scenario::new().step(Step::command("list").stdout("root\n"))).unwrap();
    let by_env =
        FakeRuntime::start(&Scenario::new().step(Step::command("list").stdout("env\n"))).unwrap();
    let output = common::command(&by_root, &["list"])
        .envs(by_env.envs())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout), "env\n");
    by_env.verify().unwrap();
    assert_eq!(by_root.verify().unwrap_err().missing.len(), 1);
}
