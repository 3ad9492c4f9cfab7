//! The client driver: for `cargo xtask record` and `cargo xtask
//! conformance`, and for the fake's corpus tests. Not for users of the fake
//! (they want `fake_runsc::testing`), and never linked into the fake itself.
//!
//! Drivers: the calls that produce a recorded scenario, kept beside it
//! (`scenarios/recorded/NAME.drive`, JSON) so the scenario can be recorded
//! again, replayed through the client, and compared across runtimes.
//!
//! A driver names its bundles and containers; [`execute`] makes them real
//! in a scratch directory (ids unique per run, so real runsc roots never
//! collide), makes each call through the core client ([`runsc::Runsc`]) and
//! returns a transcript of the client's typed results in which every
//! volatile value is a placeholder (`{id}`, `{tmp}`, `{pid}`, `{time}`), so
//! transcripts of different runtimes and runs compare equal when they behave
//! alike.

#![warn(missing_docs)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use futures_core::Stream;
use regex::Regex;
use runsc::cli::ContainerId;
use runsc::{
    CheckpointOpts, CreateOpts, DeleteOpts, Error, ExecOpts, ExecOutcome, KillOpts, RestoreOpts,
    RunOpts, Runsc, WaitOpts,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use fake_runsc::scenario::Scenario;
use fake_runsc::testing::{host_bundle_config, FakeRuntime};

/// How long a driver waits for the next event of a stream.
const EVENT_WAIT: Duration = Duration::from_secs(10);

/// A driver file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Driver {
    /// The scenario's one-line description.
    pub description: String,
    /// Bundles by name (the name is a directory in the scratch dir).
    #[serde(default)]
    pub bundles: BTreeMap<String, Bundle>,
    /// The calls, in order.
    pub calls: Vec<Call>,
    /// The client's deadline per call (default 60 s); short for hang faults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
}

/// A bundle: `args` makes a config.json running them with the host `/` as
/// a read-only root; `config` writes this text as config.json instead; with
/// neither the directory has no config.json.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    /// The container's process args.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args: Option<Vec<String>>,
    /// A literal config.json.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<String>,
}

fn default_id() -> String {
    "id".to_owned()
}

/// One call through the client. `id` names a container of the driver
/// (`id`, `id2`, ...), `bundle` a bundle of the driver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Call {
    /// `Runsc::list`.
    List,
    /// `Runsc::state`.
    State {
        /// The container.
        #[serde(default = "default_id")]
        id: String,
    },
    /// `Runsc::create`, optionally with a pid file.
    Create {
        /// The container.
        #[serde(default = "default_id")]
        id: String,
        /// The bundle's name.
        bundle: String,
        /// Pass `--pid-file` and report its content.
        #[serde(default)]
        pid_file: bool,
    },
    /// `Runsc::start`.
    Start {
        /// The container.
        #[serde(default = "default_id")]
        id: String,
    },
    /// `Runsc::run` (foreground unless `detach`).
    Run {
        /// The container.
        #[serde(default = "default_id")]
        id: String,
        /// The bundle's name.
        bundle: String,
        /// `--detach`.
        #[serde(default)]
        detach: bool,
    },
    /// `Runsc::exec` of `args`.
    Exec {
        /// The container.
        #[serde(default = "default_id")]
        id: String,
        /// The process args.
        args: Vec<String>,
        /// `--detach` (with a `--pid-file`).
        #[serde(default)]
        detach: bool,
    },
    /// `Runsc::delete`.
    Delete {
        /// The container.
        #[serde(default = "default_id")]
        id: String,
        /// `--force`.
        #[serde(default)]
        force: bool,
    },
    /// `Runsc::kill`.
    Kill {
        /// The container.
        #[serde(default = "default_id")]
        id: String,
        /// The signal, by name or number.
        signal: String,
        /// `--all`.
        #[serde(default)]
        all: bool,
    },
    /// `Runsc::stats` (`events --stats`).
    Stats {
        /// The container.
        #[serde(default = "default_id")]
        id: String,
    },
    /// `Runsc::events` with `--interval`, reading `take` events, then dropping the stream.
    Events {
        /// The container.
        #[serde(default = "default_id")]
        id: String,
        /// Seconds.
        interval: u64,
        /// How many events to read.
        take: usize,
    },
    /// `Runsc::ps`.
    Ps {
        /// The container.
        #[serde(default = "default_id")]
        id: String,
    },
    /// `Runsc::top` (`ps --format=table`).
    Top {
        /// The container.
        #[serde(default = "default_id")]
        id: String,
    },
    /// `Runsc::pause`.
    Pause {
        /// The container.
        #[serde(default = "default_id")]
        id: String,
    },
    /// `Runsc::resume`.
    Resume {
        /// The container.
        #[serde(default = "default_id")]
        id: String,
    },
    /// `Runsc::wait`, optionally `--pid`.
    Wait {
        /// The container.
        #[serde(default = "default_id")]
        id: String,
        /// `--pid`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pid: Option<i64>,
    },
    /// `Runsc::checkpoint` into the scratch dir's image `image`.
    Checkpoint {
        /// The container.
        #[serde(default = "default_id")]
        id: String,
        /// The image directory's name.
        image: String,
    },
    /// `Runsc::restore --detach` from image `image`.
    Restore {
        /// The container.
        #[serde(default = "default_id")]
        id: String,
        /// The bundle's name.
        bundle: String,
        /// The image directory's name.
        image: String,
    },
    /// Pause the driver (e.g. until a container's process has exited).
    Sleep {
        /// Milliseconds.
        ms: u64,
    },
}

