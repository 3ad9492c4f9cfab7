//! The client survives every fault the fake can inject: death by signal,
//! truncated and garbage JSON, a stream cut mid-event, a slow start past the
//! deadline, and a daemonising child that keeps runsc's stdout open. Each
//! fault gives the error a caller can act on, never a panic or a hang.
//!
//! Hangs (process-group cleanup) and 100 MB of output (memory) have suites
//! of their own, `reliability_hang` and `reliability_big_output`, because
//! they inspect the whole test process.

use std::future::poll_fn;
use std::pin::Pin;
use std::time::Duration;

use fake_runsc::scenario::{Fault, Scenario, SignalSpec, Step};
use futures_core::Stream;
use runsc::cli::ContainerId;
use runsc::{Error, EventStream, WaitOpts};

use crate::common::start;
use crate::reliability_support::{client, state_json};

fn id(s: &str) -> ContainerId {
    ContainerId::new(s).expect("a valid id")
}

async fn next(stream: &mut EventStream) -> Option<Result<runsc::types::Event, Error>> {
    poll_fn(|cx| Pin::new(&mut *stream).poll_next(cx)).await
}

const STATS_1: &str = r#"{"type":"stats","id":"c1","data":{"pids":{"current":1}}}"#;
const STATS_2: &str = r#"{"type":"stats","id":"c1","data":{"pids":{"current":2}}}"#;

/// The five calls that decode JSON, each with a document runsc would print.
fn json_steps() -> Vec<(&'static str, Step, String)> {
    let state = format!("{}\n", state_json("c1"));
    let list = format!("[{}]\n", state_json("c1"));
    let wait = "{\"id\":\"c1\",\"exitStatus\":0}\n".to_owned();
    let ps = "[1,4]\n".to_owned();
    let stats = format!("{STATS_1}\n");
    vec![
        ("state", Step::command("state").stdout(&state), state),
        ("list", Step::command("list").stdout(&list), list),
        ("wait", Step::command("wait").stdout(&wait), wait),
        ("ps", Step::command("ps").stdout(&ps), ps),
        ("events", Step::command("events").stdout(&stats), stats),
    ]
}

/// Runs the decoding call that `command` names and returns its error.
async fn decoding_call_error(runsc: &runsc::Runsc, command: &str) -> Error {
    let c1 = id("c1");
    let result = match command {
        "state" => runsc.state(&c1).await.map(drop),
        "list" => runsc.list().await.map(drop),
        "wait" => runsc.wait(&c1, &WaitOpts::default()).await.map(drop),
        "ps" => runsc.ps(&c1).await.map(drop),
        "events" => runsc.stats(&c1).await.map(drop),
        other => panic!("no decoding call for {other}"),
    };
    result.expect_err("the fault must make the call fail")
}

#[tokio::test]
async fn truncated_json_is_a_decode_error_with_an_excerpt_of_what_came() {
    for (command, step, document) in json_steps() {
        let step = step.fault(Fault::TruncatedJson { keep_bytes: None });
        let fake = start(&Scenario::new().step(step));
        let error = decoding_call_error(&client(&fake, None), command).await;
        let Error::Decode {
            excerpt,
            what,
            argv,
            ..
        } = &error
        else {
            panic!("{command}: expected a decode error, got {error:?}");
        };
        assert!(
            !excerpt.is_empty()
                && excerpt.len() < document.len()
                && document.starts_with(excerpt.as_str()),
            "{command}: the excerpt {excerpt:?} is not the truncated start of {document:?}"
        );
        assert!(!what.is_empty());
        assert!(
            argv.iter().any(|a| a == command),
            "{command}: argv {argv:?}"
        );
        assert!(
            error.to_string().contains(&format!("{excerpt:?}")),
            "{command}: the message does not show the excerpt: {error}"
        );
        fake.verify().expect("the one call came");
    }
}

#[tokio::test]
async fn garbage_is_a_decode_error_never_a_panic() {
    for (command, step, _) in json_steps() {
        let step = step.fault(Fault::Garbage { bytes: 4096 });
        let fake = start(&Scenario::new().step(step));
        let error = decoding_call_error(&client(&fake, None), command).await;
        let Error::Decode { excerpt, .. } = &error else {
            panic!("{command}: expected a decode error, got {error:?}");
        };
        assert!(
            excerpt.contains("<garbage>"),
            "{command}: excerpt {excerpt:?}"
        );
        assert!(
            excerpt.len() < 1024,
            "{command}: the excerpt of 4096 bytes of garbage is not bounded: {} bytes",
            excerpt.len()
        );
        assert!(
            excerpt.ends_with("(4096 bytes in all)"),
            "{command}: {excerpt:?}"
        );
    }
    // A `ps` table has no syntax to violate, so garbage is either read as
    // a table (headers only) or refused with an excerpt, never a panic.
    let fake =
        start(&Scenario::new().step(Step::command("ps").fault(Fault::Garbage { bytes: 4096 })));
    match client(&fake, None).top(&id("c1")).await {
        Ok(top) => assert!(top.processes.is_empty(), "{top:?}"),
        Err(Error::PsOutput { excerpt, .. }) => assert!(excerpt.contains("<garbage>")),
        Err(other) => panic!("expected a table or a ps error, got {other:?}"),
    }
}

