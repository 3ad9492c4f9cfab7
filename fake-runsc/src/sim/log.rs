//! runsc 20221219's log files, as its command-line process writes them.
//!
//! Recorded in `scenarios/real-runsc/cases/log-*` (FINDINGS.md, "Log files"):
//!
//! - `--log FILE` is opened (created, appended to, mode 0644) before the
//!   subcommand runs, for every subcommand but `--version`. When it cannot be
//!   opened runsc prints a glog warning `FATAL ERROR: error opening log file
//!   ...` and the message on stderr and exits 128. On each failure it appends
//!   `{"msg":...,"level":"error","time":...}` with **no** newline, whatever
//!   `--log-format` says (that flag only shapes the sandbox's own logs).
//! - `--debug-log PATH` (a directory when it ends in `/`; `%TIMESTAMP%` and
//!   `%COMMAND%` are replaced) is opened after `--log`, its directory created.
//!   runsc writes a banner and debug chatter there that no client can rely
//!   on; the simulator writes only the line a failure adds,
//!   `FATAL ERROR: <msg>` at warning level, in `--debug-log-format`.
//! - `--panic-log` is not opened by the command-line process; a Go panic
//!   goes to stderr as without it.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use runsc::cli::GlobalOptions;

use super::clock::{file_stamp, now_nanos, rfc3339_nano};
use super::wording::Failure;

/// The log files one call writes to.
#[derive(Default)]
pub struct Logs {
    error: Option<File>,
    debug: Option<(File, DebugFormat)>,
    /// The subcommand's usage, which some failures print before the message.
    usage: &'static str,
}

/// `--debug-log-format`.
#[derive(Clone, Copy)]
enum DebugFormat {
    Text,
    Json,
    JsonK8s,
}

impl Logs {
    /// Opens the files `global` names, as runsc does before running
    /// `command`; a file it cannot open ends the call as runsc's does.
    pub fn open(global: &GlobalOptions, command: &str) -> Result<Self, Failure> {
        let mut logs = Self {
            usage: crate::argv::subcommand_usage(command).unwrap_or_default(),
            ..Self::default()
        };
        if let Some(path) = &global.log {
            let file = append(path, 0o644).map_err(|e| {
                early_fatal(format!(
                    "error opening log file \"{}\": open {}: {}",
                    path.display(),
                    path.display(),
                    go_errno(&e)
                ))
            })?;
            logs.error = Some(file);
        }
        if let Some(pattern) = &global.debug_log {
            if is_debug_command(global, command) {
                let opened = debug_file(pattern, command).map_err(|message| {
                    early_fatal(format!(
                        "error opening debug log file in \"{}\": {message}",
                        pattern.display()
                    ))
                });
                let file = match opened {
                    Ok(file) => file,
                    Err(failure) => {
                        logs.failed(&failure);
                        return Err(failure);
                    }
                };
                let format = match global.config.get("debug-log-format").unwrap_or("text") {
                    "text" => DebugFormat::Text,
                    "json" => DebugFormat::Json,
                    "json-k8s" => DebugFormat::JsonK8s,
                    other => {
                        let failure = early_fatal(format!(
                            "invalid log format \"{other}\", must be 'text', 'json', or 'json-k8s'"
                        ));
                        logs.failed(&failure);
                        return Err(failure);
                    }
                };
                logs.debug = Some((file, format));
            }
        }
        Ok(logs)
    }

    /// Records a warning of the fake's own (not runsc's): a warning-level
    /// line in `--log` and in `--debug-log`, which a client reading errors
    /// passes over.
    pub fn warn(&mut self, message: &str) {
        let time = rfc3339_nano(now_nanos());
        if let Some(file) = &mut self.error {
            let line = format!(
                "{{\"msg\":{},\"level\":\"warning\",\"time\":\"{time}\"}}",
                go_json_string(message)
            );
            let _ = file.write_all(line.as_bytes());
        }
        self.debug_warning(message, &time);
    }

    /// Records a failed call: runsc's `util.Fatalf` (exit 128 with a message)
    /// writes both logs; a Go panic or a silent exit writes neither.
    pub fn failed(&mut self, failure: &Failure) {
        if failure.code != 128 || failure.stderr.is_empty() {
            return;
        }
        let message = message_of(failure);
        // The usage goes to stderr only; the log gets the error.
        let message = match message.strip_prefix(self.usage) {
            Some(rest) if !self.usage.is_empty() => rest,
            _ => message,
        };
        let time = rfc3339_nano(now_nanos());
        if let Some(file) = &mut self.error {
            let line = format!(
                "{{\"msg\":{},\"level\":\"error\",\"time\":\"{time}\"}}",
                go_json_string(message)
            );
            let _ = file.write_all(line.as_bytes());
        }
        self.debug_warning(&format!("FATAL ERROR: {message}"), &time);
    }

