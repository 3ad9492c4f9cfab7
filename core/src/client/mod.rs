//! The async client: [`Runsc`] and what its calls take and return. The
//! crate docs describe how a call runs and the rule for `run`, `exec` and
//! `restore` exiting 128.

mod console;
mod events;
mod exec;
mod io;
mod logfile;
mod monitor;
mod options;
mod update;

use std::ffi::OsString;
use std::fmt;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use oci_spec::runtime::{LinuxResources, Process};

pub use console::{Console, ConsoleSocket};
pub use events::EventStream;
pub use exec::Captured;
pub use io::{Io, IoPipes, ProcessIo};
pub use monitor::{ExitFuture, LoggingMonitor, Monitor, TokioMonitor};
pub use options::{
    CheckpointOpts, CreateOpts, DeleteOpts, ExecOpts, ExecOutcome, FsCheckpointOpts, KillOpts,
    ProcessExit, RestoreOpts, RunOpts, WaitOpts,
};

use crate::cli::{
    self, ContainerId, GlobalOptions, Invocation, LogFormat, Release, Signal, Subcommand,
};
use crate::error::excerpt;
use crate::types::{self, Container, ProcessList, Stats, TopResults, WaitResult};
use crate::Error;
use exec::{Call, Finished};
use logfile::LogReading;

/// The program run when the builder is given none: `runsc` from `PATH`.
pub const DEFAULT_COMMAND: &str = "runsc";

/// The default bound on each of stdout and stderr captured per call.
pub const DEFAULT_OUTPUT_LIMIT: usize = 4 * 1024 * 1024;

/// The exit code runsc uses for its own failures (its `Fatalf`), which is
/// also what a container process exiting 128 makes runsc exit with.
const RUNSC_FAILURE_CODE: i32 = 128;

/// The exit code of a Go program that panicked (runsc bugs such as `pause`
/// of a created container in 20221219).
const GO_PANIC_CODE: i32 = 2;

/// Whether stderr holds a Go panic's traceback.
fn is_go_panic(stderr: &[u8]) -> bool {
    let text = String::from_utf8_lossy(stderr);
    (text.starts_with("panic: ") || text.contains("\npanic: ")) && text.contains("\ngoroutine ")
}

/// A client for the runsc command line. Cheap to clone; clones share the
/// configuration.
///
/// ```no_run
/// # async fn demo() -> Result<(), runsc::Error> {
/// use std::time::Duration;
/// use runsc::{cli::ContainerId, Runsc};
///
/// let runsc = Runsc::builder()
///     .root("/run/runsc-demo")
///     .config("network", "none")
///     .timeout(Duration::from_secs(30))
///     .build()?;
/// let id = ContainerId::new("demo")?;
/// match runsc.state(&id).await {
///     Ok(state) => println!("{} is {}", state.id, state.status.as_str()),
///     Err(e) if e.is_not_found() => println!("no such container"),
///     Err(e) => return Err(e),
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Runsc {
    inner: Arc<Inner>,
    timeout: Option<Duration>,
}

pub(crate) struct Inner {
    command: PathBuf,
    global: GlobalOptions,
    monitor: Arc<dyn Monitor>,
    output_limit: usize,
    pdeath_signal: Option<nix::sys::signal::Signal>,
    envs: Vec<(OsString, OsString)>,
    process_group: bool,
    release: Release,
}

impl fmt::Debug for Runsc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runsc")
            .field("command", &self.inner.command)
            .field("global", &self.inner.global)
            .field("timeout", &self.timeout)
            .field("monitor", &self.inner.monitor)
            .field("output_limit", &self.inner.output_limit)
            .field("pdeath_signal", &self.inner.pdeath_signal)
            .field("envs", &self.inner.envs)
            .field("process_group", &self.inner.process_group)
            .field("release", &self.inner.release)
            .finish()
    }
}

/// Builds a [`Runsc`]; see [`Runsc::builder`].
#[derive(Debug)]
pub struct RunscBuilder {
    command: PathBuf,
    global: GlobalOptions,
    timeout: Option<Duration>,
    monitor: Option<Arc<dyn Monitor>>,
    output_limit: usize,
    pdeath_signal: Option<nix::sys::signal::Signal>,
    envs: Vec<(OsString, OsString)>,
    process_group: bool,
    release: Release,
    error: Option<Error>,
}

