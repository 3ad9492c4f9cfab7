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
use std::time::Duration;

use super::io::Io;
use super::Captured;
use crate::cli::WaitCheckpoint;

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
    /// `--fs-restore-image-path` (runsc 20260817): restore the root
    /// filesystem from an image [`Runsc::fscheckpoint`](super::Runsc::fscheckpoint) wrote.
    pub fs_restore_image_path: Option<PathBuf>,
    /// `--fs-restore-direct` (runsc 20260817): read that image with O_DIRECT.
    pub fs_restore_direct: bool,
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
    /// `--fs-restore-image-path` (runsc 20260817): restore the root
    /// filesystem from an image [`Runsc::fscheckpoint`](super::Runsc::fscheckpoint) wrote.
    pub fs_restore_image_path: Option<PathBuf>,
    /// `--fs-restore-direct` (runsc 20260817): read that image with O_DIRECT.
    pub fs_restore_direct: bool,
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
    /// `--pgid` (runsc 20260817): signal one process group, by its id in the
    /// sandbox's root pid namespace. runsc refuses more than one of `all`,
    /// `pid` and `pgid`.
    pub pgid: Option<i64>,
}

/// Options of [`Runsc::wait`](super::Runsc::wait).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct WaitOpts {
    /// `--pid`: wait for a process by its pid in the container's pid namespace.
    pub pid: Option<i64>,
    /// `--rootpid`: wait for a process by its pid in the sandbox's root pid namespace.
    pub rootpid: Option<i64>,
    /// `--checkpoint`: wait for a checkpoint rather than an exit, with
    /// [`Runsc::wait_event`](super::Runsc::wait_event). runsc 20260817 has
    /// it as a switch ([`WaitCheckpoint::Next`], set with
    /// [`with_checkpoint`](Self::with_checkpoint)); runsc 20241021 as a
    /// checkpoint number ([`WaitCheckpoint::Nth`], set with
    /// [`with_checkpoint_number`](Self::with_checkpoint_number)). Each
    /// release refuses the other's form.
    pub checkpoint: Option<WaitCheckpoint>,
    /// `--restore` (runsc 20260817): wait for the restore to finish, with
    /// [`Runsc::wait_event`](super::Runsc::wait_event).
    pub restore: bool,
    /// `--fscheckpoint` (runsc 20260817): wait for the next filesystem
    /// checkpoint to finish, with [`Runsc::wait_event`](super::Runsc::wait_event).
    pub fscheckpoint: bool,
    /// `--fsrestore` (runsc 20260817): wait for the filesystem restore to
    /// finish, with [`Runsc::wait_event`](super::Runsc::wait_event).
    pub fsrestore: bool,
}

/// Options of [`Runsc::checkpoint`](super::Runsc::checkpoint).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct CheckpointOpts {
    /// `--image-path`: the directory the checkpoint is written to.
    pub image_path: Option<PathBuf>,
    /// `--leave-running`: keep the container running after the checkpoint.
    pub leave_running: bool,
    /// `--direct` (runsc 20241021): write the image with O_DIRECT.
    pub direct: bool,
    /// `--compression` (runsc 20241021): how the image is compressed
    /// (`none`, `flate-best-speed`).
    pub compression: Option<String>,
    /// `--exclude-committed-zero-pages` (runsc 20241021): leave pages that
    /// hold only zeros out of the image.
    pub exclude_committed_zero_pages: bool,
    /// `--save-restore-exec-argv` (runsc 20260817): a command line (split at
    /// spaces) runsc runs in the sandbox before saving and after restoring;
    /// its failure fails the checkpoint.
    pub save_restore_exec_argv: Option<String>,
    /// `--save-restore-exec-timeout` (runsc 20260817): how long that command
    /// may take (runsc's default is ten minutes). Rendered as a Go duration.
    pub save_restore_exec_timeout: Option<Duration>,
    /// `--cuda-checkpoint-path` (runsc 20260817): the `cuda-checkpoint`
    /// binary inside the container.
    pub cuda_checkpoint_path: Option<PathBuf>,
    /// `--cuda-checkpoint-sequential` (runsc 20260817): run
    /// `cuda-checkpoint` for one process at a time.
    pub cuda_checkpoint_sequential: bool,
    /// `--work-path`: accepted for Docker's sake and ignored by runsc.
    pub work_path: Option<PathBuf>,
    /// `--fs-checkpoint-paths` (runsc 20260817): comma-separated
    /// `container:path` targets saved as separate filesystem checkpoints
    /// (`all-tmpfs` for every tmpfs).
    pub fs_checkpoint_paths: Option<String>,
}

