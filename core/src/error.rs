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
        /// The offending value as given (lossily decoded when not UTF-8);
        /// the message shows it escaped, once.
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

    /// runsc ran and failed: it exited with a failure status (for `run`,
    /// `exec` and `restore`, one the client judged to be runsc's own, see
    /// the crate docs) or was killed by a signal.
    ///
    /// The message shows at most [`DISPLAY_STDERR_LIMIT`] bytes of stderr
    /// (its head and its tail, where runsc writes its error) and says how
    /// much was cut; [`Error::stderr`] has all that was captured.
    #[error(
        "{} did not terminate successfully: {status}{}",
        display_program(argv),
        failure_text(stderr, runsc_error)
    )]
    Failed {
        /// The full argv, program first.
        argv: Vec<OsString>,
        /// How runsc ended.
        status: ExitStatus,
        /// runsc's stderr as captured (up to the builder's output limit).
        stderr: String,
        /// runsc's own last logged error, read from its `--log` file when one is configured.
        runsc_error: Option<String>,
    },

    /// runsc succeeded but printed something that is not what the subcommand prints.
    #[error(
        "cannot decode {what} from {}: {source}; output began: {excerpt:?}",
        display_program(argv)
    )]
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

    /// runsc printed more than the client's output limit on stdout, so the
    /// output was not decoded; raise the limit with `RunscBuilder::output_limit`.
    /// Only stdout is decoded: stderr beyond the limit is cut and counted in
    /// the text an error carries, never an error itself.
    #[error("{} printed {total} bytes on stdout, more than the output limit of {limit} bytes; raise it with RunscBuilder::output_limit", display_program(argv))]
    OutputLimit {
        /// The full argv, program first.
        argv: Vec<OsString>,
        /// The limit in bytes.
        limit: usize,
        /// How many bytes runsc printed.
        total: u64,
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

/// How many bytes of stderr a `Failed` message shows at most.
pub const DISPLAY_STDERR_LIMIT: usize = 4096;

/// Of a stderr too long to show, how many leading bytes are shown; the rest
/// of [`DISPLAY_STDERR_LIMIT`] goes to the tail, where runsc's own error is.
const DISPLAY_STDERR_HEAD: usize = 1024;

/// The text after the status in a `Failed` message: stderr (bounded), then
/// runsc's logged error when stderr does not already say it.
fn failure_text(stderr: &str, runsc_error: &Option<String>) -> String {
    let stderr = stderr.trim_end();
    let mut text = String::new();
    if !stderr.is_empty() {
        text.push_str(": ");
        text.push_str(&bounded(stderr));
    }
    match runsc_error {
        Some(logged) if !stderr.contains(logged.as_str()) => {
            text.push_str("; runsc logged: ");
            text.push_str(logged);
        }
        _ => {}
    }
    text
}

/// `text` whole when it fits [`DISPLAY_STDERR_LIMIT`], else its head and
/// tail around a note of how much was cut.
fn bounded(text: &str) -> std::borrow::Cow<'_, str> {
    if text.len() <= DISPLAY_STDERR_LIMIT {
        return text.into();
    }
    let head_end = floor_char_boundary(text, DISPLAY_STDERR_HEAD);
    let tail_start = ceil_char_boundary(
        text,
        text.len() - (DISPLAY_STDERR_LIMIT - DISPLAY_STDERR_HEAD),
    );
    format!(
        "{}\n... [{} bytes of stderr cut; Error::stderr has all {} bytes] ...\n{}",
        &text[..head_end],
        tail_start - head_end,
        text.len(),
        &text[tail_start..]
    )
    .into()
}

fn floor_char_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn ceil_char_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at += 1;
    }
    at
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
            value: value.to_owned(),
            why: why.into(),
        }
    }

    /// Whether the caller's input was refused before anything ran.
    pub fn is_invalid_input(&self) -> bool {
        matches!(self, Self::InvalidInput { .. })
    }

    /// Whether runsc failed because the container does not exist.
    ///
    /// runsc 20221219 says `loading container: file does not exist` (exit
    /// 128) for an unknown id (`loading sandbox: ...` for `ps`, `events` and
    /// `exec`, `loading container "ID": ...` for `delete`); later releases
    /// may say "not found". Both stderr and the error runsc logged are checked.
    pub fn is_not_found(&self) -> bool {
        match self {
            Self::Failed {
                stderr,
                runsc_error,
                ..
            } => is_not_found_text(stderr) || runsc_error.as_deref().is_some_and(is_not_found_text),
            _ => false,
        }
    }

    /// Whether runsc itself failed: it exited with a failure status or was
    /// killed ([`Error::Failed`]). For `run`, `exec` and `restore` this is
    /// the client's verdict that the failure was runsc's and not the
    /// container process's exit status (see the crate docs for the rule).
    pub fn is_runsc_failure(&self) -> bool {
        matches!(self, Self::Failed { .. })
    }

    /// Whether the call was killed because its deadline passed.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout { .. })
    }

    /// runsc's exit code, when runsc ran and exited with a failure code.
    pub fn exit_code(&self) -> Option<i32> {
        match self {
            Self::Failed { status, .. } => status.code(),
            _ => None,
        }
    }

    /// The signal that killed runsc, when runsc ran and was killed.
    pub fn signal(&self) -> Option<i32> {
        use std::os::unix::process::ExitStatusExt;
        match self {
            Self::Failed { status, .. } => status.signal(),
            _ => None,
        }
    }

    /// The argv of the call that failed, program first, when the error came
    /// from running runsc.
    pub fn argv(&self) -> Option<&[OsString]> {
        match self {
            Self::Failed { argv, .. }
            | Self::Decode { argv, .. }
            | Self::Timeout { argv, .. }
            | Self::OutputLimit { argv, .. } => Some(argv),
            _ => None,
        }
    }

    /// runsc's stderr, all that was captured, when runsc ran and failed.
    pub fn stderr(&self) -> Option<&str> {
        match self {
            Self::Failed { stderr, .. } => Some(stderr),
            _ => None,
        }
    }

    /// The last error runsc wrote to its `--log` during the call, when
    /// runsc ran and failed and a log is configured.
    pub fn runsc_error(&self) -> Option<&str> {
        match self {
            Self::Failed { runsc_error, .. } => runsc_error.as_deref(),
            _ => None,
        }
    }
}

fn is_not_found_text(text: &str) -> bool {
    let text = text.to_ascii_lowercase();
    (text.contains("loading container") || text.contains("loading sandbox"))
        && (text.contains("does not exist") || text.contains("not found"))
        || text.contains("no such container")
        || text.contains("container does not exist")
}
