//! Per-call options and results of [`Runsc`](super::Runsc)'s methods.
//!
//! Every `*Opts` is `#[non_exhaustive]`: start from `Default` and set what
//! differs with its `with_...` methods, so that options added later break
//! no caller.
//!
//! ```
//! use runsc::{DeleteOpts, ExecOpts};
//!
//! let delete = DeleteOpts::default().with_force(true);
//! assert!(delete.force);
//! let exec = ExecOpts::default().with_detach(true).with_pid_file("exec.pid");
//! assert!(exec.detach);
//! ```

use std::path::PathBuf;

use super::io::Io;
use super::Captured;

/// Options of [`Runsc::create`](super::Runsc::create).
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct CreateOpts {
    /// `--pid-file`: where runsc writes the sandbox's pid; made absolute.
    pub pid_file: Option<PathBuf>,
    /// `--console-socket`: e.g. [`ConsoleSocket::path`](super::ConsoleSocket::path),
    /// for a bundle with `"terminal": true`.
    pub console_socket: Option<PathBuf>,
    /// `--user-log`.
    pub user_log: Option<PathBuf>,
    /// The stdio runsc and the container get; `None` captures runsc's output
    /// for error messages (the container then writes into a pipe nobody reads
    /// once the call is over: give an `Io` when its output matters).
    pub io: Option<Box<dyn Io>>,
}

/// Options of [`Runsc::run`](super::Runsc::run).
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct RunOpts {
    /// `--pid-file`; made absolute.
    pub pid_file: Option<PathBuf>,
    /// `--console-socket`.
    pub console_socket: Option<PathBuf>,
    /// `--user-log`.
    pub user_log: Option<PathBuf>,
    /// `--detach`: return once the container has started.
    pub detach: bool,
    /// The stdio runsc and the container get; `None` captures both.
    pub io: Option<Box<dyn Io>>,
}

/// Options of [`Runsc::exec`](super::Runsc::exec).
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct ExecOpts {
    /// `--pid-file`: the process's host pid; made absolute.
    pub pid_file: Option<PathBuf>,
    /// `--internal-pid-file`: the process's pid inside the sandbox; made absolute.
    pub internal_pid_file: Option<PathBuf>,
    /// `--console-socket`, for a process with `"terminal": true`.
    pub console_socket: Option<PathBuf>,
    /// `--detach`: return once the process has started.
    pub detach: bool,
    /// The stdio runsc and the process get; `None` captures both.
    pub io: Option<Box<dyn Io>>,
}

/// Options of [`Runsc::delete`](super::Runsc::delete).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct DeleteOpts {
    /// `--force`: kill a running container first.
    pub force: bool,
}

/// Options of [`Runsc::kill`](super::Runsc::kill).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct KillOpts {
    /// `--all`: signal every process in the container.
    pub all: bool,
    /// `--pid`: signal one process, by its pid in the sandbox's root pid namespace.
    pub pid: Option<i64>,
}

/// Options of [`Runsc::wait`](super::Runsc::wait).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct WaitOpts {
    /// `--pid`: wait for a process by its pid in the container's pid namespace.
    pub pid: Option<i64>,
    /// `--rootpid`: wait for a process by its pid in the sandbox's root pid namespace.
    pub rootpid: Option<i64>,
}

/// Options of [`Runsc::checkpoint`](super::Runsc::checkpoint).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct CheckpointOpts {
    /// `--image-path`: the directory the checkpoint is written to.
    pub image_path: Option<PathBuf>,
    /// `--leave-running`: keep the container running after the checkpoint.
    pub leave_running: bool,
}

/// Options of [`Runsc::restore`](super::Runsc::restore).
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct RestoreOpts {
    /// `--image-path`: the checkpoint directory to restore from.
    pub image_path: Option<PathBuf>,
    /// `--detach`: return once the container is running again.
    pub detach: bool,
    /// `--pid-file`; made absolute.
    pub pid_file: Option<PathBuf>,
    /// `--console-socket`.
    pub console_socket: Option<PathBuf>,
    /// `--user-log`.
    pub user_log: Option<PathBuf>,
    /// The stdio runsc and the container get; `None` captures both.
    pub io: Option<Box<dyn Io>>,
}

impl CreateOpts {
    /// Sets [`pid_file`](Self::pid_file).
    pub fn with_pid_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.pid_file = Some(path.into());
        self
    }

    /// Sets [`console_socket`](Self::console_socket).
    pub fn with_console_socket(mut self, path: impl Into<PathBuf>) -> Self {
        self.console_socket = Some(path.into());
        self
    }

    /// Sets [`user_log`](Self::user_log).
    pub fn with_user_log(mut self, path: impl Into<PathBuf>) -> Self {
        self.user_log = Some(path.into());
        self
    }

    /// Sets [`io`](Self::io).
    pub fn with_io(mut self, io: impl Io + 'static) -> Self {
        self.io = Some(Box::new(io));
        self
    }
}