impl Driver {
    /// Reads a driver file.
    pub fn load(path: &Path) -> Result<Self, String> {
        let bytes = std::fs::read(path)
            .map_err(|e| format!("cannot read the driver {}: {e}", path.display()))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| format!("the driver {} is not valid: {e}", path.display()))
    }

    /// The container names the calls use, in order of first use.
    pub fn container_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for call in &self.calls {
            if let Some(id) = call.id() {
                if !names.iter().any(|n| n == id) {
                    names.push(id.to_owned());
                }
            }
        }
        names
    }
}

impl Call {
    /// The container name the call is about.
    pub fn id(&self) -> Option<&str> {
        match self {
            Self::List | Self::Sleep { .. } => None,
            Self::State { id }
            | Self::Create { id, .. }
            | Self::Start { id }
            | Self::Run { id, .. }
            | Self::Exec { id, .. }
            | Self::Delete { id, .. }
            | Self::Kill { id, .. }
            | Self::Stats { id }
            | Self::Events { id, .. }
            | Self::Ps { id }
            | Self::Top { id }
            | Self::Pause { id }
            | Self::Resume { id }
            | Self::Wait { id, .. }
            | Self::Checkpoint { id, .. }
            | Self::Restore { id, .. } => Some(id),
        }
    }

    /// A short label: `state id`, `kill id KILL`.
    pub fn label(&self) -> String {
        let value = serde_json::to_value(self).unwrap_or(Value::Null);
        let mut words = vec![value
            .get("op")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_owned()];
        if let Value::Object(map) = &value {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("op", _) | (_, Value::Bool(false)) => {}
                    ("id", Value::String(s)) => words.insert(1.min(words.len()), s.clone()),
                    (_, Value::Bool(true)) => words.push(format!("--{key}")),
                    (_, Value::String(s)) => words.push(format!("{key}={s}")),
                    (_, other) => words.push(format!("{key}={other}")),
                }
            }
        }
        words.join(" ")
    }
}

/// Where calls go.
#[derive(Debug, Clone)]
pub struct Target {
    /// The runsc command the client runs.
    pub command: PathBuf,
    /// Environment variables for every runsc call (the fake's configuration).
    pub env: Vec<(String, String)>,
    /// The runsc used to remove what the driver left (`delete --force` of
    /// every container); `None` when nothing can be left (replay).
    pub cleanup: Option<PathBuf>,
    /// Appended to container names to make this run's ids (`id-SUFFIX`):
    /// digits, unique to the run, so real runsc roots never share an id and
    /// recorded ids keep a shape (the recorder's id pattern) that
    /// another run's ids match.
    pub id_suffix: String,
}

/// One call and its normalised result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The call's label.
    pub call: String,
    /// The client's result with placeholders for volatile values.
    pub result: Value,
}

