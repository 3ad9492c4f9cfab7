//! The simulator: a stateful runsc used when no scenario is configured.
//!
//! Tests get a realistic runtime without root and without gVisor. Each
//! invocation reads and updates container state under `--root` (default:
//! `$XDG_RUNTIME_DIR/fake-runsc`, else `/tmp/fake-runsc-UID`; never runsc's
//! own `/var/run/runsc`) and answers with runsc 20221219's output, messages
//! and exit codes, including its odd ones:
//!
//! - `wait ID` reports the exit status only when it was already blocked while
//!   the container ran; afterwards it fails with "sandbox no longer running
//!   and its exit status is unavailable". A `wait` begun while the container
//!   was paused panics (exit 2) when it exits.
//! - `events ID` (streaming) goes silent when the container stops and never
//!   exits by itself; `events` on a created container, and `pause` of one,
//!   panic (exit 2) as runsc does.
//! - `create` with an id that exists fails and removes the existing
//!   container's state.
//! - `exec --detach` without `--pid-file` passes `--pid-file=...` to the
//!   command and exits 128.
//! - Any id argument may be a unique prefix of a container id (even `""`).
//! - `--log` and `--debug-log` are opened before the call and get the lines
//!   a failure adds (see `log.rs`); a `--log` that cannot be opened fails
//!   the call with exit 128.
//!
//! Commands are looked up as runsc does only when the bundle's root
//! filesystem exists on the host: an absolute `argv[0]` must exist in it (else
//! `start`/`exec` fail with "failed to load"), and `exec` searches `PATH` in
//! it for a bare name. A missing or empty root means a purely simulated
//! bundle in which every command exists.
//!
//! By default a container's processes run for real through the host-process
//! engine (see `real.rs` and `crate::host`). With
//! `FAKE_RUNSC_PROCESSES=simulated`, the simulated-program annotations, or
//! no root filesystem to run in, processes are simulated instead: they come
//! from `config.json`'s `process.args` and annotations (see `program.rs`);
//! each is played by a live host process (see `process.rs`) whose pid
//! `state` and `--pid-file` report, which exits with the simulated status,
//! and which never outlives its container's state.
//!
//! Environment: `FAKE_RUNSC_TIME_SCALE` (`FAKE_RUNSC_TIME_SCALE=100` makes
//! simulated time pass 100 times faster).

mod bundle;
mod clock;
mod control;
mod create;
mod exec;
mod exec_real;
mod ids;
mod inspect;
mod log;
mod newer;
mod output;
mod preflight;
mod process;
mod program;
mod real;
mod store;
mod update;
mod wording;

use std::ffi::OsString;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use nix::sys::signal::{self, SigHandler};
use runsc::cli::{Invocation, Release, Subcommand};

use self::clock::TimeScale;
use self::process::is_fatal;
use self::store::{Entry, Locked, Resolved, Status, Store};
use self::wording::{ambiguous, fatal, go_io_error, Failure, Load};
use crate::signals::{self, signaled, SIGKILL};

/// Answers one parsed invocation against the simulated state, writing to
/// stdout and stderr as runsc `release` would, and returns the exit status.
pub fn run(invocation: &Invocation, release: Release) -> i32 {
    let scale = match TimeScale::from_env() {
        Ok(scale) => scale,
        Err(message) => {
            let _ = writeln!(std::io::stderr(), "{message}");
            return 128;
        }
    };
    // runsc checks its configuration (the platform, flag combinations)
    // before it opens its log files, so these refusals leave no log line.
    if let Some(failure) = preflight::refusal(invocation) {
        let _ = std::io::stderr().write_all(failure.stderr.as_bytes());
        return failure.code;
    }
    let mut logs = match log::Logs::open(&invocation.global, invocation.command.name()) {
        Ok(logs) => logs,
        Err(failure) => return report(failure),
    };
    let sim = Sim {
        store: Store::new(invocation.global.root.as_deref()),
        scale,
        release,
        warnings: Default::default(),
    };
    let result = sim
        .fetch_spec(&invocation.command)
        .and_then(|()| match &invocation.command {
            Subcommand::List(o) => sim.list(o),
            Subcommand::State(o) => sim.state(o.id.as_str()),
            Subcommand::Create(o) => sim.create(o),
            Subcommand::Start(o) => sim.start(o.id.as_str()),
            Subcommand::Exec(o) => sim.exec(o),
            Subcommand::Run(o) => sim.run(o),
            Subcommand::Delete(o) => sim.delete(o),
            Subcommand::Kill(o) => sim.kill(o),
            Subcommand::Events(o) => sim.events(o),
            Subcommand::Ps(o) => sim.ps(o),
            Subcommand::Pause(o) => sim.pause(o.id.as_str()),
            Subcommand::Resume(o) => sim.resume(o.id.as_str()),
            Subcommand::Wait(o) => sim.wait(o),
            Subcommand::Checkpoint(o) => sim.checkpoint(o),
            Subcommand::Restore(o) => sim.restore(o),
            Subcommand::Update(o) => sim.update(o),
            Subcommand::FsCheckpoint(o) => sim.fscheckpoint(o),
        });
    for warning in sim.warnings.take() {
        logs.warn(warning);
    }
    match result {
        Ok(code) => code,
        Err(failure) => {
            logs.failed(&failure);
            report(failure)
        }
    }
}

