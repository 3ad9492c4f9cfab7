//! The subcommands, with runsc 20221219's checks, messages and exit codes
//! (recorded in `scenarios/real-runsc/cases/`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use nix::sys::signal::{self, SigHandler, Signal as NixSignal};
use runsc::cli::{self, Signal};

use super::clock::{self, TimeScale};
use super::output::{self, PsRow};
use super::process::{self, is_fatal, SIGKILL};
use super::program::{forked_children, Program};
use super::store::{Entry, HostProcess, Locked, Process, Resolved, Status, Store, StoreError};

/// How often a blocked `wait`, `run` or `exec` looks at the state, at most.
const POLL: Duration = Duration::from_millis(10);

/// Polling that answers quickly when the awaited change comes soon (most
/// simulated processes end within a millisecond or two) and costs little when
/// it does not: 1 ms, doubling up to [`POLL`].
struct Backoff(Duration);

impl Backoff {
    fn new() -> Self {
        Self(Duration::from_millis(1))
    }

    fn sleep(&mut self) {
        std::thread::sleep(self.0);
        self.0 = (self.0 * 2).min(POLL);
    }
}
/// How long `kill` waits for a fatally signalled container to stop.
const KILL_SETTLE: Duration = Duration::from_secs(2);

/// What a failed command prints on stderr and its exit status.
#[derive(Debug)]
pub struct Failure {
    /// Exactly what goes to stderr.
    pub stderr: String,
    /// The exit status.
    pub code: i32,
}

/// Ends the command with runsc's usual `util.Fatalf`: the message, a newline, exit 128.
pub fn fatal(message: impl Into<String>) -> Failure {
    let mut stderr = message.into();
    stderr.push('\n');
    Failure { stderr, code: 128 }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        fatal(e.to_string())
    }
}

/// A command's result: its exit status, or a failure to report.
pub type CmdResult = Result<i32, Failure>;

/// The simulator's view of one invocation.
pub struct Sim {
    /// The state store of `--root`.
    pub store: Store,
    /// The time scale.
    pub scale: TimeScale,
}

fn out(text: &str) {
    let _ = crate::stdout::write(text.as_bytes());
}

/// The status a reader should see: a container whose sandbox process died
/// without recording it is stopped.
pub fn effective_status(entry: &Entry) -> Status {
    match entry.status {
        Status::Stopped => Status::Stopped,
        s if entry.init.host.is_some_and(|h| h.is_alive()) => s,
        _ => Status::Stopped,
    }
}

/// Go's panic output for a state runsc 20221219 does not handle.
fn go_panic(message: &str, frames: &str) -> Failure {
    Failure {
        stderr: format!("panic: {message}\n\ngoroutine 1 [running]:\n{frames}"),
        code: 2,
    }
}

const PANIC_FRAMES_TAIL: &str = "github.com/google/subcommands.(*Commander).Execute(0xc0000aa000, {0x12466b0, 0xc000042088}, {0xc000088fc0, 0x2, 0x2})
\tgithub.com/google/subcommands/subcommands.go:209 +0x3bc
github.com/google/subcommands.Execute(...)
\tgithub.com/google/subcommands/subcommands.go:492
gvisor.dev/gvisor/runsc/cli.Main({0x12348f8, 0xe})
\tgvisor.dev/gvisor/runsc/cli/main.go:261 +0x6525
main.main()
\tgvisor.dev/gvisor/runsc/main.go:23 +0x27
";

fn stats_panic() -> Failure {
    go_panic(
        "runtime error: integer divide by zero",
        &format!(
            "gvisor.dev/gvisor/runsc/container.(*Container).populateStats(0xc00041c2a0, 0xc000134b00)
\tgvisor.dev/gvisor/runsc/container/container.go:1296 +0x4e5
gvisor.dev/gvisor/runsc/container.(*Container).Event(0xc00041c2a0)
\tgvisor.dev/gvisor/runsc/container/container.go:542 +0x150
gvisor.dev/gvisor/runsc/cmd.(*Events).Execute(0xc00036fd00, {{0xc00011e160?, 0xc0003df900?}}, 0x4826b4?, {{0xc000132fa0?, 0x7fbe6260f998?, 0x20?}})
\tgvisor.dev/gvisor/runsc/cmd/events.go:87 +0x15d
{PANIC_FRAMES_TAIL}"
        ),
    )
}

fn pause_panic() -> Failure {
    go_panic(
        "invalid state transition: created => paused",
        &format!(
            "gvisor.dev/gvisor/runsc/container.(*Container).changeStatus(0xc00003e690?, {{0x105b0e6, 0x6}})
\tgvisor.dev/gvisor/runsc/container/container.go:1102 +0x56e
gvisor.dev/gvisor/runsc/container.(*Container).Pause(0xc0003722a0)
\tgvisor.dev/gvisor/runsc/container/container.go:664 +0x316
gvisor.dev/gvisor/runsc/cmd.(*Pause).Execute(0xc00037e660, {{0xc00003e0e0?, 0xc00033f900?}}, 0x4826b4?, {{0xc000088fc0?, 0x7fd23f204ae8?, 0x20?}})
\tgvisor.dev/gvisor/runsc/cmd/pause.go:64 +0x10f
{PANIC_FRAMES_TAIL}"
        ),
    )
}

