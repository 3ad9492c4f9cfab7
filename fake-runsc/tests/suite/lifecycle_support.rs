//! Harness of the lifecycle suite: which runsc to drive, one root and unique
//! ids per case, bundles written by the suite, cleanup of every sandbox, and
//! a normalised transcript per case that the conformance step diffs between
//! real runsc and the simulator.
//!
//! - `LIFECYCLE_RUNSC=/usr/bin/runsc` drives real runsc (needs root; without
//!   it the case prints a SKIP line and passes, unless `CI` is set, where it
//!   fails). Unset, the suite drives the fake (located as
//!   `fake_runsc::testing::locate_binary` does) in simulator mode.
//! - `LIFECYCLE_TRANSCRIPTS=DIR` chooses where transcripts go (default:
//!   `$CARGO_TARGET_TMPDIR/lifecycle-transcripts`), one directory per target
//!   (`fake`, `real`), one file per case.
//! - Against the fake, `FAKE_RUNSC_TIME_SCALE` defaults to 10 so that
//!   simulated sleeps are quick; each case is written to be correct at any
//!   speed.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use oci_spec::runtime::{Process, ProcessBuilder};
use runsc::cli::ContainerId;
use runsc::{Error, Runsc};

/// The environment variable naming the runsc under test.
pub const RUNSC_ENV: &str = "LIFECYCLE_RUNSC";
/// The environment variable naming the transcript directory.
pub const TRANSCRIPTS_ENV: &str = "LIFECYCLE_TRANSCRIPTS";

/// Which runsc a case drives.
#[derive(Debug, Clone)]
pub struct Target {
    /// The binary.
    pub path: PathBuf,
    /// Whether it is the fake (in simulator mode).
    pub fake: bool,
}

impl Target {
    /// `LIFECYCLE_RUNSC`, or the fake.
    pub fn from_env() -> Option<Self> {
        match std::env::var_os(RUNSC_ENV) {
            Some(path) if !path.is_empty() => {
                let path = PathBuf::from(path);
                let is_root = nix::unistd::geteuid().is_root();
                let why = if !path.is_file() {
                    Some(format!("{} does not exist", path.display()))
                } else if !is_root {
                    Some("real runsc needs root".to_owned())
                } else {
                    None
                };
                if let Some(why) = why {
                    assert!(
                        std::env::var_os("CI").is_none(),
                        "{RUNSC_ENV}={}: {why}, and CI is set, so the lifecycle suite must run",
                        path.display()
                    );
                    eprintln!("SKIP lifecycle case against {}: {why}", path.display());
                    return None;
                }
                Some(Self { path, fake: false })
            }
            _ => {
                let path = fake_runsc::testing::locate_binary()
                    .unwrap_or_else(|e| panic!("lifecycle suite: {e}"));
                Some(Self { path, fake: true })
            }
        }
    }

    fn name(&self) -> &'static str {
        if self.fake {
            "fake"
        } else {
            "real"
        }
    }
}

static NEXT: AtomicU32 = AtomicU32::new(0);

/// One case: its own root, its ids, its bundles, its transcript.
pub struct Case {
    /// The case name (transcript file name).
    pub name: String,
    /// The runsc under test.
    pub target: Target,
    /// The client, bound to this case's root.
    pub runsc: Runsc,
    dir: tempfile::TempDir,
    ids: Mutex<Vec<ContainerId>>,
    replacements: Mutex<Vec<(String, String)>>,
    transcript: Arc<Mutex<String>>,
    keep_transcript: bool,
}

impl Case {
    /// Sets up a case, or `None` when the target cannot run here (SKIP printed).
    pub fn new(name: &str) -> Option<Self> {
        let target = Target::from_env()?;
        if target.fake && std::env::var_os("FAKE_RUNSC_TIME_SCALE").is_none() {
            // Every case sets the same value, so concurrent tests agree.
            std::env::set_var("FAKE_RUNSC_TIME_SCALE", "10");
        }
        // Real runsc's sandbox must be able to reach the bundle and root, so
        // the case directory lives under /tmp, never under a private home.
        let dir = tempfile::Builder::new()
            .prefix("lifecycle-")
            .tempdir_in("/tmp")
            .expect("create the case directory under /tmp");
        let root = dir.path().join("root");
        std::fs::create_dir_all(&root).expect("create the case root");
        let runsc = Runsc::builder()
            .command(&target.path)
            .root(&root)
            .config("network", "none")
            .timeout(Duration::from_secs(60))
            .build()
            .expect("build the client");
        let case = Self {
            name: name.to_owned(),
            target,
            runsc,
            dir,
            ids: Mutex::new(Vec::new()),
            replacements: Mutex::new(Vec::new()),
            transcript: Arc::new(Mutex::new(String::new())),
            keep_transcript: true,
        };
        case.replace(&case.root().display().to_string(), "{root}");
        case.replace(&case.dir.path().display().to_string(), "{tmp}");
        Some(case)
    }

