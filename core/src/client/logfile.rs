//! Reading the error runsc wrote to its `--log` file during one call.
//!
//! runsc 20221219 appends its own failure to the `--log` file as a JSON
//! object, `{"msg":"loading container: file does not exist","level":"error","time":"..."}`,
//! with no newline between entries, whatever `--log-format` says (the format
//! governs the debug log's lines). Text lines in Go's log shape
//! (`E1202 06:58:19.917535    2263 file.go:64] message`, or a `W` line whose
//! message begins `FATAL ERROR: `) are read as errors too, so a release that
//! writes text still gives its error. The file is shared by every call that
//! uses the same options, so the client notes its length before spawning and
//! reads only what was appended after that; with concurrent calls on one log
//! file an entry of another call can still be picked up.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// At most this much of the log's tail is read.
const TAIL_LIMIT: u64 = 1024 * 1024;

/// What the log said about one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LogReading {
    /// No `--log` is configured.
    NotConfigured,
    /// The log did not exist (or could not be read) after the call: runsc
    /// opens it before anything else, so it failed to, or never started.
    Missing,
    /// The log was read; the last error appended during the call, if any.
    Read(Option<String>),
}

impl LogReading {
    /// The error runsc logged, if it logged one.
    pub(crate) fn error(&self) -> Option<&str> {
        match self {
            Self::Read(error) => error.as_deref(),
            _ => None,
        }
    }
}

/// The log file and its length before the call.
#[derive(Debug, Clone)]
pub(crate) struct LogMark {
    path: PathBuf,
    offset: u64,
}

impl LogMark {
    /// Notes the length of `path` before a call.
    pub(crate) fn before(path: &Path) -> Self {
        let offset = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        Self {
            path: path.to_owned(),
            offset,
        }
    }

    /// What runsc appended to the log since [`LogMark::before`].
    pub(crate) fn read(&self) -> LogReading {
        let Ok(mut file) = File::open(&self.path) else {
            return LogReading::Missing;
        };
        let Ok(meta) = file.metadata() else {
            return LogReading::Missing;
        };
        if !meta.is_file() {
            return LogReading::Missing;
        }
        let len = meta.len();
        // A log that shrank was truncated or replaced: all of it is new.
        let offset = if len < self.offset { 0 } else { self.offset };
        if len == offset {
            return LogReading::Read(None);
        }
        let start = offset.max(len.saturating_sub(TAIL_LIMIT));
        if file.seek(SeekFrom::Start(start)).is_err() {
            return LogReading::Missing;
        }
        let mut bytes = Vec::new();
        if file.take(len - start).read_to_end(&mut bytes).is_err() {
            return LogReading::Missing;
        }
        LogReading::Read(last_error_in(&bytes))
    }
}

#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    msg: Option<String>,
    #[serde(default)]
    level: Option<String>,
}

/// The message of the last error in `bytes`: JSON entries (a run of
/// objects, possibly separated by whitespace, possibly beginning
/// mid-entry), else text lines in Go's log shape.
pub(crate) fn last_error_in(bytes: &[u8]) -> Option<String> {
    last_json_error(bytes).or_else(|| {
        String::from_utf8_lossy(bytes)
            .lines()
            .rev()
            .find_map(go_log_error)
            .map(str::to_owned)
    })
}

fn last_json_error(bytes: &[u8]) -> Option<String> {
    let mut last = None;
    let mut pos = 0;
    while let Some(found) = bytes[pos..].iter().position(|&b| b == b'{') {
        let begin = pos + found;
        let mut entries =
            serde_json::Deserializer::from_slice(&bytes[begin..]).into_iter::<Entry>();
        let mut parsed_any = false;
        for entry in entries.by_ref() {
            let Ok(entry) = entry else { break };
            parsed_any = true;
            let is_error = matches!(entry.level.as_deref(), Some("error" | "fatal" | "panic"));
            if let (true, Some(msg)) = (is_error, entry.msg) {
                last = Some(msg);
            }
        }
        let consumed = entries.byte_offset();
        // Skip a damaged or partial entry one byte at a time until the next
        // one begins.
        pos = begin + if parsed_any { consumed.max(1) } else { 1 };
    }
    last
}

