//! The incremental `runsc events` decoder: chunk boundaries, several events
//! per chunk, truncation, garbage, bounded memory; and under proptest, no
//! panics on any input and the same result however the input is split.

use proptest::prelude::*;
use runsc::types::{Event, EventDecoder};
use runsc::Error;

/// A line as runsc 20221219 writes it (scenarios/real-runsc/cases/lc-19-events-stats).
const LINE: &str = r#"{"type":"stats","id":"c1","data":{"cpu":{"usage":{"total":96337111}},"memory":{"usage":{"limit":0,"usage":2240512,"failcnt":0},"swap":{"limit":0,"failcnt":0},"kernel":{"limit":0,"failcnt":0},"kernelTCP":{"limit":0,"failcnt":0}},"pids":{"current":1}}}"#;

/// What a decoder made of a stream: each event or error message in order,
/// then what `finish` said.
#[derive(Debug, PartialEq)]
struct Outcome {
    items: Vec<Result<Event, String>>,
    finish: Option<String>,
}

fn decode_in<'a>(chunks: impl IntoIterator<Item = &'a [u8]>) -> Outcome {
    let mut decoder = EventDecoder::new();
    let mut items = Vec::new();
    for chunk in chunks {
        decoder.push(chunk);
        while let Some(item) = decoder.next_event() {
            items.push(item.map_err(|e| e.to_string()));
        }
    }
    Outcome {
        items,
        finish: decoder.finish().map(|e| e.to_string()),
    }
}

fn decode_whole(bytes: &[u8]) -> Outcome {
    decode_in([bytes])
}

fn events(outcome: &Outcome) -> Vec<&Event> {
    outcome
        .items
        .iter()
        .filter_map(|i| i.as_ref().ok())
        .collect()
}

#[test]
fn one_event_split_at_every_byte_gives_the_same_event() {
    let bytes = format!("{LINE}\n").into_bytes();
    let whole = decode_whole(&bytes);
    assert_eq!(events(&whole).len(), 1);
    assert_eq!(events(&whole)[0].stats.as_ref().unwrap().pids.current, 1);
    for cut in 0..=bytes.len() {
        let (a, b) = bytes.split_at(cut);
        assert_eq!(decode_in([a, b]), whole, "split at {cut}");
    }
    assert_eq!(decode_in(bytes.chunks(1)), whole);
}

#[test]
fn many_events_per_chunk_and_events_without_line_breaks() {
    let lines = format!("{LINE}\n{LINE}\r\n\n  {LINE}\n");
    assert_eq!(events(&decode_whole(lines.as_bytes())).len(), 3);
    // A later runsc writes no line break between events.
    let glued = format!("{LINE}{LINE} {LINE}");
    let outcome = decode_whole(glued.as_bytes());
    assert_eq!(events(&outcome).len(), 3);
    assert_eq!(outcome.finish, None);
}