/// Options of [`Runsc::fscheckpoint`](super::Runsc::fscheckpoint) (runsc 20260817).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct FsCheckpointOpts {
    /// `--image-path`: the directory the filesystem image is written to.
    pub image_path: Option<PathBuf>,
    /// `--leave-running`: keep the container running afterwards.
    pub leave_running: bool,
    /// `--direct`: write the image with O_DIRECT.
    pub direct: bool,
    /// `--path`, repeated: the paths to save.
    pub paths: Vec<String>,
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
    /// `--direct` (runsc 20241021): read the image with O_DIRECT.
    pub direct: bool,
    /// `--background` (runsc 20241021): let the image keep loading after
    /// runsc returns (the image must be uncompressed).
    pub background: bool,
    /// `--fs-restore-image-path` (runsc 20260817): restore the root
    /// filesystem from an image [`Runsc::fscheckpoint`](super::Runsc::fscheckpoint) wrote.
    pub fs_restore_image_path: Option<PathBuf>,
    /// `--fs-restore-direct` (runsc 20260817): read that image with O_DIRECT.
    pub fs_restore_direct: bool,
    /// `--split-fsrestore` (runsc 20260817): the checkpoint keeps filesystem
    /// snapshots in files apart from the sandbox state.
    pub split_fsrestore: bool,
    /// The stdio runsc and the container get; `None` captures both.
    pub io: Option<Box<dyn Io>>,
}

/// The `with_` setters the options share: a path (`Option<PathBuf>`), a
/// switch (`bool`), or the caller's stdio (`Io`).
macro_rules! setter {
    (path $setter:ident $field:ident) => {
        #[doc = concat!("Sets [`", stringify!($field), "`](Self::", stringify!($field), ").")]
        pub fn $setter(mut self, path: impl Into<PathBuf>) -> Self {
            self.$field = Some(path.into());
            self
        }
    };
    (switch $setter:ident $field:ident) => {
        #[doc = concat!("Sets [`", stringify!($field), "`](Self::", stringify!($field), ").")]
        pub fn $setter(mut self, $field: bool) -> Self {
            self.$field = $field;
            self
        }
    };
    (io) => {
        /// Sets [`io`](Self::io).
        pub fn with_io(mut self, io: impl Io + 'static) -> Self {
            self.io = Some(Box::new(io));
            self
        }
    };
}

impl CreateOpts {
    setter!(path with_pid_file pid_file);
    setter!(path with_console_socket console_socket);
    setter!(path with_user_log user_log);
    setter!(path with_fs_restore_image_path fs_restore_image_path);
    setter!(switch with_fs_restore_direct fs_restore_direct);
    setter!(io);
}

impl RunOpts {
    setter!(path with_pid_file pid_file);
    setter!(path with_console_socket console_socket);
    setter!(path with_user_log user_log);
    setter!(switch with_detach detach);
    setter!(path with_fs_restore_image_path fs_restore_image_path);
    setter!(switch with_fs_restore_direct fs_restore_direct);
    setter!(io);
}

impl ExecOpts {
    setter!(path with_pid_file pid_file);
    setter!(path with_internal_pid_file internal_pid_file);
    setter!(path with_console_socket console_socket);
    setter!(switch with_detach detach);
    setter!(io);
}

impl DeleteOpts {
    setter!(switch with_force force);
}

impl KillOpts {
    setter!(switch with_all all);

    /// Sets [`pid`](Self::pid).
    pub fn with_pid(mut self, pid: i64) -> Self {
        self.pid = Some(pid);
        self
    }

