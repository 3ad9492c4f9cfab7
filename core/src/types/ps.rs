//! The output of `runsc ps`, as a table and as JSON.

use serde::{Deserialize, Serialize};

use super::null_default;
use crate::error::excerpt;
use crate::Error;

/// What `runsc ps --format=json` prints in runsc 20221219: the pids of the
/// container's processes, e.g. `[1,4]` (runc's shape; not the process
/// objects a later runsc can print).
pub type ProcessList = Vec<i32>;

/// The `ps` table split into cells, as go-runc's `TopResults`.
///
/// Serializes with go-runc's field names (`Processes`, `Headers`), so JSON
/// written by containerd's shims reads back unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopResults {
    /// One row per process, one cell per header; the last cell (the command)
    /// keeps its inner spaces.
    #[serde(rename = "Processes", default, deserialize_with = "null_default")]
    pub processes: Vec<Vec<String>>,
    /// The column headers ("UID", "PID", ..., "CMD").
    #[serde(rename = "Headers", default, deserialize_with = "null_default")]
    pub headers: Vec<String>,
}

/// Splits the `ps` table that runsc prints into headers and rows, exactly as
/// go-runc's `ParsePSOutput` does.
///
/// The first line holds the headers; every later non-empty line is split on
/// ASCII whitespace, and the cells past the second-to-last header are joined
/// with single spaces into the last column, so a command with arguments stays
/// one cell. A row whose `PID` cell is `-` is skipped. Where go-runc panics
/// (a row but no `PID` header, or a row too short to reach the `PID` column
/// or to fill all columns but the last) this returns [`Error::PsOutput`]
/// naming the line, with an excerpt of the output. Bytes that are not UTF-8
/// are replaced with U+FFFD in the cells.
///
/// ```
/// let out = b"UID       PID       PPID      C         TTY       STIME     TIME      CMD\n\
///             0         1         0         0         ?         17:22     0s        sleep 30\n";
/// let top = runsc::types::parse_ps_output(out).unwrap();
/// assert_eq!(top.headers[1], "PID");
/// assert_eq!(top.processes[0][7], "sleep 30");
/// ```
pub fn parse_ps_output(output: &[u8]) -> Result<TopResults, Error> {
    let mut lines = output.split(|&b| b == b'\n');
    let headers: Vec<String> = lines
        .next()
        .map(|line| fields(line).map(lossy).collect())
        .unwrap_or_default();
    let pid_index = headers.iter().rposition(|h| h == "PID");
    let last = headers.len().saturating_sub(1);
    let mut processes = Vec::new();
    // Cells of the last column, reused from line to line: only their joined
    // text is kept, so they need not be owned.
    let mut tail: Vec<&[u8]> = Vec::new();
    for (n, line) in lines.enumerate() {
        if line.is_empty() {
            continue;
        }
        let line_no = n + 2;
        let Some(pid_index) = pid_index else {
            return Err(ps_error(
                format!("the header line has no PID column, but line {line_no} holds a process"),
                output,
            ));
        };
        let mut row = Vec::with_capacity(headers.len());
        tail.clear();
        for cell in fields(line) {
            if row.len() < last {
                row.push(lossy(cell));
            } else {
                tail.push(cell);
            }
        }
        let count = row.len() + tail.len();
        let pid = match row.get(pid_index) {
            Some(cell) => Some(cell.as_bytes()),
            None => pid_index
                .checked_sub(last)
                .and_then(|i| tail.get(i).copied()),
        };
        let Some(pid) = pid else {
            return Err(ps_error(
                format!(
                    "line {line_no} has {count} fields, too few to reach the PID column (field {})",
                    pid_index + 1
                ),
                output,
            ));
        };
        if pid == b"-" {
            continue;
        }
        if count < last {
            return Err(ps_error(
                format!(
                    "line {line_no} has {count} fields, the header has {} columns",
                    headers.len()
                ),
                output,
            ));
        }
        row.push(lossy(&tail.join(&b' ')));
        processes.push(row);
    }
    Ok(TopResults { processes, headers })
}

/// Splits on ASCII whitespace: `u8::is_ascii_whitespace` is exactly the set
/// of go-runc's `fieldsASCII` (space, `\t`, `\n`, `\f`, `\r`; not `\v`).
fn fields(line: &[u8]) -> impl Iterator<Item = &[u8]> {
    line.split(u8::is_ascii_whitespace)
        .filter(|cell| !cell.is_empty())
}

fn lossy(cell: &[u8]) -> String {
    String::from_utf8_lossy(cell).into_owned()
}

fn ps_error(reason: String, output: &[u8]) -> Error {
    Error::PsOutput {
        reason,
        excerpt: excerpt(output),
    }
}
