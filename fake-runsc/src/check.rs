//! `fake-runsc check FILE...`: validates scenario files before a test trips
//! over them: format errors, unknown fields, unknown field paths, bad
//! regexes, dangling captures, and steps that can never answer a call
//! (unreachable) or are always beaten by an earlier step (shadowed).

use std::collections::{BTreeSet, HashMap};
use std::ffi::OsString;
use std::io::Write;
use std::path::Path;

use runsc::cli::{Invocation, Release};
use serde_json::Value;

use crate::matching::{self, PROCESS_SPEC};
use crate::scenario::{Fault, Scenario, Step, ValueMatch};

/// Runs `check` over files; exit 0 when all are clean, 1 when any has a
/// problem, 2 on bad usage.
pub fn main(args: &[OsString]) -> i32 {
    let mut out = std::io::stdout().lock();
    if args
        .first()
        .is_some_and(|a| matches!(a.to_str(), Some("-h" | "-help" | "--help")))
    {
        let _ = out.write_all(crate::help::CHECK.as_bytes());
        return 0;
    }
    if args.is_empty() {
        let _ = writeln!(
            std::io::stderr(),
            "usage: fake-runsc check SCENARIO.json...\nvalidates scenario files and reports unreachable or shadowed steps"
        );
        return 2;
    }
    let mut failed = false;
    for arg in args {
        let path = Path::new(arg);
        let problems = check_file(path);
        if problems.is_empty() {
            let _ = writeln!(out, "{}: ok", path.display());
        } else {
            failed = true;
            for problem in problems {
                let _ = writeln!(out, "{}: {problem}", path.display());
            }
        }
    }
    i32::from(failed)
}

/// Every problem in a scenario file, one line each.
pub fn check_file(path: &Path) -> Vec<String> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => return vec![format!("cannot read it: {e}")],
    };
    match Scenario::from_json(&bytes) {
        Ok(scenario) => check_scenario(&scenario),
        Err(e) => vec![e],
    }
}

fn sample_document(release: Release, command: &str) -> Option<Value> {
    let argv: &[&str] = match command {
        "list" => &["list"],
        "exec" => &["exec", "x", "y"],
        other => &[other, "x"],
    };
    let invocation = Invocation::parse_for(release, argv.iter().copied()).ok()?;
    matching::document(&invocation, Some(Value::Null)).ok()
}

/// Why a field path cannot name anything in `command`'s calls, if it cannot.
fn path_problem(sample: &Value, path: &str) -> Option<String> {
    if path.starts_with("global.config.") && path.len() > "global.config.".len() {
        return None;
    }
    if path == PROCESS_SPEC || path.starts_with(&format!("{PROCESS_SPEC}.")) {
        return sample
            .get(PROCESS_SPEC)
            .is_none()
            .then(|| format!("field {path:?}: only exec calls have a process spec"));
    }
    let mut here = sample;
    let mut parts = path.split('.');
    while let Some(part) = parts.next() {
        here = match here {
            Value::Object(map) => match map.get(part) {
                Some(inner) => inner,
                None => {
                    let known: Vec<&str> = map.keys().map(String::as_str).collect();
                    return Some(format!(
                        "field {path:?} does not exist here (known: {})",
                        known.join(", ")
                    ));
                }
            },
            Value::Array(_) if part.parse::<usize>().is_ok() => {
                return parts
                    .next()
                    .map(|_| format!("field {path:?}: list items are plain strings"));
            }
            _ => return Some(format!("field {path:?}: {part:?} is below a plain value")),
        };
    }
    None
}

fn literal_problem(sample: &Value, path: &str, matcher: &ValueMatch) -> Option<String> {
    let ValueMatch::Exact(literal) = matcher else {
        return None;
    };
    let expected = matching::lookup(sample, path)?;
    match (expected, literal) {
        (Value::Bool(_), Value::Bool(_)) | (Value::Array(_), Value::Array(_)) => None,
        (Value::Bool(_), _) => Some(format!(
            "unreachable: field {path:?} is true or false, never {literal}"
        )),
        (Value::Array(_), _) => Some(format!(
            "unreachable: field {path:?} is a list; match it with a list or by index ({path}.0)"
        )),
        _ => None,
    }
}