    /// Sets [`pgid`](Self::pgid) (runsc 20260817).
    pub fn with_pgid(mut self, pgid: i64) -> Self {
        self.pgid = Some(pgid);
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

    /// Waits for the next checkpoint, runsc 20260817's `--checkpoint`
    /// switch (`false` clears [`checkpoint`](Self::checkpoint)).
    pub fn with_checkpoint(mut self, checkpoint: bool) -> Self {
        self.checkpoint = checkpoint.then_some(WaitCheckpoint::Next);
        self
    }

    /// Waits for the `n`th checkpoint, runsc 20241021's `--checkpoint N`
    /// (runsc reads 0 as "not set").
    pub fn with_checkpoint_number(mut self, n: u64) -> Self {
        self.checkpoint = Some(WaitCheckpoint::Nth(n));
        self
    }

    /// Sets [`restore`](Self::restore) (runsc 20260817).
    pub fn with_restore(mut self, restore: bool) -> Self {
        self.restore = restore;
        self
    }

    /// Sets [`fscheckpoint`](Self::fscheckpoint) (runsc 20260817).
    pub fn with_fscheckpoint(mut self, fscheckpoint: bool) -> Self {
        self.fscheckpoint = fscheckpoint;
        self
    }

    /// Sets [`fsrestore`](Self::fsrestore) (runsc 20260817).
    pub fn with_fsrestore(mut self, fsrestore: bool) -> Self {
        self.fsrestore = fsrestore;
        self
    }

    /// How many of the checkpoint and restore events are set.
    pub(crate) fn events(&self) -> usize {
        [
            self.checkpoint.is_some(),
            self.restore,
            self.fscheckpoint,
            self.fsrestore,
        ]
        .into_iter()
        .filter(|set| *set)
        .count()
    }
}

impl CheckpointOpts {
    setter!(path with_image_path image_path);
    setter!(switch with_leave_running leave_running);

    /// Sets [`direct`](Self::direct) (runsc 20241021).
    pub fn with_direct(mut self, direct: bool) -> Self {
        self.direct = direct;
        self
    }

    /// Sets [`compression`](Self::compression) (runsc 20241021).
    pub fn with_compression(mut self, compression: impl Into<String>) -> Self {
        self.compression = Some(compression.into());
        self
    }

    /// Sets [`exclude_committed_zero_pages`](Self::exclude_committed_zero_pages)
    /// (runsc 20241021).
    pub fn with_exclude_committed_zero_pages(mut self, exclude: bool) -> Self {
        self.exclude_committed_zero_pages = exclude;
        self
    }

    /// Sets [`save_restore_exec_argv`](Self::save_restore_exec_argv) (runsc 20260817).
    pub fn with_save_restore_exec_argv(mut self, argv: impl Into<String>) -> Self {
        self.save_restore_exec_argv = Some(argv.into());
        self
    }

    /// Sets [`save_restore_exec_timeout`](Self::save_restore_exec_timeout)
    /// (runsc 20260817).
    pub fn with_save_restore_exec_timeout(mut self, timeout: Duration) -> Self {
        self.save_restore_exec_timeout = Some(timeout);
        self
    }

    /// Sets [`cuda_checkpoint_path`](Self::cuda_checkpoint_path) (runsc 20260817).
    pub fn with_cuda_checkpoint_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.cuda_checkpoint_path = Some(path.into());
        self
    }

    /// Sets [`cuda_checkpoint_sequential`](Self::cuda_checkpoint_sequential)
    /// (runsc 20260817).
    pub fn with_cuda_checkpoint_sequential(mut self, sequential: bool) -> Self {
        self.cuda_checkpoint_sequential = sequential;
        self
    }

    setter!(path with_work_path work_path);

    /// Sets [`fs_checkpoint_paths`](Self::fs_checkpoint_paths) (runsc 20260817).
    pub fn with_fs_checkpoint_paths(mut self, paths: impl Into<String>) -> Self {
        self.fs_checkpoint_paths = Some(paths.into());
        self
    }
}

impl FsCheckpointOpts {
    setter!(path with_image_path image_path);
    setter!(switch with_leave_running leave_running);
    setter!(switch with_direct direct);

    /// Adds a [`paths`](Self::paths) entry.
    pub fn with_path(mut self, path: impl Into<String>) -> Self {
        self.paths.push(path.into());
        self
    }
}

impl RestoreOpts {
    setter!(path with_image_path image_path);
    setter!(switch with_detach detach);
    setter!(path with_pid_file pid_file);
    setter!(path with_console_socket console_socket);
    setter!(path with_user_log user_log);

    /// Sets [`direct`](Self::direct) (runsc 20241021).
    pub fn with_direct(mut self, direct: bool) -> Self {
        self.direct = direct;
        self
    }

    /// Sets [`background`](Self::background) (runsc 20241021).
    pub fn with_background(mut self, background: bool) -> Self {
        self.background = background;
        self
    }

    setter!(path with_fs_restore_image_path fs_restore_image_path);
    setter!(switch with_fs_restore_direct fs_restore_direct);

    /// Sets [`split_fsrestore`](Self::split_fsrestore) (runsc 20260817).
    pub fn with_split_fsrestore(mut self, split: bool) -> Self {
        self.split_fsrestore = split;
        self
    }

    setter!(io);
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