/// The results of one run of a driver.
pub type Transcript = Vec<Entry>;

/// Writes a command wrapper that sets `env` and runs `command`, because the
/// client runs one command path and the fake is configured by environment.
fn wrapper(dir: &Path, command: &Path, env: &[(String, String)]) -> Result<PathBuf, String> {
    if env.is_empty() {
        return Ok(command.to_owned());
    }
    use std::os::unix::fs::PermissionsExt;
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let mut script = String::from("#!/bin/sh\nexec env");
    for (k, v) in env {
        script.push_str(&format!(" {}={}", k, quote(v)));
    }
    script.push_str(&format!(" {} \"$@\"\n", quote(&command.to_string_lossy())));
    let path = dir.join("runsc-wrapper");
    std::fs::write(&path, script)
        .and_then(|()| std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

fn process(args: &[String]) -> Result<oci_spec::runtime::Process, String> {
    serde_json::from_value(json!({
        "terminal": false, "user": {"uid": 0, "gid": 0}, "args": args,
        "env": ["PATH=/usr/bin:/bin"], "cwd": "/"
    }))
    .map_err(|e| format!("cannot build the process spec for {args:?}: {e}"))
}

/// Placeholders for the volatile values of one run.
struct Scrub {
    /// (real text, placeholder), longest first.
    literals: Vec<(String, String)>,
}

fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| {
        Regex::new(pattern).unwrap_or_else(|e| panic!("built-in pattern {pattern:?}: {e}"))
    })
}

impl Scrub {
    fn text(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for (real, placeholder) in &self.literals {
            text = text.replace(real, placeholder);
        }
        static TIME: OnceLock<Regex> = OnceLock::new();
        static EXEC_PID: OnceLock<Regex> = OnceLock::new();
        static ADDRESS: OnceLock<Regex> = OnceLock::new();
        let text = re(
            &TIME,
            r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})",
        )
        .replace_all(&text, "{time}");
        let text = re(&EXEC_PID, r"/tmp/exec-pid-\d+").replace_all(&text, "/tmp/exec-pid-{n}");
        re(&ADDRESS, r"0x[0-9a-f]{8,}")
            .replace_all(&text, "0x{addr}")
            .into_owned()
    }

    fn value(&self, value: Value) -> Value {
        match value {
            Value::String(s) => Value::String(self.text(&s)),
            Value::Array(items) => Value::Array(items.into_iter().map(|v| self.value(v)).collect()),
            Value::Object(map) => Value::Object(
                map.into_iter()
                    .map(|(k, v)| {
                        let v = match (k.as_str(), v) {
                            // Host pids and resource counters differ on every run.
                            ("pid", Value::Number(n)) if n.as_i64().is_some_and(|p| p > 1) => {
                                Value::from("{pid}")
                            }
                            ("total" | "usage" | "kernel" | "user", Value::Number(n))
                                if n.as_u64().is_some_and(|c| c > 0) =>
                            {
                                Value::from("{count}")
                            }
                            (_, v) => self.value(v),
                        };
                        (self.text(&k), v)
                    })
                    .collect(),
            ),
            other => other,
        }
    }
}

/// At most [`STDERR_KEPT`] characters of stderr: how much of a flood the
/// client kept depends on timing, and a transcript must not.
fn bounded(stderr: &str) -> String {
    match stderr.char_indices().nth(STDERR_KEPT) {
        Some((cut, _)) => format!("{}[... cut]", &stderr[..cut]),
        None => stderr.to_owned(),
    }
}

/// How much of a failed call's stderr a transcript keeps.
const STDERR_KEPT: usize = 2000;

fn error_json(error: &Error, scrub: &Scrub) -> Value {
    let mut out = serde_json::Map::new();
    if let Some(code) = error.exit_code() {
        out.insert("exit".into(), code.into());
    }
    if let Some(signal) = error.signal() {
        out.insert("signal".into(), signal.into());
    }
    match error.stderr() {
        Some(stderr) => out.insert("stderr".into(), scrub.text(&bounded(stderr)).into()),
        None => out.insert("error".into(), scrub.text(&error.to_string()).into()),
    };
    json!({ "err": out })
}

