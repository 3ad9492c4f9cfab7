//! Replay: every matcher, ordering rule and repeat count.

use crate::common::{call, scenario, start};
use rstest::rstest;

fn one_step(matcher: &str) -> String {
    format!(
        r#"{{"version": 1, "steps": [{{"match": {matcher}, "times": "any", "reply": {{"stdout": "hit\n"}}}}]}}"#
    )
}

#[rstest]
#[case::exact(r#"{"command": "create", "id": "c1"}"#, &["create", "c1"], true)]
#[case::exact_differs(r#"{"command": "create", "id": "c1"}"#, &["create", "c2"], false)]
#[case::flag_order_and_forms_do_not_matter(
    r#"{"command": "create", "id": "c1", "bundle": "/b", "pid-file": "/p"}"#,
    &["create", "-pid-file=/p", "--bundle", "/b", "c1"],
    true
)]
#[case::number_equals_its_text(r#"{"command": "kill", "id": "c1", "pid": "0x10"}"#, &["kill", "--pid=16", "c1"], false)]
#[case::number_literal(r#"{"command": "kill", "id": "c1", "pid": 16}"#, &["kill", "--pid=0x10", "c1"], true)]
#[case::number_as_string(r#"{"command": "kill", "id": "c1", "pid": "16"}"#, &["kill", "--pid=16", "c1"], true)]
#[case::eq(r#"{"command": "kill", "id": "c1", "signal": {"eq": "KILL"}}"#, &["kill", "c1", "KILL"], true)]
#[case::any(r#"{"command": "create", "id": {"any": true}}"#, &["create", "zz"], true)]
#[case::glob(r#"{"command": "create", "id": "c1", "bundle": {"glob": "*/bundle"}}"#, &["create", "--bundle=/tmp/x/bundle", "c1"], true)]
#[case::glob_differs(r#"{"command": "create", "id": "c1", "bundle": {"glob": "*/bundle"}}"#, &["create", "--bundle=/tmp/x/bundles", "c1"], false)]
#[case::glob_on_absent(r#"{"command": "create", "id": "c1", "bundle": {"glob": "*"}}"#, &["create", "c1"], false)]
#[case::regex_is_anchored(r#"{"command": "state", "id": {"regex": "c[0-9]"}}"#, &["state", "c12"], false)]
#[case::regex(r#"{"command": "state", "id": {"regex": "c[0-9]+"}}"#, &["state", "c12"], true)]
#[case::absent(r#"{"command": "create", "id": "c1", "pid-file": {"absent": true}}"#, &["create", "c1"], true)]
#[case::absent_differs(r#"{"command": "create", "id": "c1", "pid-file": {"absent": true}}"#, &["create", "--pid-file=/p", "c1"], false)]
#[case::global(r#"{"command": "list", "global.config.network": "none", "global.debug": true}"#, &["--network=none", "--debug", "list"], true)]
#[case::global_differs(r#"{"command": "list", "global.config.network": "none"}"#, &["--network=host", "list"], false)]
#[case::list_literal(r#"{"command": "exec", "id": "c1", "args": ["ls", "-l"]}"#, &["exec", "c1", "ls", "-l"], true)]
#[case::list_index(r#"{"command": "exec", "id": "c1", "args.1": {"glob": "-*"}}"#, &["exec", "c1", "ls", "-l"], true)]
#[case::repeated_flag(r#"{"command": "exec", "id": "c1", "env": ["A=1", "B=2"]}"#, &["exec", "--env=A=1", "-env", "B=2", "c1", "true"], true)]
#[case::delete_by_index(r#"{"command": "delete", "ids.0": "c1", "force": true}"#, &["delete", "--force", "c1"], true)]
fn matchers(#[case] matcher: &str, #[case] args: &[&str], #[case] hit: bool) {
    let fake = start(&scenario(&one_step(matcher)));
    let out = call(&fake, args);
    if hit {
        assert_eq!(
            (out.code, out.stdout.as_str()),
            (Some(0), "hit\n"),
            "{}",
            out.stderr
        );
    } else {
        assert_eq!(
            out.code,
            Some(fake_runsc::exit::EXIT_UNMATCHED),
            "{}",
            out.stdout
        );
        assert!(out.stderr.contains("no step of"), "{}", out.stderr);
    }
}

