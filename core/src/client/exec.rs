//! Running one runsc invocation: spawn it in its own process group, drain
//! stdout and stderr concurrently with a bound, wait for it through the
//! [`Monitor`](super::Monitor), enforce the deadline, and kill the whole group
//! when the call is abandoned. The client module's docs explain why a call
//! ends at runsc's exit rather than at EOF.

use std::ffi::OsString;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use nix::sys::signal::{killpg, Signal as NixSignal};
use nix::unistd::Pid;
use tokio::io::AsyncWriteExt;
use tokio::net::unix::pipe;
use tokio::process::Command;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::io::{new_pipe, Io};
use super::logfile::{LogMark, LogReading};
use super::Inner;
use crate::Error;

/// Read size for the drain tasks.
const CHUNK: usize = 64 * 1024;

/// After runsc exits, a drain reads at most this much more: everything runsc
/// wrote is already in the pipe, and a pipe holds at most
/// `/proc/sys/fs/pipe-max-size` (1 MiB by default). The bound keeps a
/// container that keeps writing into the inherited pipe from holding the call.
const AFTER_EXIT_LIMIT: usize = 1024 * 1024;

/// What one stream of runsc printed, up to the client's output limit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Captured {
    /// The first bytes, at most the output limit.
    pub bytes: Vec<u8>,
    /// How many bytes came after the limit and were not kept.
    pub dropped: u64,
}

impl Captured {
    fn push(&mut self, chunk: &[u8], limit: usize) {
        let room = limit.saturating_sub(self.bytes.len());
        let keep = room.min(chunk.len());
        self.bytes.extend_from_slice(&chunk[..keep]);
        self.dropped += (chunk.len() - keep) as u64;
    }

    /// How many bytes the stream carried in all.
    pub fn total(&self) -> u64 {
        self.bytes.len() as u64 + self.dropped
    }

    /// The text, lossily decoded, with a note when bytes were dropped.
    pub fn to_text(&self) -> String {
        let mut text = String::from_utf8_lossy(&self.bytes).into_owned();
        if self.dropped > 0 {
            text.push_str(&format!(
                "... ({} more bytes not kept; see RunscBuilder::output_limit)",
                self.dropped
            ));
        }
        text
    }
}

/// Kills runsc's process group (or, when runsc shares the caller's group,
/// runsc alone) when dropped while armed: on a deadline, a dropped call
/// future or a dropped event stream.
#[derive(Debug)]
pub(crate) struct GroupGuard {
    target: Option<KillTarget>,
}

#[derive(Debug, Clone, Copy)]
enum KillTarget {
    Group(Pid),
    Process(Pid),
}

impl GroupGuard {
    /// Kills the group (or runsc) now (idempotent).
    pub(crate) fn kill(&mut self) {
        // ESRCH means the target is already gone, which is the goal.
        match self.target.take() {
            Some(KillTarget::Group(pgid)) => {
                let _ = killpg(pgid, NixSignal::SIGKILL);
            }
            Some(KillTarget::Process(pid)) => {
                let _ = nix::sys::signal::kill(pid, NixSignal::SIGKILL);
            }
            None => {}
        }
    }

    /// runsc has exited on its own: leave the group alone, since what is
    /// left in it (a daemon of runsc's) is meant to outlive the call.
    pub(crate) fn disarm(&mut self) {
        self.target = None;
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One invocation to run.
pub(crate) struct Call<'a> {
    /// Arguments after the program name.
    pub args: Vec<OsString>,
    /// Bytes to write to runsc's stdin (then EOF).
    pub stdin: Option<Vec<u8>>,
    /// The caller's stdio for runsc; `None` captures stdout and stderr.
    pub io: Option<&'a dyn Io>,
    /// Why the call must not run at all (the configured release lacks an
    /// option it uses); reported by `spawn` before anything starts.
    pub refused: Option<Error>,
}

/// A started runsc.
pub(crate) struct Spawned {
    pub argv: Vec<OsString>,
    pub guard: GroupGuard,
    pub exit: JoinHandle<io::Result<ExitStatus>>,
    pub stdout: Option<pipe::Receiver>,
    pub stderr: Option<pipe::Receiver>,
    pub log_mark: Option<LogMark>,
}

/// A call that ran to runsc's exit.
#[derive(Debug)]
pub(crate) struct Finished {
    pub argv: Vec<OsString>,
    pub status: ExitStatus,
    pub stdout: Captured,
    pub stderr: Captured,
    /// What runsc's `--log` said about a failed call.
    pub log: LogReading,
    /// Whether stderr was captured (no `Io` given).
    pub captured: bool,
}

impl Finished {
    /// The call as an error, whatever its status.
    pub(crate) fn into_error(self) -> Error {
        Error::Failed {
            argv: self.argv,
            status: self.status,
            stderr: self.stderr.to_text(),
            runsc_error: self.log.error().map(str::to_owned),
        }
    }