/// Every problem in a parsed scenario, one line each.
pub fn check_scenario(scenario: &Scenario) -> Vec<String> {
    let mut problems = Vec::new();
    let mut captured: BTreeSet<String> = BTreeSet::new();
    let release = match scenario.runsc_version.as_deref().map(str::parse::<Release>) {
        None => Release::RECORDED,
        Some(Ok(release)) => release,
        Some(Err(e)) => {
            problems.push(format!(
                "runsc_version: {e}; replay would stop with exit 87 (use 20221219, 20241021 or 20260817)"
            ));
            Release::RECORDED
        }
    };
    let mut open_ended = OpenEnded::default();
    for (index, step) in scenario.steps.iter().enumerate() {
        let label = format!("step {}", step.label(index));
        let mut say = |text: String| problems.push(format!("{label}: {text}"));
        let command = match step.matches.get("command") {
            Some(ValueMatch::Exact(Value::String(name))) => name.as_str(),
            Some(_) => {
                say("\"command\" must be an exact subcommand name".to_owned());
                continue;
            }
            None => {
                say("its match has no \"command\"".to_owned());
                continue;
            }
        };
        if crate::argv::missing_in(release, command) {
            say(format!("unreachable: runsc {release} has no `{command}`, so the fake answers it as an unknown subcommand"));
            continue;
        }
        if !crate::argv::commands_for(release).any(|known| known == command) {
            say(format!(
                "unknown command {command:?}; use one of {}",
                crate::argv::commands_for(release)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            continue;
        }
        let Some(sample) = sample_document(release, command) else {
            say(format!("cannot model a {command} call"));
            continue;
        };
        for (path, matcher) in &step.matches {
            if let Some(problem) = path_problem(&sample, path) {
                say(problem);
            }
            if let Some(problem) = literal_problem(&sample, path, matcher) {
                say(problem);
            }
            if let ValueMatch::Exact(Value::Array(items)) = matcher {
                if items.iter().any(|item| item.is_object() || item.is_array()) {
                    say(format!(
                        "unreachable: field {path:?}: a list matches exactly, item by item; \
                         put a matcher on one item by index instead ({path}.0)"
                    ));
                }
            }
            if let ValueMatch::Op(op) = matcher {
                if let Some(re) = &op.regex {
                    if let Err(e) = matching::compile_regex(re) {
                        let e = e.split_whitespace().collect::<Vec<_>>().join(" ");
                        say(format!("field {path:?}: invalid regex {re:?}: {e}"));
                    }
                }
                if let Some(name) = &op.reference {
                    if !captured.contains(name) {
                        say(format!(
                            "unreachable: field {path:?} refers to capture {name:?}, which no earlier step captures"
                        ));
                    }
                }
                if op.capture.as_deref() == Some("") {
                    say(format!("field {path:?}: a capture needs a name"));
                }
            }
        }
        if step.times.max() == Some(0) && !step.times.is_never() {
            say(
                "unreachable: it takes 0 calls; write \"times\": \"never\" to forbid a call"
                    .to_owned(),
            );
        }
        if !(0..=255).contains(&step.reply.exit) {
            say(format!("exit status {} is outside 0-255", step.reply.exit));
        }
        if let Some(signal) = &step.reply.signal {
            if signal.number().is_none() {
                say(format!("reply signal {signal} is not a signal"));
            }
        }
        for problem in crate::reply::reply_problems(step) {
            say(problem);
        }
        match step.fault.as_ref().map(|f| f.resolve()) {
            Some(Fault::Killed { signal }) if signal.number().is_none() => {
                say(format!("fault signal {signal} is not a signal"));
            }
            Some(Fault::NthCallFails { n, .. }) => {
                if n == 0 {
                    say("nth-call-fails counts calls from 1".to_owned());
                } else if step.times.max().is_some_and(|max| n > max) {
                    say(format!(
                        "nth-call-fails: call {n} never comes, the step takes at most {} call(s)",
                        step.times.max().unwrap_or(0)
                    ));
                }
            }
            _ => {}
        }
        for name in &step_captures(step) {
            captured.insert(name.clone());
        }
        for name in template_names(step) {
            if !captured.contains(&name) {
                say(format!(
                    "{{{{{name}}}}} names no capture of this or an earlier step; it is printed as is"
                ));
            }
        }
        if let Some(earlier_index) = open_ended.shadowing(scenario, command, step) {
            say(format!(
                "shadowed by step {}: that step takes any number of calls and matches every call this one matches",
                scenario.steps[earlier_index].label(earlier_index)
            ));
        }
        if step.times.max().is_none() && !step.times.is_never() {
            open_ended.add(command, step, index);
        }
    }
    problems
}

/// The steps so far that take any number of calls, by subcommand and exact
/// container id, so each step is compared only with those that could shadow
/// it: checking stays linear in the steps when ids are exact.
#[derive(Default)]
struct OpenEnded<'s> {
    by_id: HashMap<(&'s str, Option<String>), Vec<usize>>,
    by_command: HashMap<&'s str, Vec<usize>>,
}

/// The container id a step matches exactly, if it names one.
fn exact_id(step: &Step) -> Option<String> {
    ["id", "ids.0"]
        .iter()
        .find_map(|path| match step.matches.get(*path)? {
            ValueMatch::Exact(value) => matching::text_of(value),
            ValueMatch::Op(op) if op.operator_count() == 1 => {
                op.eq.as_ref().and_then(matching::text_of)
            }
            ValueMatch::Op(_) => None,
        })
}

impl<'s> OpenEnded<'s> {
    fn add(&mut self, command: &'s str, step: &Step, index: usize) {
        self.by_id
            .entry((command, exact_id(step)))
            .or_default()
            .push(index);
        self.by_command.entry(command).or_default().push(index);
    }

    /// The first earlier open-ended step that matches every call `step` matches.
    fn shadowing(&self, scenario: &Scenario, command: &'s str, step: &Step) -> Option<usize> {
        let mut candidates: Vec<usize> = match exact_id(step) {
            // Only steps with the same exact id, or with no exact id, can
            // match every call of a step with an exact id.
            Some(id) => [Some(id), None]
                .into_iter()
                .filter_map(|id| self.by_id.get(&(command, id)))
                .flatten()
                .copied()
                .collect(),
            None => self.by_command.get(command).cloned().unwrap_or_default(),
        };
        candidates.sort_unstable();
        candidates
            .into_iter()
            .find(|&i| subsumes(&scenario.steps[i], step))
    }
}

fn step_captures(step: &Step) -> Vec<String> {
    step.matches
        .values()
        .filter_map(|m| match m {
            ValueMatch::Op(op) => op.capture.clone(),
            ValueMatch::Exact(_) => None,
        })
        .collect()
}

fn template_names(step: &Step) -> Vec<String> {
    let reply = &step.reply;
    let mut texts: Vec<String> = Vec::new();
    for output in [&reply.stdout, &reply.stderr] {
        texts.extend(output.chunks().into_iter().map(|c| c.data));
    }
    texts.extend(reply.tty.clone());
    texts.extend(reply.log.iter().map(|v| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }));
    texts
        .iter()
        .flat_map(|t| matching::template_names(t))
        .collect()
}

fn is_wildcard(matcher: &ValueMatch) -> bool {
    matches!(matcher, ValueMatch::Op(op) if op.operator_count() == 0 || op.any)
}

fn without_capture(matcher: &ValueMatch) -> ValueMatch {
    match matcher {
        ValueMatch::Op(op) if op.eq.is_some() && op.operator_count() == 1 => {
            ValueMatch::Exact(op.eq.clone().unwrap_or(Value::Null))
        }
        ValueMatch::Op(op) => {
            let mut op = op.clone();
            op.capture = None;
            ValueMatch::Op(op)
        }
        exact => exact.clone(),
    }
}

/// Whether every call `later` matches is also matched by `earlier`.
fn subsumes(earlier: &Step, later: &Step) -> bool {
    earlier.matches.iter().all(|(path, wide)| {
        if is_wildcard(wide) {
            return true;
        }
        let Some(narrow) = later.matches.get(path) else {
            return false;
        };
        let (wide, narrow) = (without_capture(wide), without_capture(narrow));
        if wide == narrow {
            return true;
        }
        match (&wide, &narrow) {
            (ValueMatch::Op(op), ValueMatch::Exact(value))
                if op.glob.is_some() || op.regex.is_some() =>
            {
                matching::value_matches(&wide, value, &Default::default()).unwrap_or(false)
            }
            _ => false,
        }
    })
}
