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
    let headers: Vec<String> = lines.next().map(fields).unwrap_or_default();
    let pid_index = headers.iter().rposition(|h| h == "PID");
    let mut processes = Vec::new();
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
        let cells = fields(line);
        let Some(pid) = cells.get(pid_index) else {
            return Err(ps_error(
                format!(
                    "line {line_no} has {} fields, too few to reach the PID column (field {})",
                    cells.len(),
                    pid_index + 1
                ),
                output,
            ));
        };
        if pid == "-" {
            continue;
        }
        let last = headers.len() - 1;
        if cells.len() < last {
            return Err(ps_error(
                format!(
                    "line {line_no} has {} fields, the header has {} columns",
                    cells.len(),
                    headers.len()
                ),
                output,
            ));
        }
        let mut row = cells;
        let command = row.split_off(last).join(" ");
        row.push(command);
        processes.push(row);
    }
    Ok(TopResults { processes, headers })
}

/// Splits on ASCII whitespace: `u8::is_ascii_whitespace` is exactly the set
/// of go-runc's `fieldsASCII` (space, `\t`, `\n`, `\f`, `\r`; not `\v`).
fn fields(line: &[u8]) -> Vec<String> {
    line.split(u8::is_ascii_whitespace)
        .filter(|cell| !cell.is_empty())
        .map(|cell| String::from_utf8_lossy(cell).into_owned())
        .collect()
}

fn ps_error(reason: String, output: &[u8]) -> Error {
    Error::PsOutput {
        reason,
        excerpt: excerpt(output),
    }
}
