//! Figure 7: one call against a scenario of 100 000 steps (one `state` step
//! per container id), the call matching the last one. A session's first
//! call indexes the scenario (`FakeRuntime` does that at start instead);
//! every later call reads the index and its own container's steps. Both are
//! measured, each in fresh processes, and `fake-runsc check` over the file.

use std::time::Duration;

use serde_json::{json, Value};

use crate::harness::{fmt_duration, Samples};
use crate::peak_rss;
use crate::report::{Row, Verdict};
use crate::setup::Fixture;
use crate::Config;

/// The target for one call: time.
const CALL_TARGET: Duration = Duration::from_millis(5);
/// The target for one call: peak resident memory, in KiB.
const RSS_TARGET_KIB: i64 = 50 * 1024;

/// `steps` `state` steps, one per container `c0`, `c1`, ...
pub fn scenario(steps: usize) -> Value {
    let steps: Vec<Value> = (0..steps)
        .map(|i| {
            json!({"match": {"command": "state", "id": format!("c{i}")},
                   "times": "any",
                   "reply": {"stdout": "{\"status\":\"running\"}\n"}})
        })
        .collect();
    json!({"version": 1, "steps": steps})
}

/// Runs the fake with `args` and `envs`: its wall time and peak RSS (KiB).
fn measured(
    config: &Config,
    args: &[String],
    envs: &[(std::ffi::OsString, std::ffi::OsString)],
) -> Result<(Duration, i64), String> {
    peak_rss::measure(&config.peak_rss_helper, &config.fake, args, envs)
}

/// A call's argv and environment.
type Call = (Vec<String>, Vec<(std::ffi::OsString, std::ffi::OsString)>);

/// The argv and environment of a `state` call on the last container, in a
/// fresh replay session of the big scenario.
fn last_container_call(
    fixture: &Fixture,
    name: &str,
    scenario: &Value,
    steps: usize,
) -> Result<Call, String> {
    let replay = fixture.replay_session(name, scenario)?;
    let last = format!("c{}", steps.saturating_sub(1));
    let args = replay
        .args(&["state", &last])
        .into_iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    Ok((args, replay.envs))
}

/// Measures figure 7.
pub fn figure(config: &Config) -> Result<Vec<Row>, String> {
    let steps = config.big_scenario_steps;
    let fixture = Fixture::new()?;
    let scenario = scenario(steps);
    let mut first = Samples::default();
    let mut first_peak = 0;
    for round in 0..config.big_scenario_cold_rounds.max(1) {
        let (args, envs) =
            last_container_call(&fixture, &format!("cold{round}"), &scenario, steps)?;
        let (wall, rss) = measured(config, &args, &envs)?;
        first.push(wall);
        first_peak = first_peak.max(rss);
    }
    let (args, envs) = last_container_call(&fixture, "big", &scenario, steps)?;
    measured(config, &args, &envs)?;
    let mut later = Samples::default();
    let mut later_peak = 0;
    for _ in 0..config.big_scenario_rounds.max(1) {
        let (wall, rss) = measured(config, &args, &envs)?;
        later.push(wall);
        later_peak = later_peak.max(rss);
    }
    let file = fixture.subdir("big")?.join("scenario.json");
    let (check_wall, check_rss) = measured(
        config,
        &["check".to_owned(), file.display().to_string()],
        &[],
    )?;
    let later_median = later.median();
    Ok(vec![
        Row {
            figure: 7,
            what: format!(
                "one replay call against a {steps}-step scenario (matching the last step), the scenario indexed"
            ),
            value: format!(
                "{} (peak RSS {} MiB)",
                fmt_duration(later_median),
                later_peak / 1024
            ),
            baseline: "–".into(),
            ratio: "–".into(),
            target: "< 5 ms, < 50 MiB".into(),
            verdict: Verdict::from_bool(
                later_median < CALL_TARGET && later_peak < RSS_TARGET_KIB,
            ),
        },
        Row {
            figure: 7,
            what: format!(
                "the session's first call, which indexes the {steps}-step scenario (`FakeRuntime` does this at start)"
            ),
            value: format!(
                "{} (peak RSS {} MiB)",
                fmt_duration(first.median()),
                first_peak / 1024
            ),
            baseline: "–".into(),
            ratio: "–".into(),
            target: "— (once per session; < 50 MiB)".into(),
            verdict: Verdict::NotApplicable,
        },
        Row {
            figure: 7,
            what: format!("`fake-runsc check` of the same {steps}-step scenario"),
            value: format!(
                "{} (peak RSS {} MiB)",
                fmt_duration(check_wall),
                check_rss / 1024
            ),
            baseline: "–".into(),
            ratio: "–".into(),
            target: "— (linear in the steps)".into(),
            verdict: Verdict::NotApplicable,
        },
    ])
}
