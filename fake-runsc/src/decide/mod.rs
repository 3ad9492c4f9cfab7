//! Deciding which step answers a call: pure, over the scenario, the call's
//! document and the replay state, so the fuzzers and `verify` use exactly
//! what replay uses.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::matching::{self, Captures};
use crate::scenario::{Scenario, Step};

mod diagnose;
mod source;

use self::source::LaneSteps;
pub use self::source::{Candidate, StepHead, StepSource};

/// What replay remembers between calls.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReplayState {
    /// Calls answered so far (also the journal's sequence numbers).
    #[serde(default)]
    pub calls: u64,
    /// How many calls each step took in all lanes, by step index (only
    /// steps that took any, so the state stays small however long the
    /// scenario).
    #[serde(default)]
    pub counts: BTreeMap<usize, u32>,
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
        /// The step, as read to match it.
        step: Box<Step>,
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
        /// The step, as read to match it.
        step: Box<Step>,
    },
    /// No step answers; the text explains why.
    Unmatched {
        /// The diagnostic.
        diagnostic: String,
    },
}

/// Reads step `index` and matches it against the call, naming the step in
/// an error.
fn match_at<'s, S: StepSource + ?Sized>(
    steps: &'s S,
    index: usize,
    document: &Value,
    captures: &Captures,
) -> Result<(Cow<'s, Step>, matching::StepMatch), String> {
    let step = steps.step(index)?;
    let matched = matching::match_step(&step, document, captures)
        .map_err(|e| format!("step {}: {e}", step.label(index)))?;
    Ok((step, matched))
}

/// Who a lane's calls are, in diagnostics.
fn whose(lane: Option<&str>) -> String {
    match lane {
        Some(id) => format!("container {id:?}"),
        None => "list calls".to_owned(),
    }
}

/// Chooses the step for a call and updates the state (counts, cursor, captures).
///
/// Steps for one lane (container id; `list` calls share one lane) play in
/// file order: scanning the ordered steps from the lane's cursor, exhausted
/// steps are passed, the first step that matches answers, and a step that
/// still needs calls (fewer than its minimum) and does not match stops the
/// scan. Failing that, the first unordered step that matches, has calls
/// left and has no ordered step before it that still needs calls answers;
/// unordered steps neither move the cursor nor block. A `never` step of the
/// lane that matches forbids the call wherever the sequence stands.
///
/// Only the lane's steps are looked at, and only those of the call's
/// subcommand are read whole, so a call against a long scenario read
/// through its index costs what its own container's part costs.
pub fn decide<S: StepSource + ?Sized>(
    steps: &S,
    document: &Value,
    lane: Option<&str>,
    state: &mut ReplayState,
) -> Result<Decision, String> {
    let command = matching::command_of(document);
    let lane_key = lane.unwrap_or("").to_owned();
    let captures = state.captures_for(&lane_key);
    let mut lane_state = state.lanes.get(&lane_key).cloned().unwrap_or_default();
    let cursor = lane_state.cursor.min(steps.step_count());
    let whose = whose(lane);
    let in_lane = LaneSteps::new(steps, lane, &captures)?;
    let all = in_lane.within(0..usize::MAX);
    let ours = |index: usize| steps.head(index).command == command;
    for at in all.clone() {
        let index = in_lane.index(at);
        if !steps.head(index).never || !ours(index) || !in_lane.member(at)? {
            continue;
        }
        let (step, matched) = match_at(steps, index, document, &captures)?;
        if matched.mismatches.is_empty() {
            let step = Box::new(step.into_owned());
            return Ok(Decision::Never { index, step });
        }
    }
    let mut chosen = None;
    for at in in_lane.within(cursor..usize::MAX) {
        let index = in_lane.index(at);
        let head = steps.head(index);
        let count = lane_state.count(index);
        if !head.ordered() || !head.has_room(count) || !in_lane.member(at)? {
            continue;
        }
        if ours(index) {
            let (step, matched) = match_at(steps, index, document, &captures)?;
            if matched.mismatches.is_empty() {
                let reason = if lane_state.started() && index == cursor {
                    format!(
                        "next in order for {whose}: the step that answered its last ordered call"
                    )
                } else {
                    format!("next in order for {whose}")
                };
                chosen = Some((index, step.into_owned(), reason, matched.captured));
                break;
            }
        }
        if count < head.min {
            break;
        }
    }
    if chosen.is_none() {
        for at in all {
            let index = in_lane.index(at);
            let head = steps.head(index);
            if !head.unordered
                || head.never
                || !ours(index)
                || !head.has_room(lane_state.count(index))
                || !in_lane.member(at)?
            {
                continue;
            }
            // An unordered step waits for the ordered steps before it that
            // still need calls (a `wait` before its `create`); the ones
            // before the cursor were answered or passed.
            let from = lane_state.cursor.min(index);
            if in_lane
                .first_wanting(from..index, |i| lane_state.count(i))?
                .is_some()
            {
                continue;
            }
            let (step, matched) = match_at(steps, index, document, &captures)?;
            if matched.mismatches.is_empty() {
                let reason = format!(
                    "unordered step for {whose}: it answers in any interleaving once the ordered steps before it have had their calls"
                );
                chosen = Some((index, step.into_owned(), reason, matched.captured));
                break;
            }
        }
    }
    let Some((index, step, reason, captured)) = chosen else {
        return Ok(Decision::Unmatched {
            diagnostic: diagnose::diagnose(
                steps,
                document,
                lane,
                &in_lane,
                &lane_state,
                &captures,
            )?,
        });
    };
    *lane_state.counts.entry(index).or_insert(0) += 1;
    if !steps.head(index).unordered {
        lane_state.cursor = index;
    }
    lane_state.captures.extend(captured.clone());
    let call = lane_state.count(index);
    *state.counts.entry(index).or_insert(0) += 1;
    state.lanes.insert(lane_key, lane_state);
    state.captures.extend(captured.clone());
    let mut visible = captures;
    visible.extend(captured);
    Ok(Decision::Matched {
        index,
        step: Box::new(step),
        call,
        captures: visible,
        reason,
    })
}

