//! The decoders against every JSON output recorded from real runsc 20221219
//! (`scenarios/real-runsc/cases`), with snapshots of the decoded values and the
//! byte-exact round trip the fake runsc relies on; then the decoders' edge
//! cases and the `ps` table parser, checked against go-runc's behaviour.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use runsc::cli::{Invocation, ListFormat, PsFormat, Subcommand};
use runsc::types::encode::{
    encode_event, encode_list, encode_pids, encode_state, encode_wait, to_go_json,
    to_go_json_indent,
};
use runsc::types::{
    decode_list, decode_ps_json, decode_state, decode_stats, decode_wait, parse_ps_output,
    Container, Event, EventDecoder, ProcessList, Stats, Status, TopResults, WaitResult,
};
use runsc::Error;

fn snapshot_debug<T: std::fmt::Debug>(name: &str, value: &T) {
    insta::with_settings!({snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/../snapshots"), prepend_module_to_snapshot => false}, {
        insta::assert_debug_snapshot!(name, value);
    });
}

/// One recorded runsc call.
struct Case {
    name: String,
    command: Subcommand,
    stdout: Vec<u8>,
    exit_code: Option<i64>,
}

fn cases() -> Vec<Case> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/real-runsc/cases");
    let mut dirs: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    dirs.sort();
    dirs.iter()
        .filter_map(|case| {
            let argv: Vec<String> =
                serde_json::from_slice(&fs::read(case.join("argv.json")).ok()?).ok()?;
            let meta: serde_json::Value =
                serde_json::from_slice(&fs::read(case.join("meta.json")).ok()?).ok()?;
            // Argv that runsc itself refused says nothing about its output.
            let command = Invocation::parse(&argv).ok()?.command;
            Some(Case {
                name: case.file_name()?.to_string_lossy().into_owned(),
                command,
                stdout: fs::read(case.join("stdout")).ok()?,
                exit_code: meta["exit_code"].as_i64(),
            })
        })
        .collect()
}

/// The decoded values of every recorded case, by kind and case name, for the
/// snapshots.
#[derive(Default)]
struct Seen {
    state: BTreeMap<String, Container>,
    list: BTreeMap<String, Vec<Container>>,
    stats: BTreeMap<String, Stats>,
    stream: BTreeMap<String, Vec<Event>>,
    wait: BTreeMap<String, WaitResult>,
    ps_json: BTreeMap<String, ProcessList>,
    ps_table: BTreeMap<String, TopResults>,
}

