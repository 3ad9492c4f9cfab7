//! Helpers shared by the suite's modules.

use std::future::poll_fn;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::time::Duration;

use futures_core::Stream;
use runsc::cli::ContainerId;
use runsc::{Runsc, RunscBuilder};
use tempfile::TempDir;

/// A container id the test knows to be valid.
pub fn id(s: &str) -> ContainerId {
    ContainerId::new(s).unwrap()
}

/// A process spec running `args` in `/` with a minimal `PATH`.
pub fn process(args: &[&str]) -> oci_spec::runtime::Process {
    oci_spec::runtime::ProcessBuilder::default()
        .args(args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        .env(vec!["PATH=/usr/bin:/bin".to_owned()])
        .cwd("/")
        .build()
        .unwrap()
}

/// The scripted stand-in for runsc.
pub fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fake-runsc.sh")
}

/// A client pointed at the fixture, whose `--root` is a fresh directory
/// holding the body the fixture runs.
pub struct Fake {
    pub dir: TempDir,
    pub runsc: Runsc,
}

impl Fake {
    pub fn new(body: &str) -> Self {
        Self::with(body, |b, _| b)
    }

    /// Like `new`, with a JSON `--log` at `$root/log.json`.
    pub fn json_log(body: &str) -> Self {
        Self::with(body, |b, dir| {
            b.log(dir.join("log.json"))
                .log_format(runsc::cli::LogFormat::Json)
        })
    }

    /// Like `new`, with more builder settings; `configure` gets the root.
    pub fn with(body: &str, configure: impl FnOnce(RunscBuilder, &Path) -> RunscBuilder) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("runsc-client-test-")
            .tempdir()
            .unwrap();
        std::fs::write(dir.path().join("body.sh"), body).unwrap();
        let builder = Runsc::builder().command(fixture()).root(dir.path());
        let runsc = configure(builder, dir.path()).build().unwrap();
        Self { dir, runsc }
    }

    /// The argv of the last call, without the program.
    pub fn argv(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("argv"))
            .unwrap()
            .lines()
            .filter(|a| !a.starts_with("--root="))
            .map(str::to_owned)
            .collect()
    }
}

/// How a test configures runsc's `--log`, for the cases that tell runsc's
/// failure from a process that exits 128.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogSetup {
    /// No `--log`.
    None,
    /// `--log` (JSON) in a directory that does not exist: runsc cannot open it.
    MissingDir,
    /// `--log` with the default (text) format.
    Text,
    /// `--log` with `--log-format=json`.
    Json,
}

impl LogSetup {
    /// Every setup.
    pub const ALL: [Self; 4] = [Self::None, Self::MissingDir, Self::Text, Self::Json];

    /// `builder` with this log setup, the log kept under `dir`.
    pub fn configure(self, builder: RunscBuilder, dir: &Path) -> RunscBuilder {
        match self {
            Self::None => builder,
            Self::MissingDir => builder
                .log(dir.join("no-such-dir").join("runsc.log.json"))
                .log_format(runsc::cli::LogFormat::Json),
            Self::Text => builder.log(dir.join("runsc.log")),
            Self::Json => builder
                .log(dir.join("runsc.log.json"))
                .log_format(runsc::cli::LogFormat::Json),
        }
    }
}

/// Reads a pid written by the fixture.
pub fn read_pid(path: &Path) -> i32 {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
        .trim()
        .parse()
        .unwrap()
}

/// Waits (up to 20 s) for a file to appear, e.g. one the fixture writes.
pub async fn wait_for_file(path: &Path) -> PathBuf {
    for _ in 0..400 {
        if path.exists() {
            return path.to_owned();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{} never appeared", path.display());
}

/// The state letter of `/proc/PID/stat`, `None` when there is no such process.
pub fn proc_state(pid: i32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_comm = &stat[stat.rfind(')')? + 1..];
    after_comm.trim_start().chars().next()
}

/// Dead: gone, or a zombie waiting for someone else to reap it.
pub fn pid_is_dead(pid: i32) -> bool {
    matches!(proc_state(pid), None | Some('Z'))
}

/// Waits (up to 10 s) until `pid`, a child of this process, has been
/// reaped: no `/proc` entry at all, not even a zombie.
pub async fn wait_until_reaped(pid: i32) -> bool {
    for _ in 0..200 {
        if proc_state(pid).is_none() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// The next item of a stream.
pub async fn next<S: Stream + Unpin>(stream: &mut S) -> Option<S::Item> {
    poll_fn(|cx| Pin::new(&mut *stream).poll_next(cx)).await
}
