//! Properties of the client's parsers over arbitrary bytes: each function
//! panics (so that libFuzzer or proptest reports the input) only when a
//! property fails; errors are fine, panics inside the parsers are not.
//!
//! Depends only on `runsc`, so that the core test suite can include it.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use runsc::cli::Invocation;
use runsc::types::EventDecoder;

/// `parse_ps_output` never panics, and every row it returns has one cell per header.
pub fn ps_table(data: &[u8]) {
    if let Ok(top) = runsc::types::parse_ps_output(data) {
        for row in &top.processes {
            assert_eq!(
                row.len(),
                top.headers.len(),
                "row {row:?} does not fill headers {:?}",
                top.headers
            );
        }
    }
}

/// Splits `data` into argv: NUL separates arguments, as in
/// `/proc/PID/cmdline` (real argv cannot hold NUL).
pub fn argv_of(data: &[u8]) -> Vec<OsString> {
    if data.is_empty() {
        return Vec::new();
    }
    data.split(|b| *b == 0)
        .map(|arg| OsString::from_vec(arg.to_vec()))
        .collect()
}

/// `Invocation::parse` never panics on any argv, and what it accepts
/// renders to argv that parses back to the same invocation.
pub fn argv(data: &[u8]) {
    let args = argv_of(data);
    if let Ok(invocation) = Invocation::parse(args.clone()) {
        let rendered = invocation.to_args();
        assert_eq!(
            Invocation::parse(rendered.clone()).as_ref(),
            Ok(&invocation),
            "argv {args:?} parsed, rendered as {rendered:?}, which parses differently"
        );
    }
}

/// One decoded item, as text, so that runs can be compared.
fn describe(item: Result<runsc::types::Event, runsc::Error>) -> String {
    match item {
        Ok(event) => format!("event {event:?}"),
        Err(error) => format!("error {error}"),
    }
}

/// Everything a decoder yields for `chunks`, then what `finish` says.
fn decode_all<'a>(chunks: impl IntoIterator<Item = &'a [u8]>) -> (Vec<String>, usize) {
    let mut decoder = EventDecoder::new();
    let mut out = Vec::new();
    let mut most_buffered = 0;
    for chunk in chunks {
        decoder.push(chunk);
        most_buffered = most_buffered.max(decoder.buffered());
        while let Some(item) = decoder.next_event() {
            out.push(describe(item));
        }
    }
    out.push(format!(
        "finish {:?}",
        decoder.finish().map(|e| e.to_string())
    ));
    (out, most_buffered)
}

/// Cuts `data` into chunks of 0 to 31 bytes, the lengths drawn from `seed`
/// (a xorshift generator, so a given input always cuts the same way).
pub fn chunks_of(data: &[u8], seed: u64) -> Vec<&[u8]> {
    let mut state = seed | 1;
    let mut rest = data;
    let mut out = Vec::new();
    while !rest.is_empty() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let len = ((state % 32) as usize).min(rest.len());
        let (chunk, tail) = rest.split_at(len);
        out.push(chunk);
        rest = tail;
    }
    out
}

/// `EventDecoder` never panics, gives the same events and errors however
/// the stream is cut into chunks, and holds no more than the unconsumed
/// stream plus the chunk being pushed.
///
/// The first 8 bytes of `data` (when there are that many) seed the chunking;
/// the rest is the stream.
pub fn events_decoder(data: &[u8]) {
    let (seed, stream) = match data.split_first_chunk::<8>() {
        Some((seed, stream)) => (u64::from_le_bytes(*seed), stream),
        None => (0, data),
    };
    let (whole, _) = decode_all([stream]);
    let chunks = chunks_of(stream, seed);
    let (chunked, most_buffered) = decode_all(chunks.iter().copied());
    assert_eq!(
        whole, chunked,
        "cutting the stream into chunks {chunks:?} changed what was decoded"
    );
    assert!(
        most_buffered <= stream.len(),
        "the decoder held {most_buffered} bytes of a {}-byte stream",
        stream.len()
    );
}