    /// `Ok` when runsc exited 0.
    pub(crate) fn success(self) -> Result<Self, Error> {
        if self.status.success() {
            Ok(self)
        } else {
            Err(self.into_error())
        }
    }

    /// stdout, refusing output that was cut at the limit: decoding a
    /// truncated document would only report a misleading syntax error.
    pub(crate) fn whole_stdout(&self, limit: usize) -> Result<&[u8], Error> {
        if self.stdout.dropped > 0 {
            return Err(Error::OutputLimit {
                argv: self.argv.clone(),
                limit,
                total: self.stdout.total(),
            });
        }
        Ok(&self.stdout.bytes)
    }
}

fn io_error(context: &str, source: io::Error) -> Error {
    Error::Io {
        context: context.to_owned(),
        source,
    }
}

/// A pipe whose write end goes to runsc and whose read end is registered
/// with the runtime.
fn capture_pipe() -> Result<(pipe::Receiver, OwnedFd), Error> {
    let (read, write) = new_pipe()?;
    let rx = pipe::Receiver::from_owned_fd(read)
        .map_err(|e| io_error("registering runsc's output pipe with the runtime", e))?;
    Ok((rx, write))
}

impl Inner {
    /// Starts runsc for `call`.
    pub(crate) fn spawn(&self, call: Call<'_>) -> Result<Spawned, Error> {
        if let Some(refused) = call.refused {
            return Err(refused);
        }
        let mut argv = Vec::with_capacity(call.args.len() + 1);
        argv.push(self.command.clone().into_os_string());
        argv.extend(call.args);

        let log_mark = self.global.log.as_deref().map(LogMark::before);

        let mut command = Command::new(&self.command);
        command.args(&argv[1..]);
        command.envs(self.envs.iter().map(|(k, v)| (k, v)));
        // Own process group (unless the caller chose otherwise), so that a
        // deadline or a drop can kill runsc and whatever it started in one
        // signal.
        if self.process_group {
            command.process_group(0);
        }
        if let Some(signal) = self.pdeath_signal {
            // SAFETY: the closure runs in the child between fork and exec and
            // makes only the prctl system call, which is async-signal-safe.
            unsafe {
                command.pre_exec(move || {
                    nix::sys::prctl::set_pdeathsig(signal).map_err(io::Error::from)
                });
            }
        }

        let (mut stdout, mut stderr) = (None, None);
        match call.io {
            Some(io) => {
                io.set(&mut command)?;
            }
            None => {
                let (out_rx, out_tx) = capture_pipe()?;
                let (err_rx, err_tx) = capture_pipe()?;
                stdout = Some(out_rx);
                stderr = Some(err_rx);
                command
                    .stdout(Stdio::from(out_tx))
                    .stderr(Stdio::from(err_tx));
                command.stdin(Stdio::null());
            }
        }
        if call.stdin.is_some() {
            command.stdin(Stdio::piped());
        }

        let spawned = self.monitor.start(&mut command);
        // Dropping the command closes this process's copies of the child's
        // pipe ends; only runsc (and what it starts) holds them now.
        drop(command);
        let mut child = spawned.map_err(|source| Error::Spawn {
            program: self.command.clone(),
            source,
        })?;
        let own_group = self.process_group;
        let guard = GroupGuard {
            target: child
                .id()
                .and_then(|pid| i32::try_from(pid).ok())
                .map(Pid::from_raw)
                .map(|pid| {
                    if own_group {
                        KillTarget::Group(pid)
                    } else {
                        KillTarget::Process(pid)
                    }
                }),
        };

        if let (Some(bytes), Some(mut writer)) = (call.stdin, child.stdin.take()) {
            // runsc reads stdin to the end before acting, so this cannot
            // block the call; a runsc that exits early only makes it fail
            // with EPIPE, which its exit status reports better.
            tokio::spawn(async move {
                let _ = writer.write_all(&bytes).await;
                let _ = writer.shutdown().await;
            });
        }

        let exit = tokio::spawn(self.monitor.wait(child));
        Ok(Spawned {
            argv,
            guard,
            exit,
            stdout,
            stderr,
            log_mark,
        })
    }

