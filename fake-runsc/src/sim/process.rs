//! The host processes that play simulated ones.
//!
//! Every simulated process (a container's init, every `exec`) is played by a
//! `fake-runsc __sim proc ROOT ID PID` helper: a process of its own session
//! (so that it outlives the runsc call that started it, as runsc's sandbox
//! does), with stdin on /dev/null and the caller's stdout and stderr (as the
//! sandbox inherits them). The helper runs the simulated program, takes the
//! signals that `kill` leaves in the state entry, honours pause, and records
//! its exit status before it exits with that status. It exits as soon as its
//! entry disappears (delete, or the test removed the root), so nothing is
//! left running.
//!
//! Commands wake a helper with SIGUSR1 after changing its entry; the helper
//! is spawned with SIGUSR1 blocked and collects it with `sigtimedwait`, and
//! it re-reads its entry at least every 100 ms anyway.

use std::ffi::OsString;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{self, SigSet, SigmaskHow, Signal as NixSignal};
use nix::unistd::Pid;

use super::clock::TimeScale;
use super::program::{Program, Step, Stream};
use super::store::{Entry, HostProcess, Status, Store};
use crate::signals::{self, signaled, SIGKILL};

/// The longest a helper goes without re-reading its entry.
const TICK: Duration = Duration::from_millis(100);
/// How long a helper waits for its creator to register it.
const REGISTER_TIMEOUT: Duration = Duration::from_secs(10);

/// Signals whose default action does not end a process.
const NOT_FATAL: &[i32] = &[17, 18, 19, 20, 21, 22, 23, 28];

/// Whether a signal ends a simulated process that does not handle it.
pub fn is_fatal(sig: i32) -> bool {
    !NOT_FATAL.contains(&sig)
}

/// Starts the helper for process `pid` of container `id`, in its own session
/// with SIGUSR1 blocked, inheriting this process's stdout and stderr.
pub fn spawn_helper(root: &Path, id: &str, pid: i32) -> std::io::Result<Child> {
    let exe = std::env::current_exe()?;
    let mut cmd = Command::new(exe);
    cmd.arg("__sim")
        .arg("proc")
        .arg(root)
        .arg(id)
        .arg(pid.to_string())
        .stdin(Stdio::null());
    // SAFETY: setsid and sigprocmask are async-signal-safe and touch no memory
    // of the parent.
    unsafe {
        cmd.pre_exec(|| {
            nix::unistd::setsid().map_err(std::io::Error::from)?;
            let mut set = SigSet::empty();
            set.add(NixSignal::SIGUSR1);
            signal::sigprocmask(SigmaskHow::SIG_BLOCK, Some(&set), None)
                .map_err(std::io::Error::from)?;
            Ok(())
        });
    }
    cmd.spawn()
}

/// Wakes a helper so that it re-reads its entry now.
pub fn wake(host: HostProcess) {
    if host.is_own_helper() {
        let _ = signal::kill(Pid::from_raw(host.pid), NixSignal::SIGUSR1);
    }
}

/// Ends a helper at once.
pub fn kill_host(host: HostProcess) {
    if host.is_own_helper() {
        let _ = signal::kill(Pid::from_raw(host.pid), NixSignal::SIGKILL);
    }
}

/// How a simulated process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It exited with a status.
    Exited(i32),
    /// A signal ended it.
    Signaled(i32),
    /// Its container or entry disappeared.
    Gone,
}

impl Outcome {
    /// The wait status runsc reports: the exit code, or 128 + signal.
    pub fn wait_status(self) -> i32 {
        match self {
            Self::Exited(code) => code,
            Self::Signaled(sig) => signaled(sig),
            Self::Gone => signaled(SIGKILL),
        }
    }
}

/// What the helper learns when it looks at its entry.
enum Look {
    Run,
    Paused,
    NotStarted,
    Signal(i32),
    Gone,
}

struct Helper {
    store: Store,
    id: String,
    pid: i32,
    me: HostProcess,
}

impl Helper {
    fn look(&self) -> Look {
        let Ok(Some(entry)) = self.store.read(&self.id) else {
            return Look::Gone;
        };
        let Some(process) = find(&entry, self.pid) else {
            return Look::Gone;
        };
        if process.host != Some(self.me) {
            return Look::Gone;
        }
        if self.pid != 1 && (entry.status == Status::Stopped || entry.init.exit_status.is_some()) {
            // The sandbox is gone: every process in it dies with it.
            return Look::Signal(SIGKILL);
        }
        if !process.pending_signals.is_empty() {
            if let Some(sig) = self.take_signals() {
                return Look::Signal(sig);
            }
        }
        match entry.status {
            Status::Created if self.pid == 1 => Look::NotStarted,
            Status::Paused => Look::Paused,
            _ => Look::Run,
        }
    }

    /// Removes the pending signals from the entry; returns the first fatal one.
    fn take_signals(&self) -> Option<i32> {
        let locked = self.store.lock().ok()?;
        let mut entry = locked.read(&self.id).ok()??;
        let process = find_mut(&mut entry, self.pid)?;
        let signals = std::mem::take(&mut process.pending_signals);
        locked.write(&entry).ok()?;
        signals.into_iter().find(|s| is_fatal(*s))
    }