impl RunOpts {
    /// Sets [`pid_file`](Self::pid_file).
    pub fn with_pid_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.pid_file = Some(path.into());
        self
    }

    /// Sets [`console_socket`](Self::console_socket).
    pub fn with_console_socket(mut self, path: impl Into<PathBuf>) -> Self {
        self.console_socket = Some(path.into());
        self
    }

    /// Sets [`user_log`](Self::user_log).
    pub fn with_user_log(mut self, path: impl Into<PathBuf>) -> Self {
        self.user_log = Some(path.into());
        self
    }

    /// Sets [`detach`](Self::detach).
    pub fn with_detach(mut self, detach: bool) -> Self {
        self.detach = detach;
        self
    }

    /// Sets [`io`](Self::io).
    pub fn with_io(mut self, io: impl Io + 'static) -> Self {
        self.io = Some(Box::new(io));
        self
    }
}

impl ExecOpts {
    /// Sets [`pid_file`](Self::pid_file).
    pub fn with_pid_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.pid_file = Some(path.into());
        self
    }

    /// Sets [`internal_pid_file`](Self::internal_pid_file).
    pub fn with_internal_pid_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.internal_pid_file = Some(path.into());
        self
    }

    /// Sets [`console_socket`](Self::console_socket).
    pub fn with_console_socket(mut self, path: impl Into<PathBuf>) -> Self {
        self.console_socket = Some(path.into());
        self
    }

    /// Sets [`detach`](Self::detach).
    pub fn with_detach(mut self, detach: bool) -> Self {
        self.detach = detach;
        self
    }

    /// Sets [`io`](Self::io).
    pub fn with_io(mut self, io: impl Io + 'static) -> Self {
        self.io = Some(Box::new(io));
        self
    }
}

impl DeleteOpts {
    /// Sets [`force`](Self::force).
    pub fn with_force(mut self, force: bool) -> Self {
        self.force = force;
        self
    }
}

impl KillOpts {
    /// Sets [`all`](Self::all).
    pub fn with_all(mut self, all: bool) -> Self {
        self.all = all;
        self
    }

    /// Sets [`pid`](Self::pid).
    pub fn with_pid(mut self, pid: i64) -> Self {
        self.pid = Some(pid);
        self
    }
}

impl WaitOpts {
    /// Sets [`pid`](Self::pid).
    pub fn with_pid(mut self, pid: i64) -> Self {
        self.pid = Some(pid);
        self
    }

    /// Sets [`rootpid`](Self::rootpid).
    pub fn with_rootpid(mut self, rootpid: i64) -> Self {
        self.rootpid = Some(rootpid);
        self
    }
}

impl CheckpointOpts {
    /// Sets [`image_path`](Self::image_path).
    pub fn with_image_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.image_path = Some(path.into());
        self
    }

    /// Sets [`leave_running`](Self::leave_running).
    pub fn with_leave_running(mut self, leave_running: bool) -> Self {
        self.leave_running = leave_running;
        self
    }
}

impl RestoreOpts {
    /// Sets [`image_path`](Self::image_path).
    pub fn with_image_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.image_path = Some(path.into());
        self
    }

    /// Sets [`detach`](Self::detach).
    pub fn with_detach(mut self, detach: bool) -> Self {
        self.detach = detach;
        self
    }

    /// Sets [`pid_file`](Self::pid_file).
    pub fn with_pid_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.pid_file = Some(path.into());
        self
    }

    /// Sets [`console_socket`](Self::console_socket).
    pub fn with_console_socket(mut self, path: impl Into<PathBuf>) -> Self {
        self.console_socket = Some(path.into());
        self
    }

    /// Sets [`user_log`](Self::user_log).
    pub fn with_user_log(mut self, path: impl Into<PathBuf>) -> Self {
        self.user_log = Some(path.into());
        self
    }

    /// Sets [`io`](Self::io).
    pub fn with_io(mut self, io: impl Io + 'static) -> Self {
        self.io = Some(Box::new(io));
        self
    }
}

/// How a container process ended, for `run`, `exec` and `restore` that do
/// not detach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessExit {
    /// The exit code runsc passed on: the process's own code, or 128 + N
    /// for a process killed by signal N (runsc's convention, as a shell's).
    pub code: i32,
    /// What the process (and runsc) printed on stdout, when no `Io` was given.
    pub stdout: Captured,
    /// What the process (and runsc) printed on stderr, when no `Io` was given.
    pub stderr: Captured,
}

/// What [`Runsc::exec`](super::Runsc::exec) reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecOutcome {
    /// The process ran to its end (no `detach`).
    Exited(ProcessExit),
    /// runsc started the process and returned (`detach`).
    Detached {
        /// What runsc wrote to the pid file. runsc 20221219 writes the host
        /// pid of the `runsc` helper that waits on the process, not the
        /// process's own pid.
        pid: Option<u32>,
        /// The process's pid inside the sandbox, when `internal_pid_file`
        /// was given (usable with `wait --pid` and `kill --pid`).
        internal_pid: Option<u32>,
    },
}

impl ExecOutcome {
    /// The exit code, when the process ran to its end.
    pub fn code(&self) -> Option<i32> {
        match self {
            Self::Exited(exit) => Some(exit.code),
            Self::Detached { .. } => None,
        }
    }
}
