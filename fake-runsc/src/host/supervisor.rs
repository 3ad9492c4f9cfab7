//! The sandbox supervisor's side: the process [`Sandbox::create`] forks.
//! It starts the init process, serves `start`, `exec` and `wait` requests on
//! `sandbox.sock`, reaps the container's processes (it is their child
//! subreaper) and writes their exit statuses down.
//!
//! [`Sandbox::create`]: super::Sandbox::create

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicI32, Ordering};

use nix::fcntl::OFlag;
use nix::poll::{PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{self, SigHandler, SigSet, SigmaskHow, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::{ForkResult, Pid};

use super::launch::{self, Launch};
use super::procs;
use super::sandbox::{
    write_pid, ChildReport, EXITS, INIT_PID, REQUEST_TIMEOUT, ROOTFS, SCRATCH, SUPERVISOR_PID,
    TICK_MS,
};
use super::wire::{self, Reply, Request};
use super::{confine, Filesystem, Level, StartFailure};

/// What the supervisor runs.
pub(super) struct Plan {
    pub(super) dir: PathBuf,
    pub(super) level: Level,
    pub(super) filesystem: Filesystem,
    pub(super) init: Launch,
}

/// The supervisor's self-pipe, written by its SIGCHLD handler.
static WAKE_FD: AtomicI32 = AtomicI32::new(-1);

extern "C" fn on_sigchld(_: nix::libc::c_int) {
    let fd = WAKE_FD.load(Ordering::Relaxed);
    if fd >= 0 {
        // SAFETY: write(2) is async-signal-safe; a full pipe only drops a
        // wake-up that is already pending.
        unsafe {
            nix::libc::write(fd, [0u8].as_ptr().cast(), 1);
        }
    }
}

/// Makes `stdio` this process's fds 0, 1 and 2, through copies, so that
/// one of them being 0, 1 or 2 already does not matter.
pub(super) fn take_stdio(stdio: [&dyn AsFd; 3]) {
    let copies: Vec<Option<OwnedFd>> = stdio
        .iter()
        .map(|fd| fd.as_fd().try_clone_to_owned().ok())
        .collect();
    for (target, copy) in copies.iter().enumerate() {
        if let Some(copy) = copy {
            let _ = nix::unistd::dup2(copy.as_raw_fd(), target as RawFd);
        }
    }
}

/// Closes every fd but stdio and `keep`, so that the supervisor holds no
/// lock or pipe of the call that forked it.
fn close_other_fds(keep: &[RawFd]) {
    let Ok(dir) = fs::read_dir("/proc/self/fd") else {
        return;
    };
    let fds: Vec<RawFd> = dir
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect();
    for fd in fds {
        if fd > 2 && !keep.contains(&fd) {
            // SAFETY: the fd belongs to the forked parent's objects, which
            // this process never uses.
            unsafe {
                nix::libc::close(fd);
            }
        }
    }
}

struct Supervisor {
    dir: PathBuf,
    level: Level,
    init: i32,
    go: Option<OwnedFd>,
    init_report: Option<BufReader<File>>,
    namespaces: (Option<OwnedFd>, Option<OwnedFd>),
    exits: HashMap<i32, i32>,
    waiters: HashMap<i32, Vec<UnixStream>>,
    stopped: bool,
}

pub(super) fn supervise(plan: Plan, listener: UnixListener, sync: OwnedFd) -> i32 {
    close_other_fds(&[listener.as_raw_fd(), sync.as_raw_fd()]);
    let _ = nix::unistd::setsid();
    let _ = nix::sys::prctl::set_child_subreaper(true);
    let _ = signal::sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None);
    // SAFETY: installs plain dispositions; the handler only calls write(2).
    unsafe {
        let _ = signal::signal(Signal::SIGPIPE, SigHandler::SigIgn);
    }
    let mut sync = File::from(sync);
    let report = |sync: &mut File, r: &ChildReport| {
        let mut line = serde_json::to_string(r).unwrap_or_default();
        line.push('\n');
        let _ = sync.write_all(line.as_bytes());
    };
    if let Err(e) = write_pid(&plan.dir.join(SUPERVISOR_PID), std::process::id() as i32) {
        report(
            &mut sync,
            &ChildReport::Failed(StartFailure::Setup {
                what: format!("writing {}", plan.dir.join(SUPERVISOR_PID).display()),
                cause: e.to_string(),
            }),
        );
        return 1;
    }
    let Ok((wake_read, wake_write)) = nix::unistd::pipe2(OFlag::O_CLOEXEC | OFlag::O_NONBLOCK)
    else {
        return 1;
    };
    WAKE_FD.store(wake_write.as_raw_fd(), Ordering::Relaxed);
    // SA_RESTART: a child exiting while a request is read must not fail
    // the read.
    let action = signal::SigAction::new(
        SigHandler::Handler(on_sigchld),
        signal::SaFlags::SA_RESTART | signal::SaFlags::SA_NOCLDSTOP,
        SigSet::empty(),
    );
    // SAFETY: the handler only calls write(2) on the self-pipe.
    unsafe {
        let _ = signal::sigaction(Signal::SIGCHLD, &action);
    }
    let mut sup = match spawn_init(&plan) {
        Ok((sup, notes)) => {
            report(&mut sync, &ChildReport::Ready(notes));
            sup
        }
        Err(failure) => {
            report(&mut sync, &ChildReport::Failed(failure));
            return 1;
        }
    };
    drop(sync);
    let _ = listener.set_nonblocking(true);
    loop {
        let mut fds = [
            PollFd::new(listener.as_fd(), PollFlags::POLLIN),
            PollFd::new(wake_read.as_fd(), PollFlags::POLLIN),
        ];
        let _ = nix::poll::poll(&mut fds, PollTimeout::from(TICK_MS));
        let mut drain = [0u8; 64];
        while nix::unistd::read(wake_read.as_raw_fd(), &mut drain).is_ok_and(|n| n > 0) {}
        sup.reap();
        while let Ok((conn, _)) = listener.accept() {
            sup.serve(conn, &plan);
        }
        if sup.stopped && no_children() {
            // Like runsc's sandbox, the supervisor ends with the container,
            // with its init process's status: a caller that was handed the
            // supervisor's pid (`state`, `--pid-file`) and reaps it, such as
            // containerd's shim, learns the container's exit that way. The
            // statuses stay in the state directory.
            return sup.exits.get(&sup.init).copied().unwrap_or(128 + 9);
        }
        if !plan.dir.exists() {
            // The state is gone (the root was removed): nothing may outlive it.
            for p in procs::descendants(std::process::id() as i32) {
                let _ = signal::kill(Pid::from_raw(p.pid), Signal::SIGKILL);
            }
            return 0;
        }
    }
}

/// Whether this process has no child at all, live or exited and unreaped
/// (orphans of the container re-parent to it, so none means none left).
fn no_children() -> bool {
    use nix::sys::wait::{waitid, Id};
    matches!(
        waitid(
            Id::All,
            WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG | WaitPidFlag::WNOWAIT
        ),
        Err(nix::errno::Errno::ECHILD)
    )
}

/// Forks the init process, which sets up the filesystem, reports, and waits
/// for the go byte before it execs.
fn spawn_init(plan: &Plan) -> Result<(Supervisor, Vec<String>), StartFailure> {
    let pipe_fail = |e: nix::errno::Errno| StartFailure::Setup {
        what: "making a pipe".to_owned(),
        cause: super::go_errno(e),
    };
    let (go_read, go_write) = nix::unistd::pipe2(OFlag::O_CLOEXEC).map_err(pipe_fail)?;
    let (report_read, report_write) = nix::unistd::pipe2(OFlag::O_CLOEXEC).map_err(pipe_fail)?;
    let terminal = terminal_for(&plan.init)?;
    // SAFETY: the supervisor is single-threaded.
    match unsafe { nix::unistd::fork() } {
        Ok(ForkResult::Child) => {
            drop(go_write);
            drop(report_read);
            let mut report = File::from(report_write);
            let send = |report: &mut File, r: &ChildReport| {
                let mut line = serde_json::to_string(r).unwrap_or_default();
                line.push('\n');
                let _ = report.write_all(line.as_bytes());
            };
            let _ = nix::sys::prctl::set_pdeathsig(Signal::SIGKILL);
            default_signals();
            if let Some(slave) = terminal {
                take_terminal(slave);
            }
            let notes = match confine::enter(
                plan.level,
                &plan.filesystem,
                &plan.init.cwd,
                &plan.dir.join(SCRATCH),
                &plan.dir.join(ROOTFS),
            ) {
                Ok(notes) => notes,
                Err(failure) => {
                    send(&mut report, &ChildReport::Failed(failure));
                    // SAFETY: leaves the forked child at once.
                    unsafe { nix::libc::_exit(127) }
                }
            };
            send(&mut report, &ChildReport::Ready(notes));
            let mut byte = [0u8; 1];
            if !matches!(File::from(go_read).read(&mut byte), Ok(1)) {
                // SAFETY: leaves the forked child at once.
                unsafe { nix::libc::_exit(0) }
            }
            let failure = launch::exec(&plan.init, plan.level);
            send(&mut report, &ChildReport::Failed(failure));
            // SAFETY: leaves the forked child at once.
            unsafe { nix::libc::_exit(127) }
        }
        Ok(ForkResult::Parent { child }) => {
            drop(go_read);
            drop(report_write);
            let init = child.as_raw();
            let mut reader = BufReader::new(File::from(report_read));
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            match serde_json::from_str::<ChildReport>(&line) {
                Ok(ChildReport::Ready(notes)) => {
                    let _ = write_pid(&plan.dir.join(INIT_PID), init);
                    let ns = |kind: &str| File::open(format!("/proc/{init}/ns/{kind}")).ok();
                    let namespaces = match plan.level {
                        Level::Host => (None, None),
                        Level::Root => (None, ns("mnt").map(OwnedFd::from)),
                        Level::Rootless => {
                            (ns("user").map(OwnedFd::from), ns("mnt").map(OwnedFd::from))
                        }
                    };
                    Ok((
                        Supervisor {
                            dir: plan.dir.clone(),
                            level: plan.level,
                            init,
                            go: Some(go_write),
                            init_report: Some(reader),
                            namespaces,
                            exits: HashMap::new(),
                            waiters: HashMap::new(),
                            stopped: false,
                        },
                        notes,
                    ))
                }
                Ok(ChildReport::Failed(failure)) => Err(failure),
                Err(_) => Err(StartFailure::Setup {
                    what: "starting the init process".to_owned(),
                    cause: format!("it reported {line:?}"),
                }),
            }
        }
        Err(errno) => Err(StartFailure::Setup {
            what: "forking the init process".to_owned(),
            cause: super::go_errno(errno),
        }),
    }
}

/// For `terminal: true`: a pty whose master goes to the console socket now;
/// the slave is for the child.
fn terminal_for(launch: &Launch) -> Result<Option<OwnedFd>, StartFailure> {
    if !launch.terminal {
        return Ok(None);
    }
    let fail = |what: String, cause: String| StartFailure::Setup { what, cause };
    let Some(socket) = &launch.console_socket else {
        return Err(fail(
            "terminal: true".to_owned(),
            "no --console-socket to send the pty to".to_owned(),
        ));
    };
    let pty = nix::pty::openpty(None, None)
        .map_err(|e| fail("opening a pty".to_owned(), super::go_errno(e)))?;
    let conn = UnixStream::connect(socket)
        .map_err(|e| fail(format!("connecting to {}", socket.display()), e.to_string()))?;
    wire_send_pty(&conn, &pty.master).map_err(|e| {
        fail(
            format!("sending the pty to {}", socket.display()),
            e.to_string(),
        )
    })?;
    Ok(Some(pty.slave))
}

/// Sends a pty master as runc and runsc do: the fd with its name as payload.
fn wire_send_pty(conn: &UnixStream, master: &OwnedFd) -> std::io::Result<()> {
    let fds = [master.as_raw_fd()];
    let name = b"/dev/ptmx";
    nix::sys::socket::sendmsg::<()>(
        conn.as_raw_fd(),
        &[std::io::IoSlice::new(name)],
        &[nix::sys::socket::ControlMessage::ScmRights(&fds)],
        nix::sys::socket::MsgFlags::empty(),
        None,
    )?;
    Ok(())
}

/// Lets go of the stdio inherited from the call that created the container,
/// as runsc's sandbox does when the container stops: a reader of a pipe given
/// to `create` or `run --detach` sees its end then.
fn release_stdio() {
    if let Ok(null) = File::options().read(true).write(true).open("/dev/null") {
        for target in 0..3 {
            let _ = nix::unistd::dup2(null.as_raw_fd(), target);
        }
    }
}

/// Gives a container process the dispositions a fresh process has: the
/// supervisor ignores SIGPIPE, and an ignored signal stays ignored across exec.
fn default_signals() {
    // SAFETY: restores the default disposition; installs no handler.
    unsafe {
        let _ = signal::signal(Signal::SIGPIPE, SigHandler::SigDfl);
    }
}

/// Makes the pty slave the calling child's controlling terminal and stdio.
fn take_terminal(slave: OwnedFd) {
    let _ = nix::unistd::setsid();
    // SAFETY: TIOCSCTTY takes an int argument; the fd is a pty slave.
    unsafe {
        nix::libc::ioctl(slave.as_raw_fd(), nix::libc::TIOCSCTTY, 0);
    }
    for target in 0..3 {
        let _ = nix::unistd::dup2(slave.as_raw_fd(), target);
    }
}

impl Supervisor {
    /// Reaps every exited child, records its status and answers its waiters.
    fn reap(&mut self) {
        loop {
            let (pid, status) = match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::Exited(pid, code)) => (pid.as_raw(), code),
                Ok(WaitStatus::Signaled(pid, sig, _)) => (pid.as_raw(), 128 + sig as i32),
                Ok(WaitStatus::StillAlive) | Err(_) => return,
                Ok(_) => continue,
            };
            let _ = fs::write(
                self.dir.join(EXITS).join(pid.to_string()),
                format!("{status}\n"),
            );
            self.exits.insert(pid, status);
            for conn in self.waiters.remove(&pid).unwrap_or_default() {
                let _ = wire::send(&conn, &Reply::Exited(status), &[]);
            }
            if pid == self.init && !self.stopped {
                // The container stops with its init process: runsc kills
                // every other process of the sandbox then.
                self.stopped = true;
                for p in procs::descendants(std::process::id() as i32) {
                    let _ = signal::kill(Pid::from_raw(p.pid), Signal::SIGKILL);
                }
                release_stdio();
            }
        }
    }

    fn serve(&mut self, conn: UnixStream, plan: &Plan) {
        let _ = conn.set_nonblocking(false);
        let _ = conn.set_read_timeout(Some(REQUEST_TIMEOUT));
        let Ok(Some((request, fds))) = wire::recv::<Request>(&conn) else {
            return;
        };
        let reply = match request {
            Request::Start => self.start(),
            Request::Exec(launch) => self.exec(&launch, fds),
            Request::Wait(pid) => match self.exits.get(&pid) {
                Some(status) => Reply::Exited(*status),
                None if pid == self.init || self.waiters.contains_key(&pid) => {
                    self.waiters.entry(pid).or_default().push(conn);
                    return;
                }
                None => Reply::Refused(format!("no process {pid} in {}", plan.dir.display())),
            },
        };
        let started = match reply {
            Reply::Started(pid) => Some(pid),
            _ => None,
        };
        if wire::send(&conn, &reply, &[]).is_ok() {
            if let Some(pid) = started {
                match self.exits.get(&pid) {
                    Some(status) => {
                        let _ = wire::send(&conn, &Reply::Exited(*status), &[]);
                    }
                    None => self.waiters.entry(pid).or_default().push(conn),
                }
            }
        }
    }

    fn start(&mut self) -> Reply {
        let Some(go) = self.go.take() else {
            return Reply::Refused("the container was started already".to_owned());
        };
        let _ = File::from(go).write_all(b"g");
        let mut rest = String::new();
        if let Some(mut reader) = self.init_report.take() {
            let _ = reader.read_to_string(&mut rest);
        }
        match serde_json::from_str::<ChildReport>(rest.trim()) {
            Ok(ChildReport::Failed(failure)) => Reply::Failed(failure),
            _ => Reply::Ok,
        }
    }

    fn exec(&mut self, launch: &Launch, stdio: Vec<OwnedFd>) -> Reply {
        if self.stopped {
            return Reply::Refused("the container's init process has exited".to_owned());
        }
        let Ok((report_read, report_write)) = nix::unistd::pipe2(OFlag::O_CLOEXEC) else {
            return Reply::Refused("no pipe for the exec".to_owned());
        };
        let terminal = match terminal_for(launch) {
            Ok(t) => t,
            Err(failure) => return Reply::Failed(failure),
        };
        // SAFETY: the supervisor is single-threaded.
        match unsafe { nix::unistd::fork() } {
            Ok(ForkResult::Child) => {
                drop(report_read);
                let _ = nix::sys::prctl::set_pdeathsig(Signal::SIGKILL);
                default_signals();
                if let Some(slave) = terminal {
                    take_terminal(slave);
                } else if stdio.len() == 3 {
                    for (target, fd) in stdio.iter().enumerate() {
                        let _ = nix::unistd::dup2(fd.as_raw_fd(), target as RawFd);
                    }
                }
                drop(stdio);
                let failure =
                    match confine::join(self.namespaces.0.as_ref(), self.namespaces.1.as_ref()) {
                        Ok(()) => launch::exec(launch, self.level),
                        Err(failure) => failure,
                    };
                let mut report = File::from(report_write);
                let _ = report.write_all(
                    serde_json::to_string(&ChildReport::Failed(failure))
                        .unwrap_or_default()
                        .as_bytes(),
                );
                // SAFETY: leaves the forked child at once.
                unsafe { nix::libc::_exit(127) }
            }
            Ok(ForkResult::Parent { child }) => {
                drop(report_write);
                drop(stdio);
                let mut answer = String::new();
                let _ = File::from(report_read).read_to_string(&mut answer);
                match serde_json::from_str::<ChildReport>(&answer) {
                    Ok(ChildReport::Failed(failure)) => Reply::Failed(failure),
                    _ => Reply::Started(child.as_raw()),
                }
            }
            Err(errno) => Reply::Refused(format!("cannot fork: {}", super::go_errno(errno))),
        }
    }
}
