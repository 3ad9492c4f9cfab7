//! `exec` in a container whose processes run for real.
use std::time::Duration;

use runsc::cli;

use super::bundle::number_children;
use super::clock;
use super::real;
use super::store::{HostProcess, Process};
use super::wording::{fatal, CmdResult};
use super::{write_pid_file, ForwardSignals, Sim};

/// How long a foreground `exec` waits for its process before it looks for
/// signals to forward.
const SIGNAL_CHECK: Duration = Duration::from_millis(20);

impl Sim {
    /// Runs `args` (or `--process`) in the container's sandbox; in the
    /// foreground its status is the call's and signals are forwarded.
    pub(super) fn exec_real(
        &self,
        opts: &cli::Exec,
        id: &str,
        args: &[String],
        command: &str,
        ugly_detach: bool,
    ) -> CmdResult {
        let entry = self
            .store
            .read(id)?
            .ok_or_else(super::wording::missing_sandbox)?;
        let launch = real::exec_launch(&entry, opts, args)?;
        let handlers = (!opts.detach || ugly_detach).then(ForwardSignals::install);
        let handle = real::exec(&self.store, id, &launch, command)?;
        let pid = {
            let locked = self.store.lock()?;
            let mut entry = locked
                .read(id)?
                .ok_or_else(super::wording::missing_sandbox)?;
            let pid = entry.next_pid;
            let children = number_children(pid + 1, &launch.args);
            entry.next_pid = pid + 1 + children.len() as i32;
            entry.execs.push(Process {
                pid,
                args: launch.args.clone(),
                host: HostProcess::of(handle.pid),
                started_nanos: clock::now_nanos(),
                pending_signals: Vec::new(),
                exit_status: None,
                children,
            });
            locked.write(&entry)?;
            pid
        };
        let Some(handlers) = handlers else {
            let waiter = detached_waiter(handle)?;
            write_pid_file(opts.pid_file.as_deref(), waiter)?;
            if let Some(path) = opts.internal_pid_file.as_deref() {
                write_pid_file(Some(path), pid)?;
            }
            return Ok(0);
        };
        let status = loop {
            if let Some(sig) = handlers.received() {
                if let Ok(Some(entry)) = self.store.read(id) {
                    real::signal(&self.store, &entry, pid, sig);
                }
                handlers.die(sig);
            }
            match handle.poll(SIGNAL_CHECK) {
                Ok(Some(status)) => break status,
                Ok(None) => {}
                Err(e) => return Err(fatal(format!("executing processes for container: {e}"))),
            }
        };
        // runsc exec reaps the process it waited for.
        if let Ok(locked) = self.store.lock() {
            if let Ok(Some(mut entry)) = locked.read(id) {
                entry.execs.retain(|p| p.pid != pid);
                let _ = locked.write(&entry);
            }
        }
        Ok(if ugly_detach { 128 } else { status })
    }
}

/// Leaves behind a process that waits for a detached exec and exits with its
/// status, and returns its pid, which `--pid-file` names: runsc's
/// `exec --detach` does the same (it re-runs itself in the foreground), and a
/// caller that reaps that pid, such as containerd's shim, learns the exit
/// status of the exec that way.
fn detached_waiter(handle: crate::host::ExecHandle) -> Result<i32, super::wording::Failure> {
    // SAFETY: the fake is single-threaded; the child only waits on a socket
    // and leaves with `_exit`.
    match unsafe { nix::unistd::fork() } {
        Ok(nix::unistd::ForkResult::Child) => {
            let status = loop {
                match handle.poll(Duration::from_secs(3600)) {
                    Ok(Some(status)) => break status,
                    Ok(None) => {}
                    Err(_) => break 128 + 9,
                }
            };
            // SAFETY: ends the forked child without the parent's exit handlers.
            unsafe { nix::libc::_exit(status) }
        }
        Ok(nix::unistd::ForkResult::Parent { child }) => Ok(child.as_raw()),
        Err(errno) => Err(fatal(format!(
            "executing processes for container: fake-runsc cannot fork the exec's waiter: {errno}"
        ))),
    }
}