fn ok<T: Serialize>(value: &T, scrub: &Scrub) -> Value {
    json!({ "ok": scrub.value(serde_json::to_value(value).unwrap_or(Value::Null)) })
}

fn result<T: Serialize>(outcome: Result<T, Error>, scrub: &Scrub) -> Value {
    match outcome {
        Ok(value) => ok(&value, scrub),
        Err(error) => error_json(&error, scrub),
    }
}

fn read_pid_file(path: &Path) -> Value {
    match std::fs::read_to_string(path) {
        Ok(text) => match text.trim().parse::<i64>() {
            Ok(pid) if pid > 1 => Value::from("{pid}"),
            Ok(pid) => Value::from(pid),
            Err(_) => Value::from(format!("not a pid: {text:?}")),
        },
        Err(_) => Value::Null,
    }
}

/// The scratch layout of a run.
pub struct Layout {
    /// `--root`.
    pub root: PathBuf,
    /// Bundles by name.
    pub bundles: BTreeMap<String, PathBuf>,
    /// Pid files, process files and images.
    pub tmp: PathBuf,
    /// Real container ids by name.
    pub ids: BTreeMap<String, ContainerId>,
}

/// Makes the scratch directory's bundles and names the containers.
pub fn prepare(driver: &Driver, scratch: &Path, id_suffix: &str) -> Result<Layout, String> {
    let io = |what: &Path, e: std::io::Error| format!("cannot prepare {}: {e}", what.display());
    let root = scratch.join("root");
    let tmp = scratch.join("tmp");
    std::fs::create_dir_all(&root).map_err(|e| io(&root, e))?;
    std::fs::create_dir_all(&tmp).map_err(|e| io(&tmp, e))?;
    let mut bundles = BTreeMap::new();
    for (name, bundle) in &driver.bundles {
        let dir = scratch.join(name);
        std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
        let config = match (&bundle.args, &bundle.config) {
            (_, Some(text)) => Some(text.clone()),
            (Some(args), None) => {
                Some(serde_json::to_string_pretty(&host_bundle_config(args)).unwrap_or_default())
            }
            (None, None) => None,
        };
        if let Some(text) = config {
            std::fs::write(dir.join("config.json"), text).map_err(|e| io(&dir, e))?;
        }
        bundles.insert(name.clone(), dir);
    }
    let mut ids = BTreeMap::new();
    for name in driver.container_names() {
        // The name comes first so that no id is a prefix of another
        // (`x-id` of `x-id2`): runsc accepts unique id prefixes and
        // calls shared ones ambiguous.
        let id = ContainerId::new(format!("{name}-{id_suffix}"))
            .map_err(|e| format!("container name {name:?}: {e}"))?;
        ids.insert(name, id);
    }
    Ok(Layout {
        root,
        bundles,
        tmp,
        ids,
    })
}

impl Layout {
    fn id(&self, name: &str) -> Result<&ContainerId, String> {
        self.ids
            .get(name)
            .ok_or_else(|| format!("unknown container {name:?}"))
    }

    fn bundle(&self, name: &str) -> Result<&PathBuf, String> {
        self.bundles
            .get(name)
            .ok_or_else(|| format!("unknown bundle {name:?}; add it to the driver's \"bundles\""))
    }

    fn scrub(&self, scratch: &Path) -> Scrub {
        let mut literals: Vec<(String, String)> = self
            .ids
            .iter()
            .map(|(name, id)| (id.as_str().to_owned(), format!("{{{name}}}")))
            .collect();
        literals.push((self.root.to_string_lossy().into_owned(), "{root}".into()));
        literals.push((scratch.to_string_lossy().into_owned(), "{tmp}".into()));
        literals.sort_by_key(|(real, _)| std::cmp::Reverse(real.len()));
        Scrub { literals }
    }
}

