//! The result of `runsc wait`.

use serde::{Deserialize, Serialize};

/// What `runsc wait` prints: `{"id":"...","exitStatus":N}`.
///
/// Both fields are required: a missing `exitStatus` must not read as a
/// successful exit. runsc reports a process killed by signal N as 128 + N,
/// so the value is not always a plain exit code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitResult {
    /// The container id.
    pub id: String,
    /// The exit status.
    #[serde(rename = "exitStatus")]
    pub exit_status: i32,
}