    /// The argument for `sleep` that lasts about `wall` seconds on the
    /// target: the fake's simulated programs run `FAKE_RUNSC_TIME_SCALE`
    /// times faster, so a window that a test relies on stays as wide as on
    /// real runsc; its real processes (the default) sleep in real time.
    pub fn sleep_secs(&self, wall: u64) -> String {
        let simulated = std::env::var("FAKE_RUNSC_PROCESSES").is_ok_and(|v| v == "simulated");
        if !self.target.fake || !simulated {
            return wall.to_string();
        }
        let scale = std::env::var("FAKE_RUNSC_TIME_SCALE")
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
            .filter(|s| *s > 0.0)
            .unwrap_or(1.0);
        format!("{}", wall as f64 * scale)
    }

    /// The case's `--root`.
    pub fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    /// The case's scratch directory.
    pub fn tmp(&self) -> &Path {
        self.dir.path()
    }

    /// Shows `value` as `placeholder` in the transcript.
    pub fn replace(&self, value: &str, placeholder: &str) {
        let mut r = self.replacements.lock().unwrap();
        r.push((value.to_owned(), placeholder.to_owned()));
        // Longest first, so a path is replaced before its prefix.
        r.sort_by_key(|(v, _)| std::cmp::Reverse(v.len()));
    }

    /// A container id unique across cases, processes and roots; appears as
    /// `{label}` in the transcript. Deleted with `--force` when the case ends.
    pub fn id(&self, label: &str) -> ContainerId {
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let id = ContainerId::new(format!("lc-{}-{}-{n}", std::process::id(), label))
            .expect("valid container id");
        self.ids.lock().unwrap().push(id.clone());
        self.replace(id.as_str(), &format!("{{{label}}}"));
        id
    }

    /// `run --detach`, recorded as such; the container must start.
    pub async fn run_detached(&self, id: &runsc::cli::ContainerId, bundle: &std::path::Path) {
        let opts = runsc::RunOpts::default().with_detach(true);
        let result = self.runsc.run(id, bundle, &opts).await;
        self.record("run --detach", &result);
        result.expect("run --detach");
    }

    /// Writes a bundle running `args` (root `/` read-only, no terminal),
    /// with optional annotations; appears as `{bundle-LABEL}` in the transcript.
    pub fn bundle(&self, label: &str, args: &[&str]) -> PathBuf {
        self.bundle_with(label, args, &BTreeMap::new())
    }

    /// [`Case::bundle`] with annotations.
    pub fn bundle_with(
        &self,
        label: &str,
        args: &[&str],
        annotations: &BTreeMap<&str, &str>,
    ) -> PathBuf {
        let dir = self.dir.path().join(format!("bundle-{label}"));
        std::fs::create_dir_all(&dir).expect("create bundle dir");
        let mut config = fake_runsc::testing::host_bundle_config(args);
        // runsc names the PATH it searched in `exec`'s failure, and the
        // cases assert that message with this PATH.
        config["process"]["env"] = serde_json::json!(["PATH=/usr/local/bin:/usr/bin:/bin"]);
        config["hostname"] = serde_json::json!("lifecycle");
        config["annotations"] = serde_json::json!(annotations);
        std::fs::write(
            dir.join("config.json"),
            serde_json::to_vec_pretty(&config).expect("encode config"),
        )
        .expect("write config.json");
        self.replace(&dir.display().to_string(), &format!("{{bundle-{label}}}"));
        dir
    }

