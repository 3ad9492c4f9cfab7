//! The container's life: `create`, `start`, `run`, `delete`, and
//! `checkpoint`/`restore`.
use std::path::Path;
use std::time::Duration;

use runsc::cli;

use super::bundle::{absolute, missing_binary, number_children, read_spec, Spec};
use super::clock;
use super::log::go_errno;
use super::process;
use super::program::{self, Program};
use super::real;
use super::store::StoreError;
use super::store::{Entry, HostProcess, Process, Resolved, Status};
use super::wording::{ambiguous, fatal, missing_container, CmdResult, Failure, Load};
use super::{effective_status, with_entry, Backoff, ForwardSignals, Sim};
use crate::signals::{signaled, SIGKILL};

impl Sim {
    /// `create`: registers the container and starts its sandbox process.
    pub fn create(&self, opts: &cli::Create) -> CmdResult {
        let spec = read_spec(opts.bundle.as_deref())?;
        let prefix = "creating container: ";
        let host = self.create_entry(
            opts.id.as_str(),
            spec,
            opts.console_socket.as_deref(),
            prefix,
        )?;
        self.write_created_pid_file(opts.id.as_str(), host, opts.pid_file.as_deref(), prefix)?;
        Ok(0)
    }

    /// Writes the pid file of a new container; when that fails runsc
    /// destroys the container, so the id is free again.
    fn write_created_pid_file(
        &self,
        id: &str,
        host: HostProcess,
        path: Option<&Path>,
        prefix: &str,
    ) -> Result<(), Failure> {
        let Some(path) = path else {
            return Ok(());
        };
        std::fs::write(path, host.pid.to_string()).map_err(|e| {
            if let Ok(locked) = self.store.lock() {
                match locked.read(id) {
                    Ok(Some(entry)) => end_processes(&self.store, &entry),
                    _ => process::kill_host(host),
                }
                let _ = locked.remove(id);
            }
            fatal(format!(
                "{prefix}error writing PID file: open {}: {}",
                path.display(),
                go_errno(&e)
            ))
        })
    }

    fn create_entry(
        &self,
        id: &str,
        spec: Spec,
        console_socket: Option<&Path>,
        prefix: &str,
    ) -> Result<HostProcess, Failure> {
        if let Some(why) = super::ids::create_refusal(id, self.store.root()) {
            return Err(fatal(format!("{prefix}{why}")));
        }
        if let Err(e) = Program::from_spec(&spec.args, &spec.annotations) {
            return Err(fatal(format!(
                "{prefix}fake-runsc: {}/config.json: {e}",
                spec.bundle.display()
            )));
        }
        let locked = self
            .store
            .lock()
            .map_err(|e| unusable_root(&e, id, prefix))?;
        if locked.is_orphaned(id) {
            return Err(fatal(format!("{prefix}{}", super::ids::address_in_use(id))));
        }
        if let Some(existing) = locked.orphan(id, |e| effective_status(e) != Status::Stopped)? {
            // runsc's failed create removes the existing container's
            // metadata too and orphans its sandbox, which keeps the id's
            // name (`orphan`). The simulator ends the sandbox's processes.
            end_processes(&self.store, &existing);
            return Err(fatal(format!(
                "{prefix}cannot lock container metadata file: container already exists"
            )));
        }
        let real = real::wanted(&spec.annotations, &spec.rootfs, &spec.bundle)?;
        let now = clock::now_nanos();
        let children = number_children(2, &spec.args);
        let next_pid = 2 + children.len() as i32;
        let mut entry = Entry {
            id: id.to_owned(),
            bundle: spec.bundle,
            rootfs: spec.rootfs,
            annotations: spec.annotations,
            path_env: spec.path_env,
            created_nanos: now,
            status: Status::Created,
            init: Process {
                pid: 1,
                args: spec.args,
                host: None,
                started_nanos: now,
                pending_signals: Vec::new(),
                exit_status: None,
                children,
            },
            execs: Vec::new(),
            next_pid,
            real,
        };
        if real {
            let bundle = entry.bundle.clone();
            let host = real::create(
                &self.store,
                id,
                &bundle,
                console_socket,
                prefix,
                &mut self.warnings.borrow_mut(),
            )?;
            entry.init.host = Some(host);
            if let Err(e) = locked.write(&entry) {
                real::destroy(&self.store, id);
                return Err(e.into());
            }
            return Ok(host);
        }
        let child = process::spawn_helper(self.store.root(), id, 1).map_err(|e| {
            fatal(format!(
                "{prefix}cannot create sandbox: fake-runsc cannot start its sandbox process: {e}"
            ))
        })?;
        let host = HostProcess::of(child.id() as i32).ok_or_else(|| {
            fatal(format!(
                "{prefix}cannot create sandbox: the sandbox process exited at once"
            ))
        })?;
        entry.init.host = Some(host);
        locked.write(&entry)?;
        Ok(host)
    }