#[test]
fn every_recorded_json_output_decodes_and_encodes_back_to_the_same_bytes() {
    let mut seen = Seen::default();
    for case in cases() {
        let name = case.name.clone();
        let out = &case.stdout;
        let ok = case.exit_code == Some(0);
        match &case.command {
            Subcommand::State(_) if ok => {
                let state = decode_state(out).unwrap_or_else(|e| panic!("{}: {e}", case.name));
                assert_eq!(encode_state(&state), *out, "{}", case.name);
                seen.state.insert(name, state);
            }
            Subcommand::List(list) if ok && list.format == Some(ListFormat::Json) => {
                let list = decode_list(out)
                    .unwrap_or_else(|e| panic!("{}: {e}", case.name))
                    .unwrap_or_default();
                assert_eq!(encode_list(&list), *out, "{}", case.name);
                seen.list.insert(name, list);
            }
            Subcommand::Events(events) if events.stats && ok => {
                let stats = decode_stats(out).unwrap_or_else(|e| panic!("{}: {e}", case.name));
                let event = decode_events(&case.name, out).0.remove(0);
                assert_eq!(event.stats.as_ref(), Some(&stats));
                assert_eq!(encode_event(&event), *out, "{}", case.name);
                seen.stats.insert(name, stats);
            }
            // Streams end when runsc is killed, so any exit status will do.
            Subcommand::Events(_) if !out.is_empty() => {
                let (events, finish) = decode_events(&case.name, out);
                assert!(events.iter().all(Event::is_stats), "{}", case.name);
                let whole_lines =
                    &out[..out.iter().rposition(|&b| b == b'\n').map_or(0, |n| n + 1)];
                let encoded: Vec<u8> = events.iter().flat_map(encode_event).collect();
                assert_eq!(encoded, whole_lines, "{}", case.name);
                // The recorder cut some streams mid-event: that must be reported.
                let cut = whole_lines.len() < out.len();
                match finish {
                    Some(Error::Decode { source, what, .. }) if cut => {
                        assert!(source.is_eof(), "{}: {source}", case.name);
                        assert_eq!(what, "event");
                    }
                    None if !cut => {}
                    other => panic!("{}: cut={cut}, finish gave {other:?}", case.name),
                }
                seen.stream
                    .insert(name, events.into_iter().take(2).collect());
            }
            Subcommand::Wait(_) if ok => {
                let wait = decode_wait(out).unwrap_or_else(|e| panic!("{}: {e}", case.name));
                assert_eq!(encode_wait(&wait), *out, "{}", case.name);
                seen.wait.insert(name, wait);
            }
            Subcommand::Ps(ps) if ok && ps.format == Some(PsFormat::Json) => {
                let pids = decode_ps_json(out).unwrap_or_else(|e| panic!("{}: {e}", case.name));
                assert_eq!(encode_pids(&pids), *out, "{}", case.name);
                seen.ps_json.insert(name, pids);
            }
            Subcommand::Ps(_) if ok => {
                let top = parse_ps_output(out).unwrap_or_else(|e| panic!("{}: {e}", case.name));
                assert_eq!(top.headers.get(1).map(String::as_str), Some("PID"));
                seen.ps_table.insert(name, top);
            }
            _ => {}
        }
    }
    // An empty or misread recordings directory must not pass as "all decoded".
    let counts = [
        ("state", seen.state.len()),
        ("list", seen.list.len()),
        ("events_stats", seen.stats.len()),
        ("events_stream", seen.stream.len()),
        ("wait", seen.wait.len()),
        ("ps_json", seen.ps_json.len()),
        ("ps_table", seen.ps_table.len()),
    ];
    for (kind, count) in counts {
        assert!(count > 0, "no recorded {kind} output was found: {counts:?}");
    }
    snapshot_debug("decode_real_state", &seen.state);
    snapshot_debug("decode_real_list", &seen.list);
    snapshot_debug("decode_real_events_stats", &seen.stats);
    // The first two events of each stream are enough to show their shape.
    snapshot_debug("decode_real_events_stream", &seen.stream);
    snapshot_debug("decode_real_wait", &seen.wait);
    snapshot_debug("decode_real_ps_json", &seen.ps_json);
    snapshot_debug("decode_real_ps_table", &seen.ps_table);
}

/// Decodes a recorded stream fed in uneven chunks.
fn decode_events(name: &str, out: &[u8]) -> (Vec<Event>, Option<Error>) {
    let mut decoder = EventDecoder::new();
    let mut events = Vec::new();
    for chunk in out.chunks(97) {
        decoder.push(chunk);
        while let Some(event) = decoder.next_event() {
            events.push(event.unwrap_or_else(|e| panic!("{name}: {e}")));
        }
    }
    (events, decoder.finish())
}

#[test]
fn recorded_states_cover_every_status_and_a_stopped_pid_of_minus_one() {
    let mut statuses: Vec<Status> = cases()
        .iter()
        .filter(|c| matches!(c.command, Subcommand::State(_)) && c.exit_code == Some(0))
        .map(|c| decode_state(&c.stdout).unwrap())
        .inspect(|state| {
            if state.status == Status::Stopped {
                assert_eq!(state.pid, -1, "runsc prints pid -1 for a stopped sandbox");
            }
        })
        .map(|state| state.status)
        .collect();
    statuses.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    statuses.dedup();
    assert_eq!(
        statuses,
        [
            Status::Created,
            Status::Paused,
            Status::Running,
            Status::Stopped
        ]
    );
}

/// `runsc state` and `list` of a bundle with annotations, at a bundle path
/// holding `<&>` and a non-ASCII letter, as runsc 20221219 printed them
/// (recorded by hand; the scratch directory name is normalised). runsc
/// prints annotations sorted by key and escapes `<`, `>`, `&` and U+2028.
const ANNOTATED_STATE: &[u8] = b"{\n  \"ociVersion\": \"1.0.2-dev\",\n  \"id\": \"typesprobe17413\",\n  \"status\": \"created\",\n  \"pid\": 22644,\n  \"bundle\": \"/tmp/types-probe.qeqztQ/b\\u003c\\u0026\\u003e\xc3\xbc\",\n  \"annotations\": {\n    \"alpha\": \"a\\u003cb\\u003e\\u0026c\\u2028\",\n    \"zeta\": \"1\"\n  }\n}";
const ANNOTATED_LIST: &[u8] = b"[{\"ociVersion\":\"1.0.2-dev\",\"id\":\"typesprobe17413\",\"status\":\"created\",\"pid\":22644,\"bundle\":\"/tmp/types-probe.qeqztQ/b\\u003c\\u0026\\u003e\xc3\xbc\",\"annotations\":{\"alpha\":\"a\\u003cb\\u003e\\u0026c\\u2028\",\"zeta\":\"1\"}}]\n";

