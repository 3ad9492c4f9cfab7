//! No scenario file and no argv makes fake-runsc panic: the scenario loader,
//! its checker and replay's matching over arbitrary bytes and near-valid
//! scenarios, the fake's argv parser over arbitrary argv, and every input
//! kept in `fuzz/regressions/` replayed.
//!
//! The properties are the fuzz targets' own (`fuzz/src/*_checks.rs`),
//! included here so that `cargo test` checks exactly what `cargo fuzz` checks;
//! the regressions are read as every suite reads them
//! (`fuzz/src/regressions.rs`).

use crate::fake_checks;
use crate::fuzz_regressions::{fuzz_dir, replay};

use proptest::prelude::*;
use serde_json::{json, Value};

#[test]
fn scenario_regressions_stay_fixed() {
    replay("scenario", fake_checks::scenario);
}

#[test]
fn argv_regressions_stay_fixed_in_the_fake() {
    replay("argv", fake_checks::fake_argv);
}

#[test]
fn the_seed_scenario_loads_so_replay_is_exercised() {
    let path = fuzz_dir().join("regressions/scenario/seed-every-matcher.json");
    let bytes = std::fs::read(&path).expect("the seed scenario");
    let scenario = fake_runsc::scenario::Scenario::from_json(&bytes).expect("the seed loads");
    assert_eq!(scenario.steps.len(), 6);
    // The checker finds the seed's deliberate mistakes rather than giving up.
    let problems = fake_runsc::check::check_scenario(&scenario);
    assert!(
        problems.iter().any(|p| p.contains("SIGNOPE")),
        "{problems:#?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("outside 0-255")),
        "{problems:#?}"
    );
}

fn matcher() -> impl Strategy<Value = Value> {
    let text = prop_oneof!["[a-z0-9*?\\\\/.-]{0,8}", "\\PC{0,4}"];
    prop_oneof![
        text.clone().prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        Just(Value::Null),
        proptest::collection::vec(text.clone(), 0..3).prop_map(|v| json!(v)),
        text.clone().prop_map(|t| json!({"glob": t})),
        text.clone().prop_map(|t| json!({"regex": t})),
        "[a-z]{1,3}".prop_map(|t| json!({"capture": t})),
        "[a-z]{1,3}".prop_map(|t| json!({"ref": t})),
        Just(json!({"any": true})),
        Just(json!({"absent": true})),
        (text.clone(), "[a-z]{0,3}").prop_map(|(t, c)| json!({"eq": t, "capture": c})),
        Just(json!({})),
        Just(json!({"eq": 1, "glob": "x"})),
    ]
}

fn step() -> impl Strategy<Value = Value> {
    let command = prop_oneof![
        "(list|state|create|start|exec|run|delete|kill|events|ps|pause|resume|wait|checkpoint|restore|update|nosuch)"
            .prop_map(Value::from),
        matcher(),
    ];
    let path = prop_oneof![
        Just("id".to_owned()),
        Just("bundle".to_owned()),
        Just("global.root".to_owned()),
        Just("global.config.network".to_owned()),
        Just("args.0".to_owned()),
        Just("args.9".to_owned()),
        Just("process-spec.args".to_owned()),
        Just("ids".to_owned()),
        Just("all".to_owned()),
        "[a-z.0-9-]{0,12}",
    ];
    let times = prop_oneof![
        Just(None),
        (0u32..4).prop_map(|n| Some(json!(n))),
        Just(Some(json!("any"))),
        Just(Some(json!("never"))),
        (0u32..3).prop_map(|n| Some(json!({"at_least": n}))),
        (0u32..3).prop_map(|n| Some(json!({"at_most": n}))),
        Just(Some(json!(-1))),
    ];
    let fault = prop_oneof![
        Just(None),
        "(hang|killed|truncated-json|garbage|huge-stderr|slow-start|stream-cut|nth-call-fails|nosuch)"
            .prop_map(|f| Some(json!(f))),
        (0u32..3).prop_map(|n| Some(json!({"nth-call-fails": {"n": n}}))),
        Just(Some(json!({"killed": {"signal": "SIGWHAT"}}))),
    ];
    let stdout = prop_oneof![
        "[ -~]{0,12}".prop_map(Value::from),
        Just(json!("{{id}}{{a}}{{")),
        proptest::collection::vec((0u64..3, "[ -~]{0,6}"), 0..3).prop_map(|c| json!(c
            .into_iter()
            .map(|(after_ms, data)| json!({"after_ms": after_ms, "data": data}))
            .collect::<Vec<_>>())),
    ];
    (
        command,
        proptest::collection::btree_map(path, matcher(), 0..4),
        times,
        fault,
        stdout,
        proptest::option::of(-3i32..300),
    )
        .prop_map(|(command, matches, times, fault, stdout, exit)| {
            let mut matches: serde_json::Map<String, Value> = matches.into_iter().collect();
            matches.insert("command".to_owned(), command);
            let mut step = json!({"match": matches, "reply": {"stdout": stdout}});
            if let Some(times) = times {
                step["times"] = times;
            }
            if let Some(fault) = fault {
                step["fault"] = fault;
            }
            if let Some(exit) = exit {
                step["reply"]["exit"] = json!(exit);
            }
            step
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn scenario_loader_on_any_bytes(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        fake_checks::scenario(&data);
    }

    #[test]
    fn scenario_loader_on_near_scenarios(steps in proptest::collection::vec(step(), 0..6)) {
        let text = serde_json::to_vec(&json!({"version": 1, "steps": steps})).unwrap();
        fake_checks::scenario(&text);
    }

    #[test]
    fn fake_argv_on_any_bytes(data in proptest::collection::vec(any::<u8>(), 0..256)) {
        fake_checks::fake_argv(&data);
    }
}

/// The session's state file comes from earlier calls, possibly against a
/// longer version of the scenario (a test that rewrites its scenario
/// between calls): replay must explain, not panic, when a lane's cursor
/// points past the scenario's end.
#[test]
fn replay_state_from_a_longer_scenario_is_diagnosed_not_a_panic() {
    use fake_runsc::decide::{Lane, ReplayState};
    use fake_runsc::scenario::{Step, Times, TimesWord};

    let scenario = fake_runsc::scenario::Scenario::new().step(
        Step::command("state")
            .id("c1")
            .times(Times::Word(TimesWord::Any)),
    );
    let mut state = ReplayState {
        counts: [(0, 1), (1, 1)].into(),
        ..ReplayState::default()
    };
    state.lanes.insert(
        "c1".to_owned(),
        Lane {
            cursor: 1,
            ..Lane::default()
        },
    );
    let invocation = runsc::cli::Invocation::parse(["state", "c1"]).expect("parses");
    let document = fake_runsc::matching::document(&invocation, None).expect("a document");
    let decided = std::panic::catch_unwind(move || {
        fake_runsc::decide::decide(&scenario, &document, Some("c1"), &mut state)
    });
    match decided {
        Ok(Ok(fake_runsc::decide::Decision::Unmatched { diagnostic })) => {
            assert!(diagnostic.contains("step #1"), "{diagnostic}")
        }
        Ok(other) => panic!("expected an unmatched call, got {other:?}"),
        Err(_) => panic!("replay panicked on a cursor past the scenario's end"),
    }
}