    /// `start ID`.
    pub fn start(&self, given: &str) -> CmdResult {
        let id = &self.resolve(given, Load::Container)?;
        with_entry(self, id, missing_container, |locked, mut entry| {
            let status = effective_status(&entry);
            if status != Status::Created {
                return Err(fatal(format!(
                    "starting container: cannot start container \"{id}\" in state {}",
                    status.as_str()
                )));
            }
            if entry.real {
                real::start(&self.store, id)?;
                entry.status = Status::Running;
                entry.init.started_nanos = clock::now_nanos();
                locked.write(&entry)?;
                return Ok(0);
            }
            if let Some(command) = program::unplayable(&entry.init.args)
                .filter(|_| !program::has_annotations(&entry.annotations))
            {
                return Err(fatal(format!(
                    "starting container: starting root container: starting sandbox: creating process: {}",
                    program::unplayable_message(&command)
                )));
            }
            if let Some(argv0) = missing_binary(&entry.rootfs, &entry.init.args) {
                return Err(fatal(format!(
                    "starting container: starting root container: starting sandbox: creating process: \
                     failed to load {argv0}: no such file or directory"
                )));
            }
            entry.status = Status::Running;
            entry.init.started_nanos = clock::now_nanos();
            locked.write(&entry)?;
            if let Some(host) = entry.init.host {
                process::wake(host);
            }
            Ok(0)
        })
    }

    /// `run`: create, start, and unless `--detach`, wait and delete.
    pub fn run(&self, opts: &cli::Run) -> CmdResult {
        let spec = read_spec(opts.bundle.as_deref())?;
        let id = opts.id.as_str();
        if let Some(existing) = self.store.read(id)? {
            if effective_status(&existing) != Status::Stopped {
                return Err(fatal(format!(
                    "running container: creating container: cannot create sandbox: cannot create sandbox process: \
                     creating control server socket for sandbox \"{id}\": address already in use"
                )));
            }
        }
        let prefix = "running container: creating container: ";
        let host = self.create_entry(id, spec, opts.console_socket.as_deref(), prefix)?;
        self.write_created_pid_file(id, host, opts.pid_file.as_deref(), prefix)?;
        let handlers = if opts.detach {
            None
        } else {
            Some(ForwardSignals::install())
        };
        if let Err(failure) = self.start(id) {
            // runsc destroys the container it could not start.
            let locked = self.store.lock()?;
            let real = locked.read(id)?.is_some_and(|e| e.real);
            locked.remove(id)?;
            if real {
                real::destroy(&self.store, id);
            } else {
                process::kill_host(host);
            }
            return Err(Failure {
                stderr: format!("running container: {}", failure.stderr),
                code: failure.code,
            });
        }
        let Some(handlers) = handlers else {
            return Ok(0);
        };
        let mut backoff = Backoff::new();
        loop {
            if let Some(sig) = handlers.received() {
                // runsc forwards the signal to the container, which stops;
                // runsc itself then dies of it and deletes nothing.
                self.signal_and_settle(id, 1, sig);
                handlers.die(sig);
            }
            match self.read_settled(id)? {
                None => return Ok(signaled(SIGKILL)),
                Some((entry, Status::Stopped)) => {
                    let status = entry.init.exit_status.unwrap_or(signaled(SIGKILL));
                    let locked = self.store.lock()?;
                    locked.remove(id)?;
                    if entry.real {
                        real::destroy(&self.store, id);
                    }
                    return Ok(status);
                }
                Some(_) => backoff.sleep(),
            }
        }
    }

    /// `delete [--force] ID...`.
    pub fn delete(&self, opts: &cli::Delete) -> CmdResult {
        for given in &opts.ids {
            let id = &self.delete_target(given.as_str())?;
            // A missing id needs no lock: runsc's `delete --force` passes
            // even when --root is a file or not writable.
            if opts.force && self.store.read(id)?.is_none() {
                continue;
            }
            let locked = self.store.lock()?;
            let Some(entry) = locked.read(id)? else {
                if opts.force {
                    continue;
                }
                return Err(fatal(format!(
                    "loading container \"{id}\": file does not exist"
                )));
            };
            let status = effective_status(&entry);
            if !opts.force && matches!(status, Status::Running | Status::Paused) {
                return Err(fatal(
                    "cannot delete container that is not stopped without --force flag",
                ));
            }
            locked.remove(id)?;
            end_processes(&self.store, &entry);
        }
        Ok(0)
    }

