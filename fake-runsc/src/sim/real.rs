//! Containers whose processes run for real: the simulator's commands reach
//! the host-process engine (`crate::host`) through these functions.
//!
//! A container runs real processes unless [`PROCESSES_ENV`] is `simulated`,
//! its `config.json` carries one of the simulated-program annotations, or its
//! root filesystem is missing, or empty with nothing bound into it (nothing
//! could run in it). Its
//! sandbox's state lives in `--root` beside the container's entry
//! (`.ID.sandbox`); the entry keeps runsc's view (pids inside the sandbox,
//! status), the sandbox the real processes.

use std::collections::BTreeMap;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use nix::sys::signal::Signal;
use runsc::oci_spec::runtime::{Process as SpecProcess, Spec};

use super::output::PsRow;
use super::program;
use super::store::{Entry, HostProcess, Locked, Process, Store};
use super::wording::{fatal, Failure};
use crate::host::{self, Filesystem, Launch, Level, Sandbox};

/// Environment variable choosing how containers' processes run: `real`
/// (the default) or `simulated` (the scripted, time-scaled programs).
pub const PROCESSES_ENV: &str = "FAKE_RUNSC_PROCESSES";

/// Whether a container with these annotations and root filesystem runs
/// real processes.
pub fn wanted(
    annotations: &BTreeMap<String, String>,
    rootfs: &Path,
    bundle: &Path,
) -> Result<bool, Failure> {
    match std::env::var(PROCESSES_ENV).as_deref() {
        Ok("simulated") => return Ok(false),
        Ok("real") | Err(std::env::VarError::NotPresent) => {}
        Ok(other) => {
            return Err(fatal(format!(
                "fake-runsc: {PROCESSES_ENV}={other:?} is not one of real, simulated"
            )))
        }
        Err(std::env::VarError::NotUnicode(_)) => {
            return Err(fatal(format!(
                "fake-runsc: {PROCESSES_ENV} is not one of real, simulated"
            )))
        }
    }
    if program::has_annotations(annotations) {
        return Ok(false);
    }
    let populated = std::fs::read_dir(rootfs).is_ok_and(|mut d| d.next().is_some());
    // An empty root can still be a whole system: tools bind the host's
    // directories into it.
    Ok(populated || (rootfs.is_dir() && binds_something(bundle)))
}

fn binds_something(bundle: &Path) -> bool {
    load_spec(bundle).is_ok_and(|spec| {
        spec.mounts().iter().flatten().any(|m| {
            m.typ().as_deref() == Some("bind")
                || m.options()
                    .iter()
                    .flatten()
                    .any(|o| o == "bind" || o == "rbind")
        })
    })
}

/// The sandbox of container `id`.
pub fn sandbox(store: &Store, id: &str) -> Sandbox {
    Sandbox::open(&sandbox_dir(store, id))
}

fn sandbox_dir(store: &Store, id: &str) -> PathBuf {
    store.root().join(format!(".{id}.sandbox"))
}

fn load_spec(bundle: &Path) -> Result<Spec, Failure> {
    let path = bundle.join("config.json");
    Spec::load(&path).map_err(|e| {
        fatal(format!(
            "fake-runsc: {}: cannot read the spec for real processes: {e}",
            path.display()
        ))
    })
}

/// Creates the sandbox of container `id` and its waiting init process;
/// the init process's host identity. A warning about how the processes are
/// confined (the host level) goes to `warnings`, for the call's logs.
pub fn create(
    store: &Store,
    id: &str,
    bundle: &Path,
    console_socket: Option<&Path>,
    prefix: &str,
    warnings: &mut Vec<&'static str>,
) -> Result<HostProcess, Failure> {
    let spec = load_spec(bundle)?;
    let level = Level::detect().map_err(|e| fatal(format!("{prefix}{e}")))?;
    warnings.extend(level.warning());
    let filesystem = Filesystem::from_spec(&spec, bundle);
    let mut launch = spec
        .process()
        .as_ref()
        .map(Launch::from_process)
        .unwrap_or_default();
    launch.console_socket = console_socket.map(Path::to_path_buf);
    let dir = sandbox_dir(store, id);
    // A sandbox left by a container whose entry is gone (its fake was
    // killed mid-create) must not block the id.
    Sandbox::open(&dir).destroy();
    let (_, created) = Sandbox::create(&dir, level, &filesystem, &launch, None)
        .map_err(|e| fatal(format!("{prefix}cannot create sandbox: {e}")))?;
    // As runsc reports its sandbox process, the fake reports the sandbox's
    // supervisor: it lives exactly as long as the container runs and exits
    // with its status, which is what a reaping caller (containerd's shim)
    // relies on.
    HostProcess::of(created.supervisor).ok_or_else(|| {
        Sandbox::open(&dir).destroy();
        fatal(format!(
            "{prefix}cannot create sandbox: the sandbox process exited at once"
        ))
    })
}

