//! The rule that tells runsc's own failure from a container process that
//! exits 128 (`run`, `exec`, `restore`), against a stand-in that answers
//! as runsc 20221219 does: it creates its `--log` or, when it cannot,
//! prints a `FATAL ERROR:` log line to stderr; a failure appends a JSON
//! error entry to the log and prints the error on stderr; a process that
//! exits 128 writes the pid file and nothing else.

use runsc::{Error, ExecOpts, ExecOutcome, ProcessIo, RestoreOpts, RunOpts};

use crate::support::{id, process, Fake, LogSetup};

/// The part every body shares: runsc's handling of `--log` and `--pid-file`.
const PRELUDE: &str = r#"log=; pidfile=
prev=
for a; do
  case "$prev" in --pid-file) pidfile="$a";; esac
  case "$a" in --log=*) log="${a#--log=}";; --pid-file=*) pidfile="${a#--pid-file=}";; esac
  prev="$a"
done
if [ -n "$log" ] && ! true 2>/dev/null >>"$log"; then
  echo "W1202 06:58:19.865473    2263 util.go:64] FATAL ERROR: error opening log file \"$log\": open $log: no such file or directory" >&2
  echo "error opening log file \"$log\": open $log: no such file or directory" >&2
  exit 128
fi
"#;

/// runsc failing: the error in the log (when it has one) and on stderr.
const RUNSC_FAILS: &str = r#"msg='loading sandbox: file does not exist'
[ -n "$log" ] && printf '{"msg":"%s","level":"error","time":"t"}' "$msg" >>"$log"
echo "$msg" >&2
exit 128"#;

/// The process exiting 128 after printing `$1` on stderr (if anything).
fn process_exits_128(stderr: &str) -> String {
    format!(
        r#"[ -n "$pidfile" ] && echo $$ >"$pidfile"
{}
exit 128"#,
        if stderr.is_empty() {
            String::new()
        } else {
            format!("echo '{stderr}' >&2")
        }
    )
}

fn fake(log: LogSetup, situation: &str) -> Fake {
    Fake::with(&format!("{PRELUDE}{situation}"), |b, dir| {
        log.configure(b, dir)
    })
}

fn assert_runsc_failure<T: std::fmt::Debug>(what: &str, result: Result<T, Error>) -> Error {
    let err = result.expect_err(what);
    assert!(err.is_runsc_failure(), "{what}: {err}");
    assert_eq!(err.exit_code(), Some(128), "{what}: {err}");
    err
}

async fn run_exec_restore(fake: &Fake, pid_file: Option<&str>) -> [Result<i32, Error>; 3] {
    let dir = fake.dir.path();
    let mut run = RunOpts::default();
    let mut exec = ExecOpts::default();
    let mut restore = RestoreOpts::default();
    if let Some(name) = pid_file {
        run = run.with_pid_file(dir.join(format!("run-{name}")));
        exec = exec.with_pid_file(dir.join(format!("exec-{name}")));
        restore = restore.with_pid_file(dir.join(format!("restore-{name}")));
    }
    let runsc = &fake.runsc;
    [
        runsc.run(&id("c1"), "/b", &run).await.map(|e| e.code),
        runsc
            .exec(&id("c1"), &process(&["true"]), &exec)
            .await
            .map(|e| e.code().expect("not detached")),
        runsc
            .restore(&id("c1"), "/b", &restore)
            .await
            .map(|e| e.code),
    ]
}

#[tokio::test]
async fn runscs_failure_is_an_error_under_every_log_setup() {
    for log in LogSetup::ALL {
        let fake = fake(log, RUNSC_FAILS);
        for result in run_exec_restore(&fake, None).await {
            let err = assert_runsc_failure(&format!("{log:?}"), result);
            let text = err.to_string();
            match log {
                LogSetup::MissingDir => assert!(text.contains("error opening log file"), "{text}"),
                _ => assert!(text.contains("loading sandbox"), "{text}"),
            }
            if matches!(log, LogSetup::Text | LogSetup::Json) {
                assert_eq!(
                    err.runsc_error(),
                    Some("loading sandbox: file does not exist")
                );
            }
        }
        // A pid file changes nothing: runsc never wrote it.
        for result in run_exec_restore(&fake, Some("pid")).await {
            assert_runsc_failure(&format!("{log:?} with a pid file"), result);
        }
    }
}

#[tokio::test]
async fn a_process_that_exits_128_silently_is_an_exit_code() {
    for log in LogSetup::ALL {
        let fake = fake(log, &process_exits_128(""));
        for result in run_exec_restore(&fake, None).await {
            match log {
                // runsc cannot open its log, so nothing ever runs.
                LogSetup::MissingDir => {
                    assert_runsc_failure("missing log directory", result);
                }
                _ => assert_eq!(result.unwrap(), 128, "{log:?}"),
            }
        }
    }
}

