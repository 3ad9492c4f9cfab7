//! Replay mode: find the step that answers a call, record the call in the
//! journal, and explain an unmatched call well enough to fix the scenario.

use std::ffi::OsString;
use std::io::Write;
use std::path::Path;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use runsc::cli::{Invocation, Subcommand};
use serde_json::{json, Map, Value};

use crate::argv::Refusal;
use crate::exit::{EXIT_CONFIG, EXIT_UNMATCHED};
use crate::matching::{self, Captures};
use crate::reply;
use crate::scenario::{Fault, Scenario, Step, ValueMatch};
use crate::session::{Lane, ReplayState, Session};

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

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn argv_json(args: &[OsString]) -> Value {
    Value::Array(
        args.iter()
            .map(|a| Value::from(a.to_string_lossy().into_owned()))
            .collect(),
    )
}

/// Journals an argv that runsc would refuse, so `verify` sees it even when
/// the caller ignores the failure.
pub fn journal_refusal(session_dir: &Path, args: &[OsString], refusal: &Refusal) {
    let Ok(session) = Session::open(session_dir) else {
        return;
    };
    let _ = session.journal(&json!({
        "event": "call",
        "pid": std::process::id(),
        "argv": argv_json(args),
        "invocation": null,
        "result": "argv-error",
        "message": refusal.reason,
        "outcome": {"exit": refusal.exit_code},
        "started_unix_ms": unix_ms(),
    }));
}

fn fail(session: Option<&Session>, args: &[OsString], message: &str) -> i32 {
    let _ = writeln!(std::io::stderr(), "fake-runsc: {message}");
    if let Some(session) = session {
        let _ = session.journal(&json!({
            "event": "call",
            "pid": std::process::id(),
            "argv": argv_json(args),
            "result": "error",
            "message": message,
            "outcome": {"exit": EXIT_CONFIG},
            "started_unix_ms": unix_ms(),
        }));
    }
    EXIT_CONFIG
}

/// Reads and checks a scenario file.
pub fn load_scenario(path: &Path) -> Result<Scenario, String> {
    let bytes = std::fs::read(path).map_err(|e| {
        format!(
            "cannot read the scenario {}: {e}; check FAKE_RUNSC_SCENARIO or the session file",
            path.display()
        )
    })?;
    let scenario = Scenario::from_json(&bytes)
        .map_err(|e| format!("the scenario {} is not valid: {e}", path.display()))?;
    for (index, step) in scenario.steps.iter().enumerate() {
        if step.command_name().is_none() {
            return Err(format!(
                "the scenario {}: step {} has no exact \"command\" in its match; run `fake-runsc check` on it",
                path.display(),
                step.label(index)
            ));
        }
    }
    Ok(scenario)
}

