//! The exact bytes runsc writes for each JSON output, for the fake runsc and
//! for tests that need runsc's output byte for byte.
//!
//! Field order and omission come from the types' `Serialize`; this module
//! adds what serde_json does differently from Go's `encoding/json` (as built
//! into runsc 20221219, Go 1.19): `<`, `>`, `&`, U+2028 and U+2029 are
//! escaped as `\u003c` and so on, control characters other than `\n`, `\r`,
//! `\t` as `\u00XX` (Go 1.19 has no `\b` or `\f` short forms), and each
//! subcommand's framing (indentation, trailing newline, `null` for an empty
//! list).

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::{CharEscape, CompactFormatter, Formatter, PrettyFormatter};

use super::{Container, Event, WaitResult};

/// `runsc state`: the state indented by two spaces, with no trailing newline.
pub fn encode_state(container: &Container) -> Vec<u8> {
    infallible(to_go_json_indent(container))
}

/// `runsc list --format=json`: one line, `null` when there are no containers.
pub fn encode_list(containers: &[Container]) -> Vec<u8> {
    if containers.is_empty() {
        return b"null\n".to_vec();
    }
    line(containers)
}

/// One line of `runsc events`.
pub fn encode_event(event: &Event) -> Vec<u8> {
    line(event)
}

/// `runsc wait`.
pub fn encode_wait(result: &WaitResult) -> Vec<u8> {
    line(result)
}

/// `runsc ps --format=json`: the pids, `[]` when there are none.
pub fn encode_pids(pids: &[i32]) -> Vec<u8> {
    line(pids)
}

/// `value` as Go's `json.Marshal` writes it. Fails only where serde_json
/// fails: a map whose keys are not strings, or a `Serialize` impl that errs.
pub fn to_go_json<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    write_with(value, GoStrings(CompactFormatter))
}

/// `value` as Go's `json.MarshalIndent(value, "", "  ")` writes it; fails as
/// [`to_go_json`] does.
pub fn to_go_json_indent<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    write_with(value, GoStrings(PrettyFormatter::with_indent(b"  ")))
}

fn line<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    let mut out = infallible(to_go_json(value));
    out.push(b'\n');
    out
}

/// This crate's output types have string map keys only and derived
/// `Serialize` impls, and the writer is a `Vec`: nothing can fail.
fn infallible(encoded: Result<Vec<u8>, serde_json::Error>) -> Vec<u8> {
    encoded.expect("serializing runsc's output types into memory cannot fail")
}

fn write_with<T: Serialize + ?Sized, F: Formatter>(
    value: &T,
    formatter: F,
) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = Vec::with_capacity(256);
    value.serialize(&mut serde_json::Serializer::with_formatter(
        &mut out, formatter,
    ))?;
    Ok(out)
}

/// Wraps a serde_json formatter to escape strings as Go does.
struct GoStrings<F>(F);

impl<F: Formatter> Formatter for GoStrings<F> {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn end_object_key<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_key(w)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }

    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let bytes = fragment.as_bytes();
        let mut start = 0;
        let mut i = 0;
        while i < bytes.len() {
            let (escape, len): (&[u8], usize) = match bytes[i] {
                b'<' => (b"\\u003c", 1),
                b'>' => (b"\\u003e", 1),
                b'&' => (b"\\u0026", 1),
                0xe2 if bytes[i + 1..].starts_with(&[0x80, 0xa8]) => (b"\\u2028", 3),
                0xe2 if bytes[i + 1..].starts_with(&[0x80, 0xa9]) => (b"\\u2029", 3),
                _ => {
                    i += 1;
                    continue;
                }
            };
            w.write_all(&bytes[start..i])?;
            w.write_all(escape)?;
            i += len;
            start = i;
        }
        w.write_all(&bytes[start..])
    }

    fn write_char_escape<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        escape: CharEscape,
    ) -> io::Result<()> {
        let control = match escape {
            CharEscape::Quote => return w.write_all(b"\\\""),
            CharEscape::ReverseSolidus => return w.write_all(b"\\\\"),
            CharEscape::Solidus => return w.write_all(b"/"),
            CharEscape::LineFeed => return w.write_all(b"\\n"),
            CharEscape::CarriageReturn => return w.write_all(b"\\r"),
            CharEscape::Tab => return w.write_all(b"\\t"),
            CharEscape::Backspace => 0x08,
            CharEscape::FormFeed => 0x0c,
            CharEscape::AsciiControl(byte) => byte,
        };
        const HEX: &[u8; 16] = b"0123456789abcdef";
        w.write_all(&[
            b'\\',
            b'u',
            b'0',
            b'0',
            HEX[usize::from(control >> 4)],
            HEX[usize::from(control & 0xf)],
        ])
    }
}
