//! The client's argv against the Go client's (`pkg/shim/runsc`, the
//! project's seed) for every call and option the Go client has. The expected
//! lines are written from the Go source; differences the project makes on
//! purpose are spelled out where they apply.

use std::path::{Path, PathBuf};
use std::time::Duration;

use oci_spec::runtime::ProcessBuilder;
use runsc::cli::ContainerId;
use runsc::{CreateOpts, DeleteOpts, ExecOpts, KillOpts, RunOpts, Runsc, WaitOpts};

/// A client whose runsc records its argv in `$root/argv` and exits 0.
struct Recorder {
    dir: tempfile::TempDir,
    runsc: Runsc,
}

impl Recorder {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("body.sh"), "exit 0\n").unwrap();
        let runsc = Runsc::builder()
            .command(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fake-runsc.sh"))
            .root(dir.path())
            .log("/var/log/runsc.log")
            .panic_log("/var/log/runsc-panic.log")
            .config("network", "none")
            .config("debug-log-format", "json")
            .build()
            .unwrap();
        Self { dir, runsc }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    /// The recorded argv (without the program), waiting for a runsc that
    /// outlives the call (`events`), with the process file's temporary name
    /// replaced by `PROCESS`.
    async fn take(&self) -> Vec<String> {
        let path = self.root().join("argv");
        for _ in 0..500 {
            if let Ok(text) = std::fs::read_to_string(&path) {
                if text.ends_with('\n') {
                    std::fs::remove_file(&path).unwrap();
                    let mut args: Vec<String> = text.lines().map(str::to_owned).collect();
                    if let Some(at) = args.iter().position(|a| a == "--process") {
                        let file = Path::new(&args[at + 1]);
                        assert_eq!(file.file_name().unwrap(), "process.json", "{args:?}");
                        args[at + 1] = "PROCESS".into();
                    }
                    return args;
                }
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("runsc was not run");
    }

    /// What Go's `Runsc.args()` renders for the same configuration: its
    /// Config map in sorted order (Go ranges over the map in random order;
    /// sorting is the project's deliberate difference).
    fn globals(&self, rest: &[&str]) -> Vec<String> {
        let mut args = vec![
            format!("--root={}", self.root().display()),
            "--log=/var/log/runsc.log".to_owned(),
            "--panic-log=/var/log/runsc-panic.log".to_owned(),
            "--debug-log-format=json".to_owned(),
            "--network=none".to_owned(),
        ];
        args.extend(rest.iter().map(|s| s.to_string()));
        args
    }
}

fn id() -> ContainerId {
    ContainerId::new("c1").unwrap()
}

#[tokio::test]
async fn every_call_of_the_go_client_renders_its_argv() {
    let r = Recorder::new();
    let rc = &r.runsc;
    let root = r.root().display().to_string();
    let pid_file = format!("{root}/c1.pid");
    let internal = format!("{root}/c1.internal.pid");

    // List: `list --format=json`.
    let _ = rc.list().await;
    assert_eq!(r.take().await, r.globals(&["list", "--format=json",]));

    // State.
    let _ = rc.state(&id()).await;
    assert_eq!(r.take().await, r.globals(&["state", "c1"]));

    // Create: `create --bundle B [--pid-file ABS] [--console-socket S] [--user-log L] ID`.
    rc.create(&id(), "/bundle", &CreateOpts::default())
        .await
        .unwrap();
    assert_eq!(
        r.take().await,
        r.globals(&["create", "--bundle", "/bundle", "c1"])
    );
    let opts = CreateOpts::default()
        .with_pid_file(&pid_file)
        .with_console_socket("/run/console.sock")
        .with_user_log("/var/log/user.log");
    rc.create(&id(), "/bundle", &opts).await.unwrap();
    assert_eq!(
        r.take().await,
        r.globals(&[
            "create",
            "--bundle",
            "/bundle",
            "--pid-file",
            &pid_file,
            "--console-socket",
            "/run/console.sock",
            "--user-log",
            "/var/log/user.log",
            "c1",
        ])
    );

    // Start, Pause, Resume.
    rc.start(&id(), None).await.unwrap();
    assert_eq!(r.take().await, r.globals(&["start", "c1"]));
    rc.pause(&id()).await.unwrap();
    assert_eq!(r.take().await, r.globals(&["pause", "c1"]));
    rc.resume(&id()).await.unwrap();
    assert_eq!(r.take().await, r.globals(&["resume", "c1"]));

    // Wait.
    let _ = rc.wait(&id(), &WaitOpts::default()).await;
    assert_eq!(r.take().await, r.globals(&["wait", "c1"]));

    // Exec: `exec --process F [--console-socket S] [--detach] [--pid-file P]
    // [--internal-pid-file I] ID`.
    let process = ProcessBuilder::default()
        .args(vec!["true".to_owned()])
        .cwd("/")
        .build()
        .unwrap();
    let _ = rc.exec(&id(), &process, &ExecOpts::default()).await;
    assert_eq!(
        r.take().await,
        r.globals(&["exec", "--process", "PROCESS", "c1"])
    );
    let opts = ExecOpts::default()
        .with_console_socket("/run/console.sock")
        .with_detach(true)
        .with_pid_file(&pid_file)
        .with_internal_pid_file(&internal);
    let _ = rc.exec(&id(), &process, &opts).await;
    assert_eq!(
        r.take().await,
        r.globals(&[
            "exec",
            "--process",
            "PROCESS",
            "--console-socket",
            "/run/console.sock",
            "--detach",
            "--pid-file",
            &pid_file,
            "--internal-pid-file",
            &internal,
            "c1",
        ])
    );

    // Run: `run --bundle B [create options] ID`.
    let _ = rc.run(&id(), "/bundle", &RunOpts::default()).await;
    assert_eq!(
        r.take().await,
        r.globals(&["run", "--bundle", "/bundle", "c1"])
    );
    let opts = RunOpts::default()
        .with_pid_file(&pid_file)
        .with_console_socket("/run/console.sock")
        .with_user_log("/var/log/user.log");
    let _ = rc.run(&id(), "/bundle", &opts).await;
    assert_eq!(
        r.take().await,
        r.globals(&[
            "run",
            "--bundle",
            "/bundle",
            "--pid-file",
            &pid_file,
            "--console-socket",
            "/run/console.sock",
            "--user-log",
            "/var/log/user.log",
            "c1",
        ])
    );

    // Delete: `delete [--force] ID`.
    rc.delete(&id(), &DeleteOpts::default()).await.unwrap();
    assert_eq!(r.take().await, r.globals(&["delete", "c1"]));
    rc.delete(&id(), &DeleteOpts::default().with_force(true))
        .await
        .unwrap();
    assert_eq!(r.take().await, r.globals(&["delete", "--force", "c1"]));

    // Kill: `kill [--all] [--pid N] ID SIGNUM`.
    let sigterm = nix::sys::signal::Signal::SIGTERM;
    rc.kill(&id(), sigterm, &KillOpts::default()).await.unwrap();
    assert_eq!(r.take().await, r.globals(&["kill", "c1", "15"]));
    let opts = KillOpts::default().with_all(true).with_pid(42);
    rc.kill(&id(), sigterm, &opts).await.unwrap();
    assert_eq!(
        r.take().await,
        r.globals(&["kill", "--all", "--pid", "42", "c1", "15"])
    );

    // Stats: `events --stats ID`.
    let _ = rc.stats(&id()).await;
    assert_eq!(r.take().await, r.globals(&["events", "--stats", "c1"]));

    // Events: Go sends `--interval=2s`, which runsc refuses; the client
    // sends whole seconds (a deliberate difference).
    let stream = rc.events(&id(), Duration::from_secs(2)).await;
    assert_eq!(r.take().await, r.globals(&["events", "--interval=2", "c1"]));
    drop(stream);

    // Ps and Top: `ps --format json ID`, `ps --format table ID`.
    let _ = rc.ps(&id()).await;
    assert_eq!(r.take().await, r.globals(&["ps", "--format", "json", "c1"]));
    let _ = rc.top(&id()).await;
    assert_eq!(
        r.take().await,
        r.globals(&["ps", "--format", "table", "c1"])
    );
}

#[tokio::test]
async fn an_id_that_looks_like_a_flag_is_guarded() {
    // The Go client passes such an id as is, and runsc reads it as a flag;
    // the client refuses it, and a parsed id is preceded by `--` (a
    // deliberate difference).
    assert!(ContainerId::new("--all").is_err());
    let r = Recorder::new();
    let inv = r
        .runsc
        .invocation(runsc::cli::Subcommand::State(runsc::cli::IdOnly {
            id: ContainerId::parsed("--all"),
        }));
    let args: Vec<String> = inv
        .to_args()
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    assert_eq!(args, r.globals(&["state", "--", "--all"]));
}