    /// A warning-level line in `--debug-log`, in its format.
    fn debug_warning(&mut self, warning: &str, time: &str) {
        if let Some((file, format)) = &mut self.debug {
            let line = match format {
                DebugFormat::Text => crate::glog::warning(warning),
                DebugFormat::Json => format!(
                    "{{\"msg\":{},\"level\":\"warning\",\"time\":\"{time}\"}}\n",
                    go_json_string(warning)
                ),
                DebugFormat::JsonK8s => format!(
                    "{{\"log\":{},\"level\":\"warning\",\"time\":\"{time}\"}}\n",
                    go_json_string(warning)
                ),
            };
            let _ = file.write_all(line.as_bytes());
        }
    }
}

/// The message of a `Fatalf` failure: the failure's stderr without the
/// newline runsc adds, and without the glog warning an early failure prints
/// before it.
fn message_of(failure: &Failure) -> &str {
    let text = failure.stderr.strip_suffix('\n').unwrap_or(&failure.stderr);
    match text.split_once("] FATAL ERROR: ") {
        Some((_, rest)) if text.starts_with('W') => rest.split_once('\n').map_or(rest, |(_, m)| m),
        _ => text,
    }
}

/// A failure before runsc has set its log target: glog's warning goes to
/// stderr ahead of the message.
pub(super) fn early_fatal(message: String) -> Failure {
    Failure {
        stderr: crate::glog::fatal(&message),
        code: 128,
    }
}

fn append(path: &Path, mode: u32) -> std::io::Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .mode(mode)
        .open(path)
}

fn is_debug_command(global: &GlobalOptions, command: &str) -> bool {
    match global.config.get("debug-command") {
        None | Some("") => true,
        Some(list) => list.split(',').any(|c| c == command),
    }
}

/// runsc's `DebugLogFile`: the pattern's placeholders filled in, its
/// directory created, the file opened for appending.
fn debug_file(pattern: &Path, command: &str) -> Result<File, String> {
    let mut text = pattern.to_string_lossy().into_owned();
    if text.ends_with('/') {
        text.push_str("runsc.log.%TIMESTAMP%.%COMMAND%.txt");
    }
    let text = text
        .replace("%TIMESTAMP%", &file_stamp(now_nanos()))
        .replace("%COMMAND%", command)
        .replace("%TEST%", "");
    let path = PathBuf::from(text);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o775)
        .create(&dir)
        .map_err(|e| {
            format!(
                "error creating dir \"{}\": mkdir {}: {}",
                dir.display(),
                first_blocked(&dir).display(),
                go_errno(&e)
            )
        })?;
    append(&path, 0o664).map_err(|e| format!("open {}: {}", path.display(), go_errno(&e)))
}

/// The directory Go's `MkdirAll` fails on: the first ancestor that is
/// not a directory, else `dir` itself.
fn first_blocked(dir: &Path) -> PathBuf {
    let mut sofar = PathBuf::new();
    for part in dir.components() {
        sofar.push(part);
        match std::fs::metadata(&sofar) {
            Ok(m) if m.is_dir() => continue,
            Ok(_) => return sofar,
            Err(_) => return sofar,
        }
    }
    dir.to_path_buf()
}

/// An OS error in Go's words (`syscall.Errno`'s text: lower case, no code).
pub(super) fn go_errno(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(code) => {
            let desc = nix::errno::Errno::from_raw(code).desc();
            let mut chars = desc.chars();
            match chars.next() {
                Some(first) => first.to_lowercase().chain(chars).collect(),
                None => e.to_string(),
            }
        }
        None => e.to_string(),
    }
}

/// A string as Go's `json.Marshal` writes it: HTML characters and the line
/// separators escaped, control characters as `\u00XX`.
fn go_json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_as_go_does() {
        assert_eq!(
            go_json_string("a \"b\"\n <c> & \u{1}\t"),
            r#""a \"b\"\n \u003cc\u003e \u0026 \u0001\t""#
        );
    }

    #[test]
    fn the_message_drops_the_early_warning() {
        let failure = early_fatal("error opening log file".to_owned());
        assert!(failure.stderr.starts_with('W'), "{}", failure.stderr);
        assert_eq!(message_of(&failure), "error opening log file");
        let plain = Failure {
            stderr: "loading container: file does not exist\n".to_owned(),
            code: 128,
        };
        assert_eq!(message_of(&plain), "loading container: file does not exist");
    }

    #[test]
    fn errno_reads_as_go_does() {
        let e = std::io::Error::from_raw_os_error(20);
        assert_eq!(go_errno(&e), "not a directory");
        let e = std::io::Error::from_raw_os_error(2);
        assert_eq!(go_errno(&e), "no such file or directory");
    }
}