    /// The id `delete` acts on: runsc resolves a unique prefix here too,
    /// and a missing one is left to `--force`.
    fn delete_target(&self, given: &str) -> Result<String, Failure> {
        match self.store.resolve(given)? {
            Resolved::Found(entry) => Ok(entry.id),
            Resolved::Missing => Ok(given.to_owned()),
            Resolved::Ambiguous(ids) => Err(ambiguous(
                &format!("loading container \"{given}\": "),
                given,
                &ids,
            )),
        }
    }

    /// `checkpoint ID`: the container stops (unless `--leave-running`) and
    /// the image directory records what it ran.
    pub fn checkpoint(&self, opts: &cli::Checkpoint) -> CmdResult {
        let entry = self.find(opts.id.as_str(), Load::Container)?;
        let id = &entry.id;
        if effective_status(&entry) != Status::Running {
            return Err(fatal(format!(
                "checkpoint failed: cannot checkpoint container \"{id}\" in state {}",
                effective_status(&entry).as_str()
            )));
        }
        let Some(image_path) = opts.image_path.as_deref() else {
            return Err(fatal("image-path flag must be provided"));
        };
        if opts.leave_running {
            // runsc 20221219 never returns from `checkpoint --leave-running`.
            loop {
                std::thread::sleep(Duration::from_secs(3600));
            }
        }
        let dir = absolute(image_path);
        let image = serde_json::to_vec(&entry.init.args).unwrap_or_default();
        std::fs::create_dir_all(&dir)
            .and_then(|()| std::fs::write(dir.join("checkpoint.img"), image))
            .map_err(|e| fatal(format!("checkpoint failed: writing {}: {e}", dir.display())))?;
        self.signal_and_settle(id, 1, SIGKILL);
        Ok(0)
    }

    /// `restore ID`: like `run`, from the bundle, once a checkpoint image exists.
    pub fn restore(&self, opts: &cli::Restore) -> CmdResult {
        // runsc checks the flag first, then creates the container (failing,
        // and removing the existing one's state, on an id in use), and only
        // then opens the image.
        let Some(image_path) = opts.image_path.as_deref() else {
            return Err(fatal("image-path flag must be provided"));
        };
        let id = opts.id.as_str();
        if self.store.read(id)?.is_some() {
            read_spec(opts.bundle.as_deref())?;
            let locked = self.store.lock()?;
            if let Some(existing) = locked.read(id)? {
                // As in create: the failure removes the existing container's
                // state, and the simulator ends its orphaned sandbox.
                locked.remove(id)?;
                end_processes(&self.store, &existing);
                return Err(fatal(
                    "running container: creating container: cannot lock container metadata file: \
                     container already exists",
                ));
            }
        }
        // runsc reads the bundle's spec before it looks for the image.
        read_spec(opts.bundle.as_deref())?;
        let dir = absolute(image_path);
        let image = dir.join("checkpoint.img");
        if !image.exists() {
            let shown = image.display();
            return Err(fatal(format!(
                "running container: starting container: opening restore file \"{shown}\" failed: \
                 open {shown}: no such file or directory"
            )));
        }
        self.run(&cli::Run {
            id: opts.id.clone(),
            bundle: opts.bundle.clone(),
            pid_file: opts.pid_file.clone(),
            console_socket: opts.console_socket.clone(),
            user_log: opts.user_log.clone(),
            detach: opts.detach,
            fs_restore_image_path: None,
            fs_restore_direct: false,
            exec_fd: None,
            pass_fd: Vec::new(),
        })
    }
}

/// Ends every process of a container whose entry was removed. A real
/// container's sandbox is destroyed through its supervisor, which must stay
/// alive until then: it is the subreaper that keeps orphans in its tree.
fn end_processes(store: &super::store::Store, entry: &Entry) {
    if entry.real {
        real::destroy(store, &entry.id);
    } else {
        entry.host_processes().for_each(process::kill_host);
    }
}

/// runsc's words when `--root` cannot hold a new container: a root that is
/// not a directory cannot be made, an unwritable one cannot take the lock.
fn unusable_root(e: &StoreError, id: &str, prefix: &str) -> Failure {
    let root = e.path.display();
    if e.source.kind() == std::io::ErrorKind::AlreadyExists {
        return fatal(format!(
            "{prefix}creating container root directory \"{root}\": mkdir {root}: not a directory"
        ));
    }
    if e.action == "lock" {
        let lock = e.path.join(format!("{id}_sandbox:{id}.lock"));
        let lock = lock.display();
        return fatal(format!(
            "{prefix}cannot lock container metadata file: acquiring lock on \"{lock}\": open {lock}: {}",
            go_errno(&e.source)
        ));
    }
    fatal(format!(
        "{prefix}creating container root directory \"{root}\": mkdir {root}: {}",
        go_errno(&e.source)
    ))
}
