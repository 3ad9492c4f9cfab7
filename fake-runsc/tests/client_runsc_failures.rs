//! The client's rule for "runsc failed" against "the process exited 128"
//! (`run`, `exec`), driven through the fake in replay mode: each scenario
//! step answers as runsc 20221219 did for the same call under the same
//! `--log` setup (stderr, exit status, log entry, pid file).
//!
//! The expectations (`expected`) do not depend on how the fake is driven:
//! the same table is checked against the simulator, which opens and writes
//! `--log` as runsc does.

use std::path::Path;

use fake_runsc::scenario::{PidFile, Scenario, Step, ValueMatch};
use fake_runsc::testing::FakeRuntime;
use runsc::cli::{ContainerId, LogFormat};
use runsc::{Error, ExecOpts, RunOpts, Runsc, RunscBuilder};

/// How the client configures runsc's `--log`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LogSetup {
    None,
    /// A JSON log in a directory that does not exist.
    MissingDir,
    /// The default (text) format.
    Text,
    Json,
}

const LOG_SETUPS: [LogSetup; 4] = [
    LogSetup::None,
    LogSetup::MissingDir,
    LogSetup::Text,
    LogSetup::Json,
];

impl LogSetup {
    fn configure(self, builder: RunscBuilder, dir: &Path) -> RunscBuilder {
        match self {
            Self::None => builder,
            Self::MissingDir => builder
                .log(dir.join("no-such-dir").join("runsc.log"))
                .log_format(LogFormat::Json),
            Self::Text => builder.log(dir.join("runsc.log")),
            Self::Json => builder
                .log(dir.join("runsc.log"))
                .log_format(LogFormat::Json),
        }
    }

    fn writable(self) -> bool {
        matches!(self, Self::Text | Self::Json)
    }
}

/// The calls of the acceptance criteria.
#[derive(Debug, Clone, Copy)]
enum Case {
    /// `run` of a bundle whose config.json is not JSON.
    RunBadBundle,
    /// `exec` in a container that does not exist.
    ExecMissingContainer,
    /// `run` of a container whose process exits 128.
    RunExits128,
    /// `exec` of a process that exits 128.
    ExecExits128,
}

const CASES: [Case; 4] = [
    Case::RunBadBundle,
    Case::ExecMissingContainer,
    Case::RunExits128,
    Case::ExecExits128,
];

/// What the client must report.
#[derive(Debug, PartialEq, Eq)]
enum Expect {
    RunscFailure,
    Exit(i32),
}

fn expected(case: Case, log: LogSetup) -> Expect {
    match (case, log) {
        (Case::RunBadBundle | Case::ExecMissingContainer, _) => Expect::RunscFailure,
        // runsc cannot open its log, so nothing runs.
        (_, LogSetup::MissingDir) => Expect::RunscFailure,
        (Case::RunExits128 | Case::ExecExits128, _) => Expect::Exit(128),
    }
}

/// What runsc 20221219 printed when it could not open its `--log`.
fn cannot_open_log(path: &Path) -> String {
    let path = path.display();
    format!(
        "W1202 06:58:40.345432    3111 util.go:64] FATAL ERROR: error opening log file \"{path}\": open {path}: no such file or directory\n\
         error opening log file \"{path}\": open {path}: no such file or directory\n"
    )
}