/// Lets the init process run its program.
pub fn start(store: &Store, id: &str) -> Result<(), Failure> {
    sandbox(store, id).start().map_err(|e| match e {
        host::Error::Start(failure) => fatal(failure.start_message()),
        other => fatal(format!("starting container: {other}")),
    })
}

/// Fills in the exit statuses the sandbox knows of and the entry does not.
pub fn refresh(store: &Store, entry: &mut Entry) {
    if !entry.real {
        return;
    }
    let sandbox = sandbox(store, &entry.id);
    let stopped = entry.init.host.is_some_and(|h| !h.is_alive());
    if entry.init.exit_status.is_none() && stopped {
        // The supervisor writes the init process's status before it exits.
        entry.init.exit_status = sandbox.init_pid().and_then(|pid| sandbox.exit_status(pid));
    }
    for exec in &mut entry.execs {
        if exec.exit_status.is_none() {
            if let Some(host) = exec.host {
                exec.exit_status = sandbox.exit_status(host.pid);
            }
        }
    }
}

/// Sends `sig` to the process that has pid `pid` inside the sandbox.
pub fn signal(store: &Store, entry: &Entry, pid: i32, sig: i32) {
    let Ok(sig) = Signal::try_from(sig) else {
        return;
    };
    let sandbox = sandbox(store, &entry.id);
    let host = if pid == 1 {
        sandbox.init_pid()
    } else {
        entry
            .execs
            .iter()
            .find(|p| p.pid == pid)
            .and_then(|p| p.host)
            .map(|h| h.pid)
    };
    if let Some(host) = host {
        sandbox.signal(Some(host), sig);
    }
}

/// Sends `sig` to every process of the container (`kill --all`).
pub fn signal_all(store: &Store, id: &str, sig: i32) {
    if let Ok(sig) = Signal::try_from(sig) {
        sandbox(store, id).signal_all(sig);
    }
}

/// Stops (`pause`) or continues every process of the container.
pub fn set_paused(store: &Store, id: &str, pause: bool) {
    let sandbox = sandbox(store, id);
    if pause {
        sandbox.pause();
    } else {
        sandbox.resume();
    }
}

/// Kills every process of the container and removes its sandbox's state.
pub fn destroy(store: &Store, id: &str) {
    sandbox(store, id).destroy();
}