/// Steps that did not get the calls they need: per container id for the
/// ids that played, and overall for steps no id reached.
///
/// Only steps that need calls are looked at, and each id only at the steps
/// its [`LaneClass`](matching::LaneClass) allows, so a long scenario played
/// by many ids is not walked once per id.
pub fn missing_calls(scenario: &Scenario, state: &ReplayState) -> Vec<String> {
    use matching::LaneClass;
    let steps = &scenario.steps;
    let mut by_id: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut by_ref: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let (mut any_id, mut list) = (Vec::new(), Vec::new());
    for (index, step) in steps.iter().enumerate() {
        if step.times.is_never() || step.times.min() == 0 {
            continue;
        }
        match LaneClass::of(step) {
            LaneClass::List => list.push(index),
            LaneClass::Always | LaneClass::Other => any_id.push(index),
            LaneClass::Exact(id) => by_id.entry(id).or_default().push(index),
            LaneClass::Ref(name) => by_ref.entry(name).or_default().push(index),
        }
    }
    let mut missing = Vec::new();
    let mut reported = vec![false; steps.len()];
    for (key, lane) in &state.lanes {
        let lane_id = (!key.is_empty()).then_some(key.as_str());
        let captures = state.captures_for(key);
        let mut candidates = match lane_id {
            None => list.clone(),
            Some(id) => {
                let mut candidates = any_id.clone();
                candidates.extend(by_id.get(id).into_iter().flatten());
                let id = Value::from(id);
                for (name, _) in captures
                    .iter()
                    .filter(|(_, v)| matching::loosely_equal(v, &id))
                {
                    candidates.extend(by_ref.get(name).into_iter().flatten());
                }
                candidates
            }
        };
        candidates.sort_unstable();
        for index in candidates {
            let step = &steps[index];
            if !matching::step_in_lane(step, lane_id, &captures) {
                continue;
            }
            let count = lane.count(index);
            if count < step.times.min() {
                reported[index] = true;
                let whose = format!(" for {}", whose(lane_id));
                missing.push(shortfall(step, index, &whose, count));
            }
        }
    }
    for (index, step) in steps.iter().enumerate() {
        let total = state.counts.get(&index).copied().unwrap_or(0);
        if !reported[index] && total < step.times.min() {
            missing.push(shortfall(step, index, "", total));
        }
    }
    missing
}

/// One line of [`missing_calls`]: `whose` is empty or ` for container "c1"`.
fn shortfall(step: &Step, index: usize, whose: &str, took: u32) -> String {
    format!(
        "step {} ({}){whose} took {took} of at least {} call(s)",
        step.label(index),
        step.command_name().unwrap_or("?"),
        step.times.min()
    )
}
