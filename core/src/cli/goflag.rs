//! Go's `flag` package rules, as runsc applies them to its global flags and to
//! each subcommand's flags.
//!
//! `-f` and `--f` are the same flag; a value follows as `-f=v` or `-f v`;
//! booleans only take `-f=v`; parsing stops at the first non-flag argument
//! (a lone `-` is one) and after `--`; a repeated flag keeps its last value.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

use super::flags::{lookup, FlagKind, FlagSpec, ValueKind};
use super::release::Release;
use super::values;

/// A parsed flag value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlagValue {
    /// A boolean flag.
    Bool(bool),
    /// A string flag (kept as bytes: paths need not be UTF-8).
    Str(OsString),
    /// An integer flag.
    Int(i64),
    /// An unsigned integer flag.
    Uint(u64),
    /// A duration flag, kept as written once it has been checked.
    Duration(String),
    /// Every value of a list flag (`exec --env`), in order.
    Repeated(Vec<OsString>),
}

/// Why a flag could not be parsed, worded as Go's `flag` package words it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlagError {
    /// `-h` or `-help` where no such flag exists: Go prints the usage.
    Help,
    /// Any other failure, e.g. `flag provided but not defined: -bogus`.
    Message(String),
}

/// Flags parsed from the front of an argument list.
#[derive(Debug, Default)]
pub struct ParsedFlags {
    values: BTreeMap<&'static str, FlagValue>,
}

impl ParsedFlags {
    /// The value of a flag, if it was given.
    pub fn get(&self, name: &str) -> Option<&FlagValue> {
        self.values.get(name)
    }

    /// Flags given, by name, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &FlagValue)> {
        self.values.iter().map(|(k, v)| (*k, v))
    }
}

/// Parses flags from the front of `args` against `table`, checking typed
/// values as `release` does, and returns them with the remaining
/// (positional) arguments.
pub fn parse_flags<'a>(
    args: &'a [OsString],
    table: &'static [FlagSpec],
    release: Release,
) -> Result<(ParsedFlags, &'a [OsString]), FlagError> {
    let mut parsed = ParsedFlags::default();
    let mut rest = args;
    while let Some((first, tail)) = rest.split_first() {
        let s = first.as_bytes();
        if s.len() < 2 || s[0] != b'-' {
            break;
        }
        let dashes = if s[1] == b'-' { 2 } else { 1 };
        if dashes == 2 && s.len() == 2 {
            rest = tail;
            break;
        }
        let body = &s[dashes..];
        if body.is_empty() || body[0] == b'-' || body[0] == b'=' {
            return Err(FlagError::Message(format!(
                "bad flag syntax: {}",
                first.to_string_lossy()
            )));
        }
        rest = tail;
        let (name, inline) = match body[1..].iter().position(|&b| b == b'=') {
            Some(i) => (&body[..=i], Some(&body[i + 2..])),
            None => (body, None),
        };
        let name_str = String::from_utf8_lossy(name);
        let Some(spec) = lookup(table, &name_str) else {
            if name_str == "help" || name_str == "h" {
                return Err(FlagError::Help);
            }
            return Err(FlagError::Message(format!(
                "flag provided but not defined: -{name_str}"
            )));
        };
        let value = if spec.kind == FlagKind::Bool {
            match inline {
                None => FlagValue::Bool(true),
                Some(v) => match parse_bool(v) {
                    Some(b) => FlagValue::Bool(b),
                    None => {
                        return Err(FlagError::Message(format!(
                            "invalid boolean value {} for -{}: parse error",
                            go_quote(v),
                            spec.name
                        )))
                    }
                },
            }
        } else {
            let raw: &[u8] = match inline {
                Some(v) => v,
                None => match rest.split_first() {
                    Some((next, tail)) => {
                        rest = tail;
                        next.as_bytes()
                    }
                    None => {
                        return Err(FlagError::Message(format!(
                            "flag needs an argument: -{}",
                            spec.name
                        )))
                    }
                },
            };
            let invalid = |why: &str| {
                FlagError::Message(format!(
                    "invalid value {} for flag -{}: {why}",
                    go_quote(raw),
                    spec.name
                ))
            };
            let text = std::str::from_utf8(raw);
            match spec.kind {
                FlagKind::Bool => unreachable!("handled above"),
                FlagKind::String => FlagValue::Str(OsStr::from_bytes(raw).to_owned()),
                FlagKind::Value(ValueKind::List) => {
                    let mut all = match parsed.values.remove(spec.name) {
                        Some(FlagValue::Repeated(all)) => all,
                        _ => Vec::new(),
                    };
                    all.push(OsStr::from_bytes(raw).to_owned());
                    FlagValue::Repeated(all)
                }
                FlagKind::Value(kind) => {
                    let text = String::from_utf8_lossy(raw);
                    if let Err(why) = values::check(kind, release, &text) {
                        return Err(invalid(&why));
                    }
                    FlagValue::Str(OsStr::from_bytes(raw).to_owned())
                }
                FlagKind::Int | FlagKind::Int64 => {
                    match text.map_err(|_| IntError::Syntax).and_then(parse_int) {
                        Ok(n) => FlagValue::Int(n),
                        Err(e) => return Err(invalid(e.as_str())),
                    }
                }
                FlagKind::Uint | FlagKind::Uint64 => {
                    match text.map_err(|_| IntError::Syntax).and_then(parse_uint) {
                        Ok(n) => FlagValue::Uint(n),
                        Err(e) => return Err(invalid(e.as_str())),
                    }
                }
                FlagKind::Duration => match text {
                    Ok(t) if is_duration(t) => FlagValue::Duration(t.to_owned()),
                    _ => return Err(invalid("parse error")),
                },
            }
        };
        parsed.values.insert(spec.name, value);
    }
    Ok((parsed, rest))
}

