//! Replay mode: find the step that answers a call, record the call in the
//! journal, and explain an unmatched call well enough to fix the scenario.

use std::ffi::OsString;
use std::io::Write;
use std::path::Path;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use runsc::cli::{Invocation, Subcommand};
use serde_json::Value;

use crate::argv::Refusal;
use crate::decide::{decide, Decision};
use crate::exit::{EXIT_CONFIG, EXIT_UNMATCHED};
use crate::journal::{argv_of, Call, CallResult, Entry, Finished, Outcome};
use crate::matching;
use crate::reply;
use crate::scenario::{Fault, Scenario, Step};
use crate::scenario_index::ScenarioIndex;
use crate::session::Session;

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Takes the session's next sequence number for a call that is not
/// decided (refused, or failed before deciding); `None` when the state
/// cannot be read, which is then the failure being journalled.
fn next_seq(session: &Session) -> Option<u64> {
    let locked = session.lock().ok()?;
    let mut state = locked.read().ok()?;
    state.calls += 1;
    locked.write(&state).ok()?;
    Some(state.calls)
}

/// A journal line for a call that was not decided.
fn undecided(
    session: &Session,
    args: &[OsString],
    result: CallResult,
    message: &str,
    exit: i32,
) -> Entry {
    Entry::Call(Call {
        seq: next_seq(session),
        pid: std::process::id(),
        argv: argv_of(args),
        invocation: None,
        result,
        step: None,
        step_name: None,
        call_of_step: None,
        reason: None,
        outcome: Outcome::Exit(exit),
        message: Some(message.to_owned()),
        started_unix_ms: unix_ms(),
        decided_after_us: None,
    })
}

/// Journals an argv that runsc would refuse, so `verify` sees it even when
/// the caller ignores the failure.
pub fn journal_refusal(session_dir: &Path, args: &[OsString], refusal: &Refusal) {
    let Ok(session) = Session::open(session_dir) else {
        return;
    };
    let entry = undecided(
        &session,
        args,
        CallResult::ArgvError,
        &refusal.reason,
        refusal.exit_code,
    );
    let _ = session.journal(&entry);
}

fn fail(session: Option<&Session>, args: &[OsString], message: &str) -> i32 {
    let _ = writeln!(std::io::stderr(), "fake-runsc: {message}");
    if let Some(session) = session {
        let entry = undecided(session, args, CallResult::Error, message, EXIT_CONFIG);
        let _ = session.journal(&entry);
    }
    EXIT_CONFIG
}

/// Reads and checks a whole scenario file (for `verify`; replay reads it
/// through its index), with the index's words for what is wrong.
pub fn load_scenario(path: &Path) -> Result<Scenario, String> {
    use crate::scenario_index::{cannot_read, no_command, not_valid};
    let bytes = std::fs::read(path).map_err(|e| cannot_read(path, e))?;
    let scenario = Scenario::from_json(&bytes).map_err(|e| not_valid(path, &e))?;
    match scenario
        .steps
        .iter()
        .enumerate()
        .find(|(_, step)| step.command_name().is_none())
    {
        Some((index, step)) => Err(no_command(path, &step.label(index))),
        None => Ok(scenario),
    }
}