/// The step that answers `case` as runsc 20221219 did under `log`.
fn step(case: Case, log: LogSetup, log_path: Option<&Path>) -> Step {
    let command = match case {
        Case::RunBadBundle | Case::RunExits128 => "run",
        Case::ExecMissingContainer | Case::ExecExits128 => "exec",
    };
    let mut step = Step::command(command).id(ValueMatch::any()).exit(128);
    if let (LogSetup::MissingDir, Some(path)) = (log, log_path) {
        step = step.stderr(cannot_open_log(path));
        step.reply.pid_file = PidFile::Word(fake_runsc::scenario::PidFileWord::None);
        return step;
    }
    let error = match case {
        Case::RunBadBundle => Some(
            "reading spec: error unmarshaling spec from file \"/b/config.json\": unexpected end of JSON input\n {\n",
        ),
        Case::ExecMissingContainer => Some("loading sandbox: file does not exist"),
        Case::RunExits128 | Case::ExecExits128 => None,
    };
    match error {
        Some(error) => {
            step = step.stderr(format!("{error}\n"));
            if log.writable() {
                step.reply.log = vec![serde_json::json!({
                    "msg": error, "level": "error", "time": "2026-12-02T06:58:40.389472779Z"
                })];
            }
            step.reply.pid_file = PidFile::Word(fake_runsc::scenario::PidFileWord::None);
        }
        // The process ran: runsc wrote the pid file and nothing else.
        None => step.reply.pid_file = PidFile::Fixed { pid: 4242 },
    }
    step
}

async fn call(runsc: &Runsc, case: Case, pid_file: Option<&Path>) -> Result<i32, Error> {
    let id = ContainerId::new("c1")?;
    let process: runsc::oci_spec::runtime::Process = serde_json::from_str(
        r#"{"args": ["sh", "-c", "exit 128"], "cwd": "/", "user": {"uid": 0, "gid": 0}}"#,
    )
    .expect("a valid process spec");
    match case {
        Case::RunBadBundle | Case::RunExits128 => {
            let mut opts = RunOpts::default();
            if let Some(path) = pid_file {
                opts = opts.with_pid_file(path);
            }
            runsc.run(&id, "/b", &opts).await.map(|exit| exit.code)
        }
        Case::ExecMissingContainer | Case::ExecExits128 => {
            let mut opts = ExecOpts::default();
            if let Some(path) = pid_file {
                opts = opts.with_pid_file(path);
            }
            let outcome = runsc.exec(&id, &process, &opts).await?;
            Ok(outcome
                .code()
                .expect("exec without detach ends with a code"))
        }
    }
}

fn check(what: &str, result: Result<i32, Error>, expect: &Expect) {
    match (expect, result) {
        (Expect::RunscFailure, Err(err)) => {
            assert!(err.is_runsc_failure(), "{what}: {err}");
            assert_eq!(err.exit_code(), Some(128), "{what}: {err}");
        }
        (Expect::Exit(code), Ok(got)) => assert_eq!(got, *code, "{what}"),
        (expect, got) => panic!("{what}: expected {expect:?}, got {got:?}"),
    }
}

/// Replays each case under each log setup, with and without a pid file.
#[tokio::test]
async fn replayed_runsc_failures_are_errors_and_exit_128_is_an_exit_code() {
    for log in LOG_SETUPS {
        for case in CASES {
            for with_pid_file in [false, true] {
                let dir = tempfile::tempdir().expect("a temp dir");
                let log_path = match log {
                    LogSetup::MissingDir => Some(dir.path().join("no-such-dir").join("runsc.log")),
                    LogSetup::None => None,
                    LogSetup::Text | LogSetup::Json => Some(dir.path().join("runsc.log")),
                };
                let scenario = Scenario::new().step(step(case, log, log_path.as_deref()));
                let fake = FakeRuntime::start(&scenario).expect("the fake starts");
                let builder = Runsc::builder()
                    .command(fake.command_path())
                    .root(fake.root());
                let runsc = log
                    .configure(builder, dir.path())
                    .build()
                    .expect("a client");
                let pid_file = with_pid_file.then(|| dir.path().join("call.pid"));
                let what = format!("{case:?} with log {log:?}, pid file {with_pid_file}");
                let result = call(&runsc, case, pid_file.as_deref()).await;
                if let (Err(err), true) = (&result, log.writable()) {
                    assert!(
                        err.runsc_error().is_some(),
                        "{what}: runsc's logged error is kept: {err}"
                    );
                }
                if let (Some(path), true) = (&log_path, log.writable()) {
                    // runsc creates its log on every call, and so does replay.
                    assert!(path.exists(), "{what}: replay created {}", path.display());
                }
                check(&what, result, &expected(case, log));
                fake.verify().unwrap_or_else(|e| panic!("{what}: {e}"));
            }
        }
    }
}

