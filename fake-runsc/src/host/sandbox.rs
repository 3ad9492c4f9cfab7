//! The sandbox supervisor and the handle calls use to talk to it.
//!
//! [`Sandbox::create`] forks the supervisor: it leaves the caller's session,
//! becomes child subreaper, forks the init process (which sets up the
//! container's filesystem and then waits for `start`), writes its pid into
//! the state directory and serves requests on `sandbox.sock` there. Exit
//! statuses go into `exits/PID` as well, so they outlive the supervisor's
//! answers.

use std::fs::{self, File};
use std::io::{BufRead, BufReader};
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::fcntl::OFlag;
use nix::poll::{PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{self, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::{ForkResult, Pid};
use serde::{Deserialize, Serialize};

use super::launch::Launch;
use super::procs::{self, HostProc, Stats};
use super::supervisor::{supervise, take_stdio, Plan};
use super::wire::{self, Reply, Request};
use super::{Error, Filesystem, Level, StartFailure};

pub(super) const SOCKET: &str = "sandbox.sock";
pub(super) const SUPERVISOR_PID: &str = "supervisor.pid";
pub(super) const INIT_PID: &str = "init.pid";
pub(super) const EXITS: &str = "exits";
pub(super) const SCRATCH: &str = "scratch";
pub(super) const ROOTFS: &str = "rootfs";
/// How long a call waits for the supervisor to read its request.
pub(super) const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// How often the supervisor checks that its state directory still exists.
pub(super) const TICK_MS: u16 = 500;
/// How long `destroy` keeps killing a tree that forks as fast as it dies.
const DESTROY_TIMEOUT: Duration = Duration::from_secs(5);

/// What the init process's child reports to the supervisor, one JSON line
/// per phase.
#[derive(Debug, Serialize, Deserialize)]
pub(super) enum ChildReport {
    /// The filesystem is set up, with notes for the debug log.
    Ready(Vec<String>),
    /// Setting up or exec failed.
    Failed(StartFailure),
}

/// A created container's processes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    /// The supervisor's pid: what `state` and `--pid-file` report, as
    /// runsc reports its sandbox process; it exits with the container.
    pub supervisor: i32,
    /// The init process's host pid.
    pub init: i32,
    /// What the debug log should say about the setup (skipped mounts).
    pub notes: Vec<String>,
}

/// A container's sandbox, found by its state directory.
#[derive(Debug, Clone)]
pub struct Sandbox {
    dir: PathBuf,
}

/// A running `exec`: wait for it, or drop it to leave it running (`--detach`).
#[derive(Debug)]
pub struct ExecHandle {
    /// The process's host pid.
    pub pid: i32,
    conn: UnixStream,
    dir: PathBuf,
}

impl ExecHandle {
    /// Waits up to `timeout` for the process to exit: its wait status, or
    /// `None` while it still runs (so a caller can forward signals meanwhile).
    pub fn poll(&self, timeout: Duration) -> Result<Option<i32>, Error> {
        let mut fds = [PollFd::new(self.conn.as_fd(), PollFlags::POLLIN)];
        let millis = u16::try_from(timeout.as_millis()).unwrap_or(u16::MAX);
        match nix::poll::poll(&mut fds, PollTimeout::from(millis)) {
            Ok(0) | Err(nix::errno::Errno::EINTR) => return Ok(None),
            Ok(_) => {}
            Err(errno) => {
                return Err(Error::Gone {
                    dir: self.dir.clone(),
                    source: errno.into(),
                })
            }
        }
        match wire::recv::<Reply>(&self.conn) {
            Ok(Some((Reply::Exited(status), _))) => Ok(Some(status)),
            Ok(Some((other, _))) => Err(Error::Protocol {
                dir: self.dir.clone(),
                reply: format!("{other:?}"),
            }),
            Ok(None) => Err(Error::Gone {
                dir: self.dir.clone(),
                source: std::io::ErrorKind::UnexpectedEof.into(),
            }),
            Err(source) => Err(Error::Gone {
                dir: self.dir.clone(),
                source,
            }),
        }
    }

    /// Waits for the process to exit; its wait status (128 + N for signal N).
    #[cfg(test)]
    pub fn wait(self) -> Result<i32, Error> {
        match wire::recv::<Reply>(&self.conn) {
            Ok(Some((Reply::Exited(status), _))) => Ok(status),
            Ok(Some((other, _))) => Err(Error::Protocol {
                dir: self.dir,
                reply: format!("{other:?}"),
            }),
            Ok(None) => Err(Error::Gone {
                dir: self.dir,
                source: std::io::ErrorKind::UnexpectedEof.into(),
            }),
            Err(source) => Err(Error::Gone {
                dir: self.dir,
                source,
            }),
        }
    }
}

fn state_err<'p>(
    action: &'static str,
    path: &'p Path,
) -> impl FnOnce(std::io::Error) -> Error + 'p {
    move |source| Error::State {
        action,
        path: path.to_path_buf(),
        source,
    }
}