impl Default for RunscBuilder {
    fn default() -> Self {
        Self {
            command: PathBuf::from(DEFAULT_COMMAND),
            global: GlobalOptions::default(),
            timeout: None,
            monitor: None,
            output_limit: DEFAULT_OUTPUT_LIMIT,
            pdeath_signal: None,
            envs: Vec::new(),
            process_group: true,
            release: Release::NEWEST,
            error: None,
        }
    }
}

impl RunscBuilder {
    /// The runsc program: a path, or a name looked up in `PATH` (default `runsc`).
    pub fn command(mut self, command: impl Into<PathBuf>) -> Self {
        self.command = command.into();
        self
    }

    /// The runsc release this client drives (default: the newest known,
    /// [`Release::NEWEST`]). A call that uses a subcommand or option that
    /// release lacks fails with [`Error::InvalidInput`] naming the option and
    /// the release that added it, before anything is spawned.
    pub fn release(mut self, release: Release) -> Self {
        self.release = release;
        self
    }

    /// `--root`: where runsc keeps container state.
    pub fn root(mut self, root: impl Into<PathBuf>) -> Self {
        self.global.root = Some(root.into());
        self
    }

    /// `--log`: runsc's own log file. runsc appends its own failures to it
    /// (as JSON, whatever the format), so failed calls carry the error runsc
    /// logged ([`Error::runsc_error`]), and `run`, `exec` and `restore` can
    /// tell runsc's failure from a process that exits 128 (see the crate
    /// docs).
    pub fn log(mut self, log: impl Into<PathBuf>) -> Self {
        self.global.log = Some(log.into());
        self
    }

    /// `--log-format`.
    pub fn log_format(mut self, format: LogFormat) -> Self {
        self.global.log_format = Some(format);
        self
    }

    /// `--panic-log`.
    pub fn panic_log(mut self, path: impl Into<PathBuf>) -> Self {
        self.global.panic_log = Some(path.into());
        self
    }

    /// `--debug`.
    pub fn debug(mut self, debug: bool) -> Self {
        self.global.debug = debug;
        self
    }

    /// `--debug-log`.
    pub fn debug_log(mut self, path: impl Into<PathBuf>) -> Self {
        self.global.debug_log = Some(path.into());
        self
    }

    /// Any other global flag, rendered `--key=value` in sorted key order
    /// (e.g. `config("network", "none")`). An invalid key is reported by
    /// [`RunscBuilder::build`].
    pub fn config(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        if let Err(e) = self.global.config.insert(key, value) {
            self.error.get_or_insert(e);
        }
        self
    }