#[tokio::test]
async fn death_by_signal_is_an_error_that_names_the_signal() {
    for (signal, number, name) in [("SIGKILL", 9, "SIGKILL"), ("TERM", 15, "SIGTERM")] {
        let step = Step::command("state")
            .stdout(state_json("c1"))
            .fault(Fault::Killed {
                signal: SignalSpec::Name(signal.to_owned()),
            });
        let fake = start(&Scenario::new().step(step));
        let error = client(&fake, None)
            .state(&id("c1"))
            .await
            .expect_err("runsc died");
        assert_eq!(error.signal(), Some(number), "{error:?}");
        assert_eq!(error.exit_code(), None);
        let message = error.to_string();
        assert!(
            message.contains(name) && message.contains(&number.to_string()),
            "the message does not name {name}: {message}"
        );
    }
    // `run` passes the container's status on, but runsc's own death is an error.
    let fake = start(&Scenario::new().step(Step::command("run").signal("SIGKILL")));
    let error = client(&fake, None)
        .run(&id("c1"), "/b", &runsc::RunOpts::default())
        .await
        .expect_err("runsc died");
    assert_eq!(error.signal(), Some(9), "{error:?}");
}

#[tokio::test]
async fn a_stream_cut_mid_event_yields_an_error_then_ends() {
    let step = Step::command("events")
        .stdout_chunk(0, format!("{STATS_1}\n"))
        .stdout_chunk(20, format!("{STATS_2}\n"))
        .fault(Fault::StreamCut {});
    let fake = start(&Scenario::new().step(step));
    let mut stream = client(&fake, None)
        .events(&id("c1"), Duration::from_secs(1))
        .await
        .expect("events starts");
    let first = next(&mut stream)
        .await
        .expect("an item")
        .expect("the whole first event");
    assert_eq!(first.stats.expect("stats").pids.current, 1);
    match next(&mut stream).await {
        Some(Err(Error::Decode {
            source,
            excerpt,
            argv,
            ..
        })) => {
            assert!(
                source.is_eof(),
                "the cut must read as an early end: {source}"
            );
            assert!(
                STATS_2.starts_with(excerpt.as_str()) && !excerpt.is_empty(),
                "{excerpt:?}"
            );
            assert!(argv.iter().any(|a| a == "events"), "{argv:?}");
        }
        other => panic!("expected a decode error for the cut event, got {other:?}"),
    }
    assert!(
        next(&mut stream).await.is_none(),
        "the stream must end after the error"
    );
    assert!(next(&mut stream).await.is_none(), "and stay ended");
}

#[tokio::test]
async fn an_events_stream_whose_runsc_dies_ends_with_the_signal() {
    let step = Step::command("events")
        .stdout_chunk(0, format!("{STATS_1}\n{STATS_2}\n"))
        .fault(Fault::Killed {
            signal: SignalSpec::Number(9),
        });
    let fake = start(&Scenario::new().step(step));
    let mut stream = client(&fake, None)
        .events(&id("c1"), Duration::from_secs(1))
        .await
        .expect("events starts");
    for expected in [1, 2] {
        let event = next(&mut stream).await.expect("an item").expect("an event");
        assert_eq!(event.stats.expect("stats").pids.current, expected);
    }
    match next(&mut stream).await {
        Some(Err(error)) => assert_eq!(error.signal(), Some(9), "{error:?}"),
        other => panic!("expected runsc's death, got {other:?}"),
    }
    assert!(next(&mut stream).await.is_none());
}

#[tokio::test]
async fn a_slow_start_past_the_deadline_is_a_timeout() {
    let step = Step::command("state")
        .stdout(state_json("c1"))
        .fault(Fault::SlowStart { delay_ms: 30_000 });
    let fake = start(&Scenario::new().step(step));
    let error = client(&fake, Some(Duration::from_millis(300)))
        .state(&id("c1"))
        .await
        .expect_err("the deadline passes first");
    assert!(error.is_timeout(), "{error:?}");
    assert!(error.to_string().contains("timed out"), "{error}");
}

#[tokio::test]
async fn nth_call_fails_only_on_that_call() {
    let step = Step::command("state")
        .stdout(state_json("c1"))
        .times(fake_runsc::scenario::Times::Exactly(3))
        .fault(Fault::NthCallFails {
            n: 2,
            exit: 1,
            stderr: "injected\n".to_owned(),
        });
    let fake = start(&Scenario::new().step(step));
    let runsc = client(&fake, None);
    let outcomes = [
        runsc.state(&id("c1")).await.is_ok(),
        runsc.state(&id("c1")).await.is_ok(),
        runsc.state(&id("c1")).await.is_ok(),
    ];
    assert_eq!(outcomes, [true, false, true]);
    fake.verify().expect("three calls");
}

/// runsc's sandbox inherits runsc's stdout and stderr and outlives the call
/// (the simulator plays it with a process of its own session that keeps
/// both open): `create` still returns when runsc exits.
#[tokio::test]
async fn a_daemonising_child_that_keeps_stdout_open_does_not_hold_the_call() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let bundle = crate::common::sleep_bundle(dir.path());
    let root = dir.path().join("root");
    let runsc = runsc::Runsc::builder()
        .command(crate::common::binary())
        .root(&root)
        .timeout(Duration::from_secs(60))
        .build()
        .expect("a client");
    let c1 = id("daemon-1");
    runsc
        .create(&c1, &bundle, &runsc::CreateOpts::default())
        .await
        .expect("create returns although the sandbox holds its stdout");
    let state = runsc.state(&c1).await.expect("state");
    let sandbox = state.pid;
    let holds_pipe = std::fs::read_link(format!("/proc/{sandbox}/fd/1"))
        .map(|target| target.to_string_lossy().starts_with("pipe:"))
        .unwrap_or(false);
    let deleted = runsc
        .delete(&c1, &runsc::DeleteOpts::default().with_force(true))
        .await;
    assert!(
        holds_pipe,
        "the simulated sandbox (pid {sandbox}) should hold the call's stdout pipe, or this test shows nothing"
    );
    deleted.expect("delete --force");
}