#[tokio::test]
async fn a_process_that_exits_128_after_printing_is_an_exit_code_when_a_signal_says_so() {
    let printing = process_exits_128("oops from the process");
    // A log with no error from the call, or a pid file runsc wrote, says
    // the process ran.
    for log in [LogSetup::Text, LogSetup::Json] {
        for result in run_exec_restore(&fake(log, &printing), None).await {
            assert_eq!(result.unwrap(), 128, "{log:?}");
        }
    }
    for result in run_exec_restore(&fake(LogSetup::None, &printing), Some("pid")).await {
        assert_eq!(result.unwrap(), 128, "with a pid file");
    }
    // No log and no pid file: stderr may be runsc's error; a failure must
    // not read as success.
    for result in run_exec_restore(&fake(LogSetup::None, &printing), None).await {
        let err = assert_runsc_failure("no signal", result);
        assert_eq!(err.stderr(), Some("oops from the process\n"));
    }
}

#[tokio::test]
async fn with_an_io_given_only_the_log_and_the_pid_file_can_tell() {
    let body = process_exits_128("");
    let opts = |dir: &std::path::Path, pid: bool| {
        let opts = RunOpts::default().with_io(ProcessIo::null());
        if pid {
            opts.with_pid_file(dir.join("run.pid"))
        } else {
            opts
        }
    };
    let none = fake(LogSetup::None, &body);
    let err = none
        .runsc
        .run(&id("c1"), "/b", &opts(none.dir.path(), false))
        .await
        .unwrap_err();
    assert!(err.is_runsc_failure(), "{err}");
    let exit = none
        .runsc
        .run(&id("c1"), "/b", &opts(none.dir.path(), true))
        .await
        .unwrap();
    assert_eq!(exit.code, 128);
    let json = fake(LogSetup::Json, &body);
    let exit = json
        .runsc
        .run(&id("c1"), "/b", &opts(json.dir.path(), false))
        .await
        .unwrap();
    assert_eq!(exit.code, 128);
    // runsc failing while the caller holds stderr: the log still tells.
    let failing = fake(LogSetup::Json, RUNSC_FAILS);
    let err = failing
        .runsc
        .exec(
            &id("c1"),
            &process(&["true"]),
            &ExecOpts::default().with_io(ProcessIo::null()),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.runsc_error(),
        Some("loading sandbox: file does not exist")
    );
}

#[tokio::test]
async fn text_log_lines_flag_errors_and_a_vanished_log_are_runscs_failures() {
    // A release that writes its error to the log as a Go log line.
    let text_line = r#"echo "E1202 06:58:19.917535    2263 util.go:64] loading sandbox: file does not exist" >>"$log"
exit 128"#;
    let err = fake(LogSetup::Text, text_line)
        .runsc
        .run(&id("c1"), "/b", &RunOpts::default())
        .await
        .unwrap_err();
    assert_eq!(
        err.runsc_error(),
        Some("loading sandbox: file does not exist")
    );
    // runsc refusing its command line logs nothing, but says so on stderr.
    let refused = r#"echo 'flag provided but not defined: -bogus' >&2
echo 'run [flags] <container id> - create and run a secure container.' >&2
exit 128"#;
    let err = fake(LogSetup::Json, refused)
        .runsc
        .run(&id("c1"), "/b", &RunOpts::default())
        .await
        .unwrap_err();
    assert!(err.is_runsc_failure(), "{err}");
    // A log that is gone after the call was never opened by runsc.
    let removes_log = r#"rm -f "$log"; exit 128"#;
    let err = fake(LogSetup::Json, removes_log)
        .runsc
        .run(&id("c1"), "/b", &RunOpts::default())
        .await
        .unwrap_err();
    assert!(err.is_runsc_failure(), "{err}");
}

#[tokio::test]
async fn a_detached_call_that_exits_128_is_always_runscs_failure() {
    let fake = fake(LogSetup::Json, &process_exits_128(""));
    let err = fake
        .runsc
        .run(&id("c1"), "/b", &RunOpts::default().with_detach(true))
        .await
        .unwrap_err();
    assert!(err.is_runsc_failure(), "{err}");
    let err = fake
        .runsc
        .exec(
            &id("c1"),
            &process(&["true"]),
            &ExecOpts::default().with_detach(true),
        )
        .await
        .unwrap_err();
    assert!(err.is_runsc_failure(), "{err}");
    assert!(!matches!(
        fake.runsc
            .exec(&id("c1"), &process(&["true"]), &ExecOpts::default())
            .await,
        Ok(ExecOutcome::Detached { .. })
    ));
}
