//! Test support for Rust users: build a scenario in code, start a fake
//! session, point the code under test at [`FakeRuntime::command_path`] with
//! `--root` [`FakeRuntime::root`], and call [`FakeRuntime::verify`] at the end.
//!
//! ```no_run
//! use fake_runsc::scenario::{Scenario, Step, ValueMatch};
//! use fake_runsc::testing::FakeRuntime;
//!
//! let scenario = Scenario::new()
//!     .step(Step::command("create").id(ValueMatch::capture("id")))
//!     .step(
//!         Step::command("state")
//!             .id(ValueMatch::reference("id"))
//!             .stdout(r#"{"id":"{{id}}","status":"created"}"#),
//!     );
//! let fake = FakeRuntime::start(&scenario)?;
//! let status = std::process::Command::new(fake.command_path())
//!     .arg(format!("--root={}", fake.root().display()))
//!     .args(["create", "--bundle", "/b", "c1"])
//!     .status()?;
//! assert!(status.success());
//! // `state` never came: verify names the missing step.
//! assert!(fake.verify().is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The fake binary is found at run time (never baked in at compile time), so
//! tests also run from a nextest archive on another machine: see
//! [`locate_binary`].

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::config::{SessionFile, ENV_SCENARIO, ENV_SESSION, SESSION_FILE};
use crate::error::Error;
use crate::journal::{self, CallResult};
use crate::scenario::Scenario;
use crate::session;

/// Variables naming the fake binary, tried in this order before the
/// directory of the running test executable.
pub const BINARY_VARS: &[&str] = &[
    "FAKE_RUNSC_BIN",
    "NEXTEST_BIN_EXE_fake-runsc",
    "NEXTEST_BIN_EXE_fake_runsc",
    "CARGO_BIN_EXE_fake-runsc",
];

/// Finds the fake binary at run time: [`BINARY_VARS`] in order, then
/// `fake-runsc` beside the running executable or one directory up (a test
/// binary lives in `target/<profile>/deps/`, the fake in `target/<profile>/`).
pub fn locate_binary() -> Result<PathBuf, Error> {
    let mut tried = Vec::new();
    for var in BINARY_VARS {
        match std::env::var_os(var) {
            Some(value) if Path::new(&value).is_file() => return Ok(PathBuf::from(value)),
            Some(value) => tried.push(format!(
                "${var}={} (no such file)",
                Path::new(&value).display()
            )),
            None => tried.push(format!("${var} (not set)")),
        }
    }
    match std::env::current_exe() {
        Ok(exe) => {
            let dirs = exe
                .parent()
                .into_iter()
                .chain(exe.parent().and_then(Path::parent));
            for dir in dirs {
                let candidate = dir.join("fake-runsc");
                if candidate.is_file() {
                    return Ok(candidate);
                }
                tried.push(format!("{} (no such file)", candidate.display()));
            }
        }
        Err(e) => tried.push(format!("the running executable's directory ({e})")),
    }
    Err(Error::NotFound { tried })
}

/// A running fake session: a temp directory holding the scenario, the
/// session state and journal, and a `--root` whose session file points the
/// fake at them. Dropping it kills the processes it left alive.
#[derive(Debug)]
pub struct FakeRuntime {
    dir: tempfile::TempDir,
    binary: PathBuf,
    scenario: Scenario,
}

/// What `verify` found wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyError {
    /// Steps that did not get the calls they need, described.
    pub missing: Vec<String>,
    /// Calls no step answered, or that a `never` step forbids, described.
    pub unexpected: Vec<String>,
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "the fake runsc session did not go as the scenario expects:"
        )?;
        for line in &self.missing {
            writeln!(f, "  missing: {line}")?;
        }
        for line in &self.unexpected {
            writeln!(f, "  unexpected: {line}")?;
        }
        Ok(())
    }
}

impl std::error::Error for VerifyError {}

impl FakeRuntime {
    /// Starts a session for `scenario`, finding the binary with [`locate_binary`].
    pub fn start(scenario: &Scenario) -> Result<Self, Error> {
        Self::start_with_binary(scenario, locate_binary()?)
    }

    /// Starts a session for `scenario` in which the fake speaks runsc
    /// `release` (written into the scenario's `runsc_version`, which replay
    /// reads), finding the binary with [`locate_binary`].
    ///
    /// ```no_run
    /// use fake_runsc::scenario::Scenario;
    /// use fake_runsc::testing::FakeRuntime;
    /// use runsc::cli::Release;
    /// let fake = FakeRuntime::start_for(Release::R20260817, &Scenario::new()).unwrap();
    /// # let _ = fake;
    /// ```
    pub fn start_for(release: runsc::cli::Release, scenario: &Scenario) -> Result<Self, Error> {
        Self::start(&scenario.clone().release(release))
    }

