//! Replay reads a scenario through an index in the session directory: the
//! index must decide every call exactly as the whole scenario in memory
//! does, be rebuilt when the scenario changes or the index is damaged, and
//! never be followed through a link or trusted when others could write it.
//! `verify` finds missing calls through the same lane classes.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use fake_runsc::decide::{decide, Decision, ReplayState, StepSource};
use fake_runsc::matching::{self, Captures, LaneClass};
use fake_runsc::scenario::{Scenario, Step, Times, ValueMatch};
use fake_runsc::scenario_index::{ScenarioIndex, INDEX};
use proptest::prelude::*;
use runsc::cli::Invocation;
use serde_json::Value;

use crate::common;

const IDS: &[&str] = &["c1", "c2", "c3"];

fn id_matcher() -> impl Strategy<Value = Option<ValueMatch>> {
    prop_oneof![
        Just(None),
        prop::sample::select(IDS).prop_map(|id| Some(ValueMatch::exact(id))),
        Just(Some(ValueMatch::exact(7))),
        Just(Some(ValueMatch::reference("id"))),
        Just(Some(ValueMatch::reference("other"))),
        Just(Some(ValueMatch::capture("id"))),
        Just(Some(ValueMatch::any())),
        Just(Some(ValueMatch::glob("c*"))),
        Just(Some(ValueMatch::regex("c[12]").and_capture("other"))),
        Just(Some(ValueMatch::exact(Value::Null))),
    ]
}

