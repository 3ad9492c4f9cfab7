//! `exec`: a new process in a running container, in the foreground (its
//! status is the call's, signals are forwarded) or detached.
use runsc::cli;

use super::bundle::{missing_binary, number_children, read_process_file, unresolvable};
use super::clock;
use super::process;
use super::program;
use super::store::{HostProcess, Process, Status};
use super::wording::{fatal, missing_sandbox, CmdResult, Failure, Load};
use super::{effective_status, wait_status, write_pid_file, Backoff, ForwardSignals, Sim};
use crate::signals::{signaled, SIGKILL};

impl Sim {
    /// `exec ID ARGS...` / `exec --process FILE ID`.
    pub fn exec(&self, opts: &cli::Exec) -> CmdResult {
        // A command beside --process is refused before anything is loaded,
        // with the same words as a detached --process without --pid-file.
        if opts.process.is_some() && !opts.args.is_empty() {
            return Err(process_spec_refusal());
        }
        let (mut args, process_path) = match &opts.process {
            Some(path) => read_process_file(path)?,
            None => (opts.args.clone(), None),
        };
        let env_path = opts
            .env
            .iter()
            .rev()
            .find_map(|kv| kv.strip_prefix("PATH="))
            .map(str::to_owned);
        let mut ugly_detach = false;
        if opts.detach && opts.pid_file.is_none() {
            // runsc re-executes itself without --detach and appends its own
            // --pid-file flag after the command, where the command sees it.
            if opts.process.is_some() {
                return Err(process_spec_refusal());
            }
            args.push(format!(
                "--pid-file=/tmp/exec-pid-{}/pid",
                std::process::id()
            ));
            ugly_detach = true;
        }
        let argv0 = args.first().cloned().unwrap_or_default();
        // runsc quotes the whole command line in its messages.
        let command = args.join(" ");
        let id = &self.resolve(opts.id.as_str(), Load::Sandbox)?;
        let locked = self.store.lock()?;
        let mut entry = locked.read(id)?.ok_or_else(missing_sandbox)?;
        match effective_status(&entry) {
            Status::Running => {}
            Status::Created => {
                return Err(fatal(format!(
                    "executing processes for container: executing command {command:?} in sandbox: container \"{id}\" not started"
                )))
            }
            s => {
                return Err(fatal(format!(
                    "executing processes for container: cannot execute in container \"{id}\" in state {}",
                    s.as_str()
                )))
            }
        }
        if entry.real {
            drop(locked);
            return self.exec_real(opts, id, &args, &command, ugly_detach);
        }
        if let Some(unplayable) = program::unplayable(&args) {
            return Err(fatal(format!(
                "executing processes for container: executing command {command:?} in sandbox: {}",
                program::unplayable_message(&unplayable)
            )));
        }
        if missing_binary(&entry.rootfs, &args).is_some() {
            return Err(fatal(format!(
                "executing processes for container: executing command {command:?} in sandbox: \
                 failed to load {argv0}: no such file or directory"
            )));
        }
        let search = if opts.process.is_some() {
            process_path
        } else {
            env_path.or_else(|| entry.path_env.clone())
        };
        if let Some(dirs) = unresolvable(&entry.rootfs, &argv0, search.as_deref()) {
            return Err(fatal(format!(
                "executing processes for container: executing command {command:?} in sandbox: \
                 error finding executable {argv0:?} in PATH [{}]: no such file or directory",
                dirs.join(" ")
            )));
        }
        let pid = entry.next_pid;
        let children = number_children(pid + 1, &args);
        entry.next_pid = pid + 1 + children.len() as i32;
        let mut child = process::spawn_helper(self.store.root(), id, pid).map_err(|e| {
            fatal(format!(
                "executing processes for container: fake-runsc cannot start the process: {e}"
            ))
        })?;
        let host = HostProcess::of(child.id() as i32);
        entry.execs.push(Process {
            pid,
            args,
            host,
            started_nanos: clock::now_nanos(),
            pending_signals: Vec::new(),
            exit_status: None,
            children,
        });
        locked.write(&entry)?;
        drop(locked);
        if !ugly_detach {
            if let Some(path) = opts.internal_pid_file.as_deref() {
                write_pid_file(Some(path), pid)?;
            }
            // In the foreground runsc writes its own pid: it is the process
            // that waits and forwards signals.
            let waiter = if opts.detach {
                child.id()
            } else {
                std::process::id()
            };
            write_pid_file(opts.pid_file.as_deref(), waiter as i32)?;
        }
        if opts.detach && !ugly_detach {
            return Ok(0);
        }
        let handlers = ForwardSignals::install();
        let mut backoff = Backoff::new();
        let status = loop {
            if let Some(sig) = handlers.received() {
                self.signal_and_settle(id, pid, sig);
                handlers.die(sig);
            }
            match child.try_wait() {
                Ok(Some(status)) => break wait_status(status),
                Ok(None) => backoff.sleep(),
                Err(_) => break signaled(SIGKILL),
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

/// runsc's refusal when the words after the flags do not fit `--process`:
/// the usage, then the error.
fn process_spec_refusal() -> Failure {
    let usage = crate::argv::subcommand_usage("exec").unwrap_or_default();
    Failure {
        stderr: format!("{usage}parsing process spec: a container-id is required\n"),
        code: 128,
    }
}