    /// Waits up to `timeout` for a wake-up, then looks at the entry.
    fn tick(&self, timeout: Duration) -> Look {
        let mut set = SigSet::empty();
        set.add(NixSignal::SIGUSR1);
        let ts = nix::libc::timespec {
            tv_sec: timeout.as_secs() as nix::libc::time_t,
            tv_nsec: i64::from(timeout.subsec_nanos()) as _,
        };
        // SAFETY: the set and timespec are valid for the call; a null info
        // pointer is allowed.
        unsafe {
            nix::libc::sigtimedwait(set.as_ref(), std::ptr::null_mut(), &ts);
        }
        self.look()
    }

    /// Lets `real` pass (forever when `None`), frozen while paused.
    fn pass(&self, real: Option<Duration>) -> Result<(), Outcome> {
        let mut left = real;
        loop {
            if left == Some(Duration::ZERO) {
                return Ok(());
            }
            let timeout = left.map_or(TICK, |l| l.min(TICK));
            let started = Instant::now();
            match self.tick(timeout) {
                Look::Gone => return Err(Outcome::Gone),
                Look::Signal(sig) => return Err(Outcome::Signaled(sig)),
                Look::Paused | Look::NotStarted => {}
                Look::Run => {
                    left = left.map(|l| l.saturating_sub(started.elapsed()));
                }
            }
        }
    }

    fn run(&self, program: &Program, scale: TimeScale) -> Outcome {
        let mut status = 0;
        for step in &program.steps {
            let result = match step {
                Step::Write(stream, bytes) => self.pass(Some(Duration::ZERO)).map(|()| {
                    let _ = match stream {
                        Stream::Stdout => crate::stdout::write(bytes),
                        Stream::Stderr => std::io::stderr().write_all(bytes),
                    };
                }),
                Step::Status(code) => {
                    status = *code;
                    Ok(())
                }
                Step::Exit(code) => return Outcome::Exited(*code),
                Step::Sleep(d) => self.pass(Some(scale.to_real(*d))),
                Step::Forever => self.pass(None),
            };
            if let Err(outcome) = result {
                return outcome;
            }
        }
        Outcome::Exited(status)
    }
}

fn find(entry: &Entry, pid: i32) -> Option<&super::store::Process> {
    if pid == 1 {
        Some(&entry.init)
    } else {
        entry.execs.iter().find(|p| p.pid == pid)
    }
}

fn find_mut(entry: &mut Entry, pid: i32) -> Option<&mut super::store::Process> {
    if pid == 1 {
        Some(&mut entry.init)
    } else {
        entry.execs.iter_mut().find(|p| p.pid == pid)
    }
}

/// `fake-runsc __sim proc ROOT ID PID`: plays one simulated process.
pub fn helper_main(args: &[OsString]) -> i32 {
    let [root, id, pid] = args else {
        let _ = writeln!(
            std::io::stderr(),
            "fake-runsc: __sim proc needs ROOT ID PID; it is started by the simulator, not by hand"
        );
        return 125;
    };
    let (Some(id), Some(pid)) = (
        id.to_str(),
        pid.to_str().and_then(|p| p.parse::<i32>().ok()),
    ) else {
        let _ = writeln!(
            std::io::stderr(),
            "fake-runsc: __sim proc: bad container id or pid"
        );
        return 125;
    };
    let Some(me) = HostProcess::of(std::process::id() as i32) else {
        return 125;
    };
    let store = Store::new(Some(&PathBuf::from(root)));
    let scale = TimeScale::from_env().unwrap_or_default();
    let helper = Helper {
        store,
        id: id.to_owned(),
        pid,
        me,
    };
    // The creator registers this process right after spawning it, so the
    // wait is short: poll often.
    let deadline = Instant::now() + REGISTER_TIMEOUT;
    let program = loop {
        if let Ok(Some(entry)) = helper.store.read(&helper.id) {
            if let Some(process) = find(&entry, pid).filter(|p| p.host == Some(me)) {
                let annotations = if pid == 1 {
                    entry.annotations.clone()
                } else {
                    Default::default()
                };
                match Program::from_spec(&process.args, &annotations) {
                    Ok(program) => break program,
                    Err(_) => return 125,
                }
            }
        }
        if Instant::now() > deadline {
            return 125;
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    if pid == 1 {
        loop {
            match helper.tick(TICK) {
                Look::NotStarted => continue,
                Look::Gone => return signaled(SIGKILL),
                _ => break,
            }
        }
    }
    let outcome = helper.run(&program, scale);
    if outcome != Outcome::Gone {
        record(&helper, outcome);
    }
    die(outcome)
}

/// Writes the exit status into the entry and wakes whoever depends on it.
fn record(helper: &Helper, outcome: Outcome) {
    let Ok(locked) = helper.store.lock() else {
        return;
    };
    let Ok(Some(mut entry)) = locked.read(&helper.id) else {
        return;
    };
    let Some(process) = find_mut(&mut entry, helper.pid) else {
        return;
    };
    if process.host != Some(helper.me) {
        return;
    }
    process.exit_status = Some(outcome.wait_status());
    if helper.pid == 1 {
        entry.status = Status::Stopped;
    }
    if locked.write(&entry).is_ok() && helper.pid == 1 {
        for exec in &entry.execs {
            if let (Some(host), None) = (exec.host, exec.exit_status) {
                wake(host);
            }
        }
    }
}

/// Exits the way the simulated process ended: with its code, or by its signal.
fn die(outcome: Outcome) -> i32 {
    match outcome {
        Outcome::Exited(code) => code,
        Outcome::Gone => signaled(SIGKILL),
        Outcome::Signaled(sig) => signals::die_of(sig),
    }
}