    /// The default deadline of each call; `None` (the default) means none.
    /// See [`Runsc::with_timeout`] for what it covers.
    pub fn timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.timeout = timeout.into();
        self
    }

    /// How runsc processes are started and reaped (default [`TokioMonitor`]).
    pub fn monitor(mut self, monitor: Arc<dyn Monitor>) -> Self {
        self.monitor = Some(monitor);
        self
    }

    /// The most bytes kept of each of stdout and stderr per call (default
    /// [`DEFAULT_OUTPUT_LIMIT`]). Beyond it the head is kept and the rest
    /// counted; stderr says how much was dropped, and stdout that overflowed
    /// is reported as [`Error::OutputLimit`] rather than decoded.
    pub fn output_limit(mut self, bytes: usize) -> Self {
        self.output_limit = bytes;
        self
    }

    /// A signal the kernel sends runsc when the thread that spawned it
    /// exits (`PR_SET_PDEATHSIG`), like the Go client's `PdeathSignal`.
    /// The kernel watches the spawning *thread*: tokio's worker threads live
    /// as long as the runtime, but a call made from a `spawn_blocking`
    /// thread can lose runsc when that idle thread is retired.
    pub fn pdeath_signal(mut self, signal: nix::sys::signal::Signal) -> Self {
        self.pdeath_signal = Some(signal);
        self
    }

    /// Sets an environment variable for every runsc the client starts, on top
    /// of the caller's own environment. Tests use it to point `fake-runsc` at
    /// a scenario or session (`FAKE_RUNSC_SCENARIO`, `FAKE_RUNSC_SESSION`)
    /// without touching the test process's environment.
    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.envs.push((key.into(), value.into()));
        self
    }

    /// Whether runsc runs in a process group of its own (default `true`),
    /// like the Go client's `Setpgid`.
    ///
    /// In its own group, a deadline or a dropped call kills runsc and
    /// everything it started with one signal, and a terminal's signals
    /// (Ctrl-C) do not reach it. With `false`, runsc stays in the caller's
    /// group: a terminal's signals reach it, a container given
    /// [`ProcessIo::inherit`] can read the terminal, and a deadline or a
    /// drop kills runsc alone (what it started is left to runsc's own
    /// cleanup).
    pub fn process_group(mut self, own_group: bool) -> Self {
        self.process_group = own_group;
        self
    }

    /// The client, or the first invalid setting.
    pub fn build(self) -> Result<Runsc, Error> {
        if let Some(e) = self.error {
            return Err(e);
        }
        if self.command.as_os_str().is_empty() {
            return Err(Error::invalid(
                "command",
                "",
                "it is empty; give the path of runsc or leave it at the default",
            ));
        }
        Ok(Runsc {
            inner: Arc::new(Inner {
                command: self.command,
                global: self.global,
                monitor: self.monitor.unwrap_or_else(|| Arc::new(TokioMonitor)),
                output_limit: self.output_limit,
                pdeath_signal: self.pdeath_signal,
                envs: self.envs,
                process_group: self.process_group,
                release: self.release,
            }),
            timeout: self.timeout,
        })
    }
}

/// Makes a caller's path absolute against the current directory, as the Go
/// client does for pid files.
fn absolute(path: &Option<PathBuf>) -> Result<Option<PathBuf>, Error> {
    path.as_deref()
        .map(|p| {
            std::path::absolute(p).map_err(|source| Error::Io {
                context: format!("making {} absolute", p.display()),
                source,
            })
        })
        .transpose()
}

fn read_pid(path: &Path) -> Option<u32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// A pid file as it was before a call, to tell afterwards whether runsc
/// wrote it during the call.
#[derive(Debug)]
struct PidFileWatch {
    path: PathBuf,
    before: Option<(u64, std::time::SystemTime)>,
}

impl PidFileWatch {
    fn new(path: Option<&Path>) -> Option<Self> {
        path.map(|path| Self {
            path: path.to_owned(),
            before: Self::stamp(path),
        })
    }

    fn stamp(path: &Path) -> Option<(u64, std::time::SystemTime)> {
        let meta = std::fs::metadata(path).ok()?;
        Some((meta.len(), meta.modified().ok()?))
    }

    /// Whether the file now holds a pid it did not hold before the call.
    fn written(&self) -> bool {
        let now = Self::stamp(&self.path);
        now.is_some_and(|(len, _)| len > 0) && now != self.before && read_pid(&self.path).is_some()
    }
}

/// Whether an exit status 128 of `run`, `exec` or `restore` is runsc's own
/// failure rather than the container process's exit code; the rule, and
/// what runsc does that it rests on, is in the crate docs.
fn runsc_failed_128(finished: &Finished, pid_file: Option<&PidFileWatch>) -> bool {
    let stderr = String::from_utf8_lossy(&finished.stderr.bytes);
    if finished.captured && (logfile::has_fatal_line(&stderr) || logfile::is_flag_error(&stderr)) {
        return true;
    }
    match &finished.log {
        LogReading::Read(Some(_)) | LogReading::Missing => return true,
        LogReading::Read(None) | LogReading::NotConfigured => {}
    }
    if let Some(watch) = pid_file {
        return !watch.written();
    }
    if matches!(finished.log, LogReading::Read(None)) {
        return false;
    }
    // No log and no pid file: runsc never fails without saying why on
    // stderr, so silence means the process exited 128. Anything on stderr
    // may be runsc's error or the process's output; that cannot be told
    // apart, and a failure must not read as success.
    !(finished.captured && finished.stderr.total() == 0)
}