fn times() -> impl Strategy<Value = Times> {
    prop_oneof![
        (0u32..3).prop_map(Times::exactly),
        Just(Times::any()),
        Just(Times::never()),
        Just(Times::at_least(1)),
        Just(Times::at_most(2)),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    let commands = prop::sample::select(vec![
        "create", "start", "state", "kill", "delete", "wait", "list",
    ]);
    let paths = prop::sample::select(vec!["id", "id", "ids.0", "ids"]);
    (
        commands,
        id_matcher(),
        paths,
        times(),
        prop::option::of(any::<bool>()),
        any::<bool>(),
    )
        .prop_map(|(command, id, path, times, unordered, named)| {
            let mut step = Step::command(command).times(times);
            if let (Some(id), false) = (id, command == "list") {
                let path = if command == "delete" { path } else { "id" };
                let id = match (path, id) {
                    ("ids", ValueMatch::Exact(v)) => ValueMatch::Exact(Value::Array(vec![v])),
                    (_, id) => id,
                };
                step = step.field(path, id);
            }
            step.unordered = unordered;
            if named {
                step = step.named(format!("{command} step"));
            }
            step.stdout(format!("{command} {{{{id}}}}\n"))
        })
}

fn call() -> impl Strategy<Value = Vec<String>> {
    let commands = prop::sample::select(vec![
        "create", "start", "state", "kill", "delete", "wait", "list", "7",
    ]);
    (commands, prop::sample::select(IDS)).prop_map(|(command, id)| {
        let argv: Vec<&str> = match command {
            "list" => vec!["list"],
            "create" => vec!["create", "--bundle=/b", id],
            "kill" => vec!["kill", id, "KILL"],
            "7" => vec!["state", "7"],
            other => vec![other, id],
        };
        argv.into_iter().map(str::to_owned).collect()
    })
}

/// Writes `scenario` to `dir` and opens it through an index there.
fn indexed(dir: &Path, scenario: &Scenario) -> ScenarioIndex {
    let path = dir.join("scenario.json");
    std::fs::write(&path, scenario.to_json()).expect("scenario written");
    ScenarioIndex::open(&path, dir).expect("the scenario indexes")
}

fn decided(
    source: &dyn StepSource,
    argv: &[String],
    state: &mut ReplayState,
) -> Result<Decision, String> {
    let invocation = Invocation::parse(argv.iter().map(String::as_str)).expect("argv parses");
    let document = matching::document(&invocation, None).expect("a document");
    let lane = matching::lane_of(&invocation);
    decide(source, &document, lane.as_deref(), state)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Every call is decided the same, with the same diagnostics and the
    /// same state after it, whether the steps come from memory or from the
    /// scenario file through its index (mapped, as later calls read it).
    #[test]
    fn the_index_decides_every_call_as_the_whole_scenario_does(
        steps in prop::collection::vec(step(), 0..14),
        calls in prop::collection::vec(call(), 1..16),
    ) {
        let scenario = steps.into_iter().fold(Scenario::new(), Scenario::step);
        let dir = tempfile::tempdir().expect("temp dir");
        drop(indexed(dir.path(), &scenario));
        let index = ScenarioIndex::open(&dir.path().join("scenario.json"), dir.path())
            .expect("the index opens");
        prop_assert_eq!(index.step_count(), scenario.steps.len());
        for at in 0..scenario.steps.len() {
            prop_assert_eq!(index.head(at), scenario.head(at));
        }
        let (mut in_memory, mut through_index) = (ReplayState::default(), ReplayState::default());
        for argv in &calls {
            let expected = decided(&scenario, argv, &mut in_memory);
            let got = decided(&index, argv, &mut through_index);
            prop_assert_eq!(&got, &expected, "call {:?}", argv);
            prop_assert_eq!(&through_index, &in_memory);
        }
    }

    /// `verify`'s missing calls, found through the steps' lane classes,
    /// are what walking every step for every id finds.
    #[test]
    fn missing_calls_are_found_for_every_id_that_played(
        steps in prop::collection::vec(step(), 0..14),
        calls in prop::collection::vec(call(), 0..16),
    ) {
        let scenario = steps.into_iter().fold(Scenario::new(), Scenario::step);
        let mut state = ReplayState::default();
        for argv in &calls {
            let _ = decided(&scenario, argv, &mut state);
        }
        prop_assert_eq!(
            fake_runsc::decide::missing_calls(&scenario, &state),
            missing_calls_walking_every_step(&scenario, &state)
        );
    }

    /// What the index knows of a step's lane without captures agrees with
    /// the step itself, for every lane and capture.
    #[test]
    fn a_lane_class_admits_exactly_the_lanes_the_step_is_in(
        step in step(),
        lane in prop::option::of(prop::sample::select(vec!["c1", "c2", "7"])),
        id in prop::option::of(prop::sample::select(vec!["c1", "c2", "7"])),
        other in prop::option::of(prop::sample::select(vec!["c1", "c3"])),
    ) {
        let mut captures = Captures::new();
        for (name, value) in [("id", id), ("other", other)] {
            if let Some(value) = value {
                captures.insert(name.to_owned(), Value::from(value));
            }
        }
        let truth = matching::step_in_lane(&step, lane, &captures);
        if let Some(admits) = LaneClass::of(&step).admits(lane, &captures) {
            prop_assert_eq!(admits, truth, "{:?}", LaneClass::of(&step));
        }
    }

    /// Whatever the index file holds, opening the scenario neither panics
    /// nor fails, and deciding from it never panics: a damaged header or a
    /// part that does not fit gets the index rebuilt, and a damaged record
    /// at worst answers a call wrongly or fails it with a message.
    #[test]
    fn a_damaged_index_never_panics(
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in prop::option::of(any::<prop::sample::Index>()),
    ) {
        let scenario = Scenario::new()
            .step(Step::command("create").id(ValueMatch::capture("id")))
            .step(Step::command("state").id(ValueMatch::reference("id")).times(Times::any()))
            .step(Step::command("list").stdout("[]\n"));
        let dir = tempfile::tempdir().expect("temp dir");
        drop(indexed(dir.path(), &scenario));
        let path = dir.path().join(INDEX);
        let mut bytes = std::fs::read(&path).expect("index written");
        for (at, value) in flips {
            let at = at.index(bytes.len());
            bytes[at] = value;
        }
        if let Some(cut) = cut {
            bytes.truncate(cut.index(bytes.len()));
        }
        std::fs::write(&path, &bytes).expect("index damaged");
        let index = ScenarioIndex::open(&dir.path().join("scenario.json"), dir.path())
            .expect("the scenario opens");
        let mut state = ReplayState::default();
        for argv in [vec!["create", "--bundle=/b", "c1"], vec!["state", "c1"], vec!["list"]] {
            let argv: Vec<String> = argv.into_iter().map(str::to_owned).collect();
            let _ = decided(&index, &argv, &mut state);
        }
    }
}

/// The missing calls as found by asking every step about every id.
fn missing_calls_walking_every_step(scenario: &Scenario, state: &ReplayState) -> Vec<String> {
    let mut missing = Vec::new();
    let mut reported = vec![false; scenario.steps.len()];
    for (key, lane) in &state.lanes {
        let lane_id = (!key.is_empty()).then_some(key.as_str());
        let captures = state.captures_for(key);
        for (index, step) in scenario.steps.iter().enumerate() {
            let count = lane.count(index);
            if step.times.is_never()
                || !matching::step_in_lane(step, lane_id, &captures)
                || count >= step.times.min()
            {
                continue;
            }
            reported[index] = true;
            let whose = match lane_id {
                Some(id) => format!("for container {id:?}"),
                None => "for list calls".to_owned(),
            };
            missing.push(format!(
                "step {} ({}) {whose} took {count} of at least {} call(s)",
                step.label(index),
                step.command_name().unwrap_or("?"),
                step.times.min()
            ));
        }
    }
    for (index, step) in scenario.steps.iter().enumerate() {
        let total = state.counts.get(&index).copied().unwrap_or(0);
        if !reported[index] && total < step.times.min() {
            missing.push(format!(
                "step {} ({}) took {total} of at least {} call(s)",
                step.label(index),
                step.command_name().unwrap_or("?"),
                step.times.min()
            ));
        }
    }
    missing
}

fn inode(path: &Path) -> u64 {
    std::fs::metadata(path).expect("index exists").ino()
}

#[test]
fn the_index_is_reused_until_the_scenario_changes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = Scenario::new().step(Step::command("state").id("c1").stdout("one\n"));
    let index = indexed(dir.path(), &first);
    let at = dir.path().join(INDEX);
    let built = inode(&at);
    assert_eq!(
        index.step(0).expect("step").reply.stdout.chunks()[0].data,
        "one\n"
    );
    let scenario_path = dir.path().join("scenario.json");
    let again = ScenarioIndex::open(&scenario_path, dir.path()).expect("opens");
    assert_eq!(inode(&at), built, "a current index is read, not rebuilt");
    assert_eq!(again.step_count(), 1);

    // A rewrite with another step, in place: same inode, new size and times.
    let second = first
        .clone()
        .step(Step::command("state").id("c2").stdout("two\n"));
    std::fs::write(&scenario_path, second.to_json()).expect("rewritten");
    let rebuilt = ScenarioIndex::open(&scenario_path, dir.path()).expect("opens");
    assert_ne!(inode(&at), built, "a changed scenario is indexed again");
    assert_eq!(rebuilt.step_count(), 2);
    let mut state = ReplayState::default();
    let argv = ["state".to_owned(), "c2".to_owned()];
    match decided(&rebuilt, &argv, &mut state) {
        Ok(Decision::Matched { index: 1, .. }) => {}
        other => panic!("the new step should answer: {other:?}"),
    }

    // Not an index of this layout: built again.
    let current = inode(&at);
    let mut bytes = std::fs::read(&at).expect("index");
    bytes[0] ^= 0xff;
    std::fs::write(&at, &bytes).expect("damaged");
    let again = ScenarioIndex::open(&scenario_path, dir.path()).expect("opens");
    assert_ne!(inode(&at), current, "a damaged header is rebuilt");
    assert_eq!(again.step_count(), 2);
}

