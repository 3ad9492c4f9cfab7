//! Explaining a call no step answers: the nearest steps, why a matching
//! one could not answer, and a step that would.

use serde_json::Value;

use super::source::{LaneSteps, StepSource};
use super::{match_at, whose, Lane};
use crate::matching::{self, Captures, Mismatch};
use crate::scenario::{Step, ValueMatch};

/// Why a fully matching step could not answer.
fn unavailable_reason<S: StepSource + ?Sized>(
    steps: &S,
    index: usize,
    lane: Option<&str>,
    in_lane: &LaneSteps<'_, S>,
    lane_state: &Lane,
) -> Result<String, String> {
    let head = steps.head(index);
    let cursor = lane_state.cursor;
    let count = lane_state.count(index);
    let whose = whose(lane);
    if let Some(max) = head.max.filter(|max| count >= *max) {
        return Ok(format!(
            "it matches, but it already took {count} of {max} call(s)"
        ));
    }
    if index < cursor && !head.unordered {
        // The cursor comes from the session's state file, which may have
        // been written against a longer version of the scenario.
        let moved_on = if cursor < steps.step_count() {
            format!("step {}", steps.step(cursor)?.label(cursor))
        } else {
            format!(
                "step #{}, past the scenario's end (the session state is from a longer scenario; delete the session directory)",
                cursor + 1
            )
        };
        return Ok(format!(
            "it matches, but {whose} already moved on to {moved_on} (steps for one container play in order)"
        ));
    }
    let blocker = in_lane.first_wanting(cursor..index, |i| lane_state.count(i))?;
    Ok(match blocker {
        Some(b) => format!(
            "it matches, but step {} must come first for {whose} (it has taken {} of at least {} call(s))",
            steps.step(b)?.label(b),
            lane_state.count(b),
            steps.head(b).min
        ),
        None => "it matches, but it is not in this container's sequence".to_owned(),
    })
}

/// How many of the nearest steps a diagnostic shows.
const NEAREST: usize = 3;
/// What a differing subcommand adds to a step's distance from the call.
const COMMAND_DIFFERS: usize = 100;

/// The steps nearest the call, nearest first, as (distance, index,
/// mismatches). Steps of the call's subcommand are read first; the others
/// (all at least [`COMMAND_DIFFERS`] away) only when too few of those are
/// near, so a long scenario is not read whole to explain one call.
fn nearest_steps<S: StepSource + ?Sized>(
    steps: &S,
    document: &Value,
    captures: &Captures,
) -> Result<Vec<(usize, usize, Vec<Mismatch>)>, String> {
    let command = matching::command_of(document);
    let mut nearest: Vec<(usize, usize, Vec<Mismatch>)> = Vec::new();
    for same in [true, false] {
        let near = nearest
            .iter()
            .filter(|(score, _, _)| *score < COMMAND_DIFFERS)
            .count();
        if !same && near >= NEAREST {
            break;
        }
        for index in 0..steps.step_count() {
            let head = steps.head(index);
            if head.never || (head.command == command) != same {
                continue;
            }
            let (_, matched) = match_at(steps, index, document, captures)?;
            let command_differs = matched.mismatches.iter().any(|m| m.path == "command");
            let score =
                matched.mismatches.len() + if command_differs { COMMAND_DIFFERS } else { 0 };
            let at = nearest.partition_point(|(s, i, _)| (*s, *i) <= (score, index));
            if at < NEAREST {
                nearest.insert(at, (score, index, matched.mismatches));
                nearest.truncate(NEAREST);
            }
        }
    }
    Ok(nearest)
}

pub(super) fn diagnose<S: StepSource + ?Sized>(
    steps: &S,
    document: &Value,
    lane: Option<&str>,
    in_lane: &LaneSteps<'_, S>,
    lane_state: &Lane,
    captures: &Captures,
) -> Result<String, String> {
    let nearest = nearest_steps(steps, document, captures)?;
    let mut text = String::new();
    text.push_str(&format!("  call: {}\n", summary(document)));
    if nearest.is_empty() {
        text.push_str("the scenario has no steps that could answer it\n");
    } else {
        text.push_str("nearest steps:\n");
    }
    for (_, index, mismatches) in &nearest {
        text.push_str(&format!("  step {}:\n", steps.step(*index)?.label(*index)));
        if mismatches.is_empty() {
            text.push_str(&format!(
                "    {}\n",
                unavailable_reason(steps, *index, lane, in_lane, lane_state)?
            ));
        }
        for mismatch in mismatches {
            text.push_str(&format!("    {}\n", mismatch.describe()));
        }
    }
    text.push_str("a step that would match this call:\n");
    text.push_str(&suggested_step(document, captures));
    text.push('\n');
    Ok(text)
}

fn summary(document: &Value) -> String {
    matching::given_fields(document)
        .into_iter()
        .map(|(path, value)| format!("{path}={value}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Global flags whose values change from run to run (temp directories).
const VOLATILE_GLOBALS: &[&str] = &[
    "global.root",
    "global.log",
    "global.debug-log",
    "global.panic-log",
    "global.coverage-report",
];

/// A step that would match the call, written to be pasted: the container id
/// as a reference to the capture holding it (or a new capture), and without
/// values that differ from run to run (the temp `--root` and log paths, and
/// any path under the temp directory), which match anything when left out.
fn suggested_step(document: &Value, captures: &Captures) -> String {
    let temp = std::env::temp_dir();
    let temp = temp.to_string_lossy();
    let temp = temp.trim_end_matches('/');
    let mut matches = std::collections::BTreeMap::new();
    for (path, value) in matching::given_fields(document) {
        let (path, value) = match (path.as_str(), &value) {
            ("ids", Value::Array(items)) if items.len() == 1 => {
                ("ids.0".to_owned(), items[0].clone())
            }
            _ => (path, value),
        };
        if VOLATILE_GLOBALS.contains(&path.as_str()) {
            continue;
        }
        let in_temp = value
            .as_str()
            .is_some_and(|text| !temp.is_empty() && text.starts_with(&format!("{temp}/")));
        if in_temp {
            continue;
        }
        let matcher = if path == "id" || path == "ids.0" {
            let held = captures
                .iter()
                .find(|(_, captured)| matching::loosely_equal(captured, &value));
            match held {
                Some((name, _)) => ValueMatch::reference(name.clone()),
                None => ValueMatch::capture("id"),
            }
        } else {
            ValueMatch::Exact(value)
        };
        matches.insert(path, matcher);
    }
    let mut step = Step::command(matching::command_of(document).unwrap_or(""));
    step.matches.extend(matches);
    serde_json::to_string_pretty(&step).unwrap_or_default()
}
