//! Turning one recorded runsc call into a scenario step that replays
//! elsewhere: volatile values (paths, ids, pids, times, counters) become
//! captures, references and stable stand-ins, and every rewrite is noted so
//! a person can review it.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use regex::Regex;
use runsc::cli::{Invocation, Subcommand};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::matching::{self, PROCESS_SPEC};
use crate::scenario::{
    Chunk, MatchOp, Output, PidFile, PidFileWord, Reply, SignalSpec, Step, ValueMatch,
};

/// Reads closer together than this are one chunk: runsc writes a line in
/// one go, and only pauses longer than this are part of its behaviour.
const COALESCE_MS: u64 = 50;
/// Chunk delays are rounded to this, so a re-recording does not differ by
/// scheduler noise.
const ROUND_MS: u64 = 100;
/// The first stand-in pid; recorded host pids become 10001, 10002, ...
const PID_BASE: i64 = 10_000;
/// The stand-in for cpu usage counters.
const CPU_TOTAL: &str = "1000000";
/// The stand-in for memory usage counters.
const MEMORY_USAGE: &str = "1048576";

/// Output read from runsc, with when it arrived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimedChunk {
    /// Milliseconds after runsc was started.
    pub at_ms: u64,
    /// The bytes.
    pub data: Vec<u8>,
}

/// How runsc ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ending {
    /// It exited with this status.
    Exit(i32),
    /// It died by this signal; `forwarded` when the recorder passed the
    /// signal on from its own caller (the caller ended it, not runsc).
    Signal {
        /// The signal number.
        signal: i32,
        /// Whether the caller sent it.
        forwarded: bool,
    },
}

/// Everything observed about one call of real runsc.
#[derive(Debug, Clone, PartialEq)]
pub struct RawCall {
    /// The parsed call.
    pub invocation: Invocation,
    /// The content of `exec --process`, when there was one.
    pub process_spec: Option<Value>,
    /// What runsc wrote to stdout.
    pub stdout: Vec<TimedChunk>,
    /// What runsc wrote to stderr.
    pub stderr: Vec<TimedChunk>,
    /// How it ended.
    pub ending: Ending,
    /// The `--pid-file` content after the call (`None`: no file was written).
    pub pid_file: Option<String>,
}

/// A volatile value seen in argv and the name it is captured under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedValue {
    /// The capture name (`root`, `id2`, `bundle`).
    pub name: String,
    /// The value as recorded.
    pub value: String,
}

/// What the recorder knows across the calls of one recording; kept in a
/// sidecar file beside the scenario so concurrent recorder processes agree.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Names {
    /// Captured values, in order of first appearance.
    pub values: Vec<NamedValue>,
    /// Recorded host pid -> stand-in pid.
    pub pids: BTreeMap<i64, i64>,
}

impl Names {
    fn lookup(&self, value: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|v| v.value == value)
            .map(|v| v.name.as_str())
    }

    /// The name for `value`, naming it after `kind` (`kind`, `kind2`, ...)
    /// when it is new. Returns the name and whether it is new.
    fn name(&mut self, kind: &str, value: &str) -> (String, bool) {
        if let Some(name) = self.lookup(value) {
            return (name.to_owned(), false);
        }
        let taken = |n: &str| self.values.iter().any(|v| v.name == n);
        let mut name = kind.to_owned();
        let mut k = 2;
        while taken(&name) {
            name = format!("{kind}{k}");
            k += 1;
        }
        self.values.push(NamedValue {
            name: name.clone(),
            value: value.to_owned(),
        });
        (name, true)
    }

    fn stand_in_pid(&mut self, pid: i64) -> i64 {
        let next = PID_BASE + self.pids.len() as i64 + 1;
        *self.pids.entry(pid).or_insert(next)
    }
}

/// A step and the list of what was rewritten to make it.
#[derive(Debug, Clone, PartialEq)]
pub struct Normalised {
    /// The step to append.
    pub step: Step,
    /// One line per rewrite, for review.
    pub notes: Vec<String>,
}

fn capture_kind(path: &str) -> String {
    let last = path.rsplit('.').next().unwrap_or(path);
    last.replace('-', "_")
}

fn is_id_path(path: &str) -> bool {
    path == "id" || path.strip_prefix("ids.").is_some()
}

