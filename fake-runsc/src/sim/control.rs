//! Acting on a running container: `kill`, `pause`, `resume`, `wait`.
use runsc::cli::{self, Signal};

use super::output;
use super::process::{self, is_fatal};
use super::real;
use super::store::Status;
use super::wording::{fatal, missing_container, pause_panic, wait_panic, CmdResult, Load};
use super::{deliver, effective_status, out, with_entry, Backoff, Sim};

impl Sim {
    /// `kill ID [SIGNAL]`.
    pub fn kill(&self, opts: &cli::Kill) -> CmdResult {
        // runsc checks its flags before it loads the container (`--pid=0`
        // is its unset value); 20260817 words it with `--pgid` too.
        if let Some(failure) = super::newer::kill_modes_clash(self.release, opts) {
            return Err(failure);
        }
        let id = &self.resolve(opts.id.as_str(), Load::Container)?;
        let signal = opts
            .signal
            .clone()
            .unwrap_or_else(|| Signal::Name("TERM".to_owned()));
        if let Some(pgid) = opts.pgid.filter(|p| *p != 0) {
            let Some(sig) = signal.to_number() else {
                return Err(fatal(format!("unknown signal {:?}", signal.to_arg())));
            };
            return self.kill_pgid(id, pgid, sig);
        }
        let mut settle = false;
        with_entry(self, id, missing_container, |locked, mut entry| {
            let Some(sig) = signal.to_number() else {
                return Err(fatal(format!("unknown signal {:?}", signal.to_arg())));
            };
            real::refresh(&self.store, &mut entry);
            match effective_status(&entry) {
                Status::Stopped => return Err(fatal("sandbox is not running")),
                Status::Created => {
                    return Err(fatal(format!(
                        "cannot signal container \"{id}\" in state created"
                    )))
                }
                Status::Running | Status::Paused => {}
            }
            if let Some(pid) = opts.pid {
                let known = pid == 1
                    || entry
                        .execs
                        .iter()
                        .any(|p| i64::from(p.pid) == pid && p.exit_status.is_none());
                let pid32 = i32::try_from(pid).ok().filter(|_| known);
                let Some(pid32) = pid32 else {
                    return Err(fatal(format!(
                        "failed to signal pid {pid}: signaling container \"{id}\" PID {pid}: \
                         signaling process in container \"{id}\" PID {pid}: no such process with PID {pid}"
                    )));
                };
                settle = pid32 == 1 && is_fatal(sig);
                deliver(locked, &mut entry, pid32, sig)?;
            } else if opts.all && entry.real {
                real::signal_all(&self.store, id, sig);
                settle = is_fatal(sig);
            } else if opts.all {
                let pids: Vec<i32> = entry
                    .execs
                    .iter()
                    .filter(|p| p.exit_status.is_none())
                    .map(|p| p.pid)
                    .collect();
                for pid in pids {
                    deliver(locked, &mut entry, pid, sig)?;
                }
                deliver(locked, &mut entry, 1, sig)?;
                settle = is_fatal(sig);
            } else {
                deliver(locked, &mut entry, 1, sig)?;
                settle = is_fatal(sig);
            }
            Ok(())
        })?;
        if settle {
            self.settle(id);
        }
        Ok(0)
    }

    /// `pause ID`.
    pub fn pause(&self, id: &str) -> CmdResult {
        self.set_paused(id, true)
    }

    /// `resume ID`.
    pub fn resume(&self, id: &str) -> CmdResult {
        self.set_paused(id, false)
    }

    fn set_paused(&self, given: &str, pause: bool) -> CmdResult {
        let id = &self.resolve(given, Load::Container)?;
        with_entry(self, id, missing_container, |locked, mut entry| {
            let status = effective_status(&entry);
            let (from, to, verb) = if pause {
                (Status::Running, Status::Paused, "pause")
            } else {
                (Status::Paused, Status::Running, "resume")
            };
            if pause && status == Status::Created {
                return Err(pause_panic());
            }
            if status != from {
                return Err(fatal(format!(
                    "{verb} failed: cannot {verb} container \"{id}\" in state {}",
                    status.as_str()
                )));
            }
            entry.status = to;
            locked.write(&entry)?;
            if entry.real {
                real::set_paused(&self.store, id, pause);
            } else {
                entry.host_processes().for_each(process::wake);
            }
            Ok(0)
        })
    }

    /// `wait ID`, `wait --pid`, `wait --rootpid`.
    pub fn wait(&self, opts: &cli::Wait) -> CmdResult {
        // Checked before the container is loaded; -1 is runsc's unset value.
        let set = |v: Option<i64>| v.is_some_and(|pid| pid != -1);
        if set(opts.pid) && set(opts.rootpid) {
            return Err(fatal("only one of -pid and -rootPid can be set"));
        }
        if let Some(result) = self.wait_mode(opts) {
            return result;
        }
        let entry = self.find(opts.id.as_str(), Load::Container)?;
        let id = &entry.id;
        if let Some(pid) = opts.pid.or(opts.rootpid) {
            let prefix = if opts.pid.is_some() {
                format!("waiting on PID {pid} in container \"{id}\"")
            } else {
                format!("waiting on PID in root PID namespace {pid} in container \"{id}\"")
            };
            return self.wait_pid(id, pid, &prefix);
        }
        let unavailable = || {
            fatal(format!(
                "waiting on container \"{id}\": sandbox no longer running and its exit status is unavailable"
            ))
        };
        // runsc hands the exit status only to a wait that was blocked while
        // the container ran; any later wait, and one begun before start, fails.
        let began = effective_status(&entry);
        let was_running = matches!(began, Status::Running | Status::Paused);
        if effective_status(&entry) == Status::Stopped {
            return Err(unavailable());
        }
        let mut backoff = Backoff::new();
        loop {
            backoff.sleep();
            match self.read_settled(id)? {
                None => return Err(unavailable()),
                Some((e, Status::Stopped)) => {
                    if began == Status::Paused {
                        // runsc 20221219 loaded the container as paused and
                        // cannot move it to stopped.
                        return Err(wait_panic());
                    }
                    return match (was_running, e.init.exit_status) {
                        (true, Some(status)) => {
                            out(&output::wait_json(id, status));
                            Ok(0)
                        }
                        _ => Err(unavailable()),
                    };
                }
                Some(_) => {}
            }
        }
    }

    fn wait_pid(&self, id: &str, pid: i64, prefix: &str) -> CmdResult {
        if let Some(entry) = self.store.read(id)? {
            if effective_status(&entry) == Status::Created {
                return Err(fatal(format!(
                    "{prefix}: waiting on PID {pid} in sandbox \"{id}\": waiting for PID {pid}: container \"{id}\" not started"
                )));
            }
        }
        let no_such = || {
            fatal(format!(
                "{prefix}: waiting on PID {pid} in sandbox \"{id}\": waiting for PID {pid}: no such process"
            ))
        };
        let mut backoff = Backoff::new();
        loop {
            let locked = self.store.lock()?;
            let Some(mut entry) = locked.read(id)? else {
                return Err(no_such());
            };
            real::refresh(&self.store, &mut entry);
            let Some(index) = entry.execs.iter().position(|p| i64::from(p.pid) == pid) else {
                return Err(no_such());
            };
            if let Some(status) = entry.execs[index].exit_status {
                // Waiting reaps the process: a second wait finds nothing.
                entry.execs.remove(index);
                locked.write(&entry)?;
                out(&output::wait_json(id, status));
                return Ok(0);
            }
            drop(locked);
            backoff.sleep();
        }
    }
}