/// A line of Go's log (`Lmmdd hh:mm:ss.uuuuuu pid file:line] msg`), split
/// into its level letter and message.
fn go_log_line(line: &str) -> Option<(char, &str)> {
    let mut chars = line.chars();
    let level = chars
        .next()
        .filter(|c| matches!(c, 'I' | 'W' | 'E' | 'F'))?;
    let rest = chars.as_str();
    let date = rest.get(..4)?;
    if !date.bytes().all(|b| b.is_ascii_digit()) || !rest[4..].starts_with(' ') {
        return None;
    }
    let close = rest.find("] ")?;
    let header = &rest[5..close];
    // time, pid, file:line
    let mut fields = header.split_whitespace();
    let time = fields.next()?;
    let pid = fields.next()?;
    let place = fields.next()?;
    let plausible = time.contains(':')
        && pid.bytes().all(|b| b.is_ascii_digit())
        && place.contains(':')
        && fields.next().is_none();
    plausible.then(|| (level, &rest[close + 2..]))
}

/// The message of a Go log line that reports an error.
fn go_log_error(line: &str) -> Option<&str> {
    let (level, msg) = go_log_line(line)?;
    match level {
        'E' | 'F' => Some(msg),
        _ => msg.strip_prefix(FATAL_PREFIX),
    }
}

/// What runsc's `Fatalf` puts before its message in its log.
const FATAL_PREFIX: &str = "FATAL ERROR: ";

/// Whether `stderr` holds a Go log line of runsc's `Fatalf`. runsc writes
/// one there when it could not open its `--log` (a missing directory, a
/// directory, no permission) and so logs to stderr.
pub(crate) fn has_fatal_line(stderr: &str) -> bool {
    stderr
        .lines()
        .filter_map(go_log_line)
        .any(|(_, msg)| msg.starts_with(FATAL_PREFIX))
}

/// What Go's flag package prints first when it refuses a command line;
/// runsc then prints its usage and exits 128 (subcommand flags) or 2.
const GO_FLAG_ERRORS: &[&str] = &[
    "flag provided but not defined: ",
    "invalid value ",
    "invalid boolean value ",
    "flag needs an argument: ",
    "bad flag syntax: ",
];

/// Whether `stderr` begins with Go's refusal of a command line.
pub(crate) fn is_flag_error(stderr: &str) -> bool {
    let first = stderr.lines().next().unwrap_or("");
    GO_FLAG_ERRORS.iter().any(|m| first.starts_with(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_last_error_of_concatenated_entries() {
        let log = br#"{"msg":"first","level":"error","time":"t"}{"msg":"just info","level":"info","time":"t"}{"msg":"reading spec: bad","level":"error","time":"t"}"#;
        assert_eq!(last_error_in(log).as_deref(), Some("reading spec: bad"));
    }

    #[test]
    fn skips_a_partial_leading_entry_and_garbage() {
        let log = br#"level":"error"} garbage {"msg":"real","level":"error"}
{"msg":"trailing","level":"debug"}"#;
        assert_eq!(last_error_in(log).as_deref(), Some("real"));
    }

    #[test]
    fn no_error_entry_is_none() {
        assert_eq!(last_error_in(br#"{"msg":"x","level":"info"}"#), None);
        assert_eq!(last_error_in(b""), None);
    }

    #[test]
    fn text_lines_in_go_log_shape() {
        let log = b"I1202 06:58:19.865473    2263 main.go:10] starting\n\
E1202 06:58:19.917535    2263 util.go:64] loading sandbox: file does not exist\n";
        assert_eq!(
            last_error_in(log).as_deref(),
            Some("loading sandbox: file does not exist")
        );
        let fatal = b"W1202 06:58:19.865473    2263 util.go:64] FATAL ERROR: reading spec: bad\n";
        assert_eq!(last_error_in(fatal).as_deref(), Some("reading spec: bad"));
        let info = b"I1202 06:58:19.865473    2263 main.go:10] FATAL ERRORS are fine here\n";
        assert_eq!(last_error_in(info), None);
        assert_eq!(last_error_in(b"E is not a log line] x"), None);
    }

    #[test]
    fn stderr_signals_of_runsc_itself() {
        // As runsc 20221219 prints when --log points into a missing directory.
        let stderr = "W1202 06:58:19.865473    2263 util.go:64] FATAL ERROR: error opening log file \"/x/log\": open /x/log: no such file or directory\n\
error opening log file \"/x/log\": open /x/log: no such file or directory\n";
        assert!(has_fatal_line(stderr));
        assert!(!has_fatal_line("FATAL ERROR: printed by the container\n"));
        assert!(!has_fatal_line(""));
        assert!(is_flag_error(
            "flag provided but not defined: -bogus\nrun [flags] <container id>\n"
        ));
        assert!(!is_flag_error("oops\nflag provided but not defined: -x\n"));
    }
}
