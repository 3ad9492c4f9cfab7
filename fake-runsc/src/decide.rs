//! Deciding which step answers a call: pure, over the scenario, the call's
//! document and the replay state, so the fuzzers and `verify` use exactly
//! what replay uses.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::matching::{self, Captures};
use crate::scenario::{Scenario, Step, ValueMatch};

/// What replay remembers between calls.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReplayState {
    /// Calls answered so far (also the journal's sequence numbers).
    #[serde(default)]
    pub calls: u64,
    /// How many calls each step took in all lanes, by step index.
    #[serde(default)]
    pub counts: Vec<u32>,
    /// Per container id (`""` for `list`): where its sequence stands and its captures.
    #[serde(default)]
    pub lanes: BTreeMap<String, Lane>,
    /// Every capture, the latest value per name.
    #[serde(default)]
    pub captures: Captures,
}

/// One container id's place in the scenario.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Lane {
    /// Ordered steps before this index are closed for this id; it is the
    /// ordered step that answered last.
    #[serde(default)]
    pub cursor: usize,
    /// How many calls of this id each step took, by step index (only steps
    /// that took any, so the state stays small however long the scenario).
    #[serde(default)]
    pub counts: BTreeMap<usize, u32>,
    /// Values captured by this id's calls.
    #[serde(default)]
    pub captures: Captures,
}

impl Lane {
    /// How many calls of this id step `index` took.
    pub fn count(&self, index: usize) -> u32 {
        self.counts.get(&index).copied().unwrap_or(0)
    }

    /// Whether an ordered step of this id answered yet.
    fn started(&self) -> bool {
        self.count(self.cursor) > 0
    }
}

