//! Matching a parsed invocation against scenario steps.
//!
//! The invocation is turned into one JSON document: the subcommand's fields
//! at the top (`command`, `id`, `bundle`, ...), the global options under
//! `global`, and for `exec --process` the file's parsed content under
//! `process-spec`. A step's keys are dotted paths into that document.

use std::collections::BTreeMap;

use runsc::cli::{Invocation, Subcommand};
use serde_json::{Map, Value};

use crate::scenario::{MatchOp, Step, ValueMatch};

/// Captured values by name.
pub type Captures = BTreeMap<String, Value>;

/// The path of the `--process` file's content in the match document.
pub const PROCESS_SPEC: &str = "process-spec";

/// Builds the match document of an invocation. `process_spec` is the content
/// of `exec --process` (null when unreadable).
pub fn document(invocation: &Invocation, process_spec: Option<Value>) -> Result<Value, String> {
    let mut command = match serde_json::to_value(&invocation.command) {
        Ok(Value::Object(map)) => map,
        Ok(_) => Map::new(),
        Err(e) => return Err(format!("cannot represent the invocation as JSON: {e}")),
    };
    let global = serde_json::to_value(&invocation.global)
        .map_err(|e| format!("cannot represent the global options as JSON: {e}"))?;
    command.insert("global".to_owned(), global);
    if matches!(invocation.command, Subcommand::Exec(_)) {
        command.insert(PROCESS_SPEC.to_owned(), process_spec.unwrap_or(Value::Null));
    }
    Ok(Value::Object(command))
}

/// The subcommand of a match document.
pub fn command_of(document: &Value) -> Option<&str> {
    document.get("command").and_then(Value::as_str)
}

/// The value at a dotted path (`global.config.network`, `args.0`).
pub fn lookup<'v>(document: &'v Value, path: &str) -> Option<&'v Value> {
    let mut here = document;
    for part in path.split('.') {
        here = match here {
            Value::Object(map) => map.get(part)?,
            Value::Array(items) => items.get(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(here)
}

/// The text a scalar stands for on the command line; `None` for null,
/// arrays and objects.
pub fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Equality as argv sees it: equal JSON, or scalars with equal text.
pub fn loosely_equal(expected: &Value, actual: &Value) -> bool {
    if expected == actual {
        return true;
    }
    match (text_of(expected), text_of(actual)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// A shell-style glob over the whole text: `*`, `?`, and `\` escapes.
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, t));
                p += 1;
                continue;
            }
            Some('?') => {
                p += 1;
                t += 1;
                continue;
            }
            Some('\\') if p + 1 < pattern.len() && pattern[p + 1] == text[t] => {
                p += 2;
                t += 1;
                continue;
            }
            Some(&c) if c != '\\' && c == text[t] => {
                p += 1;
                t += 1;
                continue;
            }
            _ => {}
        }
        match star {
            Some((star_p, star_t)) => {
                p = star_p + 1;
                t = star_t + 1;
                star = Some((star_p, star_t + 1));
            }
            None => return false,
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

/// Compiles a step's regex, anchored at both ends.
pub fn compile_regex(pattern: &str) -> Result<regex::Regex, String> {
    regex::Regex::new(&format!("^(?:{pattern})$")).map_err(|e| e.to_string())
}

/// Why one field did not match.
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    /// The field path.
    pub path: String,
    /// What the step wanted, in words.
    pub expected: String,
    /// What the call had (`None`: not given).
    pub actual: Option<Value>,
}

impl Mismatch {
    /// One line: `bundle: expected glob "*/b", got "/x"`.
    pub fn describe(&self) -> String {
        let actual = match &self.actual {
            None | Some(Value::Null) => "nothing".to_owned(),
            Some(value) => value.to_string(),
        };
        format!("{}: expected {}, got {actual}", self.path, self.expected)
    }
}

/// Describes a matcher in words for diagnostics.
pub fn describe_matcher(matcher: &ValueMatch, captures: &Captures) -> String {
    match matcher {
        ValueMatch::Exact(value) => value.to_string(),
        ValueMatch::Op(op) => {
            if let Some(value) = &op.eq {
                value.to_string()
            } else if let Some(glob) = &op.glob {
                format!("glob {glob:?}")
            } else if let Some(re) = &op.regex {
                format!("regex {re:?}")
            } else if let Some(name) = &op.reference {
                match captures.get(name) {
                    Some(value) => format!("{value} (capture {name:?})"),
                    None => format!("capture {name:?}, which no earlier call set"),
                }
            } else if op.absent {
                "nothing (absent)".to_owned()
            } else {
                "anything".to_owned()
            }
        }
    }
}

