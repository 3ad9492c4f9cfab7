//! `fake-runsc check`: committed scenarios pass, and every kind of problem
//! is reported (snapshotted, since the wording is the user interface).

use std::path::{Path, PathBuf};

use crate::common;
use assert_cmd::Command;
use predicates::prelude::*;

fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios")
}

fn check(files: &[&Path]) -> (Option<i32>, String) {
    let output = Command::new(common::binary())
        .arg("check")
        .args(files)
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[test]
fn a_clean_file_is_reported_ok() {
    let path = scenarios_dir().join("examples/create-start-state.json");
    Command::new(common::binary())
        .arg("check")
        .arg(&path)
        .assert()
        .success()
        .stdout(predicate::str::ends_with(": ok\n"))
        .stderr(predicate::str::is_empty());
}

#[test]
fn the_committed_example_and_fault_scenarios_are_clean() {
    let mut files = Vec::new();
    for dir in ["examples", "faults"] {
        for entry in std::fs::read_dir(scenarios_dir().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                files.push(path);
            }
        }
    }
    assert!(files.len() >= 5, "{files:?}");
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let (code, out) = check(&refs);
    assert_eq!(code, Some(0), "{out}");
    for file in &files {
        let scenario =
            fake_runsc::scenario::Scenario::from_json(&std::fs::read(file).unwrap()).unwrap();
        assert!(
            scenario.description.is_some(),
            "{} needs a one-line description",
            file.display()
        );
    }
}

const BAD: &str = r#"{
  "version": 1,
  "steps": [
    {"match": {"command": "create", "id": {"capture": "id"}, "bundel": "/b"}},
    {"match": {"command": "state", "id": {"ref": "idd"}}},
    {"match": {"command": "state", "id": {"regex": "c[0-9"}}},
    {"match": {"command": "update", "id": "c1"}},
    {"match": {"command": "list", "quiet": "yes"}},
    {"match": {"command": "exec", "id": "c1", "args": "ls"}, "reply": {"stdout": "{{who}}"}},
    {"match": {"command": "kill", "id": {"glob": "c*"}}, "times": "any"},
    {"match": {"command": "kill", "id": "c1", "signal": "KILL"}},
    {"match": {"command": "start", "id": "c1"}, "times": 0, "reply": {"exit": 300, "signal": "SIGNOPE"}},
    {"match": {"command": "pause", "id": "c1"}, "times": 2, "fault": {"nth-call-fails": {"n": 3}}},
    {"match": {"command": "resume"}, "fault": {"killed": {"signal": 99}}},
    {"match": {"id": "c1"}},
    {"match": {"command": "spec"}},
    {"match": {"command": "delete", "ids": [{"ref": "id"}]}}
  ]
}"#;

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({
        snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/../snapshots"),
        prepend_module_to_snapshot => false,
    }, {
        insta::assert_snapshot!(name, text);
    });
}

#[test]
fn every_kind_of_problem_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, BAD).unwrap();
    let (code, out) = check(&[&bad]);
    assert_eq!(code, Some(1));
    snapshot(
        "fake_check_problems",
        &out.replace(&dir.path().display().to_string(), "[DIR]"),
    );
}

#[test]
fn format_errors_name_the_place() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "unknown-field.json",
            r#"{"version": 1, "steps": [{"match": {"command": "list"}, "repl": {}}]}"#,
        ),
        (
            "two-operators.json",
            r#"{"version": 1, "steps": [{"match": {"command": "list", "quiet": {"any": true, "eq": true}}}]}"#,
        ),
        (
            "empty-matcher.json",
            r#"{"version": 1, "steps": [{"match": {"command": "list", "quiet": {}}}]}"#,
        ),
        ("version.json", r#"{"version": 2, "steps": []}"#),
        (
            "fault.json",
            r#"{"version": 1, "steps": [{"match": {"command": "list"}, "fault": "explode"}]}"#,
        ),
        ("not-json.json", "{"),
    ];
    let mut report = String::new();
    for (name, text) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let (code, out) = check(&[&path]);
        assert_eq!(code, Some(1), "{name}: {out}");
        report.push_str(&out.replace(&dir.path().display().to_string(), "[DIR]"));
    }
    snapshot("fake_check_format_errors", &report);
}

#[test]
fn check_without_files_is_a_usage_error() {
    Command::new(common::binary())
        .arg("check")
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(
            "usage: fake-runsc check SCENARIO.json...",
        ));
}

#[test]
fn the_committed_schema_is_current() {
    let path = scenarios_dir().join("schema.json");
    let fresh = fake_runsc::scenario::Scenario::json_schema();
    if std::env::var_os("FAKE_RUNSC_UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &fresh).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "scenarios/schema.json is stale; regenerate it with \
         `FAKE_RUNSC_UPDATE_SCHEMA=1 cargo test -p fake-runsc --test check_cli` and commit it"
    );
}
