//! How runsc processes are started and reaped: the [`Monitor`] trait (the Go
//! client's `ProcessMonitor`), the default [`TokioMonitor`], and the
//! [`LoggingMonitor`] wrapper.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::process::ExitStatus;
use std::sync::Arc;

use tokio::process::{Child, Command};

/// The future a [`Monitor`] returns from [`Monitor::wait`].
pub type ExitFuture = Pin<Box<dyn Future<Output = io::Result<ExitStatus>> + Send + 'static>>;

/// Starts runsc processes and reports how they ended.
///
/// The client calls [`Monitor::start`] with a fully configured command (its
/// own process group, stdio set up) and then hands the child to
/// [`Monitor::wait`] on a task of its own, so the wait keeps going, and the
/// child gets reaped, even when the caller's future is dropped.
///
/// A containerd-style shim that reaps every child itself (a `SIGCHLD` handler
/// calling `waitpid(-1)`) would steal the exit status that tokio waits for.
/// Such a shim supplies its own monitor: `start` spawns the command while
/// holding the reaper's lock and registers the pid, and `wait` resolves to
/// the status the reaper recorded for that pid instead of calling
/// [`Child::wait`].
pub trait Monitor: Send + Sync + fmt::Debug + 'static {
    /// Spawns `command`.
    fn start(&self, command: &mut Command) -> io::Result<Child>;

    /// Resolves to the exit status of `child`, a child that
    /// [`Monitor::start`] returned. The future must reap the child (or leave
    /// that to whoever reaps for the shim), and must resolve once the child
    /// has exited, also after the client has killed its process group.
    fn wait(&self, child: Child) -> ExitFuture;
}

/// The default monitor: tokio spawns and reaps.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioMonitor;

impl Monitor for TokioMonitor {
    fn start(&self, command: &mut Command) -> io::Result<Child> {
        command.spawn()
    }

    fn wait(&self, mut child: Child) -> ExitFuture {
        Box::pin(async move { child.wait().await })
    }
}

/// A monitor that logs each command and its exit status at `debug` level
/// with `tracing`, then defers to another monitor (the Go client's
/// `LogMonitor`).
#[derive(Debug, Clone)]
pub struct LoggingMonitor {
    next: Arc<dyn Monitor>,
}

impl LoggingMonitor {
    /// Wraps `next`.
    pub fn new(next: Arc<dyn Monitor>) -> Self {
        Self { next }
    }
}

impl Default for LoggingMonitor {
    fn default() -> Self {
        Self::new(Arc::new(TokioMonitor))
    }
}

impl Monitor for LoggingMonitor {
    fn start(&self, command: &mut Command) -> io::Result<Child> {
        let std = command.as_std();
        let argv: Vec<_> = std::iter::once(std.get_program())
            .chain(std.get_args())
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let result = self.next.start(command);
        match &result {
            Ok(child) => tracing::debug!(?argv, pid = child.id(), "executing runsc"),
            Err(error) => tracing::debug!(?argv, %error, "cannot start runsc"),
        }
        result
    }

    fn wait(&self, child: Child) -> ExitFuture {
        let pid = child.id();
        let wait = self.next.wait(child);
        Box::pin(async move {
            let result = wait.await;
            match &result {
                Ok(status) => tracing::debug!(?pid, %status, "runsc exited"),
                Err(error) => tracing::debug!(?pid, %error, "waiting for runsc failed"),
            }
            result
        })
    }
}
