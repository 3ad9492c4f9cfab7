//! Replay: reply kinds, side effects and named faults.

use std::io::{BufRead, BufReader, IoSliceMut, Read};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::net::UnixListener;
use std::process::Stdio;
use std::time::Duration;

use crate::common::{call, command, scenario, start};
use fake_runsc::journal::{Entry, Outcome};
use nix::sys::socket::{recvmsg, ControlMessageOwned, MsgFlags};
use rstest::rstest;

fn single(step: &str) -> fake_runsc::testing::FakeRuntime {
    start(&scenario(&format!(
        r#"{{"version": 1, "steps": [{step}]}}"#
    )))
}

#[test]
fn stdout_stderr_and_exit_status() {
    let fake = single(
        r#"{"match": {"command": "state", "id": "c1"},
            "reply": {"stdout": "out {{x}}\n", "stderr": "container \"c1\" does not exist\n", "exit": 128}}"#,
    );
    let out = call(&fake, &["state", "c1"]);
    assert_eq!(out.code, Some(128));
    assert_eq!(out.stdout, "out {{x}}\n");
    assert_eq!(out.stderr, "container \"c1\" does not exist\n");
}

#[test]
fn timed_chunks_stream_before_the_call_ends() {
    let fake = single(
        r#"{"match": {"command": "events", "id": "c1", "interval": 1},
            "reply": {"stdout": [{"data": "{\"type\":\"stats\",\"n\":1}\n"},
                                 {"after_ms": 30000, "data": "{\"type\":\"stats\",\"n\":2}\n"}],
                      "hang": true}}"#,
    );
    let mut child = command(&fake, &["events", "--interval=1", "c1"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    lines.read_line(&mut first).unwrap();
    assert_eq!(first, "{\"type\":\"stats\",\"n\":1}\n");
    // The second chunk is due much later: the call is still running.
    assert!(child.try_wait().unwrap().is_none());
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn chunks_of_both_streams_keep_their_order() {
    let fake = single(
        r#"{"match": {"command": "list"},
            "reply": {"stdout": [{"data": "a"}, {"after_ms": 40, "data": "c"}],
                      "stderr": [{"after_ms": 20, "data": "b"}]}}"#,
    );
    let out = call(&fake, &["list"]);
    assert_eq!((out.stdout.as_str(), out.stderr.as_str()), ("ac", "b"));
    let journal = fake.journal().unwrap();
    assert_eq!(journal.len(), 2, "a call and its end: {journal:?}");
    assert!(matches!(journal[1], Entry::Finished(_)), "{journal:?}");
}

#[rstest]
#[case::name(r#""SIGKILL""#, 9)]
#[case::short_name(r#""TERM""#, 15)]
#[case::number("11", 11)]
fn death_by_signal_after_the_output(#[case] signal: &str, #[case] number: i32) {
    let fake = single(&format!(
        r#"{{"match": {{"command": "wait", "id": "c1"}}, "reply": {{"stdout": "before\n", "signal": {signal}}}}}"#
    ));
    let out = call(&fake, &["wait", "c1"]);
    assert_eq!((out.code, out.signal), (None, Some(number)));
    assert_eq!(out.stdout, "before\n");
    let Outcome::Signal(planned) = &fake.calls().unwrap()[0].outcome else {
        panic!("the planned outcome is a signal: {:?}", fake.calls());
    };
    assert_eq!(serde_json::to_string(planned).unwrap(), signal);
}

fn assert_hangs(fake: &fake_runsc::testing::FakeRuntime, args: &[&str]) {
    let mut child = command(fake, args).stdout(Stdio::piped()).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(child.try_wait().unwrap().is_none(), "the call should hang");
    child.kill().unwrap();
    child.wait().unwrap();
    let mut rest = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut rest)
        .unwrap();
    assert_eq!(rest, "");
}