impl Runsc {
    /// A builder with the defaults: `runsc` from `PATH`, no global options,
    /// no deadline, [`TokioMonitor`], [`DEFAULT_OUTPUT_LIMIT`].
    pub fn builder() -> RunscBuilder {
        RunscBuilder::default()
    }

    /// A clone with another per-call deadline (`None`: no deadline).
    ///
    /// The deadline covers a whole call, from spawn to runsc's exit, so for
    /// `run`, `exec` and `restore` without `detach`, and for `wait`, it also
    /// bounds the container process's life. It does not apply to the stream
    /// [`Runsc::events`] returns, which lasts until it is dropped.
    pub fn with_timeout(&self, timeout: impl Into<Option<Duration>>) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
            timeout: timeout.into(),
        }
    }

    /// The current per-call deadline.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// The program this client runs.
    pub fn command(&self) -> &Path {
        &self.inner.command
    }

    /// The invocation a call with `command` runs: this client's global
    /// options plus `command`. Render it with
    /// [`to_args`](crate::cli::Invocation::to_args) for display.
    pub fn invocation(&self, command: Subcommand) -> Invocation {
        Invocation {
            global: self.inner.global.clone(),
            command,
        }
    }

    fn call<'a>(&self, command: Subcommand, io: Option<&'a dyn Io>) -> Call<'a> {
        let invocation = self.invocation(command);
        Call {
            args: invocation.to_args(),
            stdin: None,
            io,
            refused: invocation
                .check_release(self.inner.release)
                .err()
                .map(|m| Error::invalid("option", &m.option, m.to_string())),
        }
    }

    async fn run_call(&self, call: Call<'_>) -> Result<Finished, Error> {
        self.inner.run_call(call, self.timeout).await
    }

    /// Runs `command` with captured output and requires success.
    async fn checked(&self, command: Subcommand) -> Result<Finished, Error> {
        self.run_call(self.call(command, None)).await?.success()
    }

    /// Decodes stdout of a successful call with one of the `types` decoders.
    fn decode<T>(
        &self,
        finished: &Finished,
        what: &'static str,
        decoder: fn(&[u8]) -> Result<T, serde_json::Error>,
    ) -> Result<T, Error> {
        let bytes = finished.whole_stdout(self.inner.output_limit)?;
        decoder(bytes).map_err(|source| Error::Decode {
            argv: finished.argv.clone(),
            what,
            excerpt: excerpt(bytes),
            source,
        })
    }

    /// Tells a failure of runsc itself apart from the exit status of the
    /// container process it ran; see the crate docs for the rule.
    fn process_exit(
        &self,
        finished: Finished,
        pid_file: Option<&PidFileWatch>,
    ) -> Result<ProcessExit, Error> {
        let code = match (finished.status.code(), finished.status.signal()) {
            (Some(code), _) => code,
            _ => return Err(finished.into_error()),
        };
        let runsc_failed = match code {
            RUNSC_FAILURE_CODE => runsc_failed_128(&finished, pid_file),
            GO_PANIC_CODE => is_go_panic(&finished.stderr.bytes),
            _ => false,
        };
        if runsc_failed {
            return Err(finished.into_error());
        }
        Ok(ProcessExit {
            code,
            stdout: finished.stdout,
            stderr: finished.stderr,
        })
    }

    /// The outcome of `run` or `restore`: with `--detach` runsc exits 0 once
    /// the container runs, otherwise with the container's status.
    fn foreground_exit(
        &self,
        finished: Finished,
        detach: bool,
        pid_file: Option<&PidFileWatch>,
    ) -> Result<ProcessExit, Error> {
        if !detach {
            return self.process_exit(finished, pid_file);
        }
        let finished = finished.success()?;
        Ok(ProcessExit {
            code: 0,
            stdout: finished.stdout,
            stderr: finished.stderr,
        })
    }

    /// `list --format=json`: every container under the root.
    ///
    /// `None` when runsc printed `null`, which runsc 20221219 prints when
    /// the root holds no containers (Go encodes an empty list it never
    /// appended to as `null`); `Some(vec![])` when it printed `[]`. Use
    /// `unwrap_or_default()` when the difference does not matter.
    pub async fn list(&self) -> Result<Option<Vec<Container>>, Error> {
        let finished = self
            .checked(Subcommand::List(cli::List {
                format: Some(cli::ListFormat::Json),
                ..Default::default()
            }))
            .await?;
        self.decode(&finished, "container list", types::decode_list)
    }

    /// `state`: one container's OCI state.
    pub async fn state(&self, id: &ContainerId) -> Result<Container, Error> {
        let finished = self
            .checked(Subcommand::State(cli::IdOnly { id: id.clone() }))
            .await?;
        self.decode(&finished, "container state", types::decode_state)
    }

    /// `create`: creates the container from `bundle`.
    ///
    /// Returns as soon as runsc exits, although the sandbox keeps the stdio
    /// it inherited open.
    pub async fn create(
        &self,
        id: &ContainerId,
        bundle: impl AsRef<Path>,
        opts: &CreateOpts,
    ) -> Result<(), Error> {
        let command = Subcommand::Create(cli::Create {
            id: id.clone(),
            bundle: Some(bundle.as_ref().to_owned()),
            pid_file: absolute(&opts.pid_file)?,
            console_socket: opts.console_socket.clone(),
            user_log: opts.user_log.clone(),
            fs_restore_image_path: opts.fs_restore_image_path.clone(),
            fs_restore_direct: opts.fs_restore_direct,
        });
        self.run_call(self.call(command, opts.io.as_deref()))
            .await?
            .success()
            .map(drop)
    }

    /// `start`: starts a created container. Returns as soon as runsc exits.
    pub async fn start(&self, id: &ContainerId, io: Option<&dyn Io>) -> Result<(), Error> {
        let command = Subcommand::Start(cli::IdOnly { id: id.clone() });
        self.run_call(self.call(command, io))
            .await?
            .success()
            .map(drop)
    }

    /// `run`: creates and starts the container, and (without `detach`)
    /// waits for it to exit.
    ///
    /// runsc passes the container's exit code on as its own, and exits 128
    /// when it fails itself (bad bundle, existing id, ...). The crate docs
    /// give the rule that tells the two apart ("runsc failed, or the
    /// process exited 128"); [`Error::is_runsc_failure`] says which it was.
    /// A process killed by signal N is reported as 128 + N.
    pub async fn run(
        &self,
        id: &ContainerId,
        bundle: impl AsRef<Path>,
        opts: &RunOpts,
    ) -> Result<ProcessExit, Error> {
        let pid_file = absolute(&opts.pid_file)?;
        let command = Subcommand::Run(cli::Run {
            id: id.clone(),
            bundle: Some(bundle.as_ref().to_owned()),
            pid_file: pid_file.clone(),
            console_socket: opts.console_socket.clone(),
            user_log: opts.user_log.clone(),
            detach: opts.detach,
            fs_restore_image_path: opts.fs_restore_image_path.clone(),
            fs_restore_direct: opts.fs_restore_direct,
            exec_fd: None,
            pass_fd: Vec::new(),
        });
        let watch = PidFileWatch::new(pid_file.as_deref());
        let finished = self
            .run_call(self.call(command, opts.io.as_deref()))
            .await?;
        self.foreground_exit(finished, opts.detach, watch.as_ref())
    }

    /// `exec --process=F`: runs `process` in the container.
    ///
    /// The spec is written to a private temporary file (mode 0600, in
    /// `$XDG_RUNTIME_DIR` or the temp dir) that is removed on every path,
    /// also when the call is cancelled. Without `detach`, the result follows
    /// the rule described at [`Runsc::run`]. With `detach` and no pid file,
    /// a private pid file is passed (runsc 20221219 fails without one) and
    /// the pid read from it.
    pub async fn exec(
        &self,
        id: &ContainerId,
        process: &Process,
        opts: &ExecOpts,
    ) -> Result<ExecOutcome, Error> {
        let dir = private_dir("runsc-exec-")?;
        let spec_path = dir.path().join("process.json");
        write_private(&spec_path, &serde_json_vec(process, "process spec")?)?;
        let internal_pid_file = absolute(&opts.internal_pid_file)?;
        let pid_file = match (&opts.pid_file, opts.detach) {
            (Some(_), _) => absolute(&opts.pid_file)?,
            (None, true) => Some(dir.path().join("pid")),
            (None, false) => None,
        };
        let command = Subcommand::Exec(cli::Exec {
            id: id.clone(),
            process: Some(spec_path),
            pid_file: pid_file.clone(),
            internal_pid_file: internal_pid_file.clone(),
            console_socket: opts.console_socket.clone(),
            detach: opts.detach,
            cwd: None,
            user: None,
            env: Vec::new(),
            cap: Vec::new(),
            additional_gids: Vec::new(),
            exec_fd: None,
            pass_fd: Vec::new(),
            args: Vec::new(),
        });
        let watch = PidFileWatch::new(pid_file.as_deref());
        let finished = self
            .run_call(self.call(command, opts.io.as_deref()))
            .await?;
        if opts.detach {
            finished.success()?;
            return Ok(ExecOutcome::Detached {
                pid: pid_file.as_deref().and_then(read_pid),
                internal_pid: internal_pid_file.as_deref().and_then(read_pid),
            });
        }
        self.process_exit(finished, watch.as_ref())
            .map(ExecOutcome::Exited)
    }

    /// `delete`: removes the container (`force` kills it first).
    pub async fn delete(&self, id: &ContainerId, opts: &DeleteOpts) -> Result<(), Error> {
        self.checked(Subcommand::Delete(cli::Delete {
            ids: vec![id.clone()],
            force: opts.force,
        }))
        .await
        .map(drop)
    }

    /// `kill`: sends `signal` to the container's init (or all, one pid, or
    /// one process group).
    pub async fn kill(
        &self,
        id: &ContainerId,
        signal: impl Into<Signal>,
        opts: &KillOpts,
    ) -> Result<(), Error> {
        self.checked(Subcommand::Kill(cli::Kill {
            id: id.clone(),
            signal: Some(signal.into()),
            all: opts.all,
            pid: opts.pid,
            pgid: opts.pgid,
        }))
        .await
        .map(drop)
    }

    /// `events --stats`: one snapshot of the container's resource usage.
    pub async fn stats(&self, id: &ContainerId) -> Result<Stats, Error> {
        let finished = self
            .checked(Subcommand::Events(cli::Events {
                id: id.clone(),
                stats: true,
                interval: None,
            }))
            .await?;
        self.decode(&finished, "stats event", types::decode_stats)
    }

    /// `events --interval=N`: a stream of stats events every `interval`.
    ///
    /// runsc takes whole seconds; an interval under one second or with a
    /// fractional part is refused with [`Error::InvalidInput`]. The stream
    /// yields decoded events, ends when runsc's output ends, yields an error
    /// for output cut mid-event and for runsc's failure, and kills runsc
    /// when dropped. The client's deadline does not apply to it.
    pub async fn events(&self, id: &ContainerId, interval: Duration) -> Result<EventStream, Error> {
        if interval < Duration::from_secs(1) || interval.subsec_nanos() != 0 {
            return Err(Error::invalid(
                "events interval",
                &format!("{interval:?}"),
                "runsc takes a whole number of seconds, at least 1",
            ));
        }
        let seconds = i64::try_from(interval.as_secs()).map_err(|_| {
            Error::invalid(
                "events interval",
                &format!("{interval:?}"),
                "it is too long for runsc's integer flag",
            )
        })?;
        let call = self.call(
            Subcommand::Events(cli::Events {
                id: id.clone(),
                stats: false,
                interval: Some(seconds),
            }),
            None,
        );
        let spawned = self.inner.spawn(call)?;
        Ok(EventStream::new(spawned, self.inner.output_limit))
    }

    /// `ps --format=json`: the pids of the container's processes.
    pub async fn ps(&self, id: &ContainerId) -> Result<ProcessList, Error> {
        let finished = self
            .checked(Subcommand::Ps(cli::Ps {
                id: id.clone(),
                format: Some(cli::PsFormat::Json),
            }))
            .await?;
        self.decode(&finished, "process list", types::decode_ps_json)
    }

    /// `ps --format=table`, parsed like go-runc's `ParsePSOutput`.
    pub async fn top(&self, id: &ContainerId) -> Result<TopResults, Error> {
        let finished = self
            .checked(Subcommand::Ps(cli::Ps {
                id: id.clone(),
                format: Some(cli::PsFormat::Table),
            }))
            .await?;
        types::parse_ps_output(finished.whole_stdout(self.inner.output_limit)?)
    }

    /// `pause`: freezes the container.
    pub async fn pause(&self, id: &ContainerId) -> Result<(), Error> {
        self.checked(Subcommand::Pause(cli::IdOnly { id: id.clone() }))
            .await
            .map(drop)
    }

    /// `resume`: thaws a paused container.
    pub async fn resume(&self, id: &ContainerId) -> Result<(), Error> {
        self.checked(Subcommand::Resume(cli::IdOnly { id: id.clone() }))
            .await
            .map(drop)
    }

    /// `wait`: waits for the container (or one of its processes) to exit.
    ///
    /// Options that wait for a checkpoint or restore instead (runsc prints
    /// no exit status for them) are refused with [`Error::InvalidInput`];
    /// use [`Runsc::wait_event`].
    pub async fn wait(&self, id: &ContainerId, opts: &WaitOpts) -> Result<WaitResult, Error> {
        if opts.events() != 0 {
            return Err(Error::invalid(
                "wait options",
                &format!("{opts:?}"),
                "they wait for a checkpoint or restore, after which runsc prints no exit \
                 status; use Runsc::wait_event",
            ));
        }
        let finished = self.checked(wait_command(id, opts)).await?;
        self.decode(&finished, "wait result", types::decode_wait)
    }

    /// `wait --checkpoint`, `--restore`, `--fscheckpoint` or `--fsrestore`
    /// (runsc 20260817; `--checkpoint N` is runsc 20241021's): returns once
    /// that checkpoint or restore has finished. runsc prints nothing then
    /// and exits 0; it fails when the checkpoint or restore failed.
    ///
    /// Exactly one of the four must be set in `opts` (runsc refuses more
    /// than one); anything else is refused with [`Error::InvalidInput`]
    /// before runsc is spawned.
    ///
    /// ```no_run
    /// # async fn demo(runsc: runsc::Runsc) -> Result<(), runsc::Error> {
    /// use runsc::{cli::ContainerId, WaitOpts};
    /// let id = ContainerId::new("c1")?;
    /// runsc.wait_event(&id, &WaitOpts::default().with_checkpoint(true)).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn wait_event(&self, id: &ContainerId, opts: &WaitOpts) -> Result<(), Error> {
        if opts.events() != 1 {
            return Err(Error::invalid(
                "wait options",
                &format!("{opts:?}"),
                "set exactly one of checkpoint, restore, fscheckpoint and fsrestore (runsc \
                 refuses more than one); to wait for an exit, use Runsc::wait",
            ));
        }
        self.checked(wait_command(id, opts)).await.map(drop)
    }

    /// `update --resources=-`, with `resources` as JSON on stdin (go-runc's
    /// shape; runsc 20221219 has no `update` and fails with a usage error).
    pub async fn update(&self, id: &ContainerId, resources: &LinuxResources) -> Result<(), Error> {
        let mut call = self.call(
            Subcommand::Update(cli::Update::resources(id.clone(), "-")),
            None,
        );
        call.stdin = Some(serde_json_vec(resources, "resources")?);
        self.run_call(call).await?.success().map(drop)
    }

    /// `checkpoint`: saves the container's state to an image directory.
    pub async fn checkpoint(&self, id: &ContainerId, opts: &CheckpointOpts) -> Result<(), Error> {
        let timeout = opts
            .save_restore_exec_timeout
            .map(go_duration)
            .transpose()?;
        self.checked(Subcommand::Checkpoint(cli::Checkpoint {
            id: id.clone(),
            image_path: opts.image_path.clone(),
            leave_running: opts.leave_running,
            direct: opts.direct,
            compression: opts.compression.clone(),
            exclude_committed_zero_pages: opts.exclude_committed_zero_pages,
            save_restore_exec_argv: opts.save_restore_exec_argv.clone(),
            save_restore_exec_timeout: timeout,
            cuda_checkpoint_path: opts.cuda_checkpoint_path.clone(),
            cuda_checkpoint_sequential: opts.cuda_checkpoint_sequential,
            work_path: opts.work_path.clone(),
            fs_checkpoint_paths: opts.fs_checkpoint_paths.clone(),
        }))
        .await
        .map(drop)
    }

    /// `fscheckpoint` (runsc 20260817): saves the container's root
    /// filesystem to an image directory, which
    /// [`CreateOpts::fs_restore_image_path`] restores from.
    pub async fn fscheckpoint(
        &self,
        id: &ContainerId,
        opts: &FsCheckpointOpts,
    ) -> Result<(), Error> {
        self.checked(Subcommand::FsCheckpoint(cli::FsCheckpoint {
            id: id.clone(),
            image_path: opts.image_path.clone(),
            leave_running: opts.leave_running,
            direct: opts.direct,
            paths: opts.paths.clone(),
        }))
        .await
        .map(drop)
    }

    /// `restore`: recreates the container from a checkpoint and (without
    /// `detach`) waits for it to exit; the result follows the rule described
    /// at [`Runsc::run`].
    pub async fn restore(
        &self,
        id: &ContainerId,
        bundle: impl AsRef<Path>,
        opts: &RestoreOpts,
    ) -> Result<ProcessExit, Error> {
        let pid_file = absolute(&opts.pid_file)?;
        let command = Subcommand::Restore(cli::Restore {
            id: id.clone(),
            bundle: Some(bundle.as_ref().to_owned()),
            image_path: opts.image_path.clone(),
            pid_file: pid_file.clone(),
            console_socket: opts.console_socket.clone(),
            user_log: opts.user_log.clone(),
            detach: opts.detach,
            direct: opts.direct,
            background: opts.background,
            no_subreaper: false,
            work_path: None,
            fs_restore_image_path: opts.fs_restore_image_path.clone(),
            fs_restore_direct: opts.fs_restore_direct,
            split_fsrestore: opts.split_fsrestore,
        });
        let watch = PidFileWatch::new(pid_file.as_deref());
        let finished = self
            .run_call(self.call(command, opts.io.as_deref()))
            .await?;
        self.foreground_exit(finished, opts.detach, watch.as_ref())
    }
}

