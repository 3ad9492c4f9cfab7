//! Deciding which step answers a call: pure, over the scenario, the call's
//! document and the replay state, so the fuzzers and `verify` use exactly
//! what replay uses.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

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
    /// Steps before this index are closed for this id.
    #[serde(default)]
    pub cursor: usize,
    /// How many calls of this id each step took, by step index.
    #[serde(default)]
    pub counts: Vec<u32>,
    /// Values captured by this id's calls.
    #[serde(default)]
    pub captures: Captures,
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

/// Chooses the step for a call and updates the state (counts, cursor, captures).
///
/// Steps for one lane (container id; `list` calls share one lane) play in
/// file order: scanning from the lane's cursor, exhausted steps are passed,
/// the first step that matches answers, and a step that still needs calls
/// (fewer than its minimum) and does not match stops the scan.
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
    lane_state.counts.resize(steps.len(), 0);
    let cursor = lane_state.cursor.min(steps.len());
    let mut candidates = Vec::new();
    for (index, step) in steps.iter().enumerate() {
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
        if index >= cursor {
            candidates.push((index, matched));
        }
    }
    for (index, matched) in candidates {
        let step = &steps[index];
        let count = lane_state.counts[index];
        if step.times.max().is_some_and(|max| count >= max) {
            continue;
        }
        if matched.mismatches.is_empty() {
            lane_state.counts[index] += 1;
            lane_state.cursor = index;
            lane_state.captures.extend(matched.captured.clone());
            let call = lane_state.counts[index];
            state.counts[index] += 1;
            state.lanes.insert(lane_key, lane_state);
            state.captures.extend(matched.captured.clone());
            let mut visible = captures;
            visible.extend(matched.captured);
            return Ok(Decision::Matched {
                index,
                call,
                captures: visible,
            });
        }
        if count < step.times.min() {
            break;
        }
    }
    Ok(Decision::Unmatched {
        diagnostic: diagnose(scenario, document, lane, &lane_state, &captures)?,
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
            let count = lane.counts.get(index).copied().unwrap_or(0);
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
    let counts = &lane_state.counts;
    let cursor = lane_state.cursor;
    let count = counts.get(index).copied().unwrap_or(0);
    let whose = match lane {
        Some(id) => format!("container {id:?}"),
        None => "list calls".to_owned(),
    };
    if let Some(max) = step.times.max().filter(|max| count >= *max) {
        return format!("it matches, but it already took {count} of {max} call(s)");
    }
    if index < cursor {
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
            && counts.get(i).copied().unwrap_or(0) < scenario.steps[i].times.min()
    });
    match blocker {
        Some(b) => format!(
            "it matches, but step {} must come first for {whose} (it has taken {} of at least {} call(s))",
            scenario.steps[b].label(b),
            counts.get(b).copied().unwrap_or(0),
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
    text.push_str(&suggested_step(document));
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

fn suggested_step(document: &Value) -> String {
    let mut matches = Map::new();
    for (path, value) in matching::given_fields(document) {
        matches.insert(path, value);
    }
    let step = Step {
        name: None,
        matches: matches
            .into_iter()
            .map(|(k, v)| (k, ValueMatch::Exact(v)))
            .collect(),
        times: Default::default(),
        reply: Default::default(),
        fault: None,
    };
    serde_json::to_string_pretty(&step).unwrap_or_default()
}
