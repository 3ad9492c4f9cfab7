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
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;

use crate::config::{SessionFile, ENV_SCENARIO, ENV_SESSION, SESSION_FILE};
use crate::error::Error;
use crate::journal;
use crate::scenario::Scenario;
use crate::scenario_index::ScenarioIndex;
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
/// binary lives in `target/<profile>/deps/`, the fake in `target/<profile>/`),
/// then `fake-runsc` on `PATH` (where `cargo install` puts it).
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
    // Where `cargo install` puts it.
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        let candidate = dir.join("fake-runsc");
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    tried.push("fake-runsc on PATH (not found)".to_owned());
    Err(Error::NotFound { tried })
}

/// A running fake session: a temp directory holding the scenario, the
/// session state and journal, and a `--root` whose session file points the
/// fake at them.
///
/// Dropping it kills the processes it left alive and verifies the session
/// (as [`FakeRuntime::verify`]), panicking with every unmatched call and
/// missing step unless the test is already panicking, called `verify`
/// itself, or called [`FakeRuntime::skip_verify_on_drop`]: a test that
/// forgets to verify still fails when an expected call never came.
#[must_use = "the session is verified when dropped: bind it (`let fake = ...`) for the whole test"]
pub struct FakeRuntime {
    dir: tempfile::TempDir,
    binary: PathBuf,
    // `None`: the simulator, which has nothing to verify.
    scenario: Option<Scenario>,
    verify_on_drop: AtomicBool,
}

impl fmt::Debug for FakeRuntime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeRuntime")
            .field("dir", &self.dir.path())
            .field("binary", &self.binary)
            .field("simulator", &self.scenario.is_none())
            .finish()
    }
}

pub use crate::verify::{verify_session, VerifyError};

impl FakeRuntime {
    /// Starts a session for `scenario`, finding the binary with [`locate_binary`].
    ///
    /// The scenario gets the checks of `fake-runsc check` first; a scenario
    /// it rejects is [`Error::InvalidScenario`].
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

    /// Starts a session with a given fake binary (checked as in [`FakeRuntime::start`]).
    pub fn start_with_binary(scenario: &Scenario, binary: PathBuf) -> Result<Self, Error> {
        let problems = crate::check::check_scenario(scenario);
        if !problems.is_empty() {
            return Err(Error::InvalidScenario { problems });
        }
        Self::start_unchecked(scenario, binary)
    }

    /// Starts a session without `fake-runsc check`'s checks, for a test of
    /// how the fake answers a scenario `check` rejects (shadowed steps, a
    /// dangling capture).
    pub fn start_unchecked(scenario: &Scenario, binary: PathBuf) -> Result<Self, Error> {
        let runtime = Self::empty(binary, Some(scenario.clone()))?;
        let io = |context: String| move |source| Error::Io { context, source };
        std::fs::write(runtime.scenario_path(), scenario.to_json()).map_err(io(format!(
            "cannot write {}",
            runtime.scenario_path().display()
        )))?;
        std::fs::create_dir_all(runtime.session_dir()).map_err(io(format!(
            "cannot create {}",
            runtime.session_dir().display()
        )))?;
        // Indexed here, the scenario costs its first call nothing extra
        // however long it is. Best effort: a scenario that cannot be
        // indexed is reported by that call, in the fake's own words.
        let _ = ScenarioIndex::open(&runtime.scenario_path(), &runtime.session_dir());
        let file = SessionFile {
            scenario: runtime.scenario_path(),
            session: runtime.session_dir(),
        };
        let path = runtime.root().join(SESSION_FILE);
        std::fs::write(&path, serde_json::to_vec_pretty(&file).unwrap_or_default())
            .map_err(io(format!("cannot write {}", path.display())))?;
        Ok(runtime)
    }

    /// The simulator: a stateful fake runsc with a fresh `--root` of its
    /// own ([`FakeRuntime::root`]) and no scenario, so there is nothing to
    /// verify. Its containers' processes end when it is dropped.
    pub fn simulator() -> Result<Self, Error> {
        Self::simulator_with_binary(locate_binary()?)
    }

    /// The simulator with a given fake binary.
    pub fn simulator_with_binary(binary: PathBuf) -> Result<Self, Error> {
        Self::empty(binary, None)
    }

    fn empty(binary: PathBuf, scenario: Option<Scenario>) -> Result<Self, Error> {
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
            scenario,
            verify_on_drop: AtomicBool::new(true),
        };
        std::fs::create_dir_all(runtime.root())
            .map_err(io(format!("cannot create {}", runtime.root().display())))?;
        Ok(runtime)
    }

    /// Turns off the verification on drop, for a test that makes calls the
    /// scenario does not expect on purpose and checks the journal itself.
    pub fn skip_verify_on_drop(&self) {
        self.verify_on_drop.store(false, Ordering::Relaxed);
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

    /// Environment variables that select this session without `--root`
    /// (none for the simulator, which needs no configuration).
    pub fn envs(&self) -> Vec<(&'static str, OsString)> {
        if self.scenario.is_none() {
            return Vec::new();
        }
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
    /// The error lists every such call with the fake's diagnostic.
    ///
    /// Once called, dropping the runtime no longer verifies: the test has
    /// seen the result.
    pub fn verify(&self) -> Result<(), VerifyError> {
        self.verify_on_drop.store(false, Ordering::Relaxed);
        let Some(scenario) = &self.scenario else {
            return Ok(());
        };
        verify_session(scenario, &self.session_dir())
    }

    /// Panics with [`FakeRuntime::verify`]'s error, pointing at the caller.
    #[track_caller]
    pub fn assert_verified(&self) {
        if let Err(e) = self.verify() {
            panic!("{e}");
        }
    }
}

impl FakeRuntime {
    /// Force-deletes every container the simulator holds under this root,
    /// so their host processes end with the test.
    fn end_simulated_containers(&self) {
        use std::process::{Command, Stdio};
        let root = format!("--root={}", self.root().display());
        let Ok(listed) = Command::new(&self.binary)
            .args([root.as_str(), "list", "--quiet"])
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
        else {
            return;
        };
        for id in String::from_utf8_lossy(&listed.stdout).split_whitespace() {
            let _ = Command::new(&self.binary)
                .args([root.as_str(), "delete", "--force", id])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

impl Drop for FakeRuntime {
    fn drop(&mut self) {
        if let Ok(pids) = std::fs::read_to_string(self.session_dir().join(session::LIVE_PIDS)) {
            for pid in pids.lines().filter_map(|l| l.trim().parse::<i32>().ok()) {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
        }
        if self.scenario.is_none() {
            self.end_simulated_containers();
        }
        if self.verify_on_drop.load(Ordering::Relaxed) && !std::thread::panicking() {
            if let Err(e) = self.verify() {
                panic!(
                    "{e}(dropped without passing verify; call `skip_verify_on_drop()` to opt out)"
                );
            }
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
