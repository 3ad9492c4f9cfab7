//! Snapshots of what the fake says when a call is not answered and when a
//! scenario file has problems: these texts are what users fix tests with.

use crate::common::{call, scenario, start};
use fake_runsc::testing::FakeRuntime;

fn redacted(fake: &FakeRuntime, text: &str) -> String {
    text.replace(&fake.scenario_path().display().to_string(), "[SCENARIO]")
        .replace(&fake.root().display().to_string(), "[ROOT]")
}

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({
        snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/../snapshots"),
        prepend_module_to_snapshot => false,
    }, {
        insta::assert_snapshot!(name, text);
    });
}

const LIFECYCLE: &str = r#"{"version": 1, "steps": [
    {"name": "create", "match": {"command": "create", "id": {"capture": "id"}, "bundle": {"glob": "*/bundle"}, "global.config.network": "none"}},
    {"name": "start", "match": {"command": "start", "id": {"ref": "id"}}},
    {"name": "events", "match": {"command": "events", "id": {"ref": "id"}, "interval": 1}, "times": {"at_least": 1}},
    {"name": "no force", "match": {"command": "delete", "force": true}, "times": "never"},
    {"name": "delete", "match": {"command": "delete", "ids.0": {"ref": "id"}}}
]}"#;

#[test]
fn unmatched_call_names_the_differences() {
    let fake = start(&scenario(LIFECYCLE));
    let out = call(
        &fake,
        &["--network=host", "create", "--bundle=/tmp/b/rootfs", "c1"],
    );
    assert_eq!(out.code, Some(fake_runsc::exit::EXIT_UNMATCHED));
    snapshot("fake_unmatched_differences", &redacted(&fake, &out.stderr));
}

#[test]
fn unmatched_call_blocked_by_an_earlier_step() {
    let fake = start(&scenario(LIFECYCLE));
    call(
        &fake,
        &["--network=none", "create", "--bundle=/tmp/b/bundle", "c1"],
    );
    let out = call(&fake, &["events", "--interval=1", "c1"]);
    assert_eq!(out.code, Some(fake_runsc::exit::EXIT_UNMATCHED));
    snapshot("fake_unmatched_blocked", &redacted(&fake, &out.stderr));
}

#[test]
fn unmatched_call_to_a_used_up_step() {
    let fake = start(&scenario(LIFECYCLE));
    call(
        &fake,
        &["--network=none", "create", "--bundle=/tmp/b/bundle", "c1"],
    );
    call(&fake, &["start", "c1"]);
    let out = call(&fake, &["start", "c1"]);
    assert_eq!(out.code, Some(fake_runsc::exit::EXIT_UNMATCHED));
    snapshot("fake_unmatched_used_up", &redacted(&fake, &out.stderr));
}

#[test]
fn a_forbidden_call() {
    let fake = start(&scenario(LIFECYCLE));
    let out = call(&fake, &["delete", "--force", "c1"]);
    assert_eq!(out.code, Some(fake_runsc::exit::EXIT_UNMATCHED));
    snapshot("fake_never", &redacted(&fake, &out.stderr));
}

#[test]
fn verify_report() {
    let fake = start(&scenario(LIFECYCLE));
    call(
        &fake,
        &["--network=none", "create", "--bundle=/tmp/b/bundle", "c1"],
    );
    call(&fake, &["start", "c1"]);
    let _ = call(&fake, &["pause", "c1"]);
    let _ = call(&fake, &["kill", "--pid=x", "c1"]);
    let report = fake.verify().unwrap_err().to_string();
    snapshot("fake_verify_report", &redacted(&fake, &report));
}
