//! Reading runsc's last logged error from a JSON `--log` file.
//!
//! runsc 20221219 with `--log=F --log-format=json` appends one object per
//! entry, `{"msg":"loading container: file does not exist","level":"error","time":"..."}`,
//! with no newline between entries. The file is shared by every call that
//! uses the same options, so the client notes its length before spawning and
//! reads only what was appended after that; with concurrent calls on one log
//! file an entry of another call can still be picked up.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use serde::Deserialize;

/// At most this much of the log's tail is read.
const TAIL_LIMIT: u64 = 1024 * 1024;

#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    msg: Option<String>,
    #[serde(default)]
    level: Option<String>,
}

/// The message of the last error-level entry written to `path` after byte
/// `offset`, if any. A missing or unreadable log yields `None`: the log only
/// adds detail to an error that is reported anyway.
pub(crate) fn last_error(path: &Path, offset: u64) -> Option<String> {
    let mut file = File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    if len <= offset {
        return None;
    }
    let start = offset.max(len.saturating_sub(TAIL_LIMIT));
    file.seek(SeekFrom::Start(start)).ok()?;
    let mut bytes = Vec::new();
    file.take(len - start).read_to_end(&mut bytes).ok()?;
    last_error_in(&bytes)
}

/// The message of the last error-level entry in `bytes`: a run of JSON
/// objects, possibly separated by whitespace, possibly beginning mid-entry.
pub(crate) fn last_error_in(bytes: &[u8]) -> Option<String> {
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
}