#[test]
fn annotations_and_go_string_escapes_round_trip_byte_for_byte() {
    let state = decode_state(ANNOTATED_STATE).unwrap();
    assert_eq!(state.bundle, "/tmp/types-probe.qeqztQ/b<&>ü");
    assert_eq!(state.annotations["alpha"], "a<b>&c\u{2028}");
    assert_eq!(encode_state(&state), ANNOTATED_STATE);
    let list = decode_list(ANNOTATED_LIST).unwrap().expect("an array");
    assert_eq!(list, [state]);
    assert_eq!(encode_list(&list), ANNOTATED_LIST);
    snapshot_debug("decode_annotated_state", &list);
}

#[test]
fn go_escapes_control_characters_without_short_forms_for_b_and_f() {
    let text = "q\" b\\ \n\r\t \u{8}\u{c}\u{1} \u{7f} <>& \u{2028}\u{2029} é";
    let expected = "\"q\\\" b\\\\ \\n\\r\\t \\u0008\\u000c\\u0001 \u{7f} \\u003c\\u003e\\u0026 \\u2028\\u2029 é\"";
    assert_eq!(
        String::from_utf8(to_go_json(text).unwrap()).unwrap(),
        expected
    );
    let back: String = serde_json::from_slice(&to_go_json(text).unwrap()).unwrap();
    assert_eq!(back, text);
    assert_eq!(to_go_json_indent(&Vec::<u8>::new()).unwrap(), b"[]");
}

#[test]
fn empty_list_is_null_both_ways() {
    assert_eq!(decode_list(b"null\n").unwrap(), None);
    assert_eq!(decode_list(b"[]").unwrap(), Some(vec![]));
    assert_eq!(encode_list(&[]), b"null\n");
    assert_eq!(decode_ps_json(b"null").unwrap(), Vec::<i32>::new());
    assert_eq!(encode_pids(&[]), b"[]\n");
}