#[test]
fn hang_until_killed() {
    let fake = single(r#"{"match": {"command": "start", "id": "c1"}, "reply": {"hang": true}}"#);
    assert_hangs(&fake, &["start", "c1"]);
    assert_eq!(fake.calls().unwrap()[0].outcome, Outcome::Hang(true));
}

#[test]
fn pid_file_auto_fixed_none() {
    let dir = tempfile::tempdir().unwrap();
    let pid = dir.path().join("pid");
    let pid_arg = format!("--pid-file={}", pid.display());
    let fake = start(&scenario(
        r#"{"version": 1, "steps": [
            {"match": {"command": "create", "id": "a"}},
            {"match": {"command": "create", "id": "b"}, "reply": {"pid_file": {"pid": 4242}}},
            {"match": {"command": "create", "id": "c"}, "reply": {"pid_file": "none"}},
            {"match": {"command": "create", "id": "d"}, "reply": {"exit": 1}}
        ]}"#,
    ));
    assert_eq!(call(&fake, &["create", &pid_arg, "a"]).code, Some(0));
    let own: i32 = std::fs::read_to_string(&pid).unwrap().parse().unwrap();
    assert_eq!(
        Some(own as u32),
        fake.calls().unwrap().first().map(|c| c.pid)
    );
    assert_eq!(call(&fake, &["create", &pid_arg, "b"]).code, Some(0));
    assert_eq!(std::fs::read_to_string(&pid).unwrap(), "4242");
    std::fs::remove_file(&pid).unwrap();
    call(&fake, &["create", &pid_arg, "c"]);
    assert!(!pid.exists());
    call(&fake, &["create", &pid_arg, "d"]);
    assert!(!pid.exists(), "a failed create writes no pid file");
}

#[test]
fn pid_file_live_lives_until_the_session_ends() {
    let dir = tempfile::tempdir().unwrap();
    let pid_path = dir.path().join("pid");
    let fake =
        single(r#"{"match": {"command": "create", "id": "c1"}, "reply": {"pid_file": "live"}}"#);
    let out = call(
        &fake,
        &[
            "create",
            &format!("--pid-file={}", pid_path.display()),
            "c1",
        ],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let pid: i32 = std::fs::read_to_string(&pid_path).unwrap().parse().unwrap();
    assert!(crate::common::pid_alive(pid));
    drop(fake);
    let mut gone = false;
    for _ in 0..100 {
        if !crate::common::pid_alive(pid) {
            gone = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(gone, "the live process {pid} outlived the session");
}

#[test]
fn log_lines_are_appended_to_the_global_log() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("runsc.log");
    std::fs::write(&log, "earlier\n").unwrap();
    let fake = single(
        r#"{"match": {"command": "start", "id": {"capture": "id"}},
            "reply": {"exit": 128, "stderr": "boom\n",
                      "log": [{"msg": "starting {{id}}", "level": "error"}, "plain {{id}}"]}}"#,
    );
    let out = call(
        &fake,
        &[
            &format!("--log={}", log.display()),
            "--log-format=json",
            "start",
            "c1",
        ],
    );
    assert_eq!(out.code, Some(128));
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        "earlier\n{\"level\":\"error\",\"msg\":\"starting c1\"}\nplain c1\n"
    );
}

#[test]
fn console_socket_receives_a_pty_master() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("console.sock");
    let listener = UnixListener::bind(&socket).unwrap();
    let fake = single(
        r#"{"match": {"command": "create", "id": "c1"}, "reply": {"tty": "hello from the tty\n"}}"#,
    );
    let out = call(
        &fake,
        &[
            "create",
            &format!("--console-socket={}", socket.display()),
            "c1",
        ],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let (stream, _) = listener.accept().unwrap();
    let mut payload = [0u8; 64];
    let mut space = nix::cmsg_space!([std::os::fd::RawFd; 1]);
    let mut iov = [IoSliceMut::new(&mut payload)];
    let msg = recvmsg::<()>(
        std::os::fd::AsRawFd::as_raw_fd(&stream),
        &mut iov,
        Some(&mut space),
        MsgFlags::empty(),
    )
    .unwrap();
    let received = msg.bytes;
    let fd = msg
        .cmsgs()
        .unwrap()
        .find_map(|c| match c {
            ControlMessageOwned::ScmRights(fds) => fds.first().copied(),
            _ => None,
        })
        .expect("a file descriptor came");
    assert_eq!(&payload[..received], fake_runsc::CONSOLE_PAYLOAD);
    // SAFETY: the descriptor was just received and is owned by nobody else.
    let master = std::fs::File::from(unsafe { OwnedFd::from_raw_fd(fd) });
    let mut line = String::new();
    BufReader::new(master).read_line(&mut line).unwrap();
    // The terminal turns "\n" into "\r\n", as any pty does.
    assert_eq!(line, "hello from the tty\r\n");
}

#[test]
fn fault_hang() {
    let fake = single(
        r#"{"match": {"command": "state", "id": "c1"}, "reply": {"stdout": "x"}, "fault": "hang"}"#,
    );
    assert_hangs(&fake, &["state", "c1"]);
}

#[rstest]
#[case::default(r#""killed""#, 9)]
#[case::chosen(r#"{"killed": {"signal": "SIGSEGV"}}"#, 11)]
fn fault_killed(#[case] fault: &str, #[case] signal: i32) {
    let fake = single(&format!(
        r#"{{"match": {{"command": "state", "id": "c1"}}, "reply": {{"stdout": "{{}}\n"}}, "fault": {fault}}}"#
    ));
    let out = call(&fake, &["state", "c1"]);
    assert_eq!((out.code, out.signal), (None, Some(signal)));
}

#[test]
fn fault_truncated_json() {
    let fake = start(&scenario(
        r#"{"version": 1, "steps": [
            {"match": {"command": "state", "id": "c1"}, "reply": {"stdout": "{\"id\":\"c1\",\"status\":\"running\"}\n"}, "fault": "truncated-json"},
            {"match": {"command": "state", "id": "c2"}, "reply": {"stdout": "{\"id\":\"c2\"}"}, "fault": {"truncated-json": {"keep_bytes": 3}}},
            {"match": {"command": "state", "id": "c3"}, "fault": "truncated-json"}
        ]}"#,
    ));
    let out = call(&fake, &["state", "c1"]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (Some(0), "{\"id\":\"c1\",\"sta")
    );
    assert_eq!(call(&fake, &["state", "c2"]).stdout, "{\"i");
    let made_up = call(&fake, &["state", "c3"]).stdout;
    assert!(made_up.starts_with("{\"ociVersion\""), "{made_up}");
    assert!(serde_json::from_str::<serde_json::Value>(&made_up).is_err());
}

