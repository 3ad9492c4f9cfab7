//! Where runsc's stdio goes: the [`Io`] trait and the ready-made
//! [`ProcessIo`].
//!
//! runsc hands its own stdin, stdout and stderr to the container (the sandbox
//! inherits them), so an `Io` given to `create`, `start`, `run` or `exec` is
//! the container process's stdio as well as runsc's.

use std::fmt;
use std::io;
use std::os::fd::OwnedFd;
use std::process::Stdio;
use std::sync::Mutex;

use nix::fcntl::OFlag;
use nix::unistd::{Gid, Uid};
use tokio::net::unix::pipe;
use tokio::process::Command;

use crate::Error;

/// One stream of an [`Io`].
enum Slot {
    Null,
    Inherit,
    /// A descriptor the call hands to runsc and then closes in this process,
    /// so that the caller sees EOF once the container lets go of it.
    Fd(Mutex<Option<OwnedFd>>),
}

impl Slot {
    fn fd(fd: OwnedFd) -> Self {
        Self::Fd(Mutex::new(Some(fd)))
    }

    fn take(&self, stream: &str) -> Result<Stdio, Error> {
        match self {
            Self::Null => Ok(Stdio::null()),
            Self::Inherit => Ok(Stdio::inherit()),
            Self::Fd(slot) => {
                let taken = match slot.lock() {
                    Ok(mut guard) => guard.take(),
                    Err(poisoned) => poisoned.into_inner().take(),
                };
                taken.map(Stdio::from).ok_or_else(|| {
                    Error::invalid(
                        "io",
                        stream,
                        "its descriptor was already handed to an earlier call; make a new ProcessIo for each call",
                    )
                })
            }
        }
    }

    fn describe(&self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Inherit => "inherit",
            Self::Fd(slot) => match slot.lock().map(|g| g.is_some()) {
                Ok(true) => "fd",
                _ => "fd (used)",
            },
        }
    }
}

/// Gives runsc (and with it the container) its stdin, stdout and stderr for
/// one call, like the Go client's `IO.Set`.
///
/// [`ProcessIo`] covers null, inherited, piped and descriptor stdio;
/// implement this trait for anything else (a logging relay, a pty, files
/// opened per call). `set` runs once per spawn, before runsc starts; it
/// should only set the three streams. Whatever descriptors it hands over
/// are closed in this process once runsc has started, because the
/// command that holds them is dropped then.
pub trait Io: fmt::Debug + Send + Sync {
    /// Sets `command`'s stdin, stdout and stderr. An error here fails the
    /// call before anything is spawned.
    fn set(&self, command: &mut Command) -> Result<(), Error>;
}

/// The ready-made [`Io`]: null, inherited, piped or given descriptors.
///
/// [`ProcessIo::null`] and [`ProcessIo::inherit`] can serve any number of
/// calls. One built from descriptors ([`ProcessIo::piped`],
/// [`ProcessIo::from_fds`]) serves one call: the call hands the descriptors
/// to runsc and closes them here right after the spawn (go-runc's
/// `CloseAfterStart`), so that the caller's ends see EOF once the container
/// closes its stdio.
pub struct ProcessIo {
    stdin: Slot,
    stdout: Slot,
    stderr: Slot,
}

impl fmt::Debug for ProcessIo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProcessIo")
            .field("stdin", &self.stdin.describe())
            .field("stdout", &self.stdout.describe())
            .field("stderr", &self.stderr.describe())
            .finish()
    }
}

/// The caller's ends of the pipes made by [`ProcessIo::piped`].
#[derive(Debug)]
pub struct IoPipes {
    /// Writes to the container's stdin; drop it to send EOF.
    pub stdin: pipe::Sender,
    /// Reads the container's (and runsc's) stdout.
    pub stdout: pipe::Receiver,
    /// Reads the container's (and runsc's) stderr.
    pub stderr: pipe::Receiver,
}

impl ProcessIo {
    /// `/dev/null` for all three streams.
    pub fn null() -> Self {
        Self {
            stdin: Slot::Null,
            stdout: Slot::Null,
            stderr: Slot::Null,
        }
    }