    /// An exec process spec.
    pub fn process(args: &[&str]) -> Process {
        ProcessBuilder::default()
            .terminal(false)
            .args(args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            .env(vec!["PATH=/usr/local/bin:/usr/bin:/bin".to_owned()])
            .cwd("/")
            .build()
            .expect("process spec")
    }

    /// Replaces ids, paths, pids and timestamps with placeholders.
    pub fn normalise(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for (value, placeholder) in self.replacements.lock().unwrap().iter() {
            text = text.replace(value.as_str(), placeholder);
        }
        normalise_volatile(&text)
    }

    /// Appends one call to the transcript: what was called and what came back.
    pub fn record<T: std::fmt::Debug>(&self, call: &str, result: &Result<T, Error>) {
        let line = match result {
            Ok(value) => format!("{call} -> ok {value:?}"),
            Err(e) => describe_error(e),
        };
        let line = if result.is_err() {
            format!("{call} -> {line}")
        } else {
            line
        };
        let mut t = self.transcript.lock().unwrap();
        let _ = writeln!(t, "{}", self.normalise(&line));
    }

    /// Appends a free-form observation to the transcript.
    pub fn note(&self, text: &str) {
        let mut t = self.transcript.lock().unwrap();
        let _ = writeln!(t, "# {}", self.normalise(text));
    }

    /// Writes no transcript: for a case that does not apply to the target.
    pub fn discard_transcript(mut self) {
        self.keep_transcript = false;
    }

    /// The transcript so far.
    pub fn transcript(&self) -> String {
        self.transcript.lock().unwrap().clone()
    }
}

/// How a failed call is shown: exit status and runsc's first stderr line.
pub fn describe_error(e: &Error) -> String {
    let first = e
        .stderr()
        .and_then(|s| s.lines().next())
        .unwrap_or_default()
        .to_owned();
    match e.exit_code() {
        Some(code) => format!("err exit {code}: {first}"),
        None => format!("err {e}"),
    }
}

/// Pids, timestamps, cpu and memory figures vary from run to run.
fn normalise_volatile(text: &str) -> String {
    let pid = regex::Regex::new(r"\b(pid|host_pid|Some)(: |\()\d+").unwrap();
    let time = regex::Regex::new(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z").unwrap();
    let usage = regex::Regex::new(r"(total|usage): \d+").unwrap();
    let tmp_pid = regex::Regex::new(r"exec-pid-\d+").unwrap();
    // ps rows: cpu percentage, start time of day and cpu time.
    let ps_times = regex::Regex::new(r#""\d+", "\?", "\d\d:\d\d", "[0-9.]+[mun]?s""#).unwrap();
    let text = pid.replace_all(text, "$1$2{pid}");
    let text = time.replace_all(&text, "{time}");
    let text = usage.replace_all(&text, "$1: {n}");
    let text = ps_times.replace_all(&text, r#""{c}", "?", "{stime}", "{cputime}""#);
    // Go's and serde's JSON syntax errors are worded differently.
    let json_error =
        regex::Regex::new(r#"(error unmarshaling spec from file "[^"]*"): .*"#).unwrap();
    let text = json_error.replace_all(&text, "$1: {json syntax error}");
    tmp_pid.replace_all(&text, "exec-pid-{n}").into_owned()
}

impl Drop for Case {
    fn drop(&mut self) {
        // Force-delete every container the case made, also when it failed,
        // with the same runsc, synchronously.
        let ids = self.ids.lock().map(|ids| ids.clone()).unwrap_or_default();
        for id in ids {
            let _ = std::process::Command::new(&self.target.path)
                .arg(format!("--root={}", self.root().display()))
                .arg("--network=none")
                .args(["delete", "--force", id.as_str()])
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status();
        }
        // runsc 20221219 orphans a sandbox when a create with an existing id
        // removes its metadata, so delete cannot reach it: end whatever still
        // runs with this case's own root.
        kill_processes_of_root(&self.root());
        if !self.keep_transcript {
            return;
        }
        let dir = std::env::var_os(TRANSCRIPTS_ENV)
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("lifecycle-transcripts")
            })
            .join(self.target.name());
        if std::fs::create_dir_all(&dir).is_ok() {
            let _ = std::fs::write(dir.join(format!("{}.txt", self.name)), self.transcript());
        }
    }
}

/// Kills the processes whose argv names `--root=ROOT` (this case's unique
/// root directory), one by one by pid.
fn kill_processes_of_root(root: &Path) {
    let needle = format!("--root={}", root.display());
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return;
    };
    for entry in procs.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|p| p.parse::<i32>().ok())
        else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let names_root = cmdline
            .split(|b| *b == 0)
            .any(|arg| arg == needle.as_bytes());
        if names_root && pid != std::process::id() as i32 {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
}

/// Polls `f` every 20 ms until it is true or `limit` passes.
pub async fn eventually(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if f() {
            return true;
        }
        if tokio::time::Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