/// Go's `%q` of a byte string, close enough for error messages.
fn go_quote(bytes: &[u8]) -> String {
    format!("{:?}", String::from_utf8_lossy(bytes))
}

/// `strconv.ParseBool`.
pub fn parse_bool(v: &[u8]) -> Option<bool> {
    match v {
        b"1" | b"t" | b"T" | b"TRUE" | b"true" | b"True" => Some(true),
        b"0" | b"f" | b"F" | b"FALSE" | b"false" | b"False" => Some(false),
        _ => None,
    }
}

/// Why an integer did not parse, as Go's flag package reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntError {
    /// Not an integer literal.
    Syntax,
    /// Outside the type's range.
    Range,
}

impl IntError {
    fn as_str(self) -> &'static str {
        match self {
            Self::Syntax => "parse error",
            Self::Range => "value out of range",
        }
    }
}

/// `strconv.ParseInt(s, 0, 64)`: Go's base-0 integer syntax (`0x`, `0o`, `0b`,
/// a leading `0` for octal, `_` between digits), with an optional sign.
pub fn parse_int(s: &str) -> Result<i64, IntError> {
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let magnitude = parse_uint(digits)?;
    if negative {
        if magnitude > i64::MAX as u64 + 1 {
            return Err(IntError::Range);
        }
        Ok((magnitude as i64).wrapping_neg())
    } else {
        i64::try_from(magnitude).map_err(|_| IntError::Range)
    }
}

/// `strconv.ParseUint(s, 0, 64)`.
pub fn parse_uint(s: &str) -> Result<u64, IntError> {
    if s.is_empty() {
        return Err(IntError::Syntax);
    }
    let b = s.as_bytes();
    let (base, digits): (u32, &[u8]) = if b[0] == b'0' {
        match b.get(1).map(u8::to_ascii_lowercase) {
            Some(b'x') if b.len() >= 3 => (16, &b[2..]),
            Some(b'o') if b.len() >= 3 => (8, &b[2..]),
            Some(b'b') if b.len() >= 3 => (2, &b[2..]),
            _ => (8, &b[1..]),
        }
    } else {
        (10, b)
    };
    let mut n: u64 = 0;
    let mut underscores = false;
    let mut range = false;
    for &c in digits {
        if c == b'_' {
            underscores = true;
            continue;
        }
        let d = (c as char).to_digit(36).ok_or(IntError::Syntax)?;
        if d >= base {
            return Err(IntError::Syntax);
        }
        match n
            .checked_mul(u64::from(base))
            .and_then(|m| m.checked_add(u64::from(d)))
        {
            Some(m) => n = m,
            None => range = true,
        }
    }
    if underscores && !underscore_ok(s) {
        return Err(IntError::Syntax);
    }
    if range {
        return Err(IntError::Range);
    }
    Ok(n)
}