/// The match document's fields as matchers, paths and ids made volatile.
fn matchers(
    call: &RawCall,
    names: &mut Names,
    notes: &mut Vec<String>,
) -> Result<BTreeMap<String, ValueMatch>, String> {
    let document = matching::document(&call.invocation, call.process_spec.clone())?;
    let mut fields = Vec::new();
    for (path, value) in matching::given_fields(&document) {
        // Delete takes several ids; match each one so the step joins the lane
        // of its first id.
        match (path.as_str(), value) {
            ("ids", Value::Array(items)) => {
                fields.extend(
                    items
                        .into_iter()
                        .enumerate()
                        .map(|(i, v)| (format!("ids.{i}"), v)),
                );
            }
            (_, value) => fields.push((path, value)),
        }
    }
    let mut out = BTreeMap::new();
    for (path, value) in fields {
        let text = matching::text_of(&value);
        let matcher = match text {
            Some(text) if is_id_path(&path) => {
                let (name, new) = names.name("id", &text);
                if new {
                    let pattern = id_pattern(&text);
                    notes.push(format!("{path}: container id {text:?} matched as /{pattern}/, captured as {{{{{name}}}}}"));
                    ValueMatch::regex(pattern).and_capture(name)
                } else {
                    ValueMatch::reference(name)
                }
            }
            Some(text)
                if path != "command"
                    && !path.starts_with(PROCESS_SPEC)
                    && text.starts_with('/') =>
            {
                let (name, new) = names.name(&capture_kind(&path), &text);
                if new {
                    notes.push(format!("{path}: path {text:?} captured as {{{{{name}}}}}"));
                }
                ValueMatch::capture(name)
            }
            _ => ValueMatch::Exact(value),
        };
        out.insert(path, matcher);
    }
    Ok(out)
}

fn volatile_run_re() -> &'static Regex {
    static CELL: OnceLock<Regex> = OnceLock::new();
    regex(&CELL, r"[0-9a-f]{4,}")
}

/// A pattern for a recorded container id: its runs of four or more hex
/// digits (with at least one digit: pids, times, random suffixes) may be
/// anything on replay; the rest stays. A fresh id of the same shape then
/// matches, while the ids of other containers of the recording do not (a
/// capture alone would match every container, and a step for the second
/// container would join the first one's sequence).
pub fn id_pattern(id: &str) -> String {
    let mut pattern = String::new();
    let mut last = 0;
    for run in volatile_run_re().find_iter(id) {
        if !run.as_str().bytes().any(|b| b.is_ascii_digit()) {
            continue;
        }
        pattern.push_str(&regex::escape(&id[last..run.start()]));
        pattern.push_str("[0-9a-f]+");
        last = run.end();
    }
    pattern.push_str(&regex::escape(&id[last..]));
    pattern
}

fn regex(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| {
        Regex::new(pattern).unwrap_or_else(|e| panic!("built-in pattern {pattern:?}: {e}"))
    })
}

fn timestamp_re() -> &'static Regex {
    static CELL: OnceLock<Regex> = OnceLock::new();
    regex(
        &CELL,
        r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})",
    )
}

fn json_pid_re() -> &'static Regex {
    static CELL: OnceLock<Regex> = OnceLock::new();
    regex(&CELL, r#""pid":(\s*)(\d+)"#)
}

fn exec_pid_dir_re() -> &'static Regex {
    static CELL: OnceLock<Regex> = OnceLock::new();
    regex(&CELL, r"/tmp/exec-pid-\d+")
}

fn cpu_total_re() -> &'static Regex {
    static CELL: OnceLock<Regex> = OnceLock::new();
    regex(&CELL, r#""total":\d+"#)
}

fn memory_usage_re() -> &'static Regex {
    static CELL: OnceLock<Regex> = OnceLock::new();
    regex(&CELL, r#""usage":\d+"#)
}

fn clock_re() -> &'static Regex {
    static CELL: OnceLock<Regex> = OnceLock::new();
    regex(&CELL, r"\b\d{2}:\d{2}\b")
}

fn address_re() -> &'static Regex {
    static CELL: OnceLock<Regex> = OnceLock::new();
    regex(&CELL, r"0x[0-9a-f]{8,}")
}

fn goroutine_re() -> &'static Regex {
    static CELL: OnceLock<Regex> = OnceLock::new();
    regex(&CELL, r"goroutine \d+")
}

/// A fixed time of the same length, so text tables keep their columns.
fn stand_in_time(found: &regex::Captures<'_>) -> String {
    let fraction = found.get(1).map_or(String::new(), |f| {
        format!(".{}", "0".repeat(f.as_str().len().saturating_sub(1)))
    });
    let zone = found.get(2).map_or("Z", |z| z.as_str());
    let zone = if zone == "Z" { "Z" } else { "+00:00" };
    format!("2000-01-01T00:00:00{fraction}{zone}")
}

/// Applies one rewrite and notes it when it changed something.
fn rewrite(text: &mut String, re: &Regex, with: &str, what: &str, notes: &mut Vec<String>) {
    let replaced = re.replace_all(text, with);
    if replaced != *text {
        notes.push(what.to_owned());
        *text = replaced.into_owned();
    }
}