#[test]
fn fault_garbage() {
    let fake = single(
        r#"{"match": {"command": "list"}, "reply": {"stdout": "[]\n"}, "fault": {"garbage": {"bytes": 100}}}"#,
    );
    let output = command(&fake, &["list"]).output().unwrap();
    assert_eq!(output.stdout.len(), 100);
    assert!(std::str::from_utf8(&output.stdout).is_err());
    assert!(serde_json::from_slice::<serde_json::Value>(&output.stdout).is_err());
}

#[test]
fn fault_huge_stderr() {
    let fake = single(
        r#"{"match": {"command": "delete", "ids": ["c1"]}, "reply": {"exit": 1, "stderr": "the end\n"},
            "fault": {"huge-stderr": {"bytes": 3000000}}}"#,
    );
    let output = command(&fake, &["delete", "c1"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(output.stderr.len(), 3_000_000 + "the end\n".len());
    assert!(output.stderr.ends_with(b"the end\n"));
}

#[test]
fn fault_slow_start_delays_everything() {
    let fake = single(
        r#"{"match": {"command": "list"}, "reply": {"stdout": "[]\n"}, "fault": {"slow-start": {"delay_ms": 30000}}}"#,
    );
    assert_hangs(&fake, &["list"]);
}

#[test]
fn fault_stream_cut_mid_event() {
    let fake = start(&scenario(
        r#"{"version": 1, "steps": [
            {"match": {"command": "events", "id": "c1"},
             "reply": {"stdout": [{"data": "{\"type\":\"stats\",\"n\":1}\n"}, {"data": "{\"type\":\"stats\",\"n\":2}\n"}], "signal": "KILL"},
             "fault": "stream-cut"},
            {"match": {"command": "events", "id": "c2"}, "fault": "stream-cut"}
        ]}"#,
    ));
    let out = call(&fake, &["events", "c1"]);
    assert_eq!(out.signal, Some(9));
    assert_eq!(out.stdout, "{\"type\":\"stats\",\"n\":1}\n{\"type\":\"st");
    let made_up = call(&fake, &["events", "c2"]);
    assert_eq!(made_up.code, Some(0));
    assert!(
        made_up
            .stdout
            .starts_with("{\"type\":\"stats\",\"id\":\"c2\""),
        "{}",
        made_up.stdout
    );
    assert!(!made_up.stdout.ends_with('\n'));
}

#[test]
fn fault_nth_call_fails() {
    let fake = single(
        r#"{"match": {"command": "state", "id": "c1"}, "times": "any", "reply": {"stdout": "ok\n"},
            "fault": {"nth-call-fails": {"n": 2, "exit": 128, "stderr": "flaky {{nope}}\n"}}}"#,
    );
    let outcomes: Vec<(Option<i32>, String, String)> = (0..3)
        .map(|_| {
            let out = call(&fake, &["state", "c1"]);
            (out.code, out.stdout, out.stderr)
        })
        .collect();
    assert_eq!(
        outcomes,
        vec![
            (Some(0), "ok\n".to_owned(), String::new()),
            (Some(128), String::new(), "flaky {{nope}}\n".to_owned()),
            (Some(0), "ok\n".to_owned(), String::new()),
        ]
    );
    assert_eq!(fake.calls().unwrap()[1].outcome, Outcome::Exit(128));
}
