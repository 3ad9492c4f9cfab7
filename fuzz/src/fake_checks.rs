//! Properties of fake-runsc's input handling over arbitrary bytes: the
//! scenario loader and its checker, replay's step matching, and the argv
//! parser as the fake applies it. Each function panics only when a property
//! fails.

use fake_runsc::check::check_scenario;
use fake_runsc::decide::decide;
use fake_runsc::decide::ReplayState;
use fake_runsc::matching;
use fake_runsc::scenario::Scenario;
use runsc::cli::Invocation;

/// Calls that replay matches a fuzzed scenario against: every kind of field
/// a step can name (ids, paths, globals, config, lists, exec's arguments).
const CALLS: &[&[&str]] = &[
    &["list", "--format=json"],
    &[
        "--root=/r",
        "--network=none",
        "create",
        "--bundle=/b",
        "--pid-file=/p",
        "c1",
    ],
    &["state", "c1"],
    &["--debug", "exec", "--detach", "c1", "sh", "-c", "true"],
    &["kill", "--all", "c2", "SIGTERM"],
    &["delete", "--force", "c1", "c2"],
];

/// Loading a scenario from any bytes never panics; a loaded one can be
/// checked, written back and read again, and replay can match calls
/// against it (twice, so that cursors and captures are exercised, then
/// once more with state left by a longer scenario), without panicking.
pub fn scenario(data: &[u8]) {
    let Ok(scenario) = Scenario::from_json(data) else {
        return;
    };
    let _ = check_scenario(&scenario);
    let written = scenario.to_json();
    assert!(
        Scenario::from_json(written.as_bytes()).is_ok(),
        "a loaded scenario does not load again once written: {written}"
    );
    let mut state = ReplayState::default();
    for round in 0..3 {
        if round == 2 {
            // The state file may come from a longer version of the scenario
            // (a test rewrote it between calls): cursors past the end.
            for lane in state.lanes.values_mut() {
                lane.cursor += scenario.steps.len() + 1;
            }
        }
        for call in CALLS {
            let Ok(invocation) = Invocation::parse(call.iter().copied()) else {
                continue;
            };
            let Ok(document) =
                matching::document(&invocation, Some(serde_json::json!({"args": ["sh"]})))
            else {
                continue;
            };
            let lane = matching::lane_of(&invocation);
            if let Ok(fake_runsc::decide::Decision::Matched { captures, step, .. }) =
                decide(&scenario, &document, lane.as_deref(), &mut state)
            {
                for chunk in step.reply.stdout.chunks() {
                    let _ = matching::render_template(&chunk.data, &captures);
                }
            }
        }
    }
}

/// The fake's argv parser (runsc's rules plus the fake's own refusals)
/// never panics, and a refusal always says something and exits as runsc does.
pub fn fake_argv(data: &[u8]) {
    let args = crate::core_checks::argv_of(data);
    if let Err(refusal) = fake_runsc::argv::parse(&args) {
        assert!(
            [0, 2, 128, fake_runsc::exit::EXIT_UNSUPPORTED].contains(&refusal.exit_code),
            "unexpected exit status {} for {args:?}",
            refusal.exit_code
        );
        assert!(
            !(refusal.stdout.is_empty() && refusal.stderr.is_empty()),
            "the refusal of {args:?} prints nothing"
        );
    }
}