#[test]
fn container_state_is_lenient_where_go_is_and_strict_about_id_and_status() {
    let c = decode_state(
        br#"{"id":"a","status":"weird","annotations":null,"owner":"x","rootfs":"/r","created":"2020-01-01T00:00:00Z"}"#,
    )
    .unwrap();
    assert_eq!(c.status, Status::Unknown("weird".into()));
    assert_eq!(c.pid, 0);
    assert!(c.annotations.is_empty());
    assert_eq!(c.rootfs.as_deref(), Some("/r"));
    // pid 0 and empty annotations are left out, unknown fields are dropped.
    assert_eq!(
        to_go_json(&c).unwrap(),
        br#"{"ociVersion":"","id":"a","status":"weird","bundle":"","rootfs":"/r","created":"2020-01-01T00:00:00Z"}"#
    );
    for missing in [&br#"{"status":"running"}"#[..], br#"{"id":"a"}"#] {
        let err = decode_state(missing).unwrap_err();
        assert!(err.to_string().starts_with("missing field"), "{err}");
    }
    assert!(decode_state(br#"{"id":"a","status":7}"#).is_err());
    assert_eq!(Status::from_word("paused").to_string(), "paused");
}

#[test]
fn wait_requires_an_exit_status() {
    assert_eq!(
        decode_wait(b"{\"id\":\"c\",\"exitStatus\":137}\n").unwrap(),
        WaitResult {
            id: "c".into(),
            exit_status: 137
        }
    );
    let err = decode_wait(br#"{"id":"c"}"#).unwrap_err();
    assert!(err.to_string().contains("exitStatus"), "{err}");
}

#[test]
fn stats_decode_partial_null_and_go_runc_shaped_input() {
    let stats: Stats = serde_json::from_str(
        r#"{"cpu":null,"memory":{"usage":{"usage":5},"raw":null},"pids":{"current":2,"limit":9},
            "blkio":{"ioServiceBytesRecursive":[{"major":8,"op":"Read","value":4096}],"sectorsRecursive":null},
            "hugetlb":{"2MB":{"usage":1,"failcnt":0}},
            "network_interfaces":[{"name":"eth0","rx_bytes":10,"tx_bytes":20}],
            "intel_rdt":{"whatever":1}}"#,
    )
    .unwrap();
    assert_eq!(stats.cpu, Default::default());
    assert_eq!(stats.memory.usage.usage, 5);
    assert_eq!(stats.pids.limit, 9);
    assert_eq!(
        stats.blkio.as_ref().unwrap().io_service_bytes_recursive[0].value,
        4096
    );
    assert_eq!(stats.hugetlb.as_ref().unwrap()["2MB"].usage, 1);
    assert_eq!(stats.network_interfaces.as_ref().unwrap()[0].tx_bytes, 20);
    snapshot_debug("decode_stats_go_runc_shape", &stats);

    // What runsc prints for all-zero statistics: its Go tags decide.
    assert_eq!(
        String::from_utf8(to_go_json(&Stats::default()).unwrap()).unwrap(),
        r#"{"cpu":{"usage":{}},"memory":{"usage":{"limit":0,"failcnt":0},"swap":{"limit":0,"failcnt":0},"kernel":{"limit":0,"failcnt":0},"kernelTCP":{"limit":0,"failcnt":0}},"pids":{}}"#
    );
    assert_eq!(
        serde_json::from_str::<Stats>("{}").unwrap(),
        Stats::default()
    );
}

#[test]
fn stats_helper_names_what_came_instead_of_statistics() {
    let err = decode_stats(br#"{"type":"oom","id":"c"}"#).unwrap_err();
    assert!(err.to_string().contains(r#"got type "oom""#), "{err}");
    let err = decode_stats(br#"{"type":"stats","id":"c"}"#).unwrap_err();
    assert!(err.to_string().contains("no \"data\""), "{err}");
    let err = decode_stats(br#"{"id":"c","data":{}}"#).unwrap_err();
    assert!(err.to_string().contains("missing field `type`"), "{err}");
}

fn table(lines: &[&str]) -> Vec<u8> {
    lines.join("\n").into_bytes()
}

fn rows(top: &TopResults) -> Vec<Vec<&str>> {
    top.processes
        .iter()
        .map(|row| row.iter().map(String::as_str).collect())
        .collect()
}

#[test]
fn ps_table_splits_like_go_runc() {
    let top = parse_ps_output(&table(&[
        "UID       PID       PPID      C         TTY       STIME     TIME      CMD",
        "0         1         0         0         ?         17:22     0s        sleep",
        "0         4         0         2         ?         17:22     10ms      sh -c  'sleep 2;\texit 4'",
        "",
        "",
    ]))
    .unwrap();
    assert_eq!(
        top.headers,
        ["UID", "PID", "PPID", "C", "TTY", "STIME", "TIME", "CMD"]
    );
    assert_eq!(
        rows(&top),
        [
            vec!["0", "1", "0", "0", "?", "17:22", "0s", "sleep"],
            // Inner whitespace runs of the command collapse to one space.
            vec![
                "0",
                "4",
                "0",
                "2",
                "?",
                "17:22",
                "10ms",
                "sh -c 'sleep 2; exit 4'"
            ],
        ]
    );
}

#[test]
fn ps_table_edge_cases_match_go_runc() {
    // Rows whose PID is "-" (threads in `ps -m` style output) are skipped.
    let top = parse_ps_output(&table(&["USER PID CMD", "root - x", "root 7 y z"])).unwrap();
    assert_eq!(rows(&top), [vec!["root", "7", "y z"]]);
    // A row one cell short gets an empty command, as Go's slicing gives.
    let top = parse_ps_output(&table(&["PID TTY CMD", "7 ?"])).unwrap();
    assert_eq!(rows(&top), [vec!["7", "?", ""]]);
    // The last PID header wins, as Go's loop keeps overwriting the index.
    let top = parse_ps_output(&table(&["PID PID CMD", "1 - x"])).unwrap();
    assert!(top.processes.is_empty());
    // Header only, nothing at all, and a missing PID header with no rows are fine.
    assert_eq!(parse_ps_output(b"PID CMD\n").unwrap().processes.len(), 0);
    assert_eq!(parse_ps_output(b"").unwrap(), TopResults::default());
    assert_eq!(parse_ps_output(b"A B").unwrap().headers, ["A", "B"]);
    // Vertical tab is not a separator in Go's fieldsASCII.
    let top = parse_ps_output(b"A\x0bB PID CMD\n9 1 a\x0bb").unwrap();
    assert_eq!(top.headers, ["A\u{b}B", "PID", "CMD"]);
    assert_eq!(rows(&top), [vec!["9", "1", "a\u{b}b"]]);
}

#[test]
fn ps_table_errors_where_go_runc_panics_and_keeps_the_output() {
    for (output, reason) in [
        (
            &b"UID CMD\n0 sleep\n"[..],
            "the header line has no PID column, but line 2 holds a process",
        ),
        (
            b"UID PID CMD\n0\n",
            "line 2 has 1 fields, too few to reach the PID column (field 2)",
        ),
        (
            b"UID PID CMD\n   \n",
            "line 2 has 0 fields, too few to reach the PID column (field 2)",
        ),
        (
            b"A B PID C D\n1 2 3\n",
            "line 2 has 3 fields, the header has 5 columns",
        ),
    ] {
        match parse_ps_output(output) {
            Err(Error::PsOutput {
                reason: got,
                excerpt,
            }) => {
                assert_eq!(got, reason);
                assert_eq!(excerpt.as_bytes(), output);
            }
            other => panic!("{output:?}: {other:?}"),
        }
    }
    let err = parse_ps_output(b"X\n1").unwrap_err();
    assert!(err.to_string().contains("output began: \"X\\n1\""), "{err}");
}

#[test]
fn ps_table_replaces_invalid_utf8_instead_of_failing() {
    let top = parse_ps_output(b"PID CMD\n1 a\xffb").unwrap();
    assert_eq!(rows(&top), [vec!["1", "a\u{fffd}b"]]);
}

#[test]
fn top_results_use_go_runc_json_names() {
    let top = parse_ps_output(b"PID CMD\n1 sh").unwrap();
    assert_eq!(
        to_go_json(&top).unwrap(),
        br#"{"Processes":[["1","sh"]],"Headers":["PID","CMD"]}"#
    );
    let back: TopResults = serde_json::from_str(r#"{"Processes":null,"Headers":["PID"]}"#).unwrap();
    assert!(back.processes.is_empty());
}

#[test]
fn container_serializes_in_runsc_field_order() {
    let c = Container {
        oci_version: "1.0.2-dev".into(),
        id: "c".into(),
        status: Status::Stopped,
        pid: -1,
        bundle: "/b".into(),
        annotations: [("k".to_owned(), "v".to_owned())].into(),
        rootfs: None,
        created: None,
    };
    assert_eq!(
        encode_state(&c),
        b"{\n  \"ociVersion\": \"1.0.2-dev\",\n  \"id\": \"c\",\n  \"status\": \"stopped\",\n  \"pid\": -1,\n  \"bundle\": \"/b\",\n  \"annotations\": {\n    \"k\": \"v\"\n  }\n}"
    );
}

#[test]
fn rootfs_and_created_are_kept_when_printed_and_left_out_when_absent() {
    // runc's `list --format=json` shape; runsc 20221219 prints neither field.
    let runc_like = br#"[{"ociVersion":"1.0.2","id":"c","pid":7,"status":"running","bundle":"/b","rootfs":"/b/rootfs","created":"2022-12-19T10:00:00.123456789Z","owner":""}]"#;
    let list = decode_list(runc_like).unwrap().expect("an array");
    assert_eq!(list[0].rootfs.as_deref(), Some("/b/rootfs"));
    assert_eq!(
        list[0].created.as_deref(),
        Some("2022-12-19T10:00:00.123456789Z")
    );
    let encoded = String::from_utf8(encode_list(&list)).unwrap();
    assert!(
        encoded.contains(r#""rootfs":"/b/rootfs","created":"2022-12-19T10:00:00.123456789Z""#),
        "{encoded}"
    );

    let runsc =
        decode_state(b"{\"id\":\"c\",\"status\":\"created\",\"pid\":3,\"bundle\":\"/b\"}").unwrap();
    assert_eq!((runsc.rootfs, runsc.created), (None, None));
    let again = String::from_utf8(encode_state(&decode_state(ANNOTATED_STATE).unwrap())).unwrap();
    assert!(
        !again.contains("rootfs") && !again.contains("created\":"),
        "{again}"
    );
}