async fn one(runsc: &Runsc, call: &Call, layout: &Layout, scrub: &Scrub) -> Result<Value, String> {
    let id = |name: &str| layout.id(name);
    Ok(match call {
        Call::List => result(runsc.list().await.map(Option::unwrap_or_default), scrub),
        Call::State { id: name } => result(runsc.state(id(name)?).await, scrub),
        Call::Create {
            id: name,
            bundle,
            pid_file,
        } => {
            let path = layout.tmp.join(format!("{name}.pid"));
            let mut opts = CreateOpts::default();
            if *pid_file {
                opts = opts.with_pid_file(path.clone());
            }
            let mut out = result(
                runsc.create(id(name)?, layout.bundle(bundle)?, &opts).await,
                scrub,
            );
            if *pid_file {
                out["pid_file"] = read_pid_file(&path);
            }
            out
        }
        Call::Start { id: name } => result(runsc.start(id(name)?, None).await, scrub),
        Call::Run {
            id: name,
            bundle,
            detach,
        } => {
            let opts = RunOpts::default().with_detach(*detach);
            match runsc.run(id(name)?, layout.bundle(bundle)?, &opts).await {
                Ok(exit) => {
                    json!({"ok": {"code": exit.code, "stdout": scrub.text(&exit.stdout.to_text())}})
                }
                Err(error) => error_json(&error, scrub),
            }
        }
        Call::Exec {
            id: name,
            args,
            detach,
        } => {
            let path = layout.tmp.join(format!("{name}-exec.pid"));
            let mut opts = ExecOpts::default().with_detach(*detach);
            if *detach {
                opts = opts.with_pid_file(path.clone());
            }
            match runsc.exec(id(name)?, &process(args)?, &opts).await {
                Ok(ExecOutcome::Exited(exit)) => {
                    json!({"ok": {"code": exit.code, "stdout": scrub.text(&exit.stdout.to_text())}})
                }
                Ok(ExecOutcome::Detached { pid, .. }) => {
                    json!({"ok": {"detached": pid.map(|_| "{pid}"), "pid_file": read_pid_file(&path)}})
                }
                Err(error) => error_json(&error, scrub),
            }
        }
        Call::Delete { id: name, force } => result(
            runsc
                .delete(id(name)?, &DeleteOpts::default().with_force(*force))
                .await,
            scrub,
        ),
        Call::Kill {
            id: name,
            signal,
            all,
        } => {
            let signal = runsc::cli::Signal::from_arg(signal);
            result(
                runsc
                    .kill(id(name)?, signal, &KillOpts::default().with_all(*all))
                    .await,
                scrub,
            )
        }
        Call::Stats { id: name } => result(runsc.stats(id(name)?).await, scrub),
        Call::Events {
            id: name,
            interval,
            take,
        } => match runsc
            .events(id(name)?, Duration::from_secs(*interval))
            .await
        {
            Ok(mut stream) => {
                let mut events = Vec::new();
                while events.len() < *take {
                    let next =
                        std::future::poll_fn(|cx| std::pin::Pin::new(&mut stream).poll_next(cx));
                    // The client's deadline does not cover a stream; a
                    // silent one must not stall the driver.
                    match tokio::time::timeout(EVENT_WAIT, next).await {
                        Err(_) => {
                            events
                                .push(json!(format!("no event within {} s", EVENT_WAIT.as_secs())));
                            break;
                        }
                        Ok(Some(Ok(event))) => events.push(ok(&event, scrub)),
                        Ok(Some(Err(error))) => events.push(error_json(&error, scrub)),
                        Ok(None) => {
                            events.push(json!("end of stream"));
                            break;
                        }
                    }
                }
                json!({ "events": events })
            }
            Err(error) => error_json(&error, scrub),
        },
        Call::Ps { id: name } => result(runsc.ps(id(name)?).await, scrub),
        Call::Top { id: name } => {
            let top = runsc.top(id(name)?).await;
            match top {
                Ok(mut top) => {
                    // Start time and cpu figures (STIME, C, TIME) depend on
                    // the clock and the machine's load, not on behaviour.
                    let volatile: Vec<usize> = top
                        .headers
                        .iter()
                        .enumerate()
                        .filter(|(_, h)| matches!(h.as_str(), "STIME" | "C" | "TIME"))
                        .map(|(i, _)| i)
                        .collect();
                    for row in &mut top.processes {
                        for &i in &volatile {
                            if let Some(cell) = row.get_mut(i) {
                                *cell = format!("{{{}}}", top.headers[i].to_ascii_lowercase());
                            }
                        }
                    }
                    ok(&top, scrub)
                }
                Err(error) => error_json(&error, scrub),
            }
        }
        Call::Pause { id: name } => result(runsc.pause(id(name)?).await, scrub),
        Call::Resume { id: name } => result(runsc.resume(id(name)?).await, scrub),
        Call::Wait { id: name, pid } => result(
            runsc
                .wait(
                    id(name)?,
                    &match pid {
                        Some(pid) => WaitOpts::default().with_pid(*pid),
                        None => WaitOpts::default(),
                    },
                )
                .await,
            scrub,
        ),
        Call::Checkpoint { id: name, image } => {
            let opts = CheckpointOpts::default().with_image_path(layout.tmp.join(image));
            result(runsc.checkpoint(id(name)?, &opts).await, scrub)
        }
        Call::Restore {
            id: name,
            bundle,
            image,
        } => {
            let opts = RestoreOpts::default()
                .with_image_path(layout.tmp.join(image))
                .with_detach(true);
            match runsc
                .restore(id(name)?, layout.bundle(bundle)?, &opts)
                .await
            {
                Ok(exit) => json!({"ok": format!("{exit:?}")}),
                Err(error) => error_json(&error, scrub),
            }
        }
        Call::Sleep { ms } => {
            tokio::time::sleep(Duration::from_millis(*ms)).await;
            Value::Null
        }
    })
}