    /// Runs `call` to runsc's exit, under the deadline `timeout`.
    pub(crate) async fn run_call(
        &self,
        call: Call<'_>,
        timeout: Option<Duration>,
    ) -> Result<Finished, Error> {
        let Spawned {
            argv,
            mut guard,
            mut exit,
            stdout,
            stderr,
            log_mark,
        } = self.spawn(call)?;
        let captured = stderr.is_some();

        let limit = self.output_limit;
        let (stop_out, out_task) = start_drain(stdout, limit);
        let (stop_err, err_task) = start_drain(stderr, limit);

        let waited = match timeout {
            Some(after) => match tokio::time::timeout(after, &mut exit).await {
                Ok(waited) => waited,
                Err(_) => {
                    guard.kill();
                    // Reap before reporting, so the caller never sees a zombie.
                    let _ = exit.await;
                    return Err(Error::Timeout { argv, after });
                }
            },
            None => exit.await,
        };
        let status = match waited {
            Ok(Ok(status)) => status,
            Ok(Err(e)) => return Err(io_error("waiting for runsc to exit", e)),
            Err(join) => {
                return Err(io_error(
                    "waiting for runsc to exit",
                    io::Error::other(join.to_string()),
                ))
            }
        };
        guard.disarm();

        let stdout = finish_drain(stop_out, out_task).await;
        let stderr = finish_drain(stop_err, err_task).await;
        let log = match (&log_mark, status.success()) {
            (Some(mark), false) => mark.read(),
            (Some(_), true) => LogReading::Read(None),
            (None, _) => LogReading::NotConfigured,
        };
        Ok(Finished {
            argv,
            status,
            stdout,
            stderr,
            log,
            captured,
        })
    }
}

type Drain = (Option<oneshot::Sender<()>>, Option<JoinHandle<Captured>>);

pub(crate) fn start_drain(rx: Option<pipe::Receiver>, limit: usize) -> Drain {
    match rx {
        Some(rx) => {
            let (stop_tx, stop_rx) = oneshot::channel();
            (Some(stop_tx), Some(tokio::spawn(drain(rx, limit, stop_rx))))
        }
        None => (None, None),
    }
}

pub(crate) async fn finish_drain(
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Captured>>,
) -> Captured {
    if let Some(stop) = stop {
        let _ = stop.send(());
    }
    match task {
        Some(task) => task.await.unwrap_or_default(),
        None => Captured::default(),
    }
}

/// Reads `rx` into a bounded buffer until EOF, or until told that runsc has
/// exited (or the call was abandoned), and then only what is already buffered.
async fn drain(rx: pipe::Receiver, limit: usize, mut stop: oneshot::Receiver<()>) -> Captured {
    let mut out = Captured::default();
    let mut buf = vec![0u8; CHUNK];
    loop {
        tokio::select! {
            // Stop first: a container that keeps writing into an inherited
            // pipe must not keep the drain (and so the call) going.
            biased;
            _ = &mut stop => {
                read_buffered(&rx, &mut buf, &mut out, limit);
                return out;
            }
            ready = rx.readable() => {
                if ready.is_err() {
                    return out;
                }
                match rx.try_read(&mut buf) {
                    Ok(0) => return out,
                    Ok(n) => out.push(&buf[..n], limit),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => return out,
                }
            }
        }
    }
}

/// Non-blocking reads of what `rx` holds right now, up to [`AFTER_EXIT_LIMIT`].
///
/// This reads the descriptor directly: `try_read` trusts the runtime's cached
/// readiness, which may not yet know about bytes that arrived just before
/// runsc exited.
pub(crate) fn read_buffered(rx: &pipe::Receiver, buf: &mut [u8], out: &mut Captured, limit: usize) {
    let mut read = 0;
    while read < AFTER_EXIT_LIMIT {
        // The descriptor is non-blocking: tokio set O_NONBLOCK when it
        // registered the pipe.
        match nix::unistd::read(rx.as_raw_fd(), buf) {
            Ok(0) => return,
            Ok(n) => {
                out.push(&buf[..n], limit);
                read += n;
            }
            Err(nix::errno::Errno::EINTR) => {}
            Err(_) => return,
        }
    }
}
