//! Incremental decoding of the `runsc events` stream.

use memchr::{memchr, memchr2};
use serde::de::Error as _;

use super::Event;
use crate::error::excerpt;
use crate::Error;

/// Above this many bytes of spare capacity the buffer is shrunk, so one burst
/// of output does not pin its memory for the rest of a long stream.
const SHRINK_ABOVE: usize = 64 * 1024;

/// Decodes the events that `runsc events` writes, from chunks of any size.
///
/// runsc writes one compact JSON object per line. The decoder takes bytes as
/// they arrive ([`push`](Self::push)), hands out each event once its bytes are
/// complete ([`next_event`](Self::next_event)), and at the end of the stream
/// says whether it was cut in the middle of an event
/// ([`finish`](Self::finish)).
///
/// - Chunk boundaries do not matter: the same bytes give the same events and
///   the same errors however they are split.
/// - Several objects on one line are accepted (later runsc versions write no
///   line break between events); an object spanning lines is an error.
/// - A line that does not decode is reported once, as
///   [`Error::Decode`] with `what: "event"` and an excerpt of that line, when
///   the line is complete; decoding resumes on the next line. `argv` in the
///   error is empty: the caller knows the command line and fills it in.
/// - Memory is bounded by the longest line plus the chunk being pushed:
///   consumed bytes are discarded on the next push. Decode attempts happen
///   only when a `}` or a line break has arrived, so an event that trickles in
///   byte by byte is not re-parsed for every byte.
///
/// ```
/// use runsc::types::EventDecoder;
///
/// let mut decoder = EventDecoder::new();
/// decoder.push(br#"{"type":"stats","id":"c1","data":{"pids":{"cur"#);
/// assert!(decoder.next_event().is_none());
/// decoder.push(b"rent\":3}}}\n{\"type\":\"stats\"");
/// let event = decoder.next_event().unwrap().unwrap();
/// assert_eq!(event.stats.unwrap().pids.current, 3);
/// assert!(decoder.next_event().is_none());
/// // The stream ends in the middle of the second event.
/// assert!(decoder.finish().is_some());
/// ```
#[derive(Debug, Default)]
pub struct EventDecoder {
    buf: Vec<u8>,
    /// Start of the bytes not yet consumed.
    pos: usize,
    /// A `}` or a line break arrived since the last attempt ran out of input,
    /// so another attempt may now succeed or find the line complete.
    may_complete: bool,
    /// The first line break at or after `pos`, once found (absolute index).
    newline: Option<usize>,
    /// No line break lies in `pos..scanned` (absolute index).
    scanned: usize,
    /// The current line already failed to decode, so it is not re-parsed
    /// until it is complete. The error reported is then the whole line's:
    /// the one seen on part of it can differ (`{"type":0` is a type error,
    /// `{"type":001` an invalid number), and must not depend on chunk
    /// boundaries.
    bad_line: bool,
}

impl EventDecoder {
    /// A decoder with nothing buffered.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends the next chunk of the stream.
    pub fn push(&mut self, bytes: &[u8]) {
        self.discard_consumed();
        let needed = self.buf.len() + bytes.len();
        if self.buf.capacity() > SHRINK_ABOVE && self.buf.capacity() > 2 * needed {
            self.buf.shrink_to(needed);
        }
        if !self.may_complete {
            self.may_complete = memchr2(b'}', b'\n', bytes).is_some();
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete event, an error for a line that did not decode, or
    /// `None` when more bytes are needed.
    pub fn next_event(&mut self) -> Option<Result<Event, Error>> {
        self.skip_whitespace();
        if self.pos == self.buf.len() {
            return None;
        }
        if self.bad_line {
            self.find_newline()?;
            self.bad_line = false;
            self.may_complete = true;
        }
        if !self.may_complete {
            return None;
        }
        let line_end = self.find_newline();
        let window = &self.buf[self.pos..line_end.unwrap_or(self.buf.len())];
        match decode_one(window) {
            Ok((event, used)) => {
                self.pos += used;
                Some(Ok(event))
            }
            Err(source) => match line_end {
                Some(end) => Some(Err(self.report(source, end))),
                None => {
                    self.bad_line = !source.is_eof();
                    self.may_complete = false;
                    None
                }
            },
        }
    }

    /// Ends the stream: `Some` error when bytes of an unfinished or
    /// undecodable event remain. A stream cut mid-event gives an error whose
    /// `source.is_eof()` is true. Call [`next_event`](Self::next_event) until
    /// it returns `None` first; a complete event left undecoded is reported
    /// as an error too.
    pub fn finish(mut self) -> Option<Error> {
        self.skip_whitespace();
        if self.pos == self.buf.len() {
            return None;
        }
        let rest = &self.buf[self.pos..];
        let source = match decode_one(rest) {
            Err(source) => source,
            Ok(_) => serde_json::Error::custom(
                "a complete event was left undecoded: call next_event until it returns None before finish",
            ),
        };
        Some(decode_error(rest, source))
    }

    /// Bytes held in memory: unconsumed ones, plus consumed ones until the
    /// next [`push`](Self::push) discards them.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    fn discard_consumed(&mut self) {
        if self.pos == 0 {
            return;
        }
        if self.pos == self.buf.len() {
            self.buf.clear();
        } else {
            self.buf.drain(..self.pos);
        }
        self.newline = self.newline.and_then(|n| n.checked_sub(self.pos));
        self.scanned = self.scanned.saturating_sub(self.pos);
        self.pos = 0;
    }

    fn skip_whitespace(&mut self) {
        let rest = &self.buf[self.pos..];
        let blank = rest
            .iter()
            .position(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
            .unwrap_or(rest.len());
        self.pos += blank;
    }

    fn find_newline(&mut self) -> Option<usize> {
        if let Some(n) = self.newline.filter(|&n| n >= self.pos) {
            return Some(n);
        }
        let from = self.scanned.max(self.pos);
        match memchr(b'\n', &self.buf[from..]) {
            Some(i) => {
                self.newline = Some(from + i);
                self.scanned = from + i;
                self.newline
            }
            None => {
                self.newline = None;
                self.scanned = self.buf.len();
                None
            }
        }
    }

    /// Builds the error for the line ending at `end` and moves past that line.
    fn report(&mut self, source: serde_json::Error, end: usize) -> Error {
        let error = decode_error(&self.buf[self.pos..end], source);
        self.pos = end + 1;
        self.may_complete = true;
        error
    }
}

/// Decodes the event at the start of `window`, which starts with a non-blank
/// byte; returns it with the number of bytes it took.
fn decode_one(window: &[u8]) -> Result<(Event, usize), serde_json::Error> {
    if window.first() != Some(&b'{') {
        return Err(serde_json::Error::custom(
            "expected an event object starting with '{'",
        ));
    }
    let mut stream = serde_json::Deserializer::from_slice(window).into_iter::<Event>();
    match stream.next() {
        Some(Ok(event)) => Ok((event, stream.byte_offset())),
        Some(Err(source)) => Err(source),
        None => Err(serde_json::Error::custom(
            "expected an event, found nothing",
        )),
    }
}

fn decode_error(bytes: &[u8], source: serde_json::Error) -> Error {
    Error::Decode {
        argv: Vec::new(),
        what: "event",
        excerpt: excerpt(bytes),
        source,
    }
}