#[test]
fn an_index_others_could_write_or_a_link_is_not_trusted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let scenario = Scenario::new().step(Step::command("state").id("c1"));
    drop(indexed(dir.path(), &scenario));
    let at = dir.path().join(INDEX);
    assert_eq!(
        std::fs::metadata(&at).expect("index").mode() & 0o777,
        0o600,
        "the index is private"
    );

    // Writable by others: someone else could shrink it under a reader.
    std::fs::set_permissions(&at, std::fs::Permissions::from_mode(0o666)).expect("chmod");
    let shared = inode(&at);
    ScenarioIndex::open(&dir.path().join("scenario.json"), dir.path()).expect("opens");
    assert_ne!(inode(&at), shared, "a shared index is replaced");
    assert_eq!(std::fs::metadata(&at).expect("index").mode() & 0o777, 0o600);

    // A link, even to a current index: replaced, its target untouched.
    let elsewhere = tempfile::tempdir().expect("temp dir");
    let target = elsewhere.path().join("target");
    std::fs::copy(&at, &target).expect("copy");
    let before = std::fs::read(&target).expect("target");
    std::fs::remove_file(&at).expect("removed");
    std::os::unix::fs::symlink(&target, &at).expect("link planted");
    ScenarioIndex::open(&dir.path().join("scenario.json"), dir.path()).expect("opens");
    assert!(
        !std::fs::symlink_metadata(&at)
            .expect("index")
            .file_type()
            .is_symlink(),
        "the link is replaced by a file"
    );
    assert_eq!(std::fs::read(&target).expect("target"), before);
}