fn op_matches(op: &MatchOp, actual: &Value, captures: &Captures) -> Result<bool, String> {
    if let Some(expected) = &op.eq {
        return Ok(loosely_equal(expected, actual));
    }
    if let Some(pattern) = &op.glob {
        return Ok(text_of(actual).is_some_and(|text| glob_matches(pattern, &text)));
    }
    if let Some(pattern) = &op.regex {
        let re = compile_regex(pattern).map_err(|e| format!("invalid regex {pattern:?}: {e}"))?;
        return Ok(text_of(actual).is_some_and(|text| re.is_match(&text)));
    }
    if let Some(name) = &op.reference {
        return Ok(captures
            .get(name)
            .is_some_and(|expected| loosely_equal(expected, actual)));
    }
    if op.absent {
        return Ok(match actual {
            Value::Null => true,
            Value::Array(items) => items.is_empty(),
            _ => false,
        });
    }
    Ok(true)
}

/// Whether one matcher accepts a value (`Err`: the matcher itself is broken).
pub fn value_matches(
    matcher: &ValueMatch,
    actual: &Value,
    captures: &Captures,
) -> Result<bool, String> {
    match matcher {
        ValueMatch::Exact(expected) => Ok(loosely_equal(expected, actual)),
        ValueMatch::Op(op) => op_matches(op, actual, captures),
    }
}

/// The outcome of matching one step.
#[derive(Debug, Clone, PartialEq)]
pub struct StepMatch {
    /// Fields that differ (empty: the step matches).
    pub mismatches: Vec<Mismatch>,
    /// Values captured by the step.
    pub captured: Captures,
}

/// The signal a value names (`KILL`, `SIGKILL`, `kill`, `9`, `"9"`), as runsc
/// reads `kill`'s argument.
pub fn signal_number(value: &Value) -> Option<i32> {
    let text = text_of(value)?;
    if let Ok(number) = text.parse::<i32>() {
        return (1..=64).contains(&number).then_some(number);
    }
    let upper = text.to_ascii_uppercase();
    let bare = upper.strip_prefix("SIG").unwrap_or(&upper);
    runsc::cli::SIGNAL_NAMES
        .iter()
        .find(|(name, _)| *name == bare)
        .map(|(_, number)| *number)
}

/// Fields that hold a signal: an exact matcher on them matches by meaning.
const SIGNAL_FIELDS: &[&str] = &["signal"];

