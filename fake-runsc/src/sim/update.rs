//! `update`: runsc 20260817's change of a container's resources.
//!
//! Read from gVisor's source at `release-20260817.0` (`runsc/cmd/update.go`,
//! `Container.Update`); no recording of that release confirms it. The
//! resources come as `specs.LinuxResources` JSON from `--resources FILE` or
//! stdin (`--resources=-`, what the containerd shim sends), or from the other
//! flags. Values are checked as Go's `encoding/json` and `strconv` check them,
//! with their words. `events --stats` never reports limits in that release
//! (its `Event` fills usage only), so an update changes no output the
//! simulator prints; the call succeeds or fails as runsc's would.

use std::io::Read;
use std::path::Path;

use runsc::cli;
use serde_json::Value;

use super::store::Status;
use super::wording::{fatal, go_io_error, CmdResult, Failure, Load};
use super::{effective_status, Sim};

impl Sim {
    /// `update ID`.
    pub fn update(&self, opts: &cli::Update) -> CmdResult {
        let entry = self.find(opts.id.as_str(), Load::Container)?;
        match opts.resources.as_deref() {
            Some(path) if !path.as_os_str().is_empty() => check_file(path)?,
            _ => check_flags(opts)?,
        }
        match effective_status(&entry) {
            Status::Created | Status::Running => Ok(0),
            other => Err(fatal(format!(
                "setting resources: cannot set resources for container \"{}\" in state {}",
                entry.id,
                other.as_str()
            ))),
        }
    }
}

/// Reads and checks `--resources` (`-` is stdin), as `json.Decoder` does:
/// the first JSON value counts, whatever follows it.
fn check_file(path: &Path) -> Result<(), Failure> {
    let shown = path.to_string_lossy();
    let mut bytes = Vec::new();
    let read = if shown == "-" {
        std::io::stdin().read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path)
            .map_err(|e| {
                fatal(format!(
                    "opening {shown:?}: open {shown}: {}",
                    go_io_error(&e)
                ))
            })?
            .read_to_end(&mut bytes)
    };
    read.map_err(|e| fatal(format!("decoding {shown:?}: {}", go_io_error(&e))))?;
    decode(&bytes).map_err(|reason| fatal(format!("decoding {shown:?}: {reason}")))
}

/// Go's verdict on the first JSON value of `bytes` as `specs.LinuxResources`.
fn decode(bytes: &[u8]) -> Result<(), String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err("EOF".to_owned());
    }
    let first = serde_json::Deserializer::from_slice(bytes)
        .into_iter::<Value>()
        .next();
    let value = match first {
        Some(Ok(value)) => value,
        Some(Err(e)) if e.is_eof() => return Err("unexpected EOF".to_owned()),
        // Other syntax errors keep serde's words (Go's differ; not modelled).
        Some(Err(e)) => return Err(e.to_string()),
        None => return Err("EOF".to_owned()),
    };
    check_struct(&value, "specs.LinuxResources", "", RESOURCES)
}

/// A Go type a resources field decodes into.
#[derive(Clone, Copy)]
enum Go {
    Int64,
    Uint64,
    Uint16,
    Bool,
    Str,
    Struct(&'static str, &'static [Field]),
}

/// A field: its JSON name, its Go type, and the Go type's name in errors.
type Field = (&'static str, Go, &'static str);

const MEMORY: &[Field] = &[
    ("limit", Go::Int64, "int64"),
    ("reservation", Go::Int64, "int64"),
    ("swap", Go::Int64, "int64"),
    ("kernel", Go::Int64, "int64"),
    ("kernelTCP", Go::Int64, "int64"),
    ("swappiness", Go::Uint64, "uint64"),
    ("disableOOMKiller", Go::Bool, "bool"),
    ("useHierarchy", Go::Bool, "bool"),
    ("checkBeforeUpdate", Go::Bool, "bool"),
];

const CPU: &[Field] = &[
    ("shares", Go::Uint64, "uint64"),
    ("quota", Go::Int64, "int64"),
    ("burst", Go::Uint64, "uint64"),
    ("period", Go::Uint64, "uint64"),
    ("realtimeRuntime", Go::Int64, "int64"),
    ("realtimePeriod", Go::Uint64, "uint64"),
    ("cpus", Go::Str, "string"),
    ("mems", Go::Str, "string"),
    ("idle", Go::Int64, "int64"),
];

const PIDS: &[Field] = &[("limit", Go::Int64, "int64")];

const BLOCK_IO: &[Field] = &[
    ("weight", Go::Uint16, "uint16"),
    ("leafWeight", Go::Uint16, "uint16"),
];

// The list- and map-valued fields (devices, hugepageLimits, network, rdma,
// unified) are not checked.
const RESOURCES: &[Field] = &[
    (
        "memory",
        Go::Struct("LinuxMemory", MEMORY),
        "specs.LinuxMemory",
    ),
    ("cpu", Go::Struct("LinuxCPU", CPU), "specs.LinuxCPU"),
    ("pids", Go::Struct("LinuxPids", PIDS), "specs.LinuxPids"),
    (
        "blockIO",
        Go::Struct("LinuxBlockIO", BLOCK_IO),
        "specs.LinuxBlockIO",
    ),
];

