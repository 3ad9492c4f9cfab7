//! The crate's one error type.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitStatus;
use std::time::Duration;

/// Everything that can go wrong when building or running a runsc command.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A value given by the caller cannot be placed safely in argv; nothing was spawned.
    #[error("invalid {what} {value:?}: {why}")]
    InvalidInput {
        /// What kind of value it was ("container id", "config key", ...).
        what: &'static str,
        /// The offending value, escaped for display.
        value: String,
        /// Why it was refused and what to do instead.
        why: String,
    },

    /// runsc could not be started at all (missing binary, no permission).
    #[error("failed to start {}: {source}", program.display())]
    Spawn {
        /// The program that was to run.
        program: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },

    /// runsc ran and exited with a failure status or was killed by a signal.
    #[error("{} did not terminate successfully: {status}: {}", display_program(argv), failure_text(stderr, runsc_error))]
    Failed {
        /// The full argv, program first.
        argv: Vec<OsString>,
        /// How runsc ended.
        status: ExitStatus,
        /// runsc's stderr (bounded; see the builder's output limit).
        stderr: String,
        /// runsc's own last logged error, read from a JSON `--log` file when one is configured.
        runsc_error: Option<String>,
    },

    /// runsc succeeded but printed something that is not what the subcommand prints.
    #[error("cannot decode {what} from {}: {source}; output began: {excerpt:?}", display_program(argv))]
    Decode {
        /// The full argv, program first.
        argv: Vec<OsString>,
        /// What was expected ("container state", "stats event", ...).
        what: &'static str,
        /// A bounded excerpt of the bytes that did not decode.
        excerpt: String,
        /// The decoder's complaint.
        source: serde_json::Error,
    },

    /// `ps --format table` printed a table that cannot be read.
    #[error("cannot parse ps output: {reason}; output began: {excerpt:?}")]
    PsOutput {
        /// What was wrong with it.
        reason: String,
        /// A bounded excerpt of the output.
        excerpt: String,
    },

    /// The call's deadline passed; runsc's process group was killed and reaped.
    #[error("{} timed out after {after:?} and was killed", display_program(argv))]
    Timeout {
        /// The full argv, program first.
        argv: Vec<OsString>,
        /// The deadline that passed.
        after: Duration,
    },

    /// An I/O failure around the call (temp files, pipes, the console socket).
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// What the OS said.
        source: std::io::Error,
    },
}

fn display_program(argv: &[OsString]) -> String {
    argv.first()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|| "runsc".to_owned())
}

fn failure_text(stderr: &str, runsc_error: &Option<String>) -> String {
    match runsc_error {
        Some(logged) if !stderr.contains(logged.as_str()) => {
            format!("{}; runsc logged: {logged}", stderr.trim_end())
        }
        _ => stderr.trim_end().to_owned(),
    }
}

/// How many bytes of undecodable output an error keeps.
pub const EXCERPT_LIMIT: usize = 512;

/// A bounded, lossy excerpt of `bytes` for error messages.
pub fn excerpt(bytes: &[u8]) -> String {
    let cut = bytes.len().min(EXCERPT_LIMIT);
    let mut text = String::from_utf8_lossy(&bytes[..cut]).into_owned();
    if bytes.len() > cut {
        text.push_str(&format!("... ({} bytes in all)", bytes.len()));
    }
    text
}

impl Error {
    pub(crate) fn invalid(what: &'static str, value: &str, why: impl Into<String>) -> Self {
        Self::InvalidInput {
            what,
            value: value.escape_debug().to_string(),
            why: why.into(),
        }
    }

    /// Whether the caller's input was refused before anything ran.
    pub fn is_invalid_input(&self) -> bool {
        matches!(self, Self::InvalidInput { .. })
    }
}