impl Sandbox {
    /// The sandbox whose state is in `dir`.
    pub fn open(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
        }
    }

    /// Creates the container: forks its supervisor, which sets up the
    /// container's filesystem at `level` and holds `init` until
    /// [`start`](Self::start). `dir` must not exist yet; it holds the state
    /// until [`destroy`](Self::destroy). The supervisor and the init process
    /// get `stdio` (stdin, stdout, stderr), or this process's own when
    /// `None`, as runsc's sandbox inherits runsc's; the supervisor lets go
    /// of them when the container stops.
    pub fn create(
        dir: &Path,
        level: Level,
        filesystem: &Filesystem,
        init: &Launch,
        stdio: Option<[&dyn AsFd; 3]>,
    ) -> Result<(Self, Created), Error> {
        fs::create_dir(dir).map_err(state_err("make", dir))?;
        for sub in [EXITS, SCRATCH, ROOTFS] {
            let path = dir.join(sub);
            fs::create_dir(&path).map_err(state_err("make", &path))?;
        }
        let socket = dir.join(SOCKET);
        let listener = UnixListener::bind(&socket).map_err(state_err("listen on", &socket))?;
        let (sync_read, sync_write) = nix::unistd::pipe2(OFlag::O_CLOEXEC)
            .map_err(|e| state_err("make a pipe for", dir)(e.into()))?;
        let plan = Plan {
            dir: dir.to_path_buf(),
            level,
            filesystem: filesystem.clone(),
            init: init.clone(),
        };
        // SAFETY: the child only runs the supervisor, which touches no lock
        // another thread of this process could hold (no stdio, no
        // environment) and leaves with `_exit`.
        match unsafe { nix::unistd::fork() } {
            Ok(ForkResult::Child) => {
                drop(sync_read);
                if let Some(stdio) = stdio {
                    take_stdio(stdio);
                }
                let code = supervise(plan, listener, sync_write);
                // SAFETY: ends the forked child without running the parent's
                // exit handlers.
                unsafe { nix::libc::_exit(code) }
            }
            Ok(ForkResult::Parent { child }) => {
                drop(sync_write);
                drop(listener);
                // One line: the init process holds a copy of the pipe until it
                // execs, so end of file would wait for `start`.
                let mut answer = String::new();
                let read = BufReader::new(File::from(sync_read)).read_line(&mut answer);
                let sandbox = Self::open(dir);
                match (read, serde_json::from_str::<ChildReport>(&answer)) {
                    (Ok(_), Ok(ChildReport::Ready(notes))) => {
                        let init = sandbox.init_pid().ok_or_else(|| Error::Protocol {
                            dir: dir.to_path_buf(),
                            reply: "no init pid".to_owned(),
                        })?;
                        Ok((
                            sandbox,
                            Created {
                                supervisor: child.as_raw(),
                                init,
                                notes,
                            },
                        ))
                    }
                    (Ok(_), Ok(ChildReport::Failed(failure))) => {
                        sandbox.destroy();
                        Err(Error::Start(failure))
                    }
                    (_, _) => {
                        sandbox.destroy();
                        Err(Error::Protocol {
                            dir: dir.to_path_buf(),
                            reply: answer,
                        })
                    }
                }
            }
            Err(errno) => {
                let _ = fs::remove_dir_all(dir);
                Err(Error::State {
                    action: "fork the sandbox process for",
                    path: dir.to_path_buf(),
                    source: errno.into(),
                })
            }
        }
    }

    fn connect(&self) -> Result<UnixStream, Error> {
        let path = self.dir.join(SOCKET);
        let conn = UnixStream::connect(&path).map_err(|source| Error::Gone {
            dir: self.dir.clone(),
            source,
        })?;
        Ok(conn)
    }

    fn ask(&self, request: &Request, fds: &[RawFd]) -> Result<(UnixStream, Reply), Error> {
        let conn = self.connect()?;
        let gone = |source| Error::Gone {
            dir: self.dir.clone(),
            source,
        };
        wire::send(&conn, request, fds).map_err(gone)?;
        match wire::recv::<Reply>(&conn).map_err(gone)? {
            Some((reply, _)) => Ok((conn, reply)),
            None => Err(gone(std::io::ErrorKind::UnexpectedEof.into())),
        }
    }

    fn unexpected(&self, reply: Reply) -> Error {
        match reply {
            Reply::Failed(failure) => Error::Start(failure),
            Reply::Refused(why) => Error::Refused(why),
            other => Error::Protocol {
                dir: self.dir.clone(),
                reply: format!("{other:?}"),
            },
        }
    }

    /// Lets the init process exec its program; a program that cannot be
    /// loaded fails here, as with runsc (the container stays created).
    pub fn start(&self) -> Result<(), Error> {
        match self.ask(&Request::Start, &[])? {
            (_, Reply::Ok) => Ok(()),
            (_, reply) => Err(self.unexpected(reply)),
        }
    }

    /// Runs `launch` in the container with `stdio` (stdin, stdout, stderr)
    /// as its fds 0, 1, 2.
    pub fn exec(&self, launch: &Launch, stdio: [&dyn AsFd; 3]) -> Result<ExecHandle, Error> {
        let fds = stdio.map(|f| f.as_fd().as_raw_fd());
        match self.ask(&Request::Exec(launch.clone()), &fds)? {
            (conn, Reply::Started(pid)) => Ok(ExecHandle {
                pid,
                conn,
                dir: self.dir.clone(),
            }),
            (_, reply) => Err(self.unexpected(reply)),
        }
    }

    /// The wait status of process `pid` (the init process or an exec), once
    /// it has exited; blocks until then.
    #[cfg(test)]
    pub fn wait(&self, pid: i32) -> Result<i32, Error> {
        if let Some(status) = self.exit_status(pid) {
            return Ok(status);
        }
        match self.ask(&Request::Wait(pid), &[]) {
            Ok((_, Reply::Exited(status))) => Ok(status),
            Ok((_, reply)) => Err(self.unexpected(reply)),
            // The supervisor exits once the container has stopped, after it
            // wrote every status down.
            Err(e) => self.exit_status(pid).ok_or(e),
        }
    }

    /// The wait status of process `pid` if it has exited.
    pub fn exit_status(&self, pid: i32) -> Option<i32> {
        fs::read_to_string(self.dir.join(EXITS).join(pid.to_string()))
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    /// The init process's host pid.
    pub fn init_pid(&self) -> Option<i32> {
        read_pid(&self.dir.join(INIT_PID)).map(|(pid, _)| pid)
    }

    /// The supervisor's pid while it is alive.
    pub(super) fn supervisor(&self) -> Option<i32> {
        let (pid, start) = read_pid(&self.dir.join(SUPERVISOR_PID))?;
        (start_ticks(pid) == Some(start)).then_some(pid)
    }

    /// The container's live processes.
    pub fn processes(&self) -> Vec<HostProc> {
        self.supervisor()
            .map(procs::descendants)
            .unwrap_or_default()
    }

    /// `events --stats` figures.
    pub fn stats(&self) -> Stats {
        procs::stats(&self.processes())
    }

    /// Sends `signal` to the init process (`None`) or to process `pid`;
    /// false when that process is not one of the container's live ones.
    pub fn signal(&self, pid: Option<i32>, signal: Signal) -> bool {
        let Some(pid) = pid.or_else(|| self.init_pid()) else {
            return false;
        };
        self.processes().iter().any(|p| p.pid == pid)
            && signal::kill(Pid::from_raw(pid), signal).is_ok()
    }

    /// Sends `signal` to every process of the container (`kill --all`).
    pub fn signal_all(&self, signal: Signal) {
        for p in self.processes() {
            let _ = signal::kill(Pid::from_raw(p.pid), signal);
        }
    }

    /// Stops every process of the container; processes forked meanwhile are
    /// caught by going over the tree until it holds no running one.
    pub fn pause(&self) {
        for _ in 0..10 {
            let procs = self.processes();
            let running: Vec<&HostProc> = procs.iter().filter(|p| !is_stopped(p.pid)).collect();
            if running.is_empty() {
                return;
            }
            for p in running {
                let _ = signal::kill(Pid::from_raw(p.pid), Signal::SIGSTOP);
            }
        }
    }

    /// Continues every process of the container.
    pub fn resume(&self) {
        self.signal_all(Signal::SIGCONT);
    }

    /// Kills every process of the container and its supervisor, then removes
    /// the state directory. Safe to call at any time, also when the
    /// supervisor is already gone.
    pub fn destroy(&self) {
        if let Some(supervisor) = self.supervisor() {
            // Kill while the supervisor lives: orphans re-parent to it (it is
            // their subreaper), so a process forked by a dying one is still
            // found, and it reaps them all.
            let deadline = Instant::now() + DESTROY_TIMEOUT;
            loop {
                let procs = procs::descendants(supervisor);
                if procs.is_empty() || Instant::now() > deadline {
                    break;
                }
                for p in &procs {
                    let _ = signal::kill(Pid::from_raw(p.pid), Signal::SIGKILL);
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            let _ = signal::kill(Pid::from_raw(supervisor), Signal::SIGKILL);
            // The creator of a container is the supervisor's parent: reap
            // it; anyone else gets ECHILD, and the supervisor's own parent
            // reaps it.
            let deadline = Instant::now() + Duration::from_secs(1);
            while Instant::now() < deadline {
                match waitpid(Pid::from_raw(supervisor), Some(WaitPidFlag::WNOHANG)) {
                    Ok(WaitStatus::StillAlive) => std::thread::sleep(Duration::from_millis(1)),
                    _ => break,
                }
            }
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

pub(super) fn is_stopped(pid: i32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rfind(')')
                .and_then(|i| s.get(i + 2..i + 3).map(|c| c == "T" || c == "t"))
        })
        .unwrap_or(true)
}

fn start_ticks(pid: i32) -> Option<u64> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = text.get(text.rfind(')')? + 2..)?;
    rest.split(' ').nth(19)?.parse().ok()
}

/// Reads a `PID START_TICKS` file.
fn read_pid(path: &Path) -> Option<(i32, u64)> {
    let text = fs::read_to_string(path).ok()?;
    let mut parts = text.split_whitespace();
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

pub(super) fn write_pid(path: &Path, pid: i32) -> std::io::Result<()> {
    let start = start_ticks(pid).unwrap_or(0);
    let tmp = path.with_extension("tmp");
    fs::write(&tmp, format!("{pid} {start}\n"))?;
    fs::rename(tmp, path)
}
