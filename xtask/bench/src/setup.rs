//! What the figures run against: a temp dir holding an OCI bundle, replay
//! sessions of the fake with a scenario, and simulator roots.

use std::ffi::OsString;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use runsc::cli::ContainerId;
use serde_json::{json, Value};

/// A temp dir with a bundle; removed when dropped.
pub struct Fixture {
    dir: tempfile::TempDir,
    bundle: PathBuf,
}

impl Fixture {
    /// A new temp dir with a bundle running `sleep 1000`.
    pub fn new() -> Result<Self, String> {
        let dir = tempfile::Builder::new()
            .prefix("xtask-bench-")
            .tempdir()
            .map_err(|e| format!("cannot create a temp dir: {e}"))?;
        let bundle = dir.path().join("bundle");
        fake_runsc::testing::write_host_bundle(&bundle, &["sleep", "1000"])?;
        Ok(Self { dir, bundle })
    }

    /// The bundle directory.
    pub fn bundle(&self) -> &Path {
        &self.bundle
    }

    /// A fresh directory named `name` inside the fixture.
    pub fn subdir(&self, name: &str) -> Result<PathBuf, String> {
        let path = self.dir.path().join(name);
        std::fs::create_dir_all(&path)
            .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        Ok(path)
    }

    /// A replay session of the fake playing `scenario`.
    pub fn replay_session(&self, name: &str, scenario: &Value) -> Result<Target, String> {
        let dir = self.subdir(name)?;
        let file = dir.join("scenario.json");
        std::fs::write(&file, scenario.to_string())
            .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
        let session = self.subdir(&format!("{name}/session"))?;
        let root = self.subdir(&format!("{name}/root"))?;
        // The session file lets clients that only choose `--root` (such as
        // the `runsc` client, which passes no environment) reach the scenario.
        let session_file = root.join("fake-runsc-session.json");
        let content = json!({"scenario": file, "session": session});
        std::fs::write(&session_file, content.to_string())
            .map_err(|e| format!("cannot write {}: {e}", session_file.display()))?;
        Ok(Target {
            root,
            bundle: self.bundle.clone(),
            envs: vec![
                ("FAKE_RUNSC_SCENARIO".into(), file.into_os_string()),
                ("FAKE_RUNSC_SESSION".into(), session.into_os_string()),
            ],
        })
    }

    /// A simulator root of its own.
    pub fn simulator(&self, name: &str) -> Result<Target, String> {
        Ok(Target {
            root: self.subdir(&format!("{name}/root"))?,
            bundle: self.bundle.clone(),
            envs: Vec::new(),
        })
    }
}

/// Where calls go: a `--root` plus the environment the fake needs.
pub struct Target {
    /// The `--root` directory.
    pub root: PathBuf,
    /// The bundle containers are created from.
    pub bundle: PathBuf,
    /// Environment variables for every call.
    pub envs: Vec<(OsString, OsString)>,
}

impl Target {
    /// Global options plus `rest`, as argv after the program.
    pub fn args(&self, rest: &[&str]) -> Vec<OsString> {
        let mut root = OsString::from("--root=");
        root.push(&self.root);
        let mut args = vec![root, "--network=none".into()];
        args.extend(rest.iter().map(OsString::from));
        args
    }

    fn call(&self, program: &Path, rest: &[&str]) -> Result<(), String> {
        // stderr goes to a file, not a pipe: a container started by `create`
        // inherits runsc's stdio, and a pipe would never see EOF while it runs.
        let mut stderr =
            tempfile::tempfile().map_err(|e| format!("cannot create a temp file: {e}"))?;
        let handle = stderr
            .try_clone()
            .map_err(|e| format!("cannot clone a temp file handle: {e}"))?;
        let status = Command::new(program)
            .args(self.args(rest))
            .envs(self.envs.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(handle)
            .status()
            .map_err(|e| format!("cannot spawn {}: {e}", program.display()))?;
        if status.success() {
            return Ok(());
        }
        let mut text = String::new();
        let _ = stderr.seek(SeekFrom::Start(0));
        let _ = stderr.take(64 * 1024).read_to_string(&mut text);
        Err(format!(
            "`{} {}` failed ({status}): {}",
            program.display(),
            rest.join(" "),
            text.trim_end()
        ))
    }

    /// Creates and starts container `id` with `program` (the fake, or runsc).
    pub fn start_container(&self, program: &Path, id: &str) -> Result<ContainerId, String> {
        let parsed = ContainerId::new(id).map_err(|e| e.to_string())?;
        let bundle = self.bundle.to_string_lossy().into_owned();
        self.call(program, &["create", "--bundle", &bundle, id])?;
        self.call(program, &["start", id])?;
        Ok(parsed)
    }

    /// Force-deletes container `id`.
    pub fn delete_container(&self, program: &Path, id: &ContainerId) -> Result<(), String> {
        self.call(program, &["delete", "--force", id.as_str()])
    }
}

/// A scenario that answers every `state` call, for any id, with a running container.
pub fn state_scenario() -> Value {
    json!({
        "version": 1,
        "description": "state of a running container, forever",
        "steps": [{
            "name": "state",
            "match": {"command": "state", "id": {"capture": "id"}},
            "times": "any",
            "reply": {"stdout": "{\n  \"ociVersion\": \"1.0.2-dev\",\n  \"id\": \"{{id}}\",\n  \"status\": \"running\",\n  \"pid\": 4242,\n  \"bundle\": \"/bundle\"\n}"}
        }]
    })
}

/// The fake-runsc binary: `FAKE_RUNSC_BIN` (set by `cargo xtask bench`), else
/// the one cargo built next to this executable.
pub fn locate_fake() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("FAKE_RUNSC_BIN") {
        return Ok(PathBuf::from(path));
    }
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this executable: {e}"))?;
    let mut tried = Vec::new();
    for dir in exe.ancestors().skip(1).take(2) {
        let candidate = dir.join("fake-runsc");
        if candidate.is_file() {
            return Ok(candidate);
        }
        tried.push(candidate.display().to_string());
    }
    Err(format!(
        "cannot find the fake-runsc binary (FAKE_RUNSC_BIN is not set; tried {}); \
         run `cargo build -p fake-runsc` or use `cargo xtask bench`",
        tried.join(", ")
    ))
}

/// A scenario for one whole lifecycle as [`crate::lifecycle::run_once`]
/// drives it, each step once and in order for the captured id.
pub fn lifecycle_scenario() -> Value {
    let state = "{\n  \"ociVersion\": \"1.0.2-dev\",\n  \"id\": \"{{id}}\",\n  \"status\": \"running\",\n  \"pid\": 4242,\n  \"bundle\": \"/bundle\"\n}";
    let step = |command: &str, reply: Value| json!({"name": command, "match": {"command": command, "id": {"ref": "id"}}, "reply": reply});
    json!({
        "version": 1,
        "description": "one lifecycle: create, start, state, ps, exec, pause, resume, kill, wait, delete",
        "steps": [
            {"name": "create", "match": {"command": "create", "id": {"capture": "id"}}},
            step("start", json!({})),
            step("state", json!({"stdout": state})),
            step("ps", json!({"stdout": "[1]\n"})),
            step("exec", json!({})),
            step("pause", json!({})),
            step("resume", json!({})),
            step("kill", json!({})),
            step("wait", json!({"stdout": "{\"id\":\"{{id}}\",\"exitStatus\":137}\n"})),
            {"name": "delete", "match": {"command": "delete"}}
        ]
    })
}