    /// This process's own stdin, stdout and stderr.
    ///
    /// runsc runs in a process group of its own, so when stdin is a terminal
    /// the container reads it as a background process and the kernel stops
    /// it; give interactive containers a [`ConsoleSocket`](super::ConsoleSocket).
    pub fn inherit() -> Self {
        Self {
            stdin: Slot::Inherit,
            stdout: Slot::Inherit,
            stderr: Slot::Inherit,
        }
    }

    /// Three new pipes: runsc gets one end of each, the caller the other.
    /// Must be called within a tokio runtime, which drives the caller's ends.
    pub fn piped() -> Result<(Self, IoPipes), Error> {
        Self::make_pipes(None)
    }

    /// Like [`ProcessIo::piped`], with runsc's ends (the read end of stdin,
    /// the write ends of stdout and stderr) owned by `uid` and `gid`, as the
    /// Go client's `NewPipeIO(uid, gid)`: a container process running as
    /// that user can then reopen them (`/dev/stdout`, `/proc/self/fd/1`).
    /// Changing the owner to another user needs `CAP_CHOWN`; without it
    /// this fails with [`Error::Io`].
    pub fn piped_owned_by(uid: u32, gid: u32) -> Result<(Self, IoPipes), Error> {
        Self::make_pipes(Some((Uid::from_raw(uid), Gid::from_raw(gid))))
    }

    fn make_pipes(owner: Option<(Uid, Gid)>) -> Result<(Self, IoPipes), Error> {
        let (stdin_read, stdin_write) = new_pipe()?;
        let (stdout_read, stdout_write) = new_pipe()?;
        let (stderr_read, stderr_write) = new_pipe()?;
        if let Some((uid, gid)) = owner {
            for fd in [&stdin_read, &stdout_write, &stderr_write] {
                use std::os::fd::AsRawFd;
                nix::unistd::fchown(fd.as_raw_fd(), Some(uid), Some(gid)).map_err(|errno| {
                    Error::Io {
                        context: format!(
                            "giving runsc's ends of the stdio pipes to uid {uid} and gid {gid}"
                        ),
                        source: io::Error::from(errno),
                    }
                })?;
            }
        }
        let pipes = IoPipes {
            stdin: pipe::Sender::from_owned_fd(stdin_write).map_err(pipe_error)?,
            stdout: pipe::Receiver::from_owned_fd(stdout_read).map_err(pipe_error)?,
            stderr: pipe::Receiver::from_owned_fd(stderr_read).map_err(pipe_error)?,
        };
        let io = Self::from_fds(stdin_read, stdout_write, stderr_write);
        Ok((io, pipes))
    }

    /// Any three descriptors (files, sockets, pipes, a pty slave); each is
    /// closed in this process once runsc has started.
    pub fn from_fds(
        stdin: impl Into<OwnedFd>,
        stdout: impl Into<OwnedFd>,
        stderr: impl Into<OwnedFd>,
    ) -> Self {
        Self {
            stdin: Slot::fd(stdin.into()),
            stdout: Slot::fd(stdout.into()),
            stderr: Slot::fd(stderr.into()),
        }
    }
}

impl Io for ProcessIo {
    fn set(&self, command: &mut Command) -> Result<(), Error> {
        let stdin = self.stdin.take("stdin")?;
        let stdout = self.stdout.take("stdout")?;
        let stderr = self.stderr.take("stderr")?;
        command.stdin(stdin).stdout(stdout).stderr(stderr);
        Ok(())
    }
}

/// A close-on-exec pipe: (read end, write end).
pub(crate) fn new_pipe() -> Result<(OwnedFd, OwnedFd), Error> {
    nix::unistd::pipe2(OFlag::O_CLOEXEC).map_err(|errno| Error::Io {
        context: "creating a pipe for runsc's stdio".to_owned(),
        source: io::Error::from(errno),
    })
}

fn pipe_error(source: io::Error) -> Error {
    Error::Io {
        context:
            "registering a pipe with the tokio runtime (call ProcessIo::piped within a runtime)"
                .to_owned(),
        source,
    }
}