#[test]
fn captures_are_reused_in_later_matches_and_replies_per_container() {
    let fake = start(&scenario(
        r#"{"version": 1, "steps": [
            {"match": {"command": "create", "id": {"capture": "id"}, "bundle": {"capture": "bundle"}}},
            {"match": {"command": "state", "id": {"ref": "id"}}, "times": "any",
             "reply": {"stdout": "{{id}} in {{bundle}}\n"}}
        ]}"#,
    ));
    assert_eq!(call(&fake, &["create", "--bundle=/b1", "a"]).code, Some(0));
    assert_eq!(call(&fake, &["create", "--bundle=/b2", "b"]).code, Some(0));
    assert_eq!(call(&fake, &["state", "a"]).stdout, "a in /b1\n");
    assert_eq!(call(&fake, &["state", "b"]).stdout, "b in /b2\n");
    let stranger = call(&fake, &["state", "c"]);
    assert_eq!(stranger.code, Some(fake_runsc::exit::EXIT_UNMATCHED));
    fake.verify().expect_err("the call for c was unexpected");
}

#[test]
fn a_ref_to_a_capture_nobody_made_does_not_match() {
    let fake = start(&scenario(
        r#"{"version": 1, "steps": [{"match": {"command": "state", "id": {"ref": "id"}}}]}"#,
    ));
    let out = call(&fake, &["state", "c1"]);
    assert_eq!(out.code, Some(fake_runsc::exit::EXIT_UNMATCHED));
    assert!(
        out.stderr.contains("which no earlier call set"),
        "{}",
        out.stderr
    );
}

#[test]
fn exec_matches_on_the_process_file_content() {
    let dir = tempfile::tempdir().unwrap();
    let process = dir.path().join("process.json");
    std::fs::write(&process, r#"{"args": ["sh", "-c", "echo hi"], "cwd": "/"}"#).unwrap();
    let fake = start(&scenario(
        r#"{"version": 1, "steps": [
            {"match": {"command": "exec", "id": "c1", "process-spec.args.0": "sh", "process-spec.args": ["sh", "-c", "echo hi"]},
             "reply": {"stdout": "hi\n"}}
        ]}"#,
    ));
    let out = call(
        &fake,
        &["exec", "--process", process.to_str().unwrap(), "c1"],
    );
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (Some(0), "hi\n"),
        "{}",
        out.stderr
    );
    std::fs::write(&process, r#"{"args": ["ls"]}"#).unwrap();
    let out = call(
        &fake,
        &["exec", "--process", process.to_str().unwrap(), "c1"],
    );
    assert_eq!(out.code, Some(fake_runsc::exit::EXIT_UNMATCHED));
}

const SEQUENCE: &str = r#"{"version": 1, "steps": [
    {"match": {"command": "create", "id": {"capture": "id"}}, "times": "any", "reply": {"stdout": "create\n"}},
    {"match": {"command": "state", "id": {"ref": "id"}}, "times": "any", "reply": {"stdout": "state-1\n"}},
    {"match": {"command": "start", "id": {"ref": "id"}}, "reply": {"stdout": "start\n"}},
    {"match": {"command": "state", "id": {"ref": "id"}}, "times": {"at_least": 1}, "reply": {"stdout": "state-2\n"}},
    {"match": {"command": "delete", "ids.0": {"ref": "id"}}, "reply": {"stdout": "delete\n"}}
]}"#;

