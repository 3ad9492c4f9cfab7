//! What a recording keeps beside its scenario between calls: the sidecar
//! (names of volatile values, when each call started, the review log), the
//! lock recorders share, who is recording, and which calls overlapped.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::normalise::{Ending, Names};
use crate::scenario::Scenario;

/// The sidecar beside a recording: names of volatile values, when each step's
/// call started (for ordering), and the review log.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Sidecar {
    /// Names of volatile values and stand-in pids.
    pub names: Names,
    /// One entry per step of the scenario, in the scenario's order.
    pub steps: Vec<CallNote>,
    /// Calls that became no step, with why.
    pub unrecorded: Vec<CallNote>,
    /// The process whose calls this recording holds (its parent's pid and
    /// start time); calls from another process start the file afresh.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorder: Option<String>,
}

/// What the recorder did with one call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallNote {
    /// Which recorder process wrote it (pid and start), so a provisional
    /// step is replaced rather than added again.
    pub call: String,
    /// The argv (without the program name).
    pub argv: Vec<String>,
    /// When the call started (Unix time, nanoseconds).
    pub started_unix_ns: u128,
    /// How long real runsc took.
    pub wall_ms: u64,
    /// How it ended.
    pub ending: Ending,
    /// What was rewritten, or why the call is not a step.
    pub notes: Vec<String>,
    /// Real runsc's stdout and stderr, kept for calls that are no step so
    /// they can be compared with the fake's own answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<(String, String)>,
}

/// The sidecar's path for a scenario file.
pub fn sidecar_path(scenario: &Path) -> PathBuf {
    let mut name = scenario.as_os_str().to_owned();
    name.push(".record");
    PathBuf::from(name)
}

/// The lock recorders of one file share: in the temp directory, named
/// after the recording's absolute path, so nothing is left beside it.
pub(super) fn lock_path(scenario: &Path) -> PathBuf {
    let absolute = std::path::absolute(scenario).unwrap_or_else(|_| scenario.to_owned());
    // FNV-1a: a stable name, not a secret.
    let hash = absolute
        .as_os_str()
        .as_encoded_bytes()
        .iter()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
        });
    std::env::temp_dir().join(format!("fake-runsc-record-{hash:016x}.lock"))
}

/// Who is recording: the parent process (the code under test, a test or a
/// shell script starts every call of one recording), by pid and start time.
pub(super) fn recorder_identity() -> String {
    let parent = nix::unistd::getppid().as_raw();
    let started = std::fs::read_to_string(format!("/proc/{parent}/stat"))
        .ok()
        .and_then(|stat| {
            let after_name = stat.rsplit_once(')')?.1.to_owned();
            after_name.split_whitespace().nth(19).map(str::to_owned)
        })
        .unwrap_or_default();
    format!("{parent}-{started}")
}

/// Marks the steps whose call was still running when a later call started:
/// the caller made them concurrently, so replay must accept them in any
/// interleaving (see `Step::unordered`).
pub(super) fn mark_overlaps(scenario: &mut Scenario, notes: &[CallNote]) {
    if notes.len() != scenario.steps.len() {
        return;
    }
    for (k, note) in notes.iter().enumerate() {
        let ended = note.started_unix_ns + u128::from(note.wall_ms) * 1_000_000;
        let overtaken = notes[k + 1..]
            .iter()
            .any(|later| later.started_unix_ns < ended);
        let step = &mut scenario.steps[k];
        if overtaken && !step.is_unordered() {
            step.unordered = Some(true);
        }
    }
}