/// Rewrites one output stream's text.
fn normalise_text(
    text: &str,
    stream: &str,
    call: &RawCall,
    names: &mut Names,
    notes: &mut Vec<String>,
) -> String {
    let mut text = text.to_owned();
    let mut known: Vec<NamedValue> = names.values.clone();
    known.sort_by_key(|v| std::cmp::Reverse(v.value.len()));
    for value in known.iter().filter(|v| !v.value.is_empty()) {
        if text.contains(&value.value) {
            text = text.replace(&value.value, &format!("{{{{{}}}}}", value.name));
            notes.push(format!(
                "{stream}: {:?} written as {{{{{}}}}}",
                value.value, value.name
            ));
        }
    }
    let before = text.clone();
    text = timestamp_re()
        .replace_all(&text, stand_in_time)
        .into_owned();
    if text != before {
        notes.push(format!(
            "{stream}: timestamps set to 2000-01-01T00:00:00Z (same length)"
        ));
    }
    rewrite(
        &mut text,
        exec_pid_dir_re(),
        "/tmp/exec-pid-1",
        &format!("{stream}: runsc's /tmp/exec-pid-N dir written as /tmp/exec-pid-1"),
        notes,
    );
    rewrite(
        &mut text,
        address_re(),
        "0xc000000000",
        &format!("{stream}: Go addresses set to 0xc000000000"),
        notes,
    );
    rewrite(
        &mut text,
        goroutine_re(),
        "goroutine 1",
        &format!("{stream}: goroutine numbers set to 1"),
        notes,
    );
    match &call.invocation.command {
        Subcommand::Events(_) => {
            rewrite(
                &mut text,
                cpu_total_re(),
                &format!("\"total\":{CPU_TOTAL}"),
                &format!("{stream}: cpu usage total set to {CPU_TOTAL}"),
                notes,
            );
            rewrite(
                &mut text,
                memory_usage_re(),
                &format!("\"usage\":{MEMORY_USAGE}"),
                &format!("{stream}: memory usage set to {MEMORY_USAGE}"),
                notes,
            );
        }
        Subcommand::Ps(_) => {
            rewrite(
                &mut text,
                clock_re(),
                "00:00",
                &format!("{stream}: ps STIME set to 00:00"),
                notes,
            );
        }
        Subcommand::List(list)
            if list.format != Some(runsc::cli::ListFormat::Json) && !list.quiet =>
        {
            text = stand_in_table_pids(&text, names, stream, notes);
        }
        _ => {}
    }
    let mut changed = Vec::new();
    let replaced = json_pid_re().replace_all(&text, |found: &regex::Captures<'_>| {
        let raw: i64 = found[2].parse().unwrap_or(0);
        if raw <= 1 {
            return found[0].to_owned();
        }
        let pid = names.stand_in_pid(raw);
        changed.push((raw, pid));
        format!("\"pid\":{}{pid}", &found[1])
    });
    text = replaced.into_owned();
    for (raw, pid) in changed {
        notes.push(format!("{stream}: host pid {raw} written as {pid}"));
    }
    text
}

/// The PID column of `list`'s text table.
fn stand_in_table_pids(
    text: &str,
    names: &mut Names,
    stream: &str,
    notes: &mut Vec<String>,
) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let mut words = line.split_whitespace();
        let (Some(_), Some(pid)) = (words.next(), words.next()) else {
            out.push_str(line);
            continue;
        };
        match pid.parse::<i64>() {
            Ok(raw) if i > 0 && raw > 1 => {
                let stand_in = names.stand_in_pid(raw).to_string();
                notes.push(format!(
                    "{stream}: host pid {raw} in the list table written as {stand_in}"
                ));
                out.push_str(&line.replacen(pid, &stand_in, 1));
            }
            _ => out.push_str(line),
        }
    }
    out
}

fn round(ms: u64) -> u64 {
    (ms + ROUND_MS / 2) / ROUND_MS * ROUND_MS
}

