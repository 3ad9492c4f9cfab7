//! A short container lifecycle against real runsc (gVisor 20221219 from
//! Debian).
//!
//! Needs root and runsc (`$RUNSC`, else `/usr/bin/runsc`, else `runsc` on
//! `PATH`). Without them the tests print a SKIP line and pass, except when
//! `CI` is set: then they fail, because CI must run them. Every test uses
//! its own `--root` and container ids, `--network=none`, a bundle whose
//! rootfs is the host `/` read-only, and a guard that force-deletes its
//! containers also when the test fails.

use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::support::{next, process, read_pid, LogSetup};
use runsc::cli::{ContainerId, LogFormat};
use runsc::types::Status;
use runsc::{
    CreateOpts, DeleteOpts, ExecOpts, ExecOutcome, KillOpts, RunOpts, Runsc, RunscBuilder, WaitOpts,
};
use tempfile::TempDir;

/// The runsc to test, or why the tests cannot run.
fn real_runsc() -> Result<PathBuf, String> {
    if effective_uid() != Some(0) {
        return Err("not running as root".to_owned());
    }
    let candidates = std::env::var_os("RUNSC")
        .map(PathBuf::from)
        .into_iter()
        .chain([PathBuf::from("/usr/bin/runsc")])
        .chain(
            std::env::var_os("PATH")
                .map(|p| {
                    std::env::split_paths(&p)
                        .map(|d| d.join("runsc"))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default(),
        );
    for candidate in candidates {
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    Err("runsc not found ($RUNSC, /usr/bin/runsc, PATH)".to_owned())
}

/// The effective uid, from `/proc/self/status` (`Uid: real effective ...`).
fn effective_uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

/// The runsc path, or `None` after printing a SKIP line; panics under `CI`.
fn runsc_or_skip(test: &str) -> Option<PathBuf> {
    match real_runsc() {
        Ok(path) => Some(path),
        Err(why) if std::env::var_os("CI").is_some() => {
            panic!("{test}: real runsc is required in CI but cannot run: {why}")
        }
        Err(why) => {
            // Straight to the stderr handle: the harness captures `eprintln!`
            // of passing tests, and a skip must be seen.
            let _ = writeln!(
                std::io::stderr(),
                "SKIP {test}: needs root and real runsc: {why}"
            );
            None
        }
    }
}

/// A fresh `--root`, bundles, unique ids, and cleanup of every container
/// created under the root (`runsc delete --force`), on every path.
struct Sandbox {
    runsc: PathBuf,
    dir: TempDir,
    ids: Vec<ContainerId>,
}

impl Sandbox {
    fn new(runsc: PathBuf) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("runsc-client-real-")
            .tempdir()
            .unwrap();
        std::fs::create_dir(dir.path().join("root")).unwrap();
        Self {
            runsc,
            dir,
            ids: Vec::new(),
        }
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    /// A container id unique across roots and test runs.
    fn id(&mut self, name: &str) -> ContainerId {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let id = ContainerId::new(format!("rsc-{name}-{}-{nanos}", std::process::id())).unwrap();
        self.ids.push(id.clone());
        id
    }

    /// A bundle running `args` on the host `/`, read-only.
    fn bundle(&self, name: &str, args: &[&str]) -> PathBuf {
        self.bundle_with_terminal(name, args, false)
    }

    /// A bundle running `args`, with `process.terminal` set as given.
    fn bundle_with_terminal(&self, name: &str, args: &[&str], terminal: bool) -> PathBuf {
        let dir = self.dir.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let config = serde_json::json!({
            "ociVersion": "1.0.2-dev",
            "process": {
                "terminal": terminal,
                "user": {"uid": 0, "gid": 0},
                "args": args,
                "env": ["PATH=/usr/bin:/bin"],
                "cwd": "/"
            },
            "root": {"path": "/", "readonly": true},
            "hostname": "runsc",
            "mounts": [
                {"destination": "/proc", "type": "proc", "source": "proc"},
                {"destination": "/dev", "type": "tmpfs", "source": "tmpfs"},
                {"destination": "/sys", "type": "sysfs", "source": "sysfs",
                 "options": ["nosuid", "noexec", "nodev", "ro"]}
            ],
            "linux": {"namespaces": [
                {"type": "pid"}, {"type": "network"}, {"type": "ipc"},
                {"type": "uts"}, {"type": "mount"}
            ]}
        });
        std::fs::write(dir.join("config.json"), config.to_string()).unwrap();
        dir
    }

    /// A builder for this root, with no log.
    fn builder(&self) -> RunscBuilder {
        Runsc::builder()
            .command(&self.runsc)
            .root(self.root())
            .config("network", "none")
            .timeout(Duration::from_secs(60))
    }

    /// A client for this root, with a JSON log at `log.json` when `json_log`.
    fn client(&self, json_log: bool) -> Runsc {
        let mut builder = self.builder();
        if json_log {
            builder = builder
                .log(self.dir.path().join("log.json"))
                .log_format(LogFormat::Json);
        }
        builder.build().unwrap()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        for id in &self.ids {
            let _ = std::process::Command::new(&self.runsc)
                .arg(format!("--root={}", self.root().display()))
                .arg("--network=none")
                .args(["delete", "--force", id.as_str()])
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_against_real_runsc() {
    let Some(path) = runsc_or_skip("lifecycle_against_real_runsc") else {
        return;
    };
    let mut sandbox = Sandbox::new(path);
    let id = sandbox.id("life");
    let bundle = sandbox.bundle("bundle", &["sleep", "1000"]);
    let runsc = sandbox.client(true);
    let pid_file = sandbox.dir.path().join("create.pid");

    // runsc create exits in a fraction of a second while the sandbox keeps
    // the stdout/stderr pipes open for the container's whole life; the
    // call must return anyway (the container sleeps for 1000 s).
    let opts = CreateOpts::default().with_pid_file(pid_file.clone());
    tokio::time::timeout(Duration::from_secs(30), runsc.create(&id, &bundle, &opts))
        .await
        .expect("create waited for the sandbox to close its stdio")
        .expect("create failed");

    let state = runsc.state(&id).await.unwrap();
    assert_eq!(state.status, Status::Created);
    assert_eq!(state.pid, read_pid(&pid_file));
    assert_eq!(state.id, id.as_str());

    tokio::time::timeout(Duration::from_secs(30), runsc.start(&id, None))
        .await
        .expect("start waited for the sandbox to close its stdio")
        .expect("start failed");
    assert_eq!(runsc.state(&id).await.unwrap().status, Status::Running);
    let listed = runsc.list().await.unwrap().expect("a list, not null");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, id.as_str());

    assert_eq!(runsc.ps(&id).await.unwrap(), vec![1]);
    let top = runsc.top(&id).await.unwrap();
    assert!(top.headers.iter().any(|h| h == "PID"), "{top:?}");
    assert_eq!(top.processes.len(), 1, "{top:?}");
    assert_eq!(top.processes[0].last().map(String::as_str), Some("sleep"));

    let stats = runsc.stats(&id).await.unwrap();
    assert!(stats.pids.current >= 1, "{stats:?}");
    assert!(stats.cpu.usage.total > 0, "{stats:?}");

    let mut events = runsc.events(&id, Duration::from_secs(1)).await.unwrap();
    for _ in 0..2 {
        let event = tokio::time::timeout(Duration::from_secs(30), next(&mut events))
            .await
            .expect("no event within 30 s")
            .expect("the stream ended early")
            .expect("a bad event");
        assert!(event.is_stats());
        assert_eq!(event.id, id.as_str());
    }
    drop(events);

    let exit = runsc
        .exec(
            &id,
            &process(&["sh", "-c", "echo hi; exit 5"]),
            &ExecOpts::default(),
        )
        .await
        .unwrap();
    match exit {
        ExecOutcome::Exited(exit) => {
            assert_eq!(exit.code, 5);
            assert_eq!(exit.stdout.bytes, b"hi\n");
        }
        other => panic!("expected the process to run to its end, got {other:?}"),
    }
    let err = runsc
        .exec(&id, &process(&["/no/such/binary"]), &ExecOpts::default())
        .await
        .unwrap_err();
    assert_eq!(err.exit_code(), Some(128));
    assert!(
        err.runsc_error().unwrap().contains("/no/such/binary"),
        "{err}"
    );
    let detached = tokio::time::timeout(
        Duration::from_secs(30),
        runsc.exec(
            &id,
            &process(&["sleep", "1000"]),
            &ExecOpts::default()
                .with_detach(true)
                .with_internal_pid_file(sandbox.dir.path().join("exec-internal.pid")),
        ),
    )
    .await
    .expect("exec --detach waited for the process to close its stdio")
    .unwrap();
    match detached {
        ExecOutcome::Detached { pid, internal_pid } => {
            assert!(pid.is_some());
            assert!(internal_pid.is_some_and(|p| p > 1), "{internal_pid:?}");
        }
        other => panic!("expected a detached process, got {other:?}"),
    }

    // runsc reports the root container's exit status only to a wait that
    // was already blocked when it exited: give it a head start.
    let waiter = {
        let runsc = runsc.clone();
        let id = id.clone();
        tokio::spawn(async move { runsc.wait(&id, &WaitOpts::default()).await })
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    runsc
        .kill(&id, nix::sys::signal::Signal::SIGKILL, &KillOpts::default())
        .await
        .unwrap();
    let waited = waiter.await.unwrap().unwrap();
    assert_eq!(waited.exit_status, 128 + 9);
    assert_eq!(runsc.state(&id).await.unwrap().status, Status::Stopped);

    runsc.delete(&id, &DeleteOpts::default()).await.unwrap();
    let err = runsc.state(&id).await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
}

#[tokio::test]
async fn failures_against_real_runsc() {
    let Some(path) = runsc_or_skip("failures_against_real_runsc") else {
        return;
    };
    let mut sandbox = Sandbox::new(path);
    let with_log = sandbox.client(true);
    let without_log = sandbox.client(false);

    // A missing container, for commands that load the container and for
    // those that load the sandbox.
    let missing = sandbox.id("missing");
    for runsc in [&with_log, &without_log] {
        let err = runsc.state(&missing).await.unwrap_err();
        assert!(err.is_not_found(), "{err}");
        assert_eq!(err.exit_code(), Some(128));
        let err = runsc.ps(&missing).await.unwrap_err();
        assert!(err.is_not_found(), "{err}");
    }
    let err = with_log.state(&missing).await.unwrap_err();
    assert_eq!(
        err.runsc_error(),
        Some("loading container: file does not exist")
    );

    // A bundle with no config.json: the Go client's Run returns (128, nil).
    let empty = sandbox.dir.path().join("empty-bundle");
    std::fs::create_dir(&empty).unwrap();
    for runsc in [&with_log, &without_log] {
        let id = sandbox.id("badbundle");
        let err = runsc
            .run(&id, &empty, &RunOpts::default())
            .await
            .unwrap_err();
        assert_eq!(err.exit_code(), Some(128), "{err}");
        assert!(err.to_string().contains("reading spec"), "{err}");
        assert!(!err.is_not_found(), "{err}");
    }
    let id = sandbox.id("badbundle-log");
    let err = with_log
        .run(&id, &empty, &RunOpts::default())
        .await
        .unwrap_err();
    assert!(
        err.runsc_error()
            .unwrap()
            .starts_with("reading spec: error opening spec file"),
        "{err}"
    );
}

/// runsc's own failures and a process that really exits 128, under every
/// `--log` setup: the failures are errors, the exit code is an exit code
/// (except where runsc cannot open its log and so runs nothing).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runsc_failure_or_exit_128_under_every_log_setup() {
    let Some(path) = runsc_or_skip("runsc_failure_or_exit_128_under_every_log_setup") else {
        return;
    };
    let mut sandbox = Sandbox::new(path);
    let bad_bundle = sandbox.dir.path().join("bad-bundle");
    std::fs::create_dir(&bad_bundle).unwrap();
    std::fs::write(bad_bundle.join("config.json"), "{").unwrap();
    let exits_128 = sandbox.bundle("exits-128", &["sh", "-c", "exit 128"]);
    let sleeper = sandbox.bundle("sleeper", &["sleep", "1000"]);
    let running = sandbox.id("running");
    sandbox
        .client(false)
        .run(&running, &sleeper, &RunOpts::default().with_detach(true))
        .await
        .expect("a detached sleeper");
    let missing = sandbox.id("missing");

    for log in LogSetup::ALL {
        let what = format!("{log:?}");
        let runsc = log
            .configure(sandbox.builder(), sandbox.dir.path())
            .build()
            .unwrap();

        let id = sandbox.id("bad");
        let err = runsc
            .run(&id, &bad_bundle, &RunOpts::default())
            .await
            .expect_err(&what);
        assert!(err.is_runsc_failure(), "{what}: {err}");
        assert_eq!(err.exit_code(), Some(128), "{what}: {err}");

        let err = runsc
            .exec(&missing, &process(&["true"]), &ExecOpts::default())
            .await
            .expect_err(&what);
        assert!(err.is_runsc_failure(), "{what}: {err}");

        let id = sandbox.id("exit128");
        let ran = runsc.run(&id, &exits_128, &RunOpts::default()).await;
        let exec = runsc
            .exec(
                &running,
                &process(&["sh", "-c", "exit 128"]),
                &ExecOpts::default(),
            )
            .await;
        if log == LogSetup::MissingDir {
            let err = ran.expect_err(&what);
            assert!(err.to_string().contains("error opening log file"), "{err}");
            assert!(exec.expect_err(&what).is_runsc_failure());
        } else {
            assert_eq!(ran.expect(&what).code, 128, "{what}");
            assert_eq!(exec.expect(&what).code(), Some(128), "{what}");
        }
        if matches!(log, LogSetup::Text | LogSetup::Json) {
            let err = runsc
                .exec(&missing, &process(&["true"]), &ExecOpts::default())
                .await
                .unwrap_err();
            assert_eq!(
                err.runsc_error(),
                Some("loading sandbox: file does not exist"),
                "{what}"
            );
        }
    }
}

#[tokio::test]
async fn run_passes_the_container_exit_code_on() {
    let Some(path) = runsc_or_skip("run_passes_the_container_exit_code_on") else {
        return;
    };
    let mut sandbox = Sandbox::new(path);
    let id = sandbox.id("run");
    let bundle = sandbox.bundle("bundle", &["sh", "-c", "echo out; exit 7"]);
    let exit = sandbox
        .client(false)
        .run(&id, &bundle, &RunOpts::default())
        .await
        .unwrap();
    assert_eq!(exit.code, 7);
    assert_eq!(exit.stdout.bytes, b"out\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_socket_receives_the_pty_from_real_runsc() {
    let Some(path) = runsc_or_skip("console_socket_receives_the_pty_from_real_runsc") else {
        return;
    };
    let mut sandbox = Sandbox::new(path);
    let id = sandbox.id("tty");
    let bundle =
        sandbox.bundle_with_terminal("bundle", &["sh", "-c", "echo tty-ok; sleep 1000"], true);
    let runsc = sandbox.client(true);
    let console = runsc::ConsoleSocket::new().unwrap();
    let opts = CreateOpts::default().with_console_socket(console.path().to_owned());
    let (created, received) = tokio::join!(
        runsc.create(&id, &bundle, &opts),
        tokio::time::timeout(Duration::from_secs(30), console.receive()),
    );
    created.unwrap();
    let received = received.expect("runsc sent no pty master").unwrap();
    assert!(nix::unistd::isatty(received.master.as_raw_fd()).unwrap());
    runsc.start(&id, None).await.unwrap();
    let mut master = received.master;
    let output = tokio::task::spawn_blocking(move || {
        let mut seen = Vec::new();
        let mut buf = [0u8; 256];
        while !String::from_utf8_lossy(&seen).contains("tty-ok") {
            match std::io::Read::read(&mut master, &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        }
        String::from_utf8_lossy(&seen).into_owned()
    });
    let output = tokio::time::timeout(Duration::from_secs(30), output)
        .await
        .expect("nothing came through the pty")
        .unwrap();
    assert!(output.contains("tty-ok"), "{output:?}");
    runsc
        .delete(&id, &DeleteOpts::default().with_force(true))
        .await
        .unwrap();
}