fn process_spec(invocation: &Invocation) -> Option<Value> {
    let Subcommand::Exec(exec) = &invocation.command else {
        return None;
    };
    let bytes = std::fs::read(exec.process.as_ref()?).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Answers one call from the scenario, read through its index (`index`:
/// already opened by the caller, if it was).
pub fn run(
    args: &[OsString],
    invocation: &Invocation,
    index: Option<Result<ScenarioIndex, String>>,
    scenario_path: &Path,
    session_dir: &Path,
) -> i32 {
    let started = Instant::now();
    let started_unix_ms = unix_ms();
    let session = match Session::open(session_dir) {
        Ok(session) => session,
        Err(e) => return fail(None, args, &e.to_string()),
    };
    let opened = index.unwrap_or_else(|| ScenarioIndex::open(scenario_path, session_dir));
    let scenario = match opened {
        Ok(scenario) => scenario,
        Err(e) => return fail(Some(&session), args, &e),
    };
    let document = match matching::document(invocation, process_spec(invocation)) {
        Ok(document) => document,
        Err(e) => return fail(Some(&session), args, &e),
    };
    let lane = matching::lane_of(invocation);
    let decided = (|| -> Result<(Answer, u64), String> {
        let locked = session.lock().map_err(|e| e.to_string())?;
        let mut state = locked.read().map_err(|e| e.to_string())?;
        if state.calls == 0 {
            // Best effort: `fake-runsc verify` can also be told the scenario.
            let _ = crate::session::remember_scenario(session_dir, scenario_path);
        }
        let decision = decide(&scenario, &document, lane.as_deref(), &mut state)?;
        state.calls += 1;
        let mut call = Call {
            seq: Some(state.calls),
            pid: std::process::id(),
            argv: argv_of(args),
            invocation: Some(document.clone()),
            result: CallResult::Unmatched,
            step: None,
            step_name: None,
            call_of_step: None,
            reason: None,
            outcome: Outcome::Exit(EXIT_UNMATCHED),
            message: None,
            started_unix_ms,
            decided_after_us: None,
        };
        let answer = match decision {
            Decision::Matched {
                index,
                step,
                call: nth,
                captures,
                reason,
            } => {
                call.result = CallResult::Matched;
                call.step = Some(index);
                call.step_name = step.name.clone();
                call.call_of_step = Some(nth);
                call.reason = Some(reason);
                call.outcome = planned_outcome(&step, nth);
                Answer::Step {
                    step,
                    call: nth,
                    captures,
                }
            }
            Decision::Never { index, step } => {
                call.result = CallResult::Never;
                call.step = Some(index);
                call.step_name = step.name.clone();
                Answer::Never {
                    label: step.label(index),
                }
            }
            Decision::Unmatched { diagnostic } => {
                call.message = Some(diagnostic.clone());
                Answer::Unmatched { diagnostic }
            }
        };
        call.decided_after_us = Some(started.elapsed().as_micros() as u64);
        session
            .journal(&Entry::Call(call))
            .map_err(|e| e.to_string())?;
        // Only a call the journal shows takes its step: one whose line could
        // not be written leaves the state as it was and fails.
        locked.write(&state).map_err(|e| e.to_string())?;
        Ok((answer, state.calls))
    })();
    let (answer, seq) = match decided {
        Ok(decided) => decided,
        Err(e) => return fail(Some(&session), args, &e),
    };
    match answer {
        Answer::Step {
            step,
            call,
            captures,
        } => {
            let finish = |code: i32| {
                let _ = session.journal(&Entry::Finished(Finished {
                    seq,
                    pid: std::process::id(),
                    elapsed_ms: started.elapsed().as_millis() as u64,
                    exit: code,
                }));
            };
            reply::perform(&reply::Plan {
                step: &step,
                invocation,
                captures: &captures,
                call,
                session: &session,
                before_exit: &finish,
            })
        }
        Answer::Never { label } => {
            let _ = write!(
                std::io::stderr(),
                "fake-runsc: this call matches step {label} of {}, which says it must never come\n  argv: {}\n",
                scenario_path.display(),
                shell_words(args)
            );
            EXIT_UNMATCHED
        }
        Answer::Unmatched { diagnostic } => {
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

/// What a decided call does, with the step it needs.
enum Answer {
    /// The step answers; this is its `call`-th call.
    Step {
        step: Box<Step>,
        call: u32,
        captures: matching::Captures,
    },
    /// The call matched a `never` step.
    Never { label: String },
    /// No step answers; the text says why.
    Unmatched { diagnostic: String },
}

fn planned_outcome(step: &Step, call: u32) -> Outcome {
    let fault = step.fault.as_ref().map(|f| f.resolve());
    match &fault {
        Some(Fault::NthCallFails { n, exit, .. }) if *n == call => Outcome::Exit(*exit),
        Some(Fault::Hang {}) => Outcome::Hang(true),
        Some(Fault::Killed { signal }) => Outcome::Signal(signal.clone()),
        _ if step.reply.hang => Outcome::Hang(true),
        _ => match &step.reply.signal {
            Some(signal) => Outcome::Signal(signal.clone()),
            None => Outcome::Exit(step.reply.exit),
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