fn process_spec(invocation: &Invocation) -> Option<Value> {
    let Subcommand::Exec(exec) = &invocation.command else {
        return None;
    };
    let bytes = std::fs::read(exec.process.as_ref()?).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Answers one call from the scenario.
pub fn run(
    args: &[OsString],
    invocation: &Invocation,
    scenario_path: &Path,
    session_dir: &Path,
) -> i32 {
    let started = Instant::now();
    let started_unix_ms = unix_ms();
    let session = match Session::open(session_dir) {
        Ok(session) => session,
        Err(e) => return fail(None, args, &e),
    };
    let scenario = match load_scenario(scenario_path) {
        Ok(scenario) => scenario,
        Err(e) => return fail(Some(&session), args, &e),
    };
    let document = match matching::document(invocation, process_spec(invocation)) {
        Ok(document) => document,
        Err(e) => return fail(Some(&session), args, &e),
    };
    let lane = matching::lane_of(invocation);
    let decided = (|| -> Result<(Decision, u64), String> {
        let locked = session.lock()?;
        let mut state = locked.read()?;
        let decision = decide(&scenario, &document, lane.as_deref(), &mut state)?;
        state.calls += 1;
        locked.write(&state)?;
        let (result, step, call, outcome, message) = match &decision {
            Decision::Matched { index, call, .. } => (
                "matched",
                Some(*index),
                Some(*call),
                planned_outcome(&scenario.steps[*index], *call),
                None,
            ),
            Decision::Never { index } => (
                "never",
                Some(*index),
                None,
                json!({"exit": EXIT_UNMATCHED}),
                None,
            ),
            Decision::Unmatched { diagnostic } => (
                "unmatched",
                None,
                None,
                json!({"exit": EXIT_UNMATCHED}),
                Some(diagnostic.clone()),
            ),
        };
        session.journal(&json!({
            "event": "call",
            "seq": state.calls,
            "pid": std::process::id(),
            "argv": argv_json(args),
            "invocation": document,
            "result": result,
            "step": step,
            "step_name": step.and_then(|i| scenario.steps[i].name.clone()),
            "call_of_step": call,
            "outcome": outcome,
            "message": message,
            "started_unix_ms": started_unix_ms,
            "decided_after_us": started.elapsed().as_micros() as u64,
        }))?;
        Ok((decision, state.calls))
    })();
    let (decision, seq) = match decided {
        Ok(decided) => decided,
        Err(e) => return fail(Some(&session), args, &e),
    };
    match decision {
        Decision::Matched {
            index,
            call,
            captures,
        } => {
            let finish = |code: i32| {
                let _ = session.journal(&json!({
                    "event": "finished",
                    "seq": seq,
                    "pid": std::process::id(),
                    "elapsed_ms": started.elapsed().as_millis() as u64,
                    "exit": code,
                }));
            };
            reply::perform(&reply::Plan {
                step: &scenario.steps[index],
                invocation,
                captures: &captures,
                call,
                session: &session,
                before_exit: &finish,
            })
        }
        Decision::Never { index } => {
            let _ = write!(
                std::io::stderr(),
                "fake-runsc: this call matches step {} of {}, which says it must never come\n  argv: {}\n",
                scenario.steps[index].label(index),
                scenario_path.display(),
                shell_words(args)
            );
            EXIT_UNMATCHED
        }
        Decision::Unmatched { diagnostic } => {
            let _ = write!(
                std::io::stderr(),
                "fake-runsc: no step of {} answers this call (exit {EXIT_UNMATCHED})\n  argv: {}\n{diagnostic}",
                scenario_path.display(),
                shell_words(args)
            );
            EXIT_UNMATCHED
        }
    }
}

fn planned_outcome(step: &Step, call: u32) -> Value {
    let fault = step.fault.as_ref().map(|f| f.resolve());
    match &fault {
        Some(Fault::NthCallFails { n, exit, .. }) if *n == call => json!({"exit": exit}),
        Some(Fault::Hang {}) => json!({"hang": true}),
        Some(Fault::Killed { signal }) => json!({"signal": signal}),
        _ if step.reply.hang => json!({"hang": true}),
        _ => match &step.reply.signal {
            Some(signal) => json!({"signal": signal}),
            None => json!({"exit": step.reply.exit}),
        },
    }
}

fn shell_words(args: &[OsString]) -> String {
    args.iter()
        .map(|a| {
            let a = a.to_string_lossy();
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_=./:,@%+".contains(c))
            {
                a.into_owned()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
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

/// Every field that was given, as dotted paths, in document order.
pub fn given_fields(document: &Value) -> Vec<(String, Value)> {
    fn walk(prefix: &str, value: &Value, out: &mut Vec<(String, Value)>) {
        match value {
            Value::Null | Value::Bool(false) => {}
            Value::Array(items) if items.is_empty() => {}
            Value::Object(map) => {
                for (key, inner) in map {
                    let path = if prefix.is_empty() {
                        key.clone()
                    } else {
                        format!("{prefix}.{key}")
                    };
                    if path == matching::PROCESS_SPEC {
                        if let Some(args) = inner.get("args") {
                            out.push((format!("{path}.args"), args.clone()));
                        }
                        continue;
                    }
                    walk(&path, inner, out);
                }
            }
            other => out.push((prefix.to_owned(), other.clone())),
        }
    }
    let mut out = Vec::new();
    walk("", document, &mut out);
    out
}

fn summary(document: &Value) -> String {
    given_fields(document)
        .into_iter()
        .map(|(path, value)| format!("{path}={value}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn suggested_step(document: &Value) -> String {
    let mut matches = Map::new();
    for (path, value) in given_fields(document) {
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