fn wait_panic() -> Failure {
    go_panic(
        "invalid state transition: paused => stopped",
        &format!(
            "gvisor.dev/gvisor/runsc/container.(*Container).changeStatus(0xc00003e640?, {{0x105c26e, 0x7}})
\tgvisor.dev/gvisor/runsc/container/container.go:1118 +0x2b9
gvisor.dev/gvisor/runsc/container.(*Container).Wait(0xc0003e22a0)
\tgvisor.dev/gvisor/runsc/container/container.go:564 +0xcf
gvisor.dev/gvisor/runsc/cmd.(*Wait).Execute(0xc000333db0, {{0xc00003e090?, 0xc000377900?}}, 0x4826b4?, {{0xc00011efa0?, 0x7fee7849b4b8?, 0x20?}})
\tgvisor.dev/gvisor/runsc/cmd/wait.go:85 +0x31b
{PANIC_FRAMES_TAIL}"
        ),
    )
}

/// The bundle's `config.json`, as far as the simulator needs it.
struct Spec {
    bundle: PathBuf,
    args: Vec<String>,
    rootfs: PathBuf,
    annotations: BTreeMap<String, String>,
    path_env: Option<String>,
}

/// `PATH` from a process spec's `env`.
fn path_of(process: Option<&serde_json::Value>) -> Option<String> {
    process?
        .get("env")?
        .as_array()?
        .iter()
        .filter_map(|v| v.as_str())
        .find_map(|kv| kv.strip_prefix("PATH="))
        .map(str::to_owned)
}

fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|cwd| cwd.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    }
}

