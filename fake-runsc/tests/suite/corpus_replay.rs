//! Every committed scenario replays through the core client: the recorded
//! corpus (`scenarios/recorded/NAME.json`, driven by `NAME.drive`) and the
//! hand-written fault scenarios (`scenarios/faults/`, driven by the calls
//! below). The client's typed results are snapshot-tested
//! (`snapshots/corpus_*.snap`), and each replay must use every step and
//! nothing else.

use std::path::{Path, PathBuf};

use client_driver::{self as driver, Driver};
use fake_runsc::scenario::Scenario;
use serde_json::json;

use crate::common::binary;

fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios")
}

fn load(path: &Path) -> Scenario {
    let bytes =
        std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    Scenario::from_json(&bytes)
        .unwrap_or_else(|e| panic!("{} is not a valid scenario: {e}", path.display()))
}

fn replay_and_snapshot(name: &str, driver: &Driver, scenario: &Scenario) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let transcript = runtime
        .block_on(driver::replay(driver, scenario, &binary()))
        .unwrap_or_else(|e| panic!("scenario {name} does not replay through the client: {e}"));
    insta::with_settings!({
        snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/../snapshots"),
        prepend_module_to_snapshot => false,
        description => scenario.description.clone().unwrap_or_default(),
    }, {
        insta::assert_json_snapshot!(format!("corpus_{name}"), transcript);
    });
}

fn recorded() -> Vec<(String, PathBuf, PathBuf)> {
    let dir = scenarios_dir().join("recorded");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir)
        .expect("scenarios/recorded exists")
        .flatten()
    {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "json") {
            let name = path
                .file_stem()
                .expect("a file name")
                .to_string_lossy()
                .into_owned();
            out.push((
                name.clone(),
                path.clone(),
                dir.join(format!("{name}.drive")),
            ));
        }
    }
    out.sort();
    out
}

#[test]
fn the_recorded_corpus_covers_every_subcommand_the_client_runs() {
    let mut commands = std::collections::BTreeSet::new();
    for (_, path, _) in recorded() {
        for step in load(&path).steps {
            commands.insert(step.command_name().unwrap_or_default().to_owned());
        }
    }
    let expected = [
        "checkpoint",
        "create",
        "delete",
        "events",
        "exec",
        "kill",
        "list",
        "pause",
        "ps",
        "restore",
        "resume",
        "run",
        "start",
        "state",
        "wait",
    ];
    let missing: Vec<&str> = expected
        .iter()
        .copied()
        .filter(|c| !commands.contains(*c))
        .collect();
    assert!(missing.is_empty(), "no recorded scenario calls {missing:?}");
}

#[test]
fn every_recorded_scenario_has_a_driver_a_description_and_its_runsc_version() {
    let all = recorded();
    assert!(all.len() >= 10, "the corpus is nearly empty: {all:?}");
    for (name, path, drive) in all {
        let scenario = load(&path);
        let driver = Driver::load(&drive).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            scenario.description.as_deref(),
            Some(driver.description.as_str()),
            "{name}: description"
        );
        assert_eq!(
            scenario.runsc_version.as_deref(),
            Some("20221219"),
            "{name}: runsc_version"
        );
    }
}

#[test]
fn every_recorded_scenario_replays_through_the_client() {
    let all = recorded();
    assert!(all.len() >= 10, "the corpus is nearly empty: {all:?}");
    for (name, path, drive) in all {
        let driver = Driver::load(&drive).unwrap_or_else(|e| panic!("{name}: {e}"));
        replay_and_snapshot(&name, &driver, &load(&path));
    }
}

/// The calls that exercise each hand-written fault scenario.
fn fault_driver(name: &str) -> Option<serde_json::Value> {
    let create = json!({"op": "create", "bundle": "bundle"});
    let calls = match name {
        "garbage" => json!([{"op": "list"}]),
        "hang" => json!([create, {"op": "state"}]),
        "huge-stderr" => json!([{"op": "delete"}]),
        "killed-segv" | "truncated-json" => json!([create, {"op": "state"}]),
        "killed" => json!([create, {"op": "start"}]),
        "nth-call-fails" => json!([create, {"op": "state"}, {"op": "state"}, {"op": "state"}]),
        "slow-start" => json!([{"op": "create", "bundle": "bundle"}]),
        "stream-cut" => json!([create, {"op": "events", "interval": 1, "take": 4}]),
        _ => return None,
    };
    let timeout = if name == "hang" { 1000 } else { 30_000 };
    Some(json!({
        "description": name,
        "bundles": {"bundle": {"args": ["sleep", "100"]}},
        "calls": calls,
        "timeout_ms": timeout,
    }))
}

#[test]
fn every_fault_scenario_replays_through_the_client() {
    let dir = scenarios_dir().join("faults");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("scenarios/faults exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            p.file_stem()
                .expect("a file name")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no fault scenarios in {}", dir.display());
    for name in names {
        let Some(driver) = fault_driver(&name) else {
            panic!("scenarios/faults/{name}.json has no calls in fault_driver(); add the calls that exercise it");
        };
        let driver: Driver = serde_json::from_value(driver).expect("a valid driver");
        let scenario = load(&dir.join(format!("{name}.json")));
        replay_and_snapshot(&format!("fault_{name}"), &driver, &scenario);
    }
}

#[test]
fn the_recorded_corpus_passes_fake_runsc_check() {
    let files: Vec<PathBuf> = recorded().into_iter().map(|(_, path, _)| path).collect();
    let output = std::process::Command::new(binary())
        .arg("check")
        .args(&files)
        .output()
        .expect("fake-runsc check runs");
    assert!(
        output.status.success(),
        "fake-runsc check reports problems in the recorded corpus:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