/// Go's word for a JSON value that does not fit.
fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn check_struct(
    value: &Value,
    go_name: &str,
    path: &str,
    fields: &'static [Field],
) -> Result<(), String> {
    let object = match value {
        Value::Null => return Ok(()),
        Value::Object(object) => object,
        // Only the top level gets here: nested structs are checked once
        // they are known to be objects.
        other => {
            return Err(format!(
                "json: cannot unmarshal {} into Go value of type {go_name}",
                kind_of(other)
            ))
        }
    };
    let struct_name = go_name.trim_start_matches("specs.");
    for (key, field) in object {
        // encoding/json matches names case-insensitively.
        let Some((name, go, type_name)) = fields.iter().find(|(n, ..)| n.eq_ignore_ascii_case(key))
        else {
            continue;
        };
        let full = if path.is_empty() {
            (*name).to_owned()
        } else {
            format!("{path}.{name}")
        };
        let mismatch = |what: String| {
            format!("json: cannot unmarshal {what} into Go struct field {struct_name}.{full} of type {type_name}")
        };
        match (go, field) {
            (_, Value::Null) => {}
            (Go::Struct(inner, inner_fields), Value::Object(_)) => {
                check_struct(field, inner, &full, inner_fields)?
            }
            (Go::Bool, Value::Bool(_)) | (Go::Str, Value::String(_)) => {}
            (Go::Int64 | Go::Uint64 | Go::Uint16, Value::Number(n)) => {
                let fits = match go {
                    Go::Int64 => n.as_i64().is_some(),
                    Go::Uint64 => n.as_u64().is_some(),
                    _ => n.as_u64().is_some_and(|v| v <= u64::from(u16::MAX)),
                };
                if !fits {
                    return Err(mismatch(format!("number {n}")));
                }
            }
            (_, other) => return Err(mismatch(kind_of(other).to_owned())),
        }
    }
    Ok(())
}

/// The flags' values, parsed as `update` parses them (base 10, Go's words).
fn check_flags(opts: &cli::Update) -> Result<(), Failure> {
    if opts
        .l3_cache_schema
        .as_deref()
        .is_some_and(|s| !s.is_empty())
        || opts.mem_bw_schema.as_deref().is_some_and(|s| !s.is_empty())
    {
        return Err(fatal("Intel RDT support is not yet implemented"));
    }
    let unsigned = [
        &opts.cpu_burst,
        &opts.cpu_period,
        &opts.cpu_rt_period,
        &opts.cpu_share,
    ];
    for value in unsigned.into_iter().flatten().filter(|v| !v.is_empty()) {
        parse_decimal(value, false).map_err(|e| {
            fatal(format!(
                "invalid value for {value}: strconv.ParseUint: parsing {value:?}: {e}"
            ))
        })?;
    }
    let signed = [
        &opts.cpu_idle,
        &opts.cpu_quota,
        &opts.cpu_rt_runtime,
        &opts.memory,
        &opts.memory_reservation,
        &opts.memory_swap,
    ];
    for value in signed.into_iter().flatten().filter(|v| !v.is_empty()) {
        parse_decimal(value, true).map_err(|e| {
            fatal(format!(
                "invalid value for {value}: strconv.ParseInt: parsing {value:?}: {e}"
            ))
        })?;
    }
    Ok(())
}

/// `strconv.ParseInt(s, 10, 64)` / `ParseUint(s, 10, 64)`: the error's words.
fn parse_decimal(s: &str, signed: bool) -> Result<(), &'static str> {
    let digits = match s.as_bytes().first() {
        Some(b'+' | b'-') if signed => &s[1..],
        _ => s,
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err("invalid syntax");
    }
    let fits = if signed {
        s.parse::<i64>().is_ok()
    } else {
        s.parse::<u64>().is_ok()
    };
    if fits {
        Ok(())
    } else {
        Err("value out of range")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_are_checked_as_go_decodes_them() {
        assert_eq!(decode(b""), Err("EOF".to_owned()));
        assert_eq!(decode(b"{\"memory\":"), Err("unexpected EOF".to_owned()));
        assert!(decode(
            br#"{"memory":{"limit":1048576,"swap":-1},"cpu":{"shares":512,"cpus":"0-1"}}"#
        )
        .is_ok());
        assert!(decode(br#"{"unknown":1,"Memory":null} trailing"#).is_ok());
        assert_eq!(
            decode(br#"{"memory":{"limit":"1G"}}"#),
            Err("json: cannot unmarshal string into Go struct field LinuxMemory.memory.limit of type int64".to_owned())
        );
        assert_eq!(
            decode(br#"{"cpu":{"shares":-2}}"#),
            Err("json: cannot unmarshal number -2 into Go struct field LinuxCPU.cpu.shares of type uint64".to_owned())
        );
        assert_eq!(
            decode(br#"{"blockIO":{"weight":70000}}"#),
            Err("json: cannot unmarshal number 70000 into Go struct field LinuxBlockIO.blockIO.weight of type uint16".to_owned())
        );
        assert_eq!(
            decode(br#"{"pids":5}"#),
            Err("json: cannot unmarshal number into Go struct field LinuxResources.pids of type specs.LinuxPids".to_owned())
        );
        assert_eq!(
            decode(b"[]"),
            Err(
                "json: cannot unmarshal array into Go value of type specs.LinuxResources"
                    .to_owned()
            )
        );
    }

    #[test]
    fn flag_values_are_parsed_as_strconv_parses_them() {
        assert_eq!(parse_decimal("100", false), Ok(()));
        assert_eq!(parse_decimal("+1", false), Err("invalid syntax"));
        assert_eq!(parse_decimal("-1", true), Ok(()));
        assert_eq!(parse_decimal("0x10", true), Err("invalid syntax"));
        assert_eq!(
            parse_decimal("99999999999999999999", false),
            Err("value out of range")
        );
    }
}