#[test]
fn a_stream_cut_mid_event_is_reported_by_finish() {
    let bytes = format!("{LINE}\n{}", &LINE[..100]);
    let mut decoder = EventDecoder::new();
    decoder.push(bytes.as_bytes());
    assert!(decoder.next_event().unwrap().is_ok());
    assert!(decoder.next_event().is_none());
    match decoder.finish() {
        Some(Error::Decode {
            what,
            excerpt,
            source,
            argv,
        }) => {
            assert_eq!(what, "event");
            assert!(source.is_eof(), "{source}");
            assert_eq!(excerpt, &LINE[..100]);
            assert!(argv.is_empty());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn finish_after_a_clean_end_or_blank_tail_is_quiet() {
    assert!(EventDecoder::new().finish().is_none());
    let mut decoder = EventDecoder::new();
    decoder.push(format!("{LINE}\n \n").as_bytes());
    assert!(decoder.next_event().unwrap().is_ok());
    assert!(decoder.next_event().is_none());
    assert!(decoder.finish().is_none());
}

#[test]
fn finish_with_an_undrained_event_says_so() {
    let mut decoder = EventDecoder::new();
    decoder.push(LINE.as_bytes());
    let err = decoder.finish().unwrap().to_string();
    assert!(err.contains("left undecoded"), "{err}");
}

#[test]
fn a_bad_line_is_one_error_and_decoding_resumes_on_the_next_line() {
    let stream = format!(
        "garbage\n{LINE}\n{{\"type\":\"stats\",\"id\":\"c\",\"data\":{{\"pids\":{{\"current\":-1}}}}}}\n{{\"type\":\"st\n[1,2]\n{{\"id\":\"x\"}}\n{LINE}\n"
    );
    let outcome = decode_whole(stream.as_bytes());
    let shape: Vec<bool> = outcome.items.iter().map(Result::is_ok).collect();
    assert_eq!(shape, [false, true, false, false, false, false, true]);
    let errors: Vec<&String> = outcome
        .items
        .iter()
        .filter_map(|i| i.as_ref().err())
        .collect();
    assert!(
        errors[0].contains("expected an event object"),
        "{}",
        errors[0]
    );
    assert!(
        errors[0].contains("output began: \"garbage\""),
        "{}",
        errors[0]
    );
    assert!(
        errors[1].contains("invalid value: integer `-1`"),
        "{}",
        errors[1]
    );
    assert!(errors[2].contains("EOF while parsing"), "{}", errors[2]);
    assert!(
        errors[3].contains("expected an event object"),
        "{}",
        errors[3]
    );
    assert!(errors[4].contains("missing field `type`"), "{}", errors[4]);
    assert!(
        errors[4].starts_with("cannot decode event from runsc:"),
        "{}",
        errors[4]
    );
    assert_eq!(outcome.finish, None);
}

#[test]
fn garbage_after_an_event_on_the_same_line_is_an_error_after_the_event() {
    let outcome = decode_whole(format!("{LINE}oops\n{LINE}\n").as_bytes());
    let shape: Vec<bool> = outcome.items.iter().map(Result::is_ok).collect();
    assert_eq!(shape, [true, false, true]);
}

#[test]
fn unknown_event_types_and_fields_decode() {
    let outcome =
        decode_whole(b"{\"type\":\"oom\",\"id\":\"c\",\"extra\":[1,{\"a\":null}]}\n{\"type\":\"stats\",\"id\":\"c\",\"data\":null}\n");
    let got = events(&outcome);
    assert_eq!(got.len(), 2);
    assert!(!got[0].is_stats());
    assert!(got[1].is_stats() && got[1].stats.is_none());
}

#[test]
fn memory_stays_bounded_by_the_longest_line_over_a_long_stream() {
    let line = format!("{LINE}\n");
    let stream = line.repeat(2000);
    let mut decoder = EventDecoder::new();
    let mut count = 0;
    for chunk in stream.as_bytes().chunks(61) {
        decoder.push(chunk);
        assert!(
            decoder.buffered() <= line.len() + 61,
            "{}",
            decoder.buffered()
        );
        while let Some(event) = decoder.next_event() {
            event.unwrap();
            count += 1;
        }
    }
    assert_eq!(count, 2000);
    assert!(decoder.finish().is_none());
}

#[test]
fn a_line_that_trickles_in_byte_by_byte_yields_its_event_at_the_closing_brace() {
    let mut decoder = EventDecoder::new();
    let (last, head) = LINE.as_bytes().split_last().unwrap();
    for b in head {
        decoder.push(std::slice::from_ref(b));
        assert!(decoder.next_event().is_none());
    }
    decoder.push(std::slice::from_ref(last));
    assert!(decoder.next_event().unwrap().is_ok());
    decoder.push(b"\n");
    assert!(decoder.next_event().is_none());
    assert!(decoder.finish().is_none());
}

/// A stream of whole events, blank lines, garbage and truncated events.
fn stream_pieces() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        4 => Just(format!("{LINE}\n").into_bytes()),
        2 => (0usize..LINE.len()).prop_map(|n| format!("{}\n", &LINE[..n]).into_bytes()),
        1 => Just(LINE.as_bytes().to_vec()),
        1 => Just(b"\n  \r\n".to_vec()),
        1 => "[ -~]{0,20}\n".prop_map(String::into_bytes),
        1 => Just(b"{\"type\":\"x\",\"id\":\"\\u00e9\\n\"}{\"type\":\"y\",\"id\":\"\"}\n".to_vec()),
        1 => proptest::collection::vec(any::<u8>(), 0..30),
    ];
    proptest::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
}

/// Cut points into a stream of `len` bytes, sorted.
fn splits(bytes: Vec<u8>) -> impl Strategy<Value = (Vec<u8>, Vec<usize>)> {
    let len = bytes.len();
    (
        Just(bytes),
        proptest::collection::vec(0..=len, 0..16).prop_map(|mut cuts| {
            cuts.sort_unstable();
            cuts
        }),
    )
}

fn chunked<'a>(bytes: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut chunks = Vec::new();
    let mut start = 0;
    for &cut in cuts {
        chunks.push(&bytes[start..cut]);
        start = cut;
    }
    chunks.push(&bytes[start..]);
    chunks
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_same_events_and_errors_whatever_the_chunking(
        (bytes, cuts) in stream_pieces().prop_flat_map(splits)
    ) {
        let whole = decode_whole(&bytes);
        prop_assert_eq!(decode_in(chunked(&bytes, &cuts)), whole);
    }

    #[test]
    fn byte_by_byte_equals_whole(bytes in stream_pieces()) {
        prop_assert_eq!(decode_in(bytes.chunks(1)), decode_whole(&bytes));
    }

    #[test]
    fn arbitrary_bytes_in_arbitrary_chunks_never_panic(
        (bytes, cuts) in proptest::collection::vec(any::<u8>(), 0..400).prop_flat_map(splits)
    ) {
        let outcome = decode_in(chunked(&bytes, &cuts));
        prop_assert_eq!(outcome, decode_whole(&bytes));
    }

    #[test]
    fn every_whole_line_event_is_found(n in 0usize..20, junk in "[a-z]{0,10}") {
        let stream = format!("{junk}\n{}", format!("{LINE}\n").repeat(n));
        let outcome = decode_whole(stream.as_bytes());
        prop_assert_eq!(events(&outcome).len(), n);
        prop_assert_eq!(outcome.finish, None);
    }

    #[test]
    fn ps_output_parsing_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = runsc::types::parse_ps_output(&bytes);
    }

    #[test]
    fn ps_table_like_output_never_panics(
        lines in proptest::collection::vec("[ A-Z0-9?:\\-\t]{0,40}", 0..8),
        header in "(UID|PID|CMD| |\t){0,8}",
    ) {
        let text = std::iter::once(header).chain(lines).collect::<Vec<_>>().join("\n");
        if let Ok(top) = runsc::types::parse_ps_output(text.as_bytes()) {
            for row in &top.processes {
                prop_assert_eq!(row.len(), top.headers.len());
            }
        }
    }
}