/// A bundle the simulator runs: `args` as the process, no root filesystem.
fn sim_bundle(dir: &Path, args: &[&str]) -> std::path::PathBuf {
    let bundle = dir.join("bundle");
    std::fs::create_dir_all(&bundle).expect("the bundle dir");
    let config = serde_json::json!({
        "ociVersion": "1.0.2-dev",
        "process": {"terminal": false, "user": {"uid": 0, "gid": 0}, "args": args,
                    "env": ["PATH=/usr/bin:/bin"], "cwd": "/"},
        "root": {"path": "rootfs", "readonly": true},
    });
    std::fs::write(bundle.join("config.json"), config.to_string()).expect("config.json");
    bundle
}

/// The simulator, driven by the client as runsc would be: each case under
/// each log setup, with and without a pid file, must land on the same side
/// of the rule as against real runsc.
#[tokio::test]
async fn simulated_runsc_failures_are_errors_and_exit_128_is_an_exit_code() {
    let binary = fake_runsc::testing::locate_binary().expect("the fake-runsc binary is built");
    for log in LOG_SETUPS {
        for case in CASES {
            for with_pid_file in [false, true] {
                let dir = tempfile::tempdir().expect("a temp dir");
                let root = dir.path().join("root");
                let builder = Runsc::builder().command(&binary).root(&root);
                let runsc = log
                    .configure(builder, dir.path())
                    .build()
                    .expect("a client");
                let what = format!("simulated {case:?} with log {log:?}, pid file {with_pid_file}");
                let id = ContainerId::new("c1").expect("an id");
                let bundle = match case {
                    Case::RunBadBundle => {
                        let bundle = dir.path().join("bad");
                        std::fs::create_dir_all(&bundle).expect("the bundle dir");
                        std::fs::write(
                            bundle.join("config.json"),
                            "{\"ociVersion\": \"1.0.2-dev\", \"process\": {",
                        )
                        .expect("config.json");
                        bundle
                    }
                    Case::RunExits128 => sim_bundle(dir.path(), &["sh", "-c", "exit 128"]),
                    Case::ExecMissingContainer | Case::ExecExits128 => {
                        sim_bundle(dir.path(), &["sleep", "1000"])
                    }
                };
                let plain = Runsc::builder()
                    .command(&binary)
                    .root(&root)
                    .build()
                    .expect("a client");
                if matches!(case, Case::ExecExits128) {
                    plain
                        .create(&id, &bundle, &runsc::CreateOpts::default())
                        .await
                        .unwrap_or_else(|e| panic!("{what}: create: {e}"));
                    plain
                        .start(&id, None)
                        .await
                        .unwrap_or_else(|e| panic!("{what}: start: {e}"));
                }
                let pid_file = with_pid_file.then(|| dir.path().join("call.pid"));
                let result = sim_call(&runsc, case, &bundle, pid_file.as_deref()).await;
                if let (Err(err), true) = (&result, log.writable()) {
                    assert!(
                        err.runsc_error().is_some(),
                        "{what}: the simulator logged its error: {err}"
                    );
                }
                check(&what, result, &expected(case, log));
                let _ = plain
                    .delete(&id, &runsc::DeleteOpts::default().with_force(true))
                    .await;
            }
        }
    }
}

async fn sim_call(
    runsc: &Runsc,
    case: Case,
    bundle: &Path,
    pid_file: Option<&Path>,
) -> Result<i32, Error> {
    match case {
        Case::RunBadBundle | Case::RunExits128 => {
            let id = ContainerId::new("c1")?;
            let mut opts = RunOpts::default();
            if let Some(path) = pid_file {
                opts = opts.with_pid_file(path);
            }
            runsc.run(&id, bundle, &opts).await.map(|exit| exit.code)
        }
        Case::ExecMissingContainer | Case::ExecExits128 => call(runsc, case, pid_file).await,
    }
}
