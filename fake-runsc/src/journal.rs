//! The session journal (`journal.jsonl`): one typed line per call and one
//! per finished answer, written by replay and read back by the same types
//! (`FakeRuntime::journal`, `verify`).

use std::ffi::OsString;
use std::fs;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::Error;
use crate::scenario::SignalSpec;

/// The journal's file name in the session directory.
pub const JOURNAL: &str = "journal.jsonl";

/// One journal line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Entry {
    /// A call reached the fake.
    Call(Call),
    /// A matched call's answer ended.
    Finished(Finished),
}

/// What happened to one call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Call {
    /// The call's sequence number in the session; absent only when the
    /// session's state could not be read to number it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// The fake process that answered.
    pub pid: u32,
    /// The argv, without the program name.
    pub argv: Vec<String>,
    /// The document steps match against; `None` when argv did not parse.
    #[serde(default)]
    pub invocation: Option<Value>,
    /// How the call was decided.
    pub result: CallResult,
    /// The index of the step that matched (or forbids the call).
    #[serde(default)]
    pub step: Option<usize>,
    /// That step's name.
    #[serde(default)]
    pub step_name: Option<String>,
    /// Which call of the step this was (1 for its first).
    #[serde(default)]
    pub call_of_step: Option<u32>,
    /// Why that step was chosen (matched calls only): next in its
    /// container's order, or an unordered step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// How the answer is planned to end.
    pub outcome: Outcome,
    /// Why the call failed, for every result but `matched`.
    #[serde(default)]
    pub message: Option<String>,
    /// When the call started, in milliseconds since the Unix epoch.
    pub started_unix_ms: u64,
    /// How long deciding took, in microseconds (decided calls only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_after_us: Option<u64>,
}

/// How a call was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum CallResult {
    /// A step answered.
    Matched,
    /// No step answers it.
    Unmatched,
    /// A `times: never` step forbids it.
    Never,
    /// runsc would refuse the argv.
    ArgvError,
    /// The fake's configuration, scenario or session is unusable.
    Error,
}

/// How an answer ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Outcome {
    /// With this exit status.
    Exit(i32),
    /// By this signal.
    Signal(SignalSpec),
    /// Never, until killed (always `true`).
    Hang(bool),
}

/// A matched call's answer ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Finished {
    /// The call's sequence number.
    pub seq: u64,
    /// The fake process that answered.
    pub pid: u32,
    /// How long the answer took, in milliseconds.
    pub elapsed_ms: u64,
    /// The exit status it ended with.
    pub exit: i32,
}

impl Entry {
    /// The call, for a `call` line.
    pub fn as_call(&self) -> Option<&Call> {
        match self {
            Self::Call(call) => Some(call),
            Self::Finished(_) => None,
        }
    }
}

/// The argv as journalled.
pub(crate) fn argv_of(args: &[OsString]) -> Vec<String> {
    args.iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect()
}

/// Reads a session's journal (empty when nothing was journalled yet).
pub fn read(dir: &Path) -> Result<Vec<Entry>, Error> {
    let path = dir.join(JOURNAL);
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(Error::io(format!(
                "cannot read the journal {}",
                path.display()
            ))(e))
        }
    };
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            serde_json::from_str(line).map_err(|e| Error::Corrupt {
                what: "a journal line in",
                path: path.clone(),
                reason: e.to_string(),
            })
        })
        .collect()
}