/// Removes every container of the run with `delete --force` through `runsc`.
pub fn cleanup(runsc: &Path, layout: &Layout) {
    for id in layout.ids.values() {
        let _ = std::process::Command::new(runsc)
            .arg(format!("--root={}", layout.root.display()))
            .args(["delete", "--force", id.as_str()])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
    }
}

/// Runs a driver against `target` in `scratch` (which must exist) and
/// returns the transcript. Containers are removed afterwards, also when a
/// call fails.
pub async fn execute(
    driver: &Driver,
    target: &Target,
    scratch: &Path,
) -> Result<Transcript, String> {
    let layout = prepare(driver, scratch, &target.id_suffix)?;
    let command = wrapper(scratch, &target.command, &target.env)?;
    let runsc = Runsc::builder()
        .command(command)
        .root(&layout.root)
        .config("network", "none")
        .timeout(Duration::from_millis(driver.timeout_ms.unwrap_or(60_000)))
        .build()
        .map_err(|e| format!("cannot build the client: {e}"))?;
    let scrub = layout.scrub(scratch);
    let mut transcript = Vec::new();
    let mut failure = None;
    for call in &driver.calls {
        match one(&runsc, call, &layout, &scrub).await {
            Ok(Value::Null) => {}
            Ok(result) => transcript.push(Entry {
                call: call.label(),
                result,
            }),
            Err(message) => {
                failure = Some(format!("call {:?}: {message}", call.label()));
                break;
            }
        }
    }
    if let Some(cleanup_with) = &target.cleanup {
        cleanup(cleanup_with, &layout);
    }
    match failure {
        Some(message) => Err(message),
        None => Ok(transcript),
    }
}

/// Digits unique to this moment and process, for [`Target::id_suffix`].
pub fn unique_suffix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    // Fixed width: an id's length shows in output (and in where a truncated
    // reply is cut), so transcripts must not depend on it.
    format!("{:07}{nanos:09}", std::process::id() % 10_000_000)
}

/// Replays `scenario` with the fake `binary` by running `driver` through the
/// client, then checks that the calls went as the scenario expects (every
/// step got its calls, no call went unanswered).
pub async fn replay(
    driver: &Driver,
    scenario: &Scenario,
    binary: &Path,
) -> Result<Transcript, String> {
    let runtime = FakeRuntime::start_with_binary(scenario, binary.to_owned())
        .map_err(|e| format!("cannot start a replay session: {e}"))?;
    let scratch = tempfile::Builder::new()
        .prefix("fake-runsc-replay-")
        .tempdir()
        .map_err(|e| format!("cannot make a scratch directory: {e}"))?;
    let target = Target {
        command: binary.to_owned(),
        env: runtime
            .envs()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_string_lossy().into_owned()))
            .collect(),
        cleanup: None,
        id_suffix: unique_suffix(),
    };
    let transcript = execute(driver, &target, scratch.path()).await?;
    runtime.verify().map_err(|e| e.to_string())?;
    Ok(transcript)
}