fn read_spec(bundle: Option<&Path>) -> Result<Spec, Failure> {
    let bundle = absolute(bundle.unwrap_or(Path::new(".")));
    let path = bundle.join("config.json");
    let shown = path.display();
    let bytes = std::fs::read(&path).map_err(|e| {
        fatal(format!(
            "reading spec: error opening spec file \"{shown}\": open {shown}: {}",
            go_io_error(&e)
        ))
    })?;
    let unmarshal = |why: String| Failure {
        stderr: format!(
            "reading spec: error unmarshaling spec from file \"{shown}\": {why}\n {}\n",
            String::from_utf8_lossy(&bytes)
        ),
        code: 128,
    };
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| unmarshal(go_json_error(&e)))?;
    let kind = match &value {
        serde_json::Value::Object(_) => None,
        serde_json::Value::Array(_) => Some("array"),
        serde_json::Value::String(_) => Some("string"),
        serde_json::Value::Number(_) => Some("number"),
        serde_json::Value::Bool(_) => Some("bool"),
        serde_json::Value::Null => None,
    };
    if let Some(kind) = kind {
        return Err(unmarshal(format!(
            "json: cannot unmarshal {kind} into Go value of type specs.Spec"
        )));
    }
    let args: Vec<String> = value
        .pointer("/process/args")
        .and_then(|a| a.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if args.is_empty() {
        // runsc prints the whole Process struct with Go's %+v here.
        return Err(fatal(format!(
            "reading spec: Spec.Process.Arg must be defined: &{}",
            value
                .get("process")
                .map_or_else(|| "<nil>".to_owned(), |p| p.to_string())
        )));
    }
    let root = value
        .pointer("/root/path")
        .and_then(|p| p.as_str())
        .unwrap_or("rootfs");
    let rootfs = if Path::new(root).is_absolute() {
        PathBuf::from(root)
    } else {
        bundle.join(root)
    };
    let annotations = value
        .get("annotations")
        .and_then(|a| a.as_object())
        .map(|a| {
            a.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    Ok(Spec {
        bundle,
        args,
        rootfs,
        annotations,
        path_env: path_of(value.get("process")),
    })
}

/// Go's `encoding/json` wording where it is easy to match (input that ends
/// early); other syntax errors keep serde's wording.
fn go_json_error(e: &serde_json::Error) -> String {
    if e.is_eof() {
        "unexpected end of JSON input".to_owned()
    } else {
        e.to_string()
    }
}

/// Go's wording of common errno values.
fn go_io_error(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => e.to_string(),
    }
}

fn write_pid_file(path: Option<&Path>, pid: i32) -> Result<(), Failure> {
    if let Some(path) = path {
        std::fs::write(path, pid.to_string()).map_err(|e| {
            fatal(format!(
                "writing pid file: open {}: {}",
                path.display(),
                go_io_error(&e)
            ))
        })?;
    }
    Ok(())
}

fn missing_container() -> Failure {
    fatal("loading container: file does not exist")
}

fn missing_sandbox() -> Failure {
    fatal("loading sandbox: file does not exist")
}

/// Records a signal for one process and wakes its helper.
fn deliver(locked: &Locked<'_>, entry: &mut Entry, pid: i32, sig: i32) -> Result<(), Failure> {
    let process = if pid == 1 {
        Some(&mut entry.init)
    } else {
        entry
            .execs
            .iter_mut()
            .find(|p| p.pid == pid && p.exit_status.is_none())
    };
    let Some(process) = process else {
        return Ok(());
    };
    process.pending_signals.push(sig);
    let host = process.host;
    locked.write(entry)?;
    if let Some(host) = host {
        process::wake(host);
    }
    Ok(())
}

/// Runs `f` with the root locked and `id`'s entry loaded.
fn with_entry<T>(
    sim: &Sim,
    id: &str,
    missing: fn() -> Failure,
    f: impl FnOnce(&Locked<'_>, Entry) -> Result<T, Failure>,
) -> Result<T, Failure> {
    let locked = sim.store.lock()?;
    let entry = locked.read(id)?.ok_or_else(missing)?;
    f(&locked, entry)
}

/// How runsc words a failure to load a container.
#[derive(Clone, Copy)]
enum Load {
    /// `loading container: ...` (state, start, kill, pause, resume, wait, checkpoint).
    Container,
    /// `loading sandbox: ...` (ps, events, exec).
    Sandbox,
}

impl Load {
    fn prefix(self) -> &'static str {
        match self {
            Self::Container => "loading container: ",
            Self::Sandbox => "loading sandbox: ",
        }
    }
}

fn ambiguous(prefix: &str, given: &str, ids: &[String]) -> Failure {
    let last = ids.last().map(String::as_str).unwrap_or_default();
    fatal(format!(
        "{prefix}id {given:?} is ambiguous and could refer to multiple containers: \"{last}/{last}\", {{\"{last}\" \"{last}\"}}"
    ))
}

impl Sim {
    /// The full id that `given` names (runsc accepts unique prefixes).
    fn resolve(&self, given: &str, load: Load) -> Result<String, Failure> {
        self.find(given, load).map(|entry| entry.id)
    }

    /// The entry `given` names, as read while resolving it: for commands that
    /// only look, so the entry is read once.
    fn find(&self, given: &str, load: Load) -> Result<Entry, Failure> {
        match self.store.resolve(given)? {
            Resolved::Found(entry) => Ok(*entry),
            Resolved::Missing => Err(fatal(format!("{}file does not exist", load.prefix()))),
            Resolved::Ambiguous(ids) => Err(ambiguous(load.prefix(), given, &ids)),
        }
    }

    /// Reads an entry and its effective status. When the sandbox process is
    /// found dead although the entry says otherwise, the entry is read again:
    /// the process may have recorded its exit status just after the first read.
    fn read_settled(&self, id: &str) -> Result<Option<(Entry, Status)>, Failure> {
        let Some(entry) = self.store.read(id)? else {
            return Ok(None);
        };
        let status = effective_status(&entry);
        if status == Status::Stopped && entry.status != Status::Stopped {
            return Ok(self.store.read(id)?.map(|e| (e, Status::Stopped)));
        }
        Ok(Some((entry, status)))
    }

    /// `state ID`.
    pub fn state(&self, given: &str) -> CmdResult {
        let entry = self.find(given, Load::Container)?;
        out(&output::state_json(&entry, effective_status(&entry)));
        Ok(0)
    }

    /// `list`.
    pub fn list(&self, opts: &cli::List) -> CmdResult {
        let entries: Vec<(Entry, Status)> = self
            .store
            .list()?
            .into_iter()
            .map(|e| {
                let s = effective_status(&e);
                (e, s)
            })
            .collect();
        let text = if opts.quiet {
            output::list_quiet(&entries)
        } else if opts.format == Some(cli::ListFormat::Json) {
            output::list_json(&entries)
        } else {
            output::list_text(&entries)
        };
        out(&text);
        Ok(0)
    }

    /// `create`: registers the container and starts its sandbox process.
    pub fn create(&self, opts: &cli::Create) -> CmdResult {
        let spec = read_spec(opts.bundle.as_deref())?;
        let host = self.create_entry(opts.id.as_str(), spec, "creating container: ")?;
        write_pid_file(opts.pid_file.as_deref(), host.pid)?;
        Ok(0)
    }

    fn create_entry(&self, id: &str, spec: Spec, prefix: &str) -> Result<HostProcess, Failure> {
        if !cli::ContainerId::parsed(id).is_valid() {
            return Err(fatal(format!("{prefix}invalid container id: {id}")));
        }
        if let Err(e) = Program::from_spec(&spec.args, &spec.annotations) {
            return Err(fatal(format!(
                "{prefix}fake-runsc: {}/config.json: {e}",
                spec.bundle.display()
            )));
        }
        let locked = self.store.lock()?;
        if let Some(existing) = locked.read(id)? {
            // runsc's failed create cleans up after itself and removes the
            // existing container's metadata too; its sandbox is orphaned.
            // The simulator ends the orphan so that nothing leaks.
            locked.remove(id)?;
            existing.host_processes().for_each(process::kill_host);
            return Err(fatal(format!(
                "{prefix}cannot lock container metadata file: container already exists"
            )));
        }
        let now = clock::now_nanos();
        let children = number_children(2, &spec.args);
        let next_pid = 2 + children.len() as i32;
        let mut entry = Entry {
            id: id.to_owned(),
            bundle: spec.bundle,
            rootfs: spec.rootfs,
            annotations: spec.annotations,
            path_env: spec.path_env,
            created_nanos: now,
            status: Status::Created,
            init: Process {
                pid: 1,
                args: spec.args,
                host: None,
                started_nanos: now,
                pending_signals: Vec::new(),
                exit_status: None,
                children,
            },
            execs: Vec::new(),
            next_pid,
        };
        let child = process::spawn_helper(self.store.root(), id, 1).map_err(|e| {
            fatal(format!(
                "{prefix}cannot create sandbox: fake-runsc cannot start its sandbox process: {e}"
            ))
        })?;
        let host = HostProcess::of(child.id() as i32).ok_or_else(|| {
            fatal(format!(
                "{prefix}cannot create sandbox: the sandbox process exited at once"
            ))
        })?;
        entry.init.host = Some(host);
        locked.write(&entry)?;
        Ok(host)
    }

    /// `start ID`.
    pub fn start(&self, given: &str) -> CmdResult {
        let id = &self.resolve(given, Load::Container)?;
        with_entry(self, id, missing_container, |locked, mut entry| {
            let status = effective_status(&entry);
            if status != Status::Created {
                return Err(fatal(format!(
                    "starting container: cannot start container \"{id}\" in state {}",
                    status.as_str()
                )));
            }
            if let Some(argv0) = missing_binary(&entry.rootfs, &entry.init.args) {
                return Err(fatal(format!(
                    "starting container: starting root container: starting sandbox: creating process: \
                     failed to load {argv0}: no such file or directory"
                )));
            }
            entry.status = Status::Running;
            entry.init.started_nanos = clock::now_nanos();
            locked.write(&entry)?;
            if let Some(host) = entry.init.host {
                process::wake(host);
            }
            Ok(0)
        })
    }

    /// `run`: create, start, and unless `--detach`, wait and delete.
    pub fn run(&self, opts: &cli::Run) -> CmdResult {
        let spec = read_spec(opts.bundle.as_deref())?;
        let id = opts.id.as_str();
        if let Some(existing) = self.store.read(id)? {
            if effective_status(&existing) != Status::Stopped {
                return Err(fatal(format!(
                    "running container: creating container: cannot create sandbox: cannot create sandbox process: \
                     creating control server socket for sandbox \"{id}\": address already in use"
                )));
            }
        }
        let host = self.create_entry(id, spec, "running container: creating container: ")?;
        write_pid_file(opts.pid_file.as_deref(), host.pid)?;
        let handlers = if opts.detach {
            None
        } else {
            Some(ForwardSignals::install())
        };
        if let Err(failure) = self.start(id) {
            // runsc destroys the container it could not start.
            let locked = self.store.lock()?;
            locked.remove(id)?;
            process::kill_host(host);
            return Err(Failure {
                stderr: format!("running container: {}", failure.stderr),
                code: failure.code,
            });
        }
        let Some(handlers) = handlers else {
            return Ok(0);
        };
        let mut backoff = Backoff::new();
        loop {
            if let Some(sig) = handlers.received() {
                // runsc forwards the signal to the container, which stops;
                // runsc itself then dies of it and deletes nothing.
                self.signal_and_settle(id, 1, sig);
                handlers.die(sig);
            }
            match self.read_settled(id)? {
                None => return Ok(128 + SIGKILL),
                Some((entry, Status::Stopped)) => {
                    let status = entry.init.exit_status.unwrap_or(128 + SIGKILL);
                    let locked = self.store.lock()?;
                    locked.remove(id)?;
                    return Ok(status);
                }
                Some(_) => backoff.sleep(),
            }
        }
    }

    /// Sends `sig` to process `pid` and waits for the container to stop.
    fn signal_and_settle(&self, id: &str, pid: i32, sig: i32) {
        if let Ok(locked) = self.store.lock() {
            if let Ok(Some(mut entry)) = locked.read(id) {
                let _ = deliver(&locked, &mut entry, pid, sig);
            }
        }
        if pid == 1 && is_fatal(sig) {
            self.settle(id);
        }
    }

    /// Waits (briefly) until the container is stopped or gone.
    fn settle(&self, id: &str) {
        let deadline = Instant::now() + KILL_SETTLE;
        let mut backoff = Backoff::new();
        while Instant::now() < deadline {
            match self.store.read(id) {
                Ok(Some(e)) if effective_status(&e) != Status::Stopped => backoff.sleep(),
                _ => return,
            }
        }
    }

    /// `kill ID [SIGNAL]`.
    pub fn kill(&self, opts: &cli::Kill) -> CmdResult {
        let id = &self.resolve(opts.id.as_str(), Load::Container)?;
        let signal = opts
            .signal
            .clone()
            .unwrap_or_else(|| Signal::Name("TERM".to_owned()));
        let mut settle = false;
        with_entry(self, id, missing_container, |locked, mut entry| {
            let Some(sig) = signal.to_number() else {
                return Err(fatal(format!("unknown signal {:?}", signal.to_arg())));
            };
            match effective_status(&entry) {
                Status::Stopped => return Err(fatal("sandbox is not running")),
                Status::Created => {
                    return Err(fatal(format!(
                        "cannot signal container \"{id}\" in state created"
                    )))
                }
                Status::Running | Status::Paused => {}
            }
            if let Some(pid) = opts.pid {
                let known = pid == 1
                    || entry
                        .execs
                        .iter()
                        .any(|p| i64::from(p.pid) == pid && p.exit_status.is_none());
                let pid32 = i32::try_from(pid).ok().filter(|_| known);
                let Some(pid32) = pid32 else {
                    return Err(fatal(format!(
                        "failed to signal pid {pid}: signaling container \"{id}\" PID {pid}: \
                         signaling process in container \"{id}\" PID {pid}: no such process with PID {pid}"
                    )));
                };
                settle = pid32 == 1 && is_fatal(sig);
                deliver(locked, &mut entry, pid32, sig)?;
            } else if opts.all {
                let pids: Vec<i32> = entry
                    .execs
                    .iter()
                    .filter(|p| p.exit_status.is_none())
                    .map(|p| p.pid)
                    .collect();
                for pid in pids {
                    deliver(locked, &mut entry, pid, sig)?;
                }
                deliver(locked, &mut entry, 1, sig)?;
                settle = is_fatal(sig);
            } else {
                deliver(locked, &mut entry, 1, sig)?;
                settle = is_fatal(sig);
            }
            Ok(())
        })?;
        if settle {
            self.settle(id);
        }
        Ok(0)
    }

    /// `pause ID`.
    pub fn pause(&self, id: &str) -> CmdResult {
        self.set_paused(id, true)
    }

    /// `resume ID`.
    pub fn resume(&self, id: &str) -> CmdResult {
        self.set_paused(id, false)
    }

    fn set_paused(&self, given: &str, pause: bool) -> CmdResult {
        let id = &self.resolve(given, Load::Container)?;
        with_entry(self, id, missing_container, |locked, mut entry| {
            let status = effective_status(&entry);
            let (from, to, verb) = if pause {
                (Status::Running, Status::Paused, "pause")
            } else {
                (Status::Paused, Status::Running, "resume")
            };
            if pause && status == Status::Created {
                return Err(pause_panic());
            }
            if status != from {
                return Err(fatal(format!(
                    "{verb} failed: cannot {verb} container \"{id}\" in state {}",
                    status.as_str()
                )));
            }
            entry.status = to;
            locked.write(&entry)?;
            entry.host_processes().for_each(process::wake);
            Ok(0)
        })
    }

    /// `delete [--force] ID...`.
    pub fn delete(&self, opts: &cli::Delete) -> CmdResult {
        for id in &opts.ids {
            let id = id.as_str();
            let locked = self.store.lock()?;
            let Some(entry) = locked.read(id)? else {
                if opts.force {
                    continue;
                }
                return Err(fatal(format!(
                    "loading container \"{id}\": file does not exist"
                )));
            };
            let status = effective_status(&entry);
            if !opts.force && matches!(status, Status::Running | Status::Paused) {
                return Err(fatal(
                    "cannot delete container that is not stopped without --force flag",
                ));
            }
            locked.remove(id)?;
            entry.host_processes().for_each(process::kill_host);
        }
        Ok(0)
    }

    /// `wait ID`, `wait --pid`, `wait --rootpid`.
    pub fn wait(&self, opts: &cli::Wait) -> CmdResult {
        let entry = self.find(opts.id.as_str(), Load::Container)?;
        let id = &entry.id;
        if let Some(pid) = opts.pid.or(opts.rootpid) {
            let prefix = if opts.pid.is_some() {
                format!("waiting on PID {pid} in container \"{id}\"")
            } else {
                format!("waiting on PID in root PID namespace {pid} in container \"{id}\"")
            };
            return self.wait_pid(id, pid, &prefix);
        }
        let unavailable = || {
            fatal(format!(
                "waiting on container \"{id}\": sandbox no longer running and its exit status is unavailable"
            ))
        };
        // runsc hands the exit status only to a wait that was blocked while
        // the container ran; any later wait, and one begun before start, fails.
        let began = effective_status(&entry);
        let was_running = matches!(began, Status::Running | Status::Paused);
        if effective_status(&entry) == Status::Stopped {
            return Err(unavailable());
        }
        let mut backoff = Backoff::new();
        loop {
            backoff.sleep();
            match self.read_settled(id)? {
                None => return Err(unavailable()),
                Some((e, Status::Stopped)) => {
                    if began == Status::Paused {
                        // runsc 20221219 loaded the container as paused and
                        // cannot move it to stopped.
                        return Err(wait_panic());
                    }
                    return match (was_running, e.init.exit_status) {
                        (true, Some(status)) => {
                            out(&output::wait_json(id, status));
                            Ok(0)
                        }
                        _ => Err(unavailable()),
                    };
                }
                Some(_) => {}
            }
        }
    }

    fn wait_pid(&self, id: &str, pid: i64, prefix: &str) -> CmdResult {
        if let Some(entry) = self.store.read(id)? {
            if effective_status(&entry) == Status::Created {
                return Err(fatal(format!(
                    "{prefix}: waiting on PID {pid} in sandbox \"{id}\": waiting for PID {pid}: container \"{id}\" not started"
                )));
            }
        }
        let no_such = || {
            fatal(format!(
                "{prefix}: waiting on PID {pid} in sandbox \"{id}\": waiting for PID {pid}: no such process"
            ))
        };
        let mut backoff = Backoff::new();
        loop {
            let locked = self.store.lock()?;
            let Some(mut entry) = locked.read(id)? else {
                return Err(no_such());
            };
            let Some(index) = entry.execs.iter().position(|p| i64::from(p.pid) == pid) else {
                return Err(no_such());
            };
            if let Some(status) = entry.execs[index].exit_status {
                // Waiting reaps the process: a second wait finds nothing.
                entry.execs.remove(index);
                locked.write(&entry)?;
                out(&output::wait_json(id, status));
                return Ok(0);
            }
            drop(locked);
            backoff.sleep();
        }
    }

    /// Live processes in pid order, for `ps` and `events`.
    fn live_processes(entry: &Entry) -> Vec<PsRow> {
        let mut rows: Vec<PsRow> = std::iter::once(&entry.init)
            .chain(entry.execs.iter())
            .filter(|p| p.exit_status.is_none())
            .flat_map(|p| {
                let own = PsRow {
                    pid: p.pid,
                    started_nanos: p.started_nanos,
                    command: p.args.first().cloned().unwrap_or_default(),
                };
                let children = p.children.iter().map(|(pid, command)| PsRow {
                    pid: *pid,
                    started_nanos: p.started_nanos,
                    command: command.clone(),
                });
                std::iter::once(own).chain(children).collect::<Vec<_>>()
            })
            .collect();
        rows.sort_by_key(|r| r.pid);
        rows
    }

    /// `ps ID`.
    pub fn ps(&self, opts: &cli::Ps) -> CmdResult {
        let entry = self.find(opts.id.as_str(), Load::Sandbox)?;
        let id = &entry.id;
        let status = effective_status(&entry);
        if matches!(status, Status::Created | Status::Stopped) {
            return Err(fatal(format!(
                "getting processes for container: cannot get processes of container \"{id}\" in state {}",
                status.as_str()
            )));
        }
        let rows = Self::live_processes(&entry);
        out(&match &opts.format {
            Some(cli::PsFormat::Json) => output::ps_json(&rows),
            None | Some(cli::PsFormat::Table) => output::ps_table(&rows),
            Some(cli::PsFormat::Other(format)) => {
                return Err(fatal(format!("unsupported format: {format}")))
            }
        });
        Ok(0)
    }

    /// `events ID`: one stats line with `--stats`; otherwise a line every
    /// interval for as long as the container runs, and then, as runsc does,
    /// nothing more until the caller kills it.
    pub fn events(&self, opts: &cli::Events) -> CmdResult {
        let entry = self.find(opts.id.as_str(), Load::Sandbox)?;
        let id = &entry.id.clone();
        let interval = self.scale.to_real(Duration::from_secs(
            u64::try_from(opts.interval.unwrap_or(5)).unwrap_or(0),
        ));
        let mut current = Some(entry);
        loop {
            match current.as_ref().map(|e| (e, effective_status(e))) {
                Some((_, Status::Created)) => return Err(stats_panic()),
                Some((e, Status::Running | Status::Paused)) => {
                    let running = clock::now_nanos().saturating_sub(e.init.started_nanos);
                    let processes = Self::live_processes(e).len() as u64;
                    out(&output::stats_line(id, processes, running));
                }
                // runsc logs the failure to its debug log only.
                _ if opts.stats => return Ok(128),
                _ => {}
            }
            if opts.stats {
                return Ok(0);
            }
            std::thread::sleep(interval.max(POLL));
            current = self.store.read(id)?;
        }
    }

    /// `exec ID ARGS...` / `exec --process FILE ID`.
    pub fn exec(&self, opts: &cli::Exec) -> CmdResult {
        let (mut args, process_path) = match &opts.process {
            Some(path) => read_process_file(path)?,
            None => (opts.args.clone(), None),
        };
        let env_path = opts
            .env
            .iter()
            .rev()
            .find_map(|kv| kv.strip_prefix("PATH="))
            .map(str::to_owned);
        let mut ugly_detach = false;
        if opts.detach && opts.pid_file.is_none() {
            // runsc re-executes itself without --detach and appends its own
            // --pid-file flag after the command, where the command sees it.
            if opts.process.is_some() {
                let usage = crate::argv::subcommand_usage("exec").unwrap_or_default();
                return Err(Failure {
                    stderr: format!("{usage}parsing process spec: a container-id is required\n"),
                    code: 128,
                });
            }
            args.push(format!(
                "--pid-file=/tmp/exec-pid-{}/pid",
                std::process::id()
            ));
            ugly_detach = true;
        }
        let argv0 = args.first().cloned().unwrap_or_default();
        // runsc quotes the whole command line in its messages.
        let command = args.join(" ");
        let id = &self.resolve(opts.id.as_str(), Load::Sandbox)?;
        let locked = self.store.lock()?;
        let mut entry = locked.read(id)?.ok_or_else(missing_sandbox)?;
        match effective_status(&entry) {
            Status::Running => {}
            Status::Created => {
                return Err(fatal(format!(
                    "executing processes for container: executing command {command:?} in sandbox: container \"{id}\" not started"
                )))
            }
            s => {
                return Err(fatal(format!(
                    "executing processes for container: cannot execute in container \"{id}\" in state {}",
                    s.as_str()
                )))
            }
        }
        if missing_binary(&entry.rootfs, &args).is_some() {
            return Err(fatal(format!(
                "executing processes for container: executing command {command:?} in sandbox: \
                 failed to load {argv0}: no such file or directory"
            )));
        }
        let search = if opts.process.is_some() {
            process_path
        } else {
            env_path.or_else(|| entry.path_env.clone())
        };
        if let Some(dirs) = unresolvable(&entry.rootfs, &argv0, search.as_deref()) {
            return Err(fatal(format!(
                "executing processes for container: executing command {command:?} in sandbox: \
                 error finding executable {argv0:?} in PATH [{}]: no such file or directory",
                dirs.join(" ")
            )));
        }
        let pid = entry.next_pid;
        let children = number_children(pid + 1, &args);
        entry.next_pid = pid + 1 + children.len() as i32;
        let mut child = process::spawn_helper(self.store.root(), id, pid).map_err(|e| {
            fatal(format!(
                "executing processes for container: fake-runsc cannot start the process: {e}"
            ))
        })?;
        let host = HostProcess::of(child.id() as i32);
        entry.execs.push(Process {
            pid,
            args,
            host,
            started_nanos: clock::now_nanos(),
            pending_signals: Vec::new(),
            exit_status: None,
            children,
        });
        locked.write(&entry)?;
        drop(locked);
        if opts.detach && !ugly_detach {
            write_pid_file(opts.pid_file.as_deref(), child.id() as i32)?;
            if let Some(path) = opts.internal_pid_file.as_deref() {
                write_pid_file(Some(path), pid)?;
            }
            return Ok(0);
        }
        let handlers = ForwardSignals::install();
        let mut backoff = Backoff::new();
        let status = loop {
            if let Some(sig) = handlers.received() {
                self.signal_and_settle(id, pid, sig);
                handlers.die(sig);
            }
            match child.try_wait() {
                Ok(Some(status)) => break wait_status(status),
                Ok(None) => backoff.sleep(),
                Err(_) => break 128 + SIGKILL,
            }
        };
        // runsc exec reaps the process it waited for.
        if let Ok(locked) = self.store.lock() {
            if let Ok(Some(mut entry)) = locked.read(id) {
                entry.execs.retain(|p| p.pid != pid);
                let _ = locked.write(&entry);
            }
        }
        Ok(if ugly_detach { 128 } else { status })
    }

    /// `checkpoint ID`: the container stops (unless `--leave-running`) and
    /// the image directory records what it ran.
    pub fn checkpoint(&self, opts: &cli::Checkpoint) -> CmdResult {
        let entry = self.find(opts.id.as_str(), Load::Container)?;
        let id = &entry.id;
        if effective_status(&entry) != Status::Running {
            return Err(fatal(format!(
                "checkpoint failed: cannot checkpoint container \"{id}\" in state {}",
                effective_status(&entry).as_str()
            )));
        }
        let Some(image_path) = opts.image_path.as_deref() else {
            return Err(fatal("image-path flag must be provided"));
        };
        if opts.leave_running {
            // runsc 20221219 never returns from `checkpoint --leave-running`.
            loop {
                std::thread::sleep(Duration::from_secs(3600));
            }
        }
        let dir = absolute(image_path);
        let image = serde_json::to_vec(&entry.init.args).unwrap_or_default();
        std::fs::create_dir_all(&dir)
            .and_then(|()| std::fs::write(dir.join("checkpoint.img"), image))
            .map_err(|e| fatal(format!("checkpoint failed: writing {}: {e}", dir.display())))?;
        self.signal_and_settle(id, 1, SIGKILL);
        Ok(0)
    }

    /// `restore ID`: like `run`, from the bundle, once a checkpoint image exists.
    pub fn restore(&self, opts: &cli::Restore) -> CmdResult {
        let dir = absolute(opts.image_path.as_deref().unwrap_or(Path::new(".")));
        let image = dir.join("checkpoint.img");
        if !image.exists() {
            let shown = image.display();
            return Err(fatal(format!(
                "running container: starting container: opening restore file \"{shown}\" failed: \
                 open {shown}: no such file or directory"
            )));
        }
        self.run(&cli::Run {
            id: opts.id.clone(),
            bundle: opts.bundle.clone(),
            pid_file: opts.pid_file.clone(),
            console_socket: opts.console_socket.clone(),
            user_log: opts.user_log.clone(),
            detach: opts.detach,
            fs_restore_image_path: None,
            fs_restore_direct: false,
            exec_fd: None,
            pass_fd: Vec::new(),
        })
    }
}

/// Pids for the children `args` forks, numbered from `first`.
fn number_children(first: i32, args: &[String]) -> Vec<(i32, String)> {
    forked_children(args)
        .into_iter()
        .zip(first..)
        .map(|(command, pid)| (pid, command))
        .collect()
}

/// The absolute `argv[0]` that is not in the container's root filesystem, when
/// that root exists on the host (a purely simulated bundle has none, and
/// then every command is taken to exist).
fn missing_binary(rootfs: &Path, args: &[String]) -> Option<String> {
    let argv0 = args.first()?;
    let absolute = argv0.starts_with('/') && rootfs.is_dir();
    (absolute && !rootfs.join(argv0.trim_start_matches('/')).exists()).then(|| argv0.clone())
}

/// The PATH directories searched in vain for a bare command name. Only a
/// root filesystem that has at least one of those directories is searched: a
/// placeholder root (missing or empty) means a purely simulated bundle, where
/// every command exists.
fn unresolvable(rootfs: &Path, argv0: &str, path: Option<&str>) -> Option<Vec<String>> {
    if argv0.contains('/') {
        return None;
    }
    let dirs: Vec<String> = path?
        .split(':')
        .filter(|d| !d.is_empty())
        .map(str::to_owned)
        .collect();
    let in_rootfs = |dir: &String| rootfs.join(dir.trim_start_matches('/'));
    if !dirs.iter().any(|d| in_rootfs(d).is_dir()) {
        return None;
    }
    let found = !argv0.is_empty() && dirs.iter().any(|d| in_rootfs(d).join(argv0).is_file());
    (!found).then_some(dirs)
}

fn read_process_file(path: &Path) -> Result<(Vec<String>, Option<String>), Failure> {
    let shown = path.display();
    let bytes = std::fs::read(path).map_err(|e| {
        fatal(format!(
            "parsing process spec: error opening process file: {shown}, open {shown}: {}",
            go_io_error(&e)
        ))
    })?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
        fatal(format!(
            "parsing process spec: error parsing process file: {shown}: {e}"
        ))
    })?;
    let args = value
        .get("args")
        .and_then(|a| a.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    Ok((args, path_of(Some(&value))))
}