/// Go's rule: `_` only between digits, or between a base prefix and a digit.
fn underscore_ok(s: &str) -> bool {
    let mut b = s.as_bytes();
    if let Some(b'-' | b'+') = b.first() {
        b = &b[1..];
    }
    let mut saw = b'^';
    let mut hex = false;
    let mut i = 0;
    if b.len() >= 2 && b[0] == b'0' && matches!(b[1].to_ascii_lowercase(), b'b' | b'o' | b'x') {
        i = 2;
        saw = b'0';
        hex = b[1].eq_ignore_ascii_case(&b'x');
    }
    for &c in &b[i..] {
        if c.is_ascii_digit() || (hex && c.is_ascii_hexdigit()) {
            saw = b'0';
            continue;
        }
        if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
            continue;
        }
        if saw == b'_' {
            return false;
        }
        saw = b'!';
    }
    saw != b'_'
}

/// Whether `time.ParseDuration` accepts `s`: `0`, or an optionally signed
/// sequence of decimal numbers each followed by a unit (ns, us, µs, ms, s, m, h).
pub fn is_duration(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    if s == "0" {
        return true;
    }
    if s.is_empty() {
        return false;
    }
    let mut rest = s;
    while !rest.is_empty() {
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let mut number_len = int_len;
        let mut frac_len = 0;
        if rest[int_len..].starts_with('.') {
            frac_len = rest[int_len + 1..]
                .bytes()
                .take_while(u8::is_ascii_digit)
                .count();
            number_len = int_len + 1 + frac_len;
        }
        if int_len == 0 && frac_len == 0 {
            return false;
        }
        rest = &rest[number_len..];
        let unit_len = rest
            .char_indices()
            .find(|(_, c)| *c == '.' || c.is_ascii_digit())
            .map_or(rest.len(), |(i, _)| i);
        if !matches!(
            &rest[..unit_len],
            "ns" | "us" | "µs" | "μs" | "ms" | "s" | "m" | "h"
        ) {
            return false;
        }
        rest = &rest[unit_len..];
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_base_zero_integers() {
        assert_eq!(parse_int("0x10"), Ok(16));
        assert_eq!(parse_int("010"), Ok(8));
        assert_eq!(parse_int("0o10"), Ok(8));
        assert_eq!(parse_int("0b101"), Ok(5));
        assert_eq!(parse_int("1_000"), Ok(1000));
        assert_eq!(parse_int("-0x10"), Ok(-16));
        assert_eq!(parse_int("0"), Ok(0));
        assert_eq!(parse_int("-9223372036854775808"), Ok(i64::MIN));
        assert_eq!(parse_int("9223372036854775808"), Err(IntError::Range));
        assert_eq!(parse_int("1s"), Err(IntError::Syntax));
        assert_eq!(parse_int("_1"), Err(IntError::Syntax));
        assert_eq!(parse_int("1__0"), Err(IntError::Syntax));
        assert_eq!(parse_int("1_"), Err(IntError::Syntax));
        assert_eq!(parse_int("08"), Err(IntError::Syntax));
        assert_eq!(parse_int("0x"), Err(IntError::Syntax));
        assert_eq!(parse_int(""), Err(IntError::Syntax));
        assert_eq!(parse_int("1e3"), Err(IntError::Syntax));
        assert_eq!(parse_uint("-1"), Err(IntError::Syntax));
    }

    #[test]
    fn durations() {
        for ok in ["0", "1s", "1.5h", "20000ns", "1h2m3s", "-1ms", ".5s", "1µs"] {
            assert!(is_duration(ok), "{ok}");
        }
        for bad in ["", "abc", "1", "s", "1x", "1.s.", "+"] {
            assert!(!is_duration(bad), "{bad}");
        }
    }
}