/// An invalid scenario is reported in the words reading it whole gives:
/// its place in the file, not in one step.
#[test]
fn an_invalid_scenario_is_reported_as_loading_it_whole_reports_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("scenario.json");
    let cases = [
        "not json",
        r#"{"version": 2, "steps": []}"#,
        r#"{"version": 1, "steps": [], "extra": 1}"#,
        "{\"version\": 1, \"steps\": [\n {\"match\": {\"command\": \"state\"}},\n {\"match\": {\"command\": \"state\"}, \"bogus\": 1}\n]}",
        r#"{"version": 1, "steps": [{"match": {"command": "state"}, "times": "often"}]}"#,
        r#"{"version": 1, "steps": [{"match": {"command": {"glob": "st*"}}}]}"#,
    ];
    for text in cases {
        std::fs::write(&path, text).expect("written");
        let indexed = ScenarioIndex::open(&path, dir.path()).expect_err(text);
        let expected = match Scenario::from_json(text.as_bytes()) {
            Err(whole) => format!("the scenario {} is not valid: {whole}", path.display()),
            Ok(_) => format!(
                "the scenario {}: step #1 has no exact \"command\" in its match; run `fake-runsc check` on it",
                path.display()
            ),
        };
        assert_eq!(indexed, expected, "for {text}");
    }
    let missing = dir.path().join("missing.json");
    let refused = ScenarioIndex::open(&missing, dir.path()).expect_err("missing");
    assert!(
        refused.contains("missing.json") && refused.contains("FAKE_RUNSC_SCENARIO"),
        "{refused}"
    );
}

/// Through the binary: a session's first call indexes the scenario (here
/// selected by the environment, so no test support built it first), later
/// calls answer from it, and a scenario rewritten mid-session is read anew.
#[test]
fn replay_of_a_long_scenario_answers_through_the_index() {
    let dir = tempfile::tempdir().expect("temp dir");
    let steps = 20_000;
    let scenario = (0..steps).fold(Scenario::new(), |s, i| {
        s.step(
            Step::command("state")
                .id(format!("c{i}").as_str())
                .times(Times::any())
                .stdout(format!("state of c{i}\n")),
        )
    });
    let scenario_path = dir.path().join("scenario.json");
    std::fs::write(&scenario_path, scenario.to_json()).expect("written");
    let session = dir.path().join("session");
    let run = |id: &str| {
        let output = std::process::Command::new(common::binary())
            .args(["state", id])
            .env("FAKE_RUNSC_SCENARIO", &scenario_path)
            .env("FAKE_RUNSC_SESSION", &session)
            .output()
            .expect("fake runs");
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        )
    };
    assert_eq!(run("c19999"), (Some(0), "state of c19999\n".to_owned()));
    let at = session.join(INDEX);
    let built = inode(&at);
    assert_eq!(run("c0"), (Some(0), "state of c0\n".to_owned()));
    assert_eq!(run("c12345"), (Some(0), "state of c12345\n".to_owned()));
    assert_eq!(inode(&at), built, "later calls read the index");
    let unmatched = run("nope");
    assert_eq!(unmatched.0, Some(fake_runsc::exit::EXIT_UNMATCHED));

    // Another step first, so that c0's step moves in the file: an index
    // of the old version would read the wrong bytes for it.
    let rewritten = Scenario::new()
        .step(Step::command("state").id("first").stdout("first\n"))
        .step(
            Step::command("state")
                .id("c0")
                .times(Times::any())
                .stdout("rewritten\n"),
        );
    std::fs::write(&scenario_path, rewritten.to_json()).expect("rewritten");
    assert_eq!(run("c0"), (Some(0), "rewritten\n".to_owned()));
    let journal = fake_runsc::journal::read(&session).expect("journal");
    assert_eq!(journal.iter().filter_map(|e| e.as_call()).count(), 5);
}