    /// Starts a session with a given fake binary.
    pub fn start_with_binary(scenario: &Scenario, binary: PathBuf) -> Result<Self, Error> {
        let io = |context: String| move |source| Error::Io { context, source };
        let dir = tempfile::Builder::new()
            .prefix("fake-runsc-")
            .tempdir()
            .map_err(io(
                "cannot create a temp directory for the fake session".into()
            ))?;
        let runtime = Self {
            dir,
            binary,
            scenario: scenario.clone(),
        };
        std::fs::write(runtime.scenario_path(), scenario.to_json()).map_err(io(format!(
            "cannot write {}",
            runtime.scenario_path().display()
        )))?;
        for dir in [runtime.root(), runtime.session_dir()] {
            std::fs::create_dir_all(&dir)
                .map_err(io(format!("cannot create {}", dir.display())))?;
        }
        let file = SessionFile {
            scenario: runtime.scenario_path(),
            session: runtime.session_dir(),
        };
        let path = runtime.root().join(SESSION_FILE);
        std::fs::write(&path, serde_json::to_vec_pretty(&file).unwrap_or_default())
            .map_err(io(format!("cannot write {}", path.display())))?;
        Ok(runtime)
    }

    /// The fake binary: use it as the runsc command.
    pub fn command_path(&self) -> &Path {
        &self.binary
    }

    /// The `--root` to pass; its session file selects this session.
    pub fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    /// The session directory (state and `journal.jsonl`).
    pub fn session_dir(&self) -> PathBuf {
        self.dir.path().join("session")
    }

    /// The scenario file the fake replays.
    pub fn scenario_path(&self) -> PathBuf {
        self.dir.path().join("scenario.json")
    }

    /// Environment variables that select this session without `--root`.
    pub fn envs(&self) -> Vec<(&'static str, OsString)> {
        vec![
            (ENV_SCENARIO, self.scenario_path().into_os_string()),
            (ENV_SESSION, self.session_dir().into_os_string()),
        ]
    }

    /// Every journal entry so far.
    pub fn journal(&self) -> Result<Vec<journal::Entry>, Error> {
        journal::read(&self.session_dir())
    }

    /// The journal's `call` entries so far.
    pub fn calls(&self) -> Result<Vec<journal::Call>, Error> {
        Ok(self
            .journal()?
            .into_iter()
            .filter_map(|entry| match entry {
                journal::Entry::Call(call) => Some(call),
                journal::Entry::Finished(_) => None,
            })
            .collect())
    }

    /// Fails if a step did not get the calls it needs, or a call came that
    /// no step answered (even if the code under test swallowed the error).
    pub fn verify(&self) -> Result<(), VerifyError> {
        let mut missing = Vec::new();
        let mut unexpected = Vec::new();
        match session::read_state(&self.session_dir()) {
            Ok(state) => missing.extend(crate::decide::missing_calls(&self.scenario, &state)),
            Err(e) => unexpected.push(format!("the replay state cannot be read: {e}")),
        }
        match self.calls() {
            Ok(calls) => {
                for call in calls {
                    let message = call.message.as_deref();
                    let why = match call.result {
                        CallResult::Matched => continue,
                        CallResult::Never => {
                            let index = call.step.unwrap_or(0);
                            let label = self
                                .scenario
                                .steps
                                .get(index)
                                .map_or_else(|| format!("#{}", index + 1), |s| s.label(index));
                            format!("matches step {label}, which says it must never come")
                        }
                        CallResult::ArgvError => {
                            format!("runsc would refuse it: {}", message.unwrap_or(""))
                        }
                        CallResult::Unmatched => "no step answers it".to_owned(),
                        CallResult::Error => message.unwrap_or("failed").to_owned(),
                    };
                    unexpected.push(format!("`runsc {}`: {why}", call.argv.join(" ")));
                }
            }
            Err(e) => unexpected.push(format!("the journal cannot be read: {e}")),
        }
        if missing.is_empty() && unexpected.is_empty() {
            Ok(())
        } else {
            Err(VerifyError {
                missing,
                unexpected,
            })
        }
    }
}

impl Drop for FakeRuntime {
    fn drop(&mut self) {
        let Ok(pids) = std::fs::read_to_string(self.session_dir().join(session::LIVE_PIDS)) else {
            return;
        };
        for pid in pids.lines().filter_map(|l| l.trim().parse::<i32>().ok()) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
}

/// The OCI `config.json` of a bundle that runs `args` with the host `/` as
/// a read-only root: real runsc runs it as root with no image to unpack
/// (pass `--network=none`), and the simulator takes `process.args` from it.
pub fn host_bundle_config<S: AsRef<str>>(args: &[S]) -> Value {
    let args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
    serde_json::json!({
        "ociVersion": "1.0.2-dev",
        "process": {"terminal": false, "user": {"uid": 0, "gid": 0}, "args": args,
                    "env": ["PATH=/usr/bin:/bin"], "cwd": "/"},
        "root": {"path": "/", "readonly": true},
        "hostname": "runsc",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs"},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs",
             "options": ["nosuid", "noexec", "nodev", "ro"]}
        ],
        "linux": {"namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"},
                                 {"type": "uts"}, {"type": "mount"}]}
    })
}

/// Creates the bundle directory `dir` with [`host_bundle_config`]`(args)` as
/// its `config.json`; the error names the path that could not be written.
pub fn write_host_bundle<S: AsRef<str>>(dir: &Path, args: &[S]) -> Result<(), String> {
    let path = dir.join("config.json");
    let text = format!("{:#}\n", host_bundle_config(args));
    std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&path, text))
        .map_err(|e| format!("cannot write the bundle {}: {e}", path.display()))
}