fn wait_status(status: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(128 + SIGKILL)
}

/// The last terminating signal this process received while a foreground
/// `run` or `exec` was waiting.
static RECEIVED: AtomicI32 = AtomicI32::new(0);

extern "C" fn remember(sig: nix::libc::c_int) {
    RECEIVED.store(sig, Ordering::SeqCst);
}

/// Catches the signals a foreground runsc forwards to its container.
struct ForwardSignals;

const FORWARDED: [NixSignal; 4] = [
    NixSignal::SIGTERM,
    NixSignal::SIGINT,
    NixSignal::SIGHUP,
    NixSignal::SIGQUIT,
];

impl ForwardSignals {
    fn install() -> Self {
        for sig in FORWARDED {
            // SAFETY: the handler only stores into an atomic.
            unsafe {
                let _ = signal::signal(sig, SigHandler::Handler(remember));
            }
        }
        Self
    }

    fn received(&self) -> Option<i32> {
        match RECEIVED.swap(0, Ordering::SeqCst) {
            0 => None,
            sig => Some(sig),
        }
    }

    /// Dies of `sig`, as runsc does after forwarding it.
    fn die(&self, sig: i32) -> ! {
        if let Ok(s) = NixSignal::try_from(sig) {
            // SAFETY: restoring the default disposition installs no handler.
            unsafe {
                let _ = signal::signal(s, SigHandler::SigDfl);
            }
            let _ = signal::raise(s);
        }
        std::process::exit(128 + sig)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_looked_up_only_in_a_real_root_filesystem() {
        let path = Some("/usr/bin:/bin");
        assert_eq!(unresolvable(Path::new("/"), "sh", path), None);
        assert_eq!(
            unresolvable(Path::new("/"), "no-such-command-here", path),
            Some(vec!["/usr/bin".to_owned(), "/bin".to_owned()])
        );
        let empty = tempfile::tempdir().unwrap();
        assert_eq!(unresolvable(empty.path(), "anything", path), None);
        assert_eq!(unresolvable(Path::new("/"), "anything", None), None);
        let args = |a: &str| vec![a.to_owned()];
        assert_eq!(
            missing_binary(Path::new("/"), &args("/no/such/binary")),
            Some("/no/such/binary".to_owned())
        );
        assert_eq!(missing_binary(Path::new("/"), &args("/bin/sh")), None);
        assert_eq!(
            missing_binary(empty.path().join("none").as_path(), &args("/x")),
            None
        );
    }

    #[test]
    fn go_json_wording_for_truncated_input() {
        let err = serde_json::from_slice::<serde_json::Value>(b"{\"a\":").unwrap_err();
        assert_eq!(go_json_error(&err), "unexpected end of JSON input");
    }
}