/// Joins reads into runsc's own writes and turns them into replay output:
/// one text when it all came at once, timed chunks when runsc paused.
fn output(
    chunks: &[TimedChunk],
    stream: &str,
    call: &RawCall,
    names: &mut Names,
    notes: &mut Vec<String>,
) -> Output {
    let mut joined: Vec<(u64, Vec<u8>)> = Vec::new();
    let mut last_at = 0;
    for chunk in chunks {
        match joined.last_mut() {
            Some((_, data)) if chunk.at_ms.saturating_sub(last_at) < COALESCE_MS => {
                data.extend_from_slice(&chunk.data)
            }
            _ => joined.push((chunk.at_ms, chunk.data.clone())),
        }
        last_at = chunk.at_ms;
    }
    if joined.len() > 1 {
        notes.push(format!(
            "{stream}: {} timed chunks, delays rounded to {ROUND_MS} ms",
            joined.len()
        ));
    }
    let mut previous = 0;
    let timed: Vec<Chunk> = joined
        .into_iter()
        .map(|(at, data)| {
            let text = String::from_utf8_lossy(&data);
            let after_ms = if previous == 0 && at < ROUND_MS {
                0
            } else {
                round(at.saturating_sub(previous))
            };
            previous = at;
            Chunk {
                after_ms,
                data: normalise_text(&text, stream, call, names, notes),
            }
        })
        .collect();
    match timed.as_slice() {
        [] => Output::default(),
        // How long runsc took before its only write is not behaviour a
        // caller can rely on.
        [only] => Output::Text(only.data.clone()),
        _ => Output::Chunks(timed),
    }
}

/// Makes the step for one call, updating `names`.
pub fn normalise(call: &RawCall, names: &mut Names) -> Result<Normalised, String> {
    let mut notes = Vec::new();
    let matches = matchers(call, names, &mut notes)?;
    let mut reply = Reply {
        stdout: output(&call.stdout, "stdout", call, names, &mut notes),
        stderr: output(&call.stderr, "stderr", call, names, &mut notes),
        ..Reply::default()
    };
    match call.ending {
        Ending::Exit(code) => reply.exit = code,
        Ending::Signal {
            signal,
            forwarded: true,
        } => {
            reply.hang = true;
            notes.push(format!(
                "runsc ran until the caller sent signal {signal}: replayed as hang (until killed)"
            ));
        }
        Ending::Signal {
            signal,
            forwarded: false,
        } => reply.signal = Some(SignalSpec::Number(signal)),
    }
    if call.invocation.command.pid_file().is_some() {
        reply.pid_file = match call.pid_file.as_deref().map(|t| t.trim().parse::<i64>()) {
            Some(Ok(raw)) => {
                let pid = names.stand_in_pid(raw);
                notes.push(format!("pid file: host pid {raw} written as {pid}"));
                PidFile::Fixed { pid: pid as i32 }
            }
            Some(Err(_)) => {
                notes.push("pid file: content was not a pid; replay writes none".to_owned());
                PidFile::Word(PidFileWord::None)
            }
            None => PidFile::Word(PidFileWord::None),
        };
    }
    if let Subcommand::Exec(exec) = &call.invocation.command {
        if exec.internal_pid_file.is_some() {
            notes.push(
                "--internal-pid-file: written by runsc when recording; replay does not write it"
                    .to_owned(),
            );
        }
    }
    let name = match matches.get("id").or_else(|| matches.get("ids.0")) {
        Some(ValueMatch::Op(
            MatchOp {
                capture: Some(n), ..
            }
            | MatchOp {
                reference: Some(n), ..
            },
        )) => {
            format!("{} {n}", call.invocation.command.name())
        }
        _ => call.invocation.command.name().to_owned(),
    };
    let step = Step {
        name: Some(name),
        matches,
        times: Default::default(),
        unordered: None,
        reply,
        fault: None,
    };
    Ok(Normalised { step, notes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_patterns_keep_the_name_and_free_the_volatile_digits() {
        assert_eq!(id_pattern("id2-123456789"), r"id2\-[0-9a-f]+");
        assert_eq!(id_pattern("web"), "web");
        // Short runs and hex words without digits are part of the name.
        assert_eq!(id_pattern("cafe-12"), r"cafe\-12");
        let re = crate::matching::compile_regex(&id_pattern("id-42424242")).expect("valid");
        assert!(re.is_match("id-777777"));
        assert!(!re.is_match("id2-777777"));
    }

    #[test]
    fn timestamps_keep_their_length_so_tables_keep_their_columns() {
        let mut names = Names::default();
        let call = RawCall {
            invocation: runsc::cli::Invocation::parse(["list"]).expect("parses"),
            process_spec: None,
            stdout: Vec::new(),
            stderr: Vec::new(),
            ending: Ending::Exit(0),
            pid_file: None,
        };
        let mut notes = Vec::new();
        let text = "ID   PID     STATUS\nc1   31337   running   2026-11-28T17:17:02.93646729Z   \n";
        let out = normalise_text(text, "stdout", &call, &mut names, &mut notes);
        assert_eq!(
            out,
            "ID   PID     STATUS\nc1   10001   running   2000-01-01T00:00:00.00000000Z   \n"
        );
        assert_eq!(out.len(), text.len());
        assert_eq!(names.pids.get(&31337), Some(&10001));
    }
}