/// Whether an exact matcher on a signal field names the call's signal.
fn same_signal(matcher: &ValueMatch, actual: &Value) -> bool {
    let expected = match matcher {
        ValueMatch::Exact(value) => value,
        ValueMatch::Op(MatchOp {
            eq: Some(value), ..
        }) => value,
        ValueMatch::Op(_) => return false,
    };
    match (signal_number(expected), signal_number(actual)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// Matches every field of a step against a document.
pub fn match_step(step: &Step, document: &Value, captures: &Captures) -> Result<StepMatch, String> {
    let mut result = StepMatch {
        mismatches: Vec::new(),
        captured: Captures::new(),
    };
    // `command` first, so diagnostics lead with the most telling difference.
    let ordered = step
        .matches
        .get_key_value("command")
        .into_iter()
        .chain(step.matches.iter().filter(|(path, _)| *path != "command"));
    for (path, matcher) in ordered {
        let actual = lookup(document, path);
        let value = actual.cloned().unwrap_or(Value::Null);
        let by_meaning = SIGNAL_FIELDS.contains(&path.as_str()) && same_signal(matcher, &value);
        if by_meaning
            || value_matches(matcher, &value, captures).map_err(|e| format!("field {path}: {e}"))?
        {
            if let ValueMatch::Op(MatchOp {
                capture: Some(name),
                ..
            }) = matcher
            {
                result.captured.insert(name.clone(), value);
            }
        } else {
            result.mismatches.push(Mismatch {
                path: path.clone(),
                expected: describe_matcher(matcher, captures),
                actual: actual.cloned(),
            });
        }
    }
    Ok(result)
}

/// The container id a call is about (its ordering lane); `None` for `list`.
pub fn lane_of(invocation: &Invocation) -> Option<String> {
    invocation.command.id().map(|id| id.as_str().to_owned())
}

/// Whether a step is part of the sequence of calls for `lane`: its command
/// takes a container id exactly when the call does, and its id matcher (if
/// any) accepts the lane's id.
pub fn step_in_lane(step: &Step, lane: Option<&str>, captures: &Captures) -> bool {
    let step_is_list = step.command_name() == Some("list");
    let Some(id) = lane else {
        return step_is_list;
    };
    if step_is_list {
        return false;
    }
    let id_value = Value::from(id);
    let ids = Value::Array(vec![id_value.clone()]);
    for (path, matcher) in &step.matches {
        let accepted = match path.as_str() {
            "id" | "ids.0" => value_matches(matcher, &id_value, captures),
            "ids" => match matcher {
                ValueMatch::Exact(Value::Array(items)) => Ok(items
                    .first()
                    .is_some_and(|first| loosely_equal(first, &id_value))),
                other => value_matches(other, &ids, captures),
            },
            _ => continue,
        };
        if !accepted.unwrap_or(false) {
            return false;
        }
    }
    true
}

/// Which container ids a step's sequence can be, as far as its matchers
/// tell without captures: what lets a scenario be indexed by id so that a
/// call reads only its own container's steps. [`LaneClass::admits`] agrees
/// with [`step_in_lane`] for every class but `Other`, which needs the step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LaneClass {
    /// A `list` step: the lane of list calls only.
    List,
    /// No matcher on the id: every container's lane.
    Always,
    /// One exact id: that container's lane only.
    Exact(String),
    /// The id must equal the capture of this name.
    Ref(String),
    /// Anything else (globs, regexes, several id matchers): ask the step.
    Other,
}

/// The paths a step may match a container id at.
const ID_PATHS: &[&str] = &["id", "ids.0", "ids"];

impl LaneClass {
    /// Classifies a step.
    pub fn of(step: &Step) -> Self {
        if step.command_name() == Some("list") {
            return Self::List;
        }
        let mut id_matchers = step
            .matches
            .iter()
            .filter(|(path, _)| ID_PATHS.contains(&path.as_str()));
        let Some((path, matcher)) = id_matchers.next() else {
            return Self::Always;
        };
        if id_matchers.next().is_some() {
            return Self::Other;
        }
        let exact = match (path.as_str(), matcher) {
            // A bare capture, or `any`, takes every id.
            (_, ValueMatch::Op(op)) if op.operator_count() == usize::from(op.any) => {
                return Self::Always;
            }
            ("ids", ValueMatch::Exact(Value::Array(items))) => items.first(),
            ("ids", _) => return Self::Other,
            (_, ValueMatch::Exact(value)) => Some(value),
            (_, ValueMatch::Op(op)) => {
                return match &op.reference {
                    Some(name) if op.operator_count() == 1 => Self::Ref(name.clone()),
                    _ => Self::Other,
                };
            }
        };
        match exact.and_then(text_of) {
            Some(id) => Self::Exact(id),
            None => Self::Other,
        }
    }

    /// Whether a step of this class is in `lane`'s sequence; `None` for
    /// [`LaneClass::Other`], whose step must be asked ([`step_in_lane`]).
    pub fn admits(&self, lane: Option<&str>, captures: &Captures) -> Option<bool> {
        Some(match (self, lane) {
            (Self::List, lane) => lane.is_none(),
            (_, None) => false,
            (Self::Always, Some(_)) => true,
            (Self::Exact(id), Some(lane)) => id == lane,
            (Self::Ref(name), Some(lane)) => captures
                .get(name)
                .is_some_and(|value| loosely_equal(value, &Value::from(lane))),
            (Self::Other, Some(_)) => return None,
        })
    }
}

/// Replaces `{{name}}` with captured values (strings without quotes).
pub fn render_template(text: &str, captures: &Captures) -> String {
    if !text.contains("{{") {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                let name = after[..end].trim();
                match captures.get(name) {
                    Some(value) => {
                        out.push_str(&text_of(value).unwrap_or_else(|| value.to_string()))
                    }
                    None => out.push_str(&rest[start..start + 2 + end + 2]),
                }
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Names used as `{{name}}` in a text.
pub fn template_names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        names.push(after[..end].trim().to_owned());
        rest = &after[end + 2..];
    }
    names
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
                    if path == PROCESS_SPEC {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_handles_stars_questions_and_escapes() {
        assert!(glob_matches("*/bundle", "/tmp/x/bundle"));
        assert!(glob_matches("c?", "c1"));
        assert!(!glob_matches("c?", "c12"));
        assert!(glob_matches("a*b*c", "aXXbYYc"));
        assert!(!glob_matches("a*b*c", "aXXbYY"));
        assert!(glob_matches(r"a\*", "a*"));
        assert!(!glob_matches(r"a\*", "ab"));
        assert!(glob_matches("*", ""));
        assert!(!glob_matches("", "x"));
    }

    #[test]
    fn templates_replace_known_names_and_keep_unknown_ones() {
        let mut captures = Captures::new();
        captures.insert("id".into(), Value::from("c1"));
        captures.insert("pid".into(), Value::from(42));
        assert_eq!(
            render_template("{{id}}:{{ pid }}:{{nope}}:{{", &captures),
            "c1:42:{{nope}}:{{"
        );
        assert_eq!(template_names("a {{x}} b {{ y }}"), vec!["x", "y"]);
    }
}