#[test]
fn steps_for_one_id_play_in_order_and_ids_interleave() {
    let fake = start(&scenario(SEQUENCE));
    let say = |args: &[&str]| call(&fake, args).stdout;
    assert_eq!(say(&["create", "a"]), "create\n");
    assert_eq!(say(&["create", "b"]), "create\n");
    assert_eq!(say(&["state", "a"]), "state-1\n");
    assert_eq!(say(&["start", "a"]), "start\n");
    // b has not started: the same call gets the earlier step's answer.
    assert_eq!(say(&["state", "b"]), "state-1\n");
    assert_eq!(say(&["state", "a"]), "state-2\n");
    assert_eq!(say(&["start", "b"]), "start\n");
    assert_eq!(say(&["state", "b"]), "state-2\n");
    assert_eq!(say(&["delete", "a"]), "delete\n");
    assert_eq!(say(&["delete", "b"]), "delete\n");
    fake.verify().unwrap();
}

#[test]
fn a_required_step_blocks_later_ones_for_its_id() {
    let fake = start(&scenario(SEQUENCE));
    call(&fake, &["create", "a"]);
    // delete before start and the required state: refused, and said why.
    let out = call(&fake, &["delete", "a"]);
    assert_eq!(out.code, Some(fake_runsc::exit::EXIT_UNMATCHED));
    assert!(out.stderr.contains("must come first"), "{}", out.stderr);
}

#[test]
fn once_an_id_moved_on_earlier_steps_are_closed() {
    let fake = start(&scenario(SEQUENCE));
    call(&fake, &["create", "a"]);
    call(&fake, &["start", "a"]);
    let out = call(&fake, &["create", "a"]);
    assert_eq!(out.code, Some(fake_runsc::exit::EXIT_UNMATCHED));
    assert!(out.stderr.contains("already moved on"), "{}", out.stderr);
}

#[rstest]
#[case::exactly_two(r#"2"#, 2, Some(2), true)]
#[case::exactly_two_too_few(r#"2"#, 1, Some(2), false)]
#[case::at_least_two(r#"{"at_least": 2}"#, 5, None, true)]
#[case::at_least_two_too_few(r#"{"at_least": 2}"#, 1, None, false)]
#[case::at_most_two(r#"{"at_most": 2}"#, 2, Some(2), true)]
#[case::at_most_two_too_many(r#"{"at_most": 2}"#, 3, Some(2), false)]
#[case::any_none(r#""any""#, 0, None, true)]
#[case::any_many(r#""any""#, 4, None, true)]
fn repeat_counts(
    #[case] times: &str,
    #[case] calls: usize,
    #[case] answered: Option<usize>,
    #[case] verified: bool,
) {
    let fake = start(&scenario(&format!(
        r#"{{"version": 1, "steps": [{{"match": {{"command": "list"}}, "times": {times}}}]}}"#
    )));
    let ok = (0..calls)
        .filter(|_| call(&fake, &["list"]).code == Some(0))
        .count();
    assert_eq!(ok, answered.map_or(calls, |max| calls.min(max)));
    assert_eq!(fake.verify().is_ok(), verified, "{:?}", fake.verify());
}

#[test]
fn never_fails_the_call_and_verify() {
    let fake = start(&scenario(
        r#"{"version": 1, "steps": [
            {"match": {"command": "delete", "force": true}, "times": "never"},
            {"match": {"command": "delete"}, "times": "any"}
        ]}"#,
    ));
    assert_eq!(call(&fake, &["delete", "c1"]).code, Some(0));
    fake.verify().unwrap();
    let out = call(&fake, &["delete", "--force", "c1"]);
    assert_eq!(out.code, Some(fake_runsc::exit::EXIT_UNMATCHED));
    assert!(out.stderr.contains("must never come"), "{}", out.stderr);
    let err = fake.verify().unwrap_err();
    assert_eq!(err.unexpected.len(), 1, "{err}");
    assert!(err.unexpected[0].contains("never"), "{err}");
}