fn wait_command(id: &ContainerId, opts: &WaitOpts) -> Subcommand {
    Subcommand::Wait(cli::Wait {
        id: id.clone(),
        pid: opts.pid,
        rootpid: opts.rootpid,
        checkpoint: opts.checkpoint,
        restore: opts.restore,
        fscheckpoint: opts.fscheckpoint,
        fsrestore: opts.fsrestore,
    })
}

/// `duration` as Go's `time.ParseDuration` reads it: whole seconds as
/// `Ns`, anything finer in nanoseconds.
fn go_duration(duration: Duration) -> Result<String, Error> {
    if duration.subsec_nanos() == 0 && duration.as_secs() <= i64::MAX as u64 / 1_000_000_000 {
        return Ok(format!("{}s", duration.as_secs()));
    }
    match i64::try_from(duration.as_nanos()) {
        Ok(nanos) => Ok(format!("{nanos}ns")),
        Err(_) => Err(Error::invalid(
            "duration",
            &format!("{duration:?}"),
            "it is longer than Go's durations can hold (about 292 years)",
        )),
    }
}

fn serde_json_vec<T: serde::Serialize>(value: &T, what: &str) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(value).map_err(|e| Error::Io {
        context: format!("encoding the {what} as JSON"),
        source: std::io::Error::other(e),
    })
}

/// A private (0700) temporary directory, in `$XDG_RUNTIME_DIR` when set
/// (as the Go client does) or the system temp dir. Removed when dropped.
fn private_dir(prefix: &str) -> Result<tempfile::TempDir, Error> {
    let mut builder = tempfile::Builder::new();
    // tempfile creates directories 0777 less the umask (usually 0755), which
    // lets other users list the directory.
    builder
        .prefix(prefix)
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700));
    let made = match std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        Some(dir) => builder.tempdir_in(dir),
        None => builder.tempdir(),
    };
    made.map_err(|source| Error::Io {
        context: "creating a private temporary directory for runsc's input".to_owned(),
        source,
    })
}

/// Writes `bytes` to a new file readable by its owner only.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    use std::io::Write;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut file| file.write_all(bytes))
        .map_err(|source| Error::Io {
            context: format!("writing {}", path.display()),
            source,
        })
}