fn report(failure: Failure) -> i32 {
    let mut stderr = std::io::stderr();
    let _ = stderr.write_all(failure.stderr.as_bytes());
    let _ = stderr.flush();
    failure.code
}

/// Entry of the hidden helper (`fake-runsc __sim proc ROOT ID PID`) that
/// plays one simulated process. Accepts its arguments with or without the
/// leading `__sim`.
pub fn internal_main(args: &[OsString]) -> i32 {
    let args = match args.first() {
        Some(first) if first == "__sim" => &args[1..],
        _ => args,
    };
    match args.split_first() {
        Some((kind, rest)) if kind == "proc" => process::helper_main(rest),
        _ => {
            let _ = writeln!(
                std::io::stderr(),
                "fake-runsc: __sim is the simulator's internal helper; it takes `proc ROOT ID PID`"
            );
            125
        }
    }
}

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

/// The simulator's view of one invocation.
pub struct Sim {
    /// The state store of `--root`.
    pub store: Store,
    /// The time scale.
    pub scale: TimeScale,
    /// The release whose behaviour to play.
    pub release: Release,
    /// Warnings for the call's logs (how real processes are confined).
    pub warnings: std::cell::RefCell<Vec<&'static str>>,
}

fn out(text: &str) {
    let _ = crate::stdout::write(text.as_bytes());
}

/// The status a reader should see: a container whose sandbox process died
/// without recording it is stopped.
pub fn effective_status(entry: &Entry) -> Status {
    match entry.status {
        Status::Stopped => Status::Stopped,
        // A real container whose program failed to load stays created, as
        // with runsc; its init process is gone by then.
        Status::Created if entry.real => Status::Created,
        s if entry.init.host.is_some_and(|h| h.is_alive()) => s,
        _ => Status::Stopped,
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

/// Records a signal for one process and wakes its helper; a real process
/// gets the signal itself.
fn deliver(locked: &Locked<'_>, entry: &mut Entry, pid: i32, sig: i32) -> Result<(), Failure> {
    if entry.real {
        real::signal(locked.store(), entry, pid, sig);
        return Ok(());
    }
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
        let Some(mut entry) = self.store.read(id)? else {
            return Ok(None);
        };
        let status = effective_status(&entry);
        if status == Status::Stopped && entry.real {
            real::refresh(&self.store, &mut entry);
            return Ok(Some((entry, Status::Stopped)));
        }
        if status == Status::Stopped && entry.status != Status::Stopped {
            return Ok(self.store.read(id)?.map(|e| (e, Status::Stopped)));
        }
        Ok(Some((entry, status)))
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
}

fn wait_status(status: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .or_else(|| status.signal().map(signaled))
        .unwrap_or(signaled(SIGKILL))
}

/// The last terminating signal this process received while a foreground
/// `run` or `exec` was waiting.
static RECEIVED: AtomicI32 = AtomicI32::new(0);

extern "C" fn remember(sig: nix::libc::c_int) {
    RECEIVED.store(sig, Ordering::SeqCst);
}

/// Catches the signals a foreground runsc forwards to its container.
struct ForwardSignals;

impl ForwardSignals {
    fn install() -> Self {
        for sig in signals::FORWARDED {
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
        std::process::exit(signals::die_of(sig))
    }
}