/// The container's live processes as `ps` shows them, with pids inside the
/// sandbox: a process the init process or an exec forked gets the next free
/// one the first time it is seen (as the sandbox numbers its processes), and
/// keeps it, so `kill --pid` and `wait --pid` find it too.
pub fn ps_rows(locked: &Locked<'_>, entry: &mut Entry) -> Result<Vec<PsRow>, Failure> {
    let now = super::clock::now_nanos();
    let sandbox = sandbox(locked.store(), &entry.id);
    let init = sandbox.init_pid();
    let mut live = sandbox.processes();
    live.sort_by_key(|p| (p.start_ticks, p.pid));
    let mut rows = Vec::new();
    let mut numbered = false;
    for p in live {
        let known = if Some(p.pid) == init {
            Some((1, entry.init.started_nanos, 1))
        } else {
            entry
                .execs
                .iter()
                .find(|k| k.host.is_some_and(|h| h.pid == p.pid))
                .map(|k| (k.pid, k.started_nanos, k.pid))
        };
        let command = p.cmd.split(' ').next().unwrap_or_default().to_owned();
        // The process group: its own for init and each exec, its forker's
        // for what they forked.
        let (pid, started_nanos, pgid) = match known {
            Some(known) => known,
            None => {
                let Some(host) = HostProcess::of(p.pid) else {
                    continue;
                };
                // A shell's fork takes the pid reserved for it when its
                // shell started, as the sandbox's numbering would.
                let forked_by_init = Some(p.ppid) == init;
                let forker = if forked_by_init {
                    Some(1)
                } else {
                    entry
                        .execs
                        .iter()
                        .find(|k| k.host.is_some_and(|h| h.pid == p.ppid))
                        .map(|k| k.pid)
                };
                let reserved = std::iter::once(&mut entry.init)
                    .chain(entry.execs.iter_mut())
                    .find(|k| {
                        let parent = if k.pid == 1 {
                            forked_by_init
                        } else {
                            k.host.is_some_and(|h| h.pid == p.ppid)
                        };
                        parent && !k.children.is_empty()
                    })
                    .map(|k| k.children.remove(0).0);
                let pid = reserved.unwrap_or_else(|| {
                    entry.next_pid += 1;
                    entry.next_pid - 1
                });
                entry.execs.push(Process {
                    pid,
                    args: vec![command.clone()],
                    host: Some(host),
                    started_nanos: now,
                    pending_signals: Vec::new(),
                    exit_status: None,
                    children: Vec::new(),
                });
                numbered = true;
                (pid, now, forker.unwrap_or(pid))
            }
        };
        rows.push(PsRow {
            pid,
            pgid,
            started_nanos,
            command,
        });
    }
    if numbered {
        locked.write(entry)?;
    }
    rows.sort_by_key(|r| r.pid);
    Ok(rows)
}

/// `events --stats` figures from `/proc`: cpu nanoseconds, resident bytes,
/// process count.
pub fn stats(store: &Store, id: &str) -> host::Stats {
    sandbox(store, id).stats()
}

/// What an `exec` runs: `--process FILE`, else the arguments with the
/// container's environment, cwd and user, overridden by `--env`, `--cwd`,
/// `--user`.
pub fn exec_launch(
    entry: &Entry,
    opts: &runsc::cli::Exec,
    args: &[String],
) -> Result<Launch, Failure> {
    if let Some(path) = &opts.process {
        let process: SpecProcess = std::fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
            .map_err(|e| {
                fatal(format!(
                    "fake-runsc: {}: cannot read the process spec: {e}",
                    path.display()
                ))
            })?;
        let mut launch = Launch::from_process(&process);
        launch.console_socket = opts.console_socket.clone();
        return Ok(launch);
    }
    let spec = load_spec(&entry.bundle)?;
    let mut launch = spec
        .process()
        .as_ref()
        .map(Launch::from_process)
        .unwrap_or_default();
    launch.args = args.to_vec();
    launch.terminal = opts.console_socket.is_some();
    launch.console_socket = opts.console_socket.clone();
    for kv in &opts.env {
        let name = kv.split('=').next().unwrap_or_default();
        launch
            .env
            .retain(|e| e.split('=').next().unwrap_or_default() != name);
        launch.env.push(kv.clone());
    }
    if let Some(cwd) = &opts.cwd {
        launch.cwd = cwd.to_string_lossy().into_owned();
    }
    if let Some(user) = &opts.user {
        let mut parts = user.splitn(2, ':');
        let bad = || {
            fatal(format!(
                "fake-runsc: --user={user:?}: give a numeric UID[:GID]"
            ))
        };
        launch.uid = parts
            .next()
            .unwrap_or_default()
            .parse()
            .map_err(|_| bad())?;
        launch.gid = match parts.next() {
            Some(gid) => gid.parse().map_err(|_| bad())?,
            None => launch.gid,
        };
    }
    Ok(launch)
}

/// Starts an `exec` with this process's stdio; its host pid and a handle
/// to wait on.
pub fn exec(
    store: &Store,
    id: &str,
    launch: &Launch,
    command: &str,
) -> Result<host::ExecHandle, Failure> {
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let stdio: [&dyn AsFd; 3] = [&stdin, &stdout, &stderr];
    sandbox(store, id).exec(launch, stdio).map_err(|e| match e {
        host::Error::Start(failure) => fatal(failure.exec_message(command)),
        other => fatal(format!(
            "executing processes for container: executing command {command:?} in sandbox: {other}"
        )),
    })
}
