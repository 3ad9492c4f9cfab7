//! Looking at containers: `state`, `list`, `ps`, `events`.
use std::time::Duration;

use runsc::cli;

use super::clock;
use super::output::{self, PsRow};
use super::real;
use super::store::{Entry, Status};
use super::wording::{fatal, stats_panic, CmdResult, Load};
use super::{effective_status, out, Sim, POLL};

impl Sim {
    /// `state ID`.
    pub fn state(&self, given: &str) -> CmdResult {
        let entry = self.find(given, Load::Container)?;
        out(&output::state_json(
            self.release,
            &entry,
            effective_status(&entry),
        ));
        Ok(0)
    }

    /// `list`.
    pub fn list(&self, opts: &cli::List) -> CmdResult {
        let entries: Vec<(Entry, Status)> = self
            .store
            .list()?
            .into_iter()
            .map(|e| {
                let s = effective_status(&e);
                (e, s)
            })
            .collect();
        let text = if opts.quiet {
            output::list_quiet(&entries)
        } else if opts.format == Some(cli::ListFormat::Json) {
            output::list_json(self.release, &entries)
        } else {
            output::list_text(&entries)
        };
        out(&text);
        Ok(0)
    }

    /// Live processes in pid order, for `ps` and `events`.
    fn live_processes(entry: &Entry) -> Vec<PsRow> {
        let mut rows: Vec<PsRow> = std::iter::once(&entry.init)
            .chain(entry.execs.iter())
            .filter(|p| p.exit_status.is_none())
            .flat_map(|p| {
                let own = PsRow {
                    pid: p.pid,
                    pgid: p.pid,
                    started_nanos: p.started_nanos,
                    command: p.args.first().cloned().unwrap_or_default(),
                };
                let children = p.children.iter().map(|(pid, command)| PsRow {
                    pid: *pid,
                    pgid: p.pid,
                    started_nanos: p.started_nanos,
                    command: command.clone(),
                });
                std::iter::once(own).chain(children).collect::<Vec<_>>()
            })
            .collect();
        rows.sort_by_key(|r| r.pid);
        rows
    }

    /// `ps ID`.
    pub fn ps(&self, opts: &cli::Ps) -> CmdResult {
        let entry = self.find(opts.id.as_str(), Load::Sandbox)?;
        let id = &entry.id;
        let status = effective_status(&entry);
        if matches!(status, Status::Created | Status::Stopped) {
            return Err(fatal(format!(
                "getting processes for container: cannot get processes of container \"{id}\" in state {}",
                status.as_str()
            )));
        }
        let rows = if entry.real {
            let locked = self.store.lock()?;
            let mut entry = locked.read(id)?.unwrap_or(entry.clone());
            real::ps_rows(&locked, &mut entry)?
        } else {
            Self::live_processes(&entry)
        };
        out(&match &opts.format {
            Some(cli::PsFormat::Json) => output::ps_json(&rows),
            None | Some(cli::PsFormat::Table) => output::ps_table(self.release, &rows),
            Some(cli::PsFormat::Other(format)) => {
                return Err(fatal(format!("unsupported format: {format}")))
            }
        });
        Ok(0)
    }

    /// `events ID`: one stats line with `--stats`; otherwise a line every
    /// interval for as long as the container runs, and then, as runsc does,
    /// nothing more until the caller kills it.
    pub fn events(&self, opts: &cli::Events) -> CmdResult {
        let entry = self.find(opts.id.as_str(), Load::Sandbox)?;
        let id = &entry.id.clone();
        let interval = self.scale.to_real(Duration::from_secs(
            u64::try_from(opts.interval.unwrap_or(5)).unwrap_or(0),
        ));
        let mut current = Some(entry);
        loop {
            match current.as_ref().map(|e| (e, effective_status(e))) {
                Some((_, Status::Created)) => return Err(stats_panic()),
                Some((e, Status::Running | Status::Paused)) if e.real => {
                    let stats = real::stats(&self.store, id);
                    out(&output::real_stats_line(
                        self.release,
                        id,
                        stats.cpu_nanos,
                        stats.memory_bytes,
                        stats.pids,
                    ));
                }
                Some((e, Status::Running | Status::Paused)) => {
                    let running = clock::now_nanos().saturating_sub(e.init.started_nanos);
                    let processes = Self::live_processes(e).len() as u64;
                    out(&output::stats_line(self.release, id, processes, running));
                }
                // runsc logs the failure to its debug log only.
                _ if opts.stats => return Ok(128),
                _ => {}
            }
            if opts.stats {
                return Ok(0);
            }
            std::thread::sleep(interval.max(POLL));
            current = self.store.read(id)?;
        }
    }
}