impl ReplayState {
    /// The captures a call on `lane` sees: the lane's own over the global ones.
    pub fn captures_for(&self, lane: &str) -> Captures {
        let mut all = self.captures.clone();
        if let Some(own) = self.lanes.get(lane) {
            all.extend(own.captures.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        all
    }
}

/// What replay decided for one call.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Step `index` answers; this is its `call`-th call; `captures` are what
    /// the reply's templates see.
    Matched {
        /// The step's index.
        index: usize,
        /// How many calls the step has taken, this one included.
        call: u32,
        /// Captures visible to the reply.
        captures: Captures,
        /// Why this step was chosen, in words (the journal's `reason`).
        reason: String,
    },
    /// The call matched a `times: never` step.
    Never {
        /// The step's index.
        index: usize,
    },
    /// No step answers; the text explains why.
    Unmatched {
        /// The diagnostic.
        diagnostic: String,
    },
}

/// The first ordered step of the lane before `index` that still needs
/// calls: an unordered step waits for it, so it cannot answer before the
/// calls that must precede it (a `wait` before its `create`).
fn required_before(
    scenario: &Scenario,
    index: usize,
    lane: Option<&str>,
    lane_state: &Lane,
    captures: &Captures,
) -> Option<usize> {
    // Ordered steps before the cursor were answered or passed, and the scan
    // never passes a step that still needs calls.
    (lane_state.cursor.min(index)..index).find(|&i| {
        let step = &scenario.steps[i];
        !step.is_unordered()
            && !step.times.is_never()
            && lane_state.count(i) < step.times.min()
            && matching::step_in_lane(step, lane, captures)
    })
}

/// Chooses the step for a call and updates the state (counts, cursor, captures).
///
/// Steps for one lane (container id; `list` calls share one lane) play in
/// file order: scanning the ordered steps from the lane's cursor, exhausted
/// steps are passed, the first step that matches answers, and a step that
/// still needs calls (fewer than its minimum) and does not match stops the
/// scan. Failing that, the first unordered step that matches, has calls
/// left and has no ordered step before it that still needs calls answers;
/// unordered steps neither move the cursor nor block.
pub fn decide(
    scenario: &Scenario,
    document: &Value,
    lane: Option<&str>,
    state: &mut ReplayState,
) -> Result<Decision, String> {
    let steps = &scenario.steps;
    state.counts.resize(steps.len(), 0);
    let lane_key = lane.unwrap_or("").to_owned();
    let captures = state.captures_for(&lane_key);
    let mut lane_state = state.lanes.get(&lane_key).cloned().unwrap_or_default();
    let cursor = lane_state.cursor.min(steps.len());
    let whose = match lane {
        Some(id) => format!("container {id:?}"),
        None => "list calls".to_owned(),
    };
    let mut ordered = Vec::new();
    let mut unordered = Vec::new();
    for (index, step) in steps.iter().enumerate() {
        if step.command_name() != matching::command_of(document) {
            // Cheap first: most steps are for other subcommands. An ordered
            // step still needs its place in the scan, as it may block.
            if index >= cursor && !step.is_unordered() && !step.times.is_never() {
                ordered.push((index, false));
            }
            continue;
        }
        if !matching::step_in_lane(step, lane, &captures) {
            continue;
        }
        let matched = matching::match_step(step, document, &captures)
            .map_err(|e| format!("step {}: {e}", step.label(index)))?;
        // A `never` step forbids its calls wherever the sequence stands.
        if step.times.is_never() {
            if matched.mismatches.is_empty() {
                return Ok(Decision::Never { index });
            }
            continue;
        }
        let fits = matched.mismatches.is_empty();
        if step.is_unordered() {
            if fits {
                unordered.push((index, matched.captured));
            }
        } else if index >= cursor {
            ordered.push((index, fits));
        }
    }
    let mut chosen = None;
    for &(index, fits) in &ordered {
        let step = &steps[index];
        if !matching::step_in_lane(step, lane, &captures) {
            continue;
        }
        let count = lane_state.count(index);
        if step.times.max().is_some_and(|max| count >= max) {
            continue;
        }
        if fits {
            let reason = if lane_state.started() && index == cursor {
                format!("next in order for {whose}: the step that answered its last ordered call")
            } else {
                format!("next in order for {whose}")
            };
            chosen = Some((index, reason, None));
            break;
        }
        if count < step.times.min() {
            break;
        }
    }
    if chosen.is_none() {
        for (index, captured) in unordered {
            let step = &steps[index];
            let count = lane_state.count(index);
            if step.times.max().is_some_and(|max| count >= max)
                || required_before(scenario, index, lane, &lane_state, &captures).is_some()
            {
                continue;
            }
            let reason = format!(
                "unordered step for {whose}: it answers in any interleaving once the ordered steps before it have had their calls"
            );
            chosen = Some((index, reason, Some(captured)));
            break;
        }
    }
    let Some((index, reason, captured)) = chosen else {
        return Ok(Decision::Unmatched {
            diagnostic: diagnose(scenario, document, lane, &lane_state, &captures)?,
        });
    };
    let captured = match captured {
        Some(captured) => captured,
        None => {
            matching::match_step(&steps[index], document, &captures)
                .map_err(|e| format!("step {}: {e}", steps[index].label(index)))?
                .captured
        }
    };
    *lane_state.counts.entry(index).or_insert(0) += 1;
    if !steps[index].is_unordered() {
        lane_state.cursor = index;
    }
    lane_state.captures.extend(captured.clone());
    let call = lane_state.count(index);
    state.counts[index] += 1;
    state.lanes.insert(lane_key, lane_state);
    state.captures.extend(captured.clone());
    let mut visible = captures;
    visible.extend(captured);
    Ok(Decision::Matched {
        index,
        call,
        captures: visible,
        reason,
    })
}

/// Steps that did not get the calls they need: per container id for the
/// ids that played, and overall for steps no id reached.
pub fn missing_calls(scenario: &Scenario, state: &ReplayState) -> Vec<String> {
    let mut missing = Vec::new();
    let mut reported = vec![false; scenario.steps.len()];
    for (key, lane) in &state.lanes {
        let lane_id = (!key.is_empty()).then_some(key.as_str());
        let captures = state.captures_for(key);
        for (index, step) in scenario.steps.iter().enumerate() {
            if step.times.is_never() || !matching::step_in_lane(step, lane_id, &captures) {
                continue;
            }
            let count = lane.count(index);
            if count < step.times.min() {
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
    }
    for (index, step) in scenario.steps.iter().enumerate() {
        let total = state.counts.get(index).copied().unwrap_or(0);
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

/// Why a fully matching step could not answer.
fn unavailable_reason(
    scenario: &Scenario,
    index: usize,
    lane: Option<&str>,
    lane_state: &Lane,
    captures: &Captures,
) -> String {
    let step = &scenario.steps[index];
    let cursor = lane_state.cursor;
    let count = lane_state.count(index);
    let whose = match lane {
        Some(id) => format!("container {id:?}"),
        None => "list calls".to_owned(),
    };
    if let Some(max) = step.times.max().filter(|max| count >= *max) {
        return format!("it matches, but it already took {count} of {max} call(s)");
    }
    if index < cursor && !step.is_unordered() {
        // The cursor comes from the session's state file, which may have
        // been written against a longer version of the scenario.
        let moved_on = match scenario.steps.get(cursor) {
            Some(step) => format!("step {}", step.label(cursor)),
            None => format!(
                "step #{}, past the scenario's end (the session state is from a longer scenario; delete the session directory)",
                cursor + 1
            ),
        };
        return format!(
            "it matches, but {whose} already moved on to {moved_on} (steps for one container play in order)"
        );
    }
    let blocker = (cursor..index).find(|&i| {
        matching::step_in_lane(&scenario.steps[i], lane, captures)
            && !scenario.steps[i].times.is_never()
            && !scenario.steps[i].is_unordered()
            && lane_state.count(i) < scenario.steps[i].times.min()
    });
    match blocker {
        Some(b) => format!(
            "it matches, but step {} must come first for {whose} (it has taken {} of at least {} call(s))",
            scenario.steps[b].label(b),
            lane_state.count(b),
            scenario.steps[b].times.min()
        ),
        None => "it matches, but it is not in this container's sequence".to_owned(),
    }
}

fn diagnose(
    scenario: &Scenario,
    document: &Value,
    lane: Option<&str>,
    lane_state: &Lane,
    captures: &Captures,
) -> Result<String, String> {
    let mut scored = Vec::new();
    for (index, step) in scenario.steps.iter().enumerate() {
        if step.times.is_never() {
            continue;
        }
        let matched = matching::match_step(step, document, captures)
            .map_err(|e| format!("step {}: {e}", step.label(index)))?;
        let command_differs = matched.mismatches.iter().any(|m| m.path == "command");
        let score = matched.mismatches.len() + if command_differs { 100 } else { 0 };
        scored.push((score, index, matched.mismatches));
    }
    scored.sort_by_key(|(score, index, _)| (*score, *index));
    let mut text = String::new();
    text.push_str(&format!("  call: {}\n", summary(document)));
    if scored.is_empty() {
        text.push_str("the scenario has no steps that could answer it\n");
    } else {
        text.push_str("nearest steps:\n");
    }
    for (_, index, mismatches) in scored.iter().take(3) {
        let step = &scenario.steps[*index];
        text.push_str(&format!("  step {}:\n", step.label(*index)));
        if mismatches.is_empty() {
            text.push_str(&format!(
                "    {}\n",
                unavailable_reason(scenario, *index, lane, lane_state, captures)
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
