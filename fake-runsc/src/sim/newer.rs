//! What runsc 20260817 does that 20221219 does not: loading the container
//! before the subcommand runs (`FetchSpec`), `fscheckpoint`, the new `wait`
//! modes and `kill --pgid`.
//!
//! All of it is read from gVisor's source at `release-20260817.0`
//! (`runsc/cli/cli.go`, `runsc/cmd/{wait,kill,fscheckpoint}.go`,
//! `runsc/container/container.go`, `runsc/boot/loader.go`); no recording of
//! that release exists to confirm it.

use runsc::cli::{self, Release, Subcommand};

use super::bundle::absolute;
use super::process;
use super::store::{Resolved, Status};
use super::wording::{ambiguous, fatal, CmdResult, Failure};
use super::{deliver, effective_status, with_entry, Sim};

/// 20260817's `FetchSpec` prefix, before any subcommand-specific wording.
const FETCH_SPEC: &str = "FetchSpec failed: loading container: ";

impl Sim {
    /// 20260817 loads the container a subcommand names before running it
    /// and fails the same way for every subcommand when it cannot; older
    /// releases leave that to each subcommand.
    pub(super) fn fetch_spec(&self, command: &Subcommand) -> Result<(), Failure> {
        if self.release < Release::R20260817 {
            return Ok(());
        }
        let given = match command {
            Subcommand::List(_)
            | Subcommand::Create(_)
            | Subcommand::Run(_)
            | Subcommand::Restore(_) => return Ok(()),
            Subcommand::Delete(o) => match o.ids.first() {
                Some(id) => (id.as_str(), o.force),
                None => return Ok(()),
            },
            other => match other.id() {
                Some(id) => (id.as_str(), false),
                None => return Ok(()),
            },
        };
        let (given, forced) = given;
        match self.store.resolve(given)? {
            Resolved::Found(_) => Ok(()),
            // `delete --force` of a missing container goes on (and succeeds).
            Resolved::Missing if forced => Ok(()),
            Resolved::Missing => Err(fatal(format!("{FETCH_SPEC}file does not exist"))),
            Resolved::Ambiguous(ids) => Err(ambiguous(FETCH_SPEC, given, &ids)),
        }
    }

    /// `fscheckpoint ID`: saves the container's filesystems (here: a file
    /// naming the paths) and, unless `--leave-running`, the container exits
    /// with status 0.
    pub fn fscheckpoint(&self, opts: &cli::FsCheckpoint) -> CmdResult {
        let entry = self.find(opts.id.as_str(), super::wording::Load::Container)?;
        let id = entry.id.clone();
        let Some(image_path) = opts.image_path.as_deref() else {
            return Err(fatal("image-path flag must be provided"));
        };
        let dir = absolute(image_path);
        std::fs::create_dir_all(&dir).map_err(|e| {
            fatal(format!(
                "making directories at path provided: mkdir {}: {}",
                dir.display(),
                super::wording::go_io_error(&e)
            ))
        })?;
        let status = effective_status(&entry);
        if status == Status::Stopped {
            return Err(fatal(format!(
                "filesystem checkpoint saving failed: cannot filesystem checkpoint container \"{id}\" in state stopped"
            )));
        }
        let paths = if opts.paths.is_empty() {
            vec!["/".to_owned()]
        } else {
            opts.paths.clone()
        };
        let image = serde_json::to_vec(&paths).unwrap_or_default();
        std::fs::write(dir.join("fs-checkpoint.json"), image).map_err(|e| {
            fatal(format!(
                "filesystem checkpoint saving failed: writing {}: {e}",
                dir.display()
            ))
        })?;
        if !opts.leave_running {
            // Stop the container's processes (real or simulated) first; the
            // exit status runsc reports afterwards is 0.
            self.signal_and_settle(&id, 1, crate::signals::SIGKILL);
            with_entry(
                self,
                &id,
                super::wording::missing_container,
                |locked, mut entry| {
                    entry.init.exit_status = Some(0);
                    entry.status = Status::Stopped;
                    locked.write(&entry)?;
                    entry.host_processes().for_each(process::kill_host);
                    Ok(())
                },
            )?;
        }
        Ok(0)
    }

    /// The modes of `wait` that 20260817 adds (`--checkpoint`, `--restore`,
    /// `--fscheckpoint`, `--fsrestore`): `None` when none is asked for. The
    /// simulator has no checkpoint in flight to wait for, so each returns at
    /// once, printing nothing, as runsc does when the operation is complete.
    pub(super) fn wait_mode(&self, opts: &cli::Wait) -> Option<CmdResult> {
        let modes = [
            opts.checkpoint.is_some(),
            opts.restore,
            opts.fscheckpoint,
            opts.fsrestore,
        ];
        if self.release < Release::R20260817 {
            return None;
        }
        match modes.iter().filter(|m| **m).count() {
            0 => None,
            1 => Some(
                self.find(opts.id.as_str(), super::wording::Load::Container)
                    .map(|_| 0),
            ),
            _ => Some(Err(fatal(
                "at most one of -checkpoint, -restore, -fscheckpoint, -fsrestore may be set",
            ))),
        }
    }

    /// `kill --pgid N ID [SIGNAL]`: every live process of the group (a
    /// simulated process group is an init or `exec` and what it started).
    pub(super) fn kill_pgid(&self, id: &str, pgid: i64, sig: i32) -> CmdResult {
        with_entry(
            self,
            id,
            super::wording::missing_container,
            |locked, mut entry| {
                super::real::refresh(&self.store, &mut entry);
                let status = effective_status(&entry);
                if status != Status::Running {
                    return Err(fatal(format!(
                    "failed to signal process group {pgid}: cannot signal a process group inside container \"{id}\" in state {}",
                    status.as_str()
                )));
                }
                let leader = (pgid == 1
                    || entry
                        .execs
                        .iter()
                        .any(|p| i64::from(p.pid) == pgid && p.exit_status.is_none()))
                .then(|| i32::try_from(pgid).ok())
                .flatten();
                let Some(leader) = leader else {
                    return Err(fatal(format!(
                    "failed to signal process group {pgid}: signaling container \"{id}\" PGID {pgid}: \
                     signaling process group {pgid}: no such process group with PGID {pgid}"
                )));
                };
                deliver(locked, &mut entry, leader, sig)?;
                Ok(leader == 1 && process::is_fatal(sig))
            },
        )
        .map(|settle| {
            if settle {
                self.settle(id);
            }
            0
        })
    }
}

/// runsc refuses `kill` given more than one of `--all`, `--pid` and
/// `--pgid` (20260817, from source) or both `--all` and `--pid` (20221219,
/// checked on the real binary), before loading the container.
pub(super) fn kill_modes_clash(release: Release, opts: &cli::Kill) -> Option<Failure> {
    let modes = [
        opts.all,
        opts.pid.is_some_and(|p| p != 0),
        opts.pgid.is_some_and(|p| p != 0),
    ];
    if modes.iter().filter(|m| **m).count() < 2 {
        return None;
    }
    Some(fatal(if release >= Release::R20260817 {
        "it is invalid to specify more than one of --all, --pid, and --pgid"
    } else {
        "it is invalid to specify both --all and --pid"
    }))
}
