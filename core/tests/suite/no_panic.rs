//! No input makes the client's parsers panic: the ps table parser, the
//! events decoder (however the stream is cut) and the argv parser, checked
//! with proptest over arbitrary bytes and over near-valid input, and every
//! input kept in `fuzz/regressions/` (crashes `cargo xtask fuzz` found)
//! replayed.
//!
//! The properties are the fuzz targets' own (`fuzz/src/core_checks.rs`),
//! included here so that `cargo test` checks exactly what `cargo fuzz` checks;
//! the regressions are read as every suite reads them
//! (`fuzz/src/regressions.rs`).

#[path = "../../../fuzz/src/core_checks.rs"]
mod checks;

#[path = "../../../fuzz/src/regressions.rs"]
mod regressions;

use proptest::prelude::*;

use regressions::replay;

#[test]
fn ps_table_regressions_stay_fixed() {
    replay("ps_table", checks::ps_table);
}

#[test]
fn events_decoder_regressions_stay_fixed() {
    replay("events_decoder", checks::events_decoder);
}

#[test]
fn argv_regressions_stay_fixed() {
    replay("argv", checks::argv);
}

#[test]
fn every_fuzz_target_keeps_regressions_and_nothing_else_does() {
    let targets = regressions::targets();
    assert_eq!(
        targets,
        ["argv", "events_decoder", "ps_table", "scenario"],
        "a new target needs its regressions replayed here or in fake-runsc's reliability_fuzz"
    );
    assert_eq!(
        regressions::regression_dirs(),
        targets,
        "fuzz/regressions/ holds one directory per target in fuzz/fuzz_targets/"
    );
}

#[test]
fn the_chunker_covers_the_stream_in_order() {
    let data: Vec<u8> = (0..=255).collect();
    for seed in [0, 1, 42, u64::MAX] {
        let chunks = checks::chunks_of(&data, seed);
        assert_eq!(chunks.concat(), data, "seed {seed}");
        assert!(chunks.iter().all(|c| c.len() < 32));
        assert!(chunks.len() > 8, "seed {seed} gave {} chunks", chunks.len());
    }
}

#[test]
fn argv_splits_on_nul_like_proc_cmdline() {
    assert!(checks::argv_of(b"").is_empty());
    assert_eq!(
        checks::argv_of(b"state\0c1"),
        vec![std::ffi::OsString::from("state"), "c1".into()]
    );
    assert_eq!(checks::argv_of(b"\0").len(), 2);
}

/// A line of runsc's `ps` table: the real header, rows with a few words,
/// blank lines, and rows cut short or made of arbitrary words.
fn ps_like() -> impl Strategy<Value = Vec<u8>> {
    let word = prop_oneof![
        Just("-".to_owned()),
        Just("PID".to_owned()),
        "[0-9]{1,5}",
        "[ -~]{0,6}",
        "\\PC{0,4}",
    ];
    let line = prop_oneof![
        Just(
            "UID       PID       PPID      C         TTY       STIME     TIME      CMD".to_owned()
        ),
        proptest::collection::vec(word, 0..10).prop_map(|w| w.join(" ")),
        Just(String::new()),
    ];
    proptest::collection::vec(line, 0..6).prop_map(|lines| lines.join("\n").into_bytes())
}

/// Events as runsc prints them, valid and damaged, on one or several lines.
fn events_like() -> impl Strategy<Value = Vec<u8>> {
    let event = prop_oneof![
        Just(r#"{"type":"stats","id":"c1","data":{"pids":{"current":3}}}"#.to_owned()),
        Just(r#"{"type":"stats","id":"c1"}"#.to_owned()),
        Just(r#"{"type":"oom","id":"c2","data":{}}"#.to_owned()),
        Just(r#"{"type":"stats","id":"c1","data":{"memory":{"usage":{"usage":4096}}}}"#.to_owned()),
        "[{}\\[\\]\":,a-z0-9 \\\\]{0,24}",
        "\\PC{0,8}",
    ];
    let separator = prop_oneof![Just("\n"), Just(""), Just(" "), Just("\r\n"), Just("\n\n")];
    proptest::collection::vec((event, separator), 0..8).prop_map(|parts| {
        parts
            .into_iter()
            .flat_map(|(event, sep)| [event, sep.to_owned()])
            .collect::<String>()
            .into_bytes()
    })
}

/// argv made of real flags and subcommands, odd values, and stray bytes,
/// joined with NUL as the argv target expects.
fn argv_like() -> impl Strategy<Value = Vec<u8>> {
    let arg = prop_oneof![
        Just(b"--root=/r".to_vec()),
        Just(b"--network=none".to_vec()),
        Just(b"--debug".to_vec()),
        Just(b"-log".to_vec()),
        Just(b"--log-format=json".to_vec()),
        Just(b"--".to_vec()),
        Just(b"-".to_vec()),
        Just(b"-h".to_vec()),
        "(list|state|create|start|exec|run|delete|kill|events|ps|pause|resume|wait|update|checkpoint|restore|spec|do)"
            .prop_map(String::into_bytes),
        "--?[a-z-]{1,14}(=[ -~]{0,6})?".prop_map(String::into_bytes),
        "[a-z0-9]{1,6}".prop_map(String::into_bytes),
        proptest::collection::vec(1u8.., 0..6),
    ];
    proptest::collection::vec(arg, 0..9).prop_map(|args| args.join(&0u8))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn ps_table_on_any_bytes(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        checks::ps_table(&data);
    }

    #[test]
    fn ps_table_on_near_tables(data in ps_like()) {
        checks::ps_table(&data);
    }

    #[test]
    fn events_decoder_on_any_bytes(
        seed in any::<u64>(),
        data in proptest::collection::vec(any::<u8>(), 0..512),
    ) {
        let mut input = seed.to_le_bytes().to_vec();
        input.extend(data);
        checks::events_decoder(&input);
    }

    #[test]
    fn events_decoder_on_near_streams(seed in any::<u64>(), data in events_like()) {
        let mut input = seed.to_le_bytes().to_vec();
        input.extend(data);
        checks::events_decoder(&input);
    }

    #[test]
    fn argv_on_any_bytes(data in proptest::collection::vec(any::<u8>(), 0..256)) {
        checks::argv(&data);
    }

    #[test]
    fn argv_on_near_command_lines(data in argv_like()) {
        checks::argv(&data);
    }
}
