//! Container state kept under `--root`: one JSON file per container, written
//! atomically (temporary file + rename) while holding an exclusive `flock` on
//! the root's lock file, so that concurrent fake-runsc processes never lose
//! an update or read a half-written entry.
//!
//! No file under the root is opened through a symlink
//! ([`crate::shared_file`]). The default root, shared by every test of a
//! user that passes no `--root`, is created private and refused when anyone
//! else could have planted files in it.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Read};
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};

use nix::fcntl::Flock;
use serde::{Deserialize, Serialize};

/// Suffix of a container's state file.
const ENTRY_SUFFIX: &str = ".fake-runsc.json";
/// The lock file every mutation holds.
const LOCK_FILE: &str = ".fake-runsc.lock";
/// Suffix of the marker a failed duplicate `create` leaves: runsc's failed
/// create removes the container's metadata but orphans its sandbox, whose
/// control socket keeps the id's name, so every later create of that id
/// fails while the sandbox runs. A created container's sandbox waits for a
/// start that never comes; a running one's until its program ends. The
/// simulator keeps the name taken until the root is removed.
const ORPHAN_SUFFIX: &str = ".fake-runsc.orphan";

/// The runsc-visible status of a container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Created, not started.
    Created,
    /// Started and its init process alive.
    Running,
    /// Paused.
    Paused,
    /// Its init process has exited.
    Stopped,
}

impl Status {
    /// The word runsc prints.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Stopped => "stopped",
        }
    }
}

/// A host process, identified by pid and kernel start time so that a reused
/// pid is never mistaken for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostProcess {
    /// The host pid.
    pub pid: i32,
    /// Field 22 of `/proc/PID/stat`.
    pub start_time: u64,
}

impl HostProcess {
    /// Identifies a live process.
    pub fn of(pid: i32) -> Option<Self> {
        proc_stat(pid).map(|s| Self {
            pid,
            start_time: s.start_time,
        })
    }

    /// Whether this very process is still alive (and not a zombie).
    pub fn is_alive(&self) -> bool {
        proc_stat(self.pid).is_some_and(|s| s.start_time == self.start_time && !s.dead)
    }

    /// Whether this is provably the simulator's own helper: alive, started
    /// at the recorded time, and running `fake-runsc __sim proc`. Pids come
    /// from state files, which someone else may have written; only a process
    /// that passes this is ever signalled.
    pub fn is_own_helper(&self) -> bool {
        // Checked again after the command line, so that a pid reused in
        // between cannot pass.
        self.is_alive() && is_helper_command(self.pid) && self.is_alive()
    }
}

/// Whether `/proc/PID/cmdline` is a simulator helper's: `... __sim proc ...`.
fn is_helper_command(pid: i32) -> bool {
    let Ok(cmdline) = fs::read(format!("/proc/{pid}/cmdline")) else {
        return false;
    };
    let mut args = cmdline.split(|b| *b == 0).skip(1);
    args.next() == Some(b"__sim".as_slice()) && args.next() == Some(b"proc".as_slice())
}

/// A process inside a simulated container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Process {
    /// Its pid inside the sandbox (the init process is 1).
    pub pid: i32,
    /// Its argv.
    pub args: Vec<String>,
    /// The host process that plays it, once known.
    pub host: Option<HostProcess>,
    /// Start time, nanoseconds since the epoch.
    pub started_nanos: u128,
    /// Signals sent to it and not yet taken by its host process.
    #[serde(default)]
    pub pending_signals: Vec<i32>,
    /// Its wait status (exit code, or 128 + signal) once it has exited.
    pub exit_status: Option<i32>,
    /// Pids and commands of the children it forks (a shell's `sleep`),
    /// shown by `ps` while it runs.
    #[serde(default)]
    pub children: Vec<(i32, String)>,
}

/// Everything the simulator knows about one container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The container id.
    pub id: String,
    /// The bundle directory, as runsc reports it.
    pub bundle: PathBuf,
    /// The container's root filesystem on the host.
    pub rootfs: PathBuf,
    /// `config.json` annotations.
    pub annotations: BTreeMap<String, String>,
    /// `PATH` from `config.json`'s process environment, for `exec`.
    #[serde(default)]
    pub path_env: Option<String>,
    /// Creation time, nanoseconds since the epoch.
    pub created_nanos: u128,
    /// Current status.
    pub status: Status,
    /// The init process (pid 1); its host process is the sandbox process
    /// whose pid `state` reports and `--pid-file` holds.
    pub init: Process,
    /// Processes started with `exec`.
    #[serde(default)]
    pub execs: Vec<Process>,
    /// The next pid `exec` hands out inside the sandbox.
    pub next_pid: i32,
    /// Its processes run for real in a sandbox of the host-process engine
    /// (see `real.rs`) rather than as simulated programs.
    #[serde(default)]
    pub real: bool,
}

impl Entry {
    /// Every process of the container that has a live host process.
    pub fn host_processes(&self) -> impl Iterator<Item = HostProcess> + '_ {
        std::iter::once(&self.init)
            .chain(self.execs.iter())
            .filter_map(|p| p.host)
    }
}

/// The state directory of one `--root`.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
    /// Whether `root` is the simulator's default, shared by every caller of
    /// this user without `--root`, and so checked before use.
    default: bool,
}

/// Holds the root's lock for as long as it lives.
pub struct Locked<'s> {
    store: &'s Store,
    _lock: Flock<File>,
}

/// A failure to read or write state, with the path involved.
#[derive(Debug)]
pub struct StoreError {
    /// What was being done.
    pub action: &'static str,
    /// The file or directory.
    pub path: PathBuf,
    /// Why it failed.
    pub source: io::Error,
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "fake-runsc: cannot {} {}: {}; check that --root names a writable directory",
            self.action,
            self.path.display(),
            self.source
        )
    }
}

impl Store {
    /// The store for `--root`, or the simulator's own default when none is given.
    pub fn new(root: Option<&Path>) -> Self {
        match root {
            Some(r) => Self {
                root: r.to_path_buf(),
                default: false,
            },
            None => Self {
                root: default_root(),
                default: true,
            },
        }
    }

    /// Refuses the default root unless this user alone could have written
    /// to it; creates it (mode 0700) when missing.
    fn trusted(&self) -> Result<(), StoreError> {
        if !self.default {
            return Ok(());
        }
        let err = |action, source| StoreError {
            action,
            path: self.root.clone(),
            source,
        };
        match fs::DirBuilder::new().mode(0o700).create(&self.root) {
            Err(e) if e.kind() != io::ErrorKind::AlreadyExists => {
                return Err(err("create the state directory", e))
            }
            _ => {}
        }
        let meta = fs::symlink_metadata(&self.root).map_err(|e| err("inspect", e))?;
        let problem = if !meta.is_dir() {
            Some("it is not a directory (a symbolic link is refused)".to_owned())
        } else if meta.uid() != nix::unistd::geteuid().as_raw() {
            Some(format!(
                "it belongs to uid {}, not to this user; another user may have planted it",
                meta.uid()
            ))
        } else if meta.mode() & 0o022 != 0 {
            Some(format!(
                "it is writable by group or others (mode {:o})",
                meta.mode() & 0o7777
            ))
        } else {
            None
        };
        match problem {
            Some(why) => Err(err(
                "use the default state directory",
                io::Error::new(
                    io::ErrorKind::PermissionDenied,
                    format!("{why}; remove it or pass --root"),
                ),
            )),
            None => Ok(()),
        }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn entry_path(&self, id: &str) -> PathBuf {
        self.root.join(format!("{id}{ENTRY_SUFFIX}"))
    }

    fn orphan_path(&self, id: &str) -> PathBuf {
        self.root.join(format!("{id}{ORPHAN_SUFFIX}"))
    }

    /// Whether a failed duplicate `create` orphaned a sandbox named `id`.
    pub fn is_orphaned(&self, id: &str) -> bool {
        is_plain_name(id) && fs::symlink_metadata(self.orphan_path(id)).is_ok()
    }

    /// Finds the container `given` names: the id itself, else the one id it
    /// is a prefix of (runsc accepts unique prefixes, even the empty one).
    /// As runsc, a corrupt state file only fails the ids that name it.
    pub fn resolve(&self, given: &str) -> Result<Resolved, StoreError> {
        if let Some(entry) = self.read(given)? {
            return Ok(Resolved::Found(Box::new(entry)));
        }
        let mut matches: Vec<String> = self
            .ids()?
            .into_iter()
            .filter(|id| id.starts_with(given))
            .collect();
        Ok(match matches.len() {
            0 => Resolved::Missing,
            1 => match self.read(&matches.remove(0))? {
                Some(entry) => Resolved::Found(Box::new(entry)),
                None => Resolved::Missing,
            },
            _ => Resolved::Ambiguous(matches),
        })
    }

    /// Takes the root's exclusive lock, creating the root when needed.
    pub fn lock(&self) -> Result<Locked<'_>, StoreError> {
        let err = |action, source| StoreError {
            action,
            path: self.root.clone(),
            source,
        };
        self.trusted()?;
        fs::create_dir_all(&self.root).map_err(|e| err("create the state directory", e))?;
        let lock =
            crate::shared_file::lock(&self.root.join(LOCK_FILE)).map_err(|e| err("lock", e))?;
        Ok(Locked {
            store: self,
            _lock: lock,
        })
    }

    /// Reads one entry without the lock (renames make that safe); `None` when
    /// the container does not exist or `id` could not name one.
    pub fn read(&self, id: &str) -> Result<Option<Entry>, StoreError> {
        if !is_plain_name(id) {
            return Ok(None);
        }
        self.trusted()?;
        let path = self.entry_path(id);
        match crate::shared_file::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| StoreError {
                    action: "read the container state in",
                    path,
                    source: io::Error::new(io::ErrorKind::InvalidData, e),
                }),
            Err(e) if is_absent(&e) => Ok(None),
            Err(e) => Err(StoreError {
                action: "read",
                path,
                source: e,
            }),
        }
    }

    /// Every readable entry, ordered by id. A corrupt or unreadable state
    /// file is skipped, as runsc's `list` skips its own.
    pub fn list(&self) -> Result<Vec<Entry>, StoreError> {
        let mut out = Vec::new();
        for id in self.ids()? {
            if let Ok(Some(entry)) = self.read(&id) {
                out.push(entry);
            }
        }
        Ok(out)
    }

    /// The ids that have a state file, ordered.
    fn ids(&self) -> Result<Vec<String>, StoreError> {
        self.trusted()?;
        let dir = match fs::read_dir(&self.root) {
            Ok(dir) => dir,
            Err(e) if is_absent(&e) => return Ok(Vec::new()),
            Err(e) => {
                return Err(StoreError {
                    action: "list",
                    path: self.root.clone(),
                    source: e,
                })
            }
        };
        let mut ids: Vec<String> = dir
            .filter_map(|d| d.ok())
            .filter_map(|d| {
                d.file_name()
                    .to_str()
                    .and_then(|n| n.strip_suffix(ENTRY_SUFFIX))
                    .map(str::to_owned)
            })
            .collect();
        ids.sort();
        Ok(ids)
    }
}

impl<'s> Locked<'s> {
    /// The store this lock is held on.
    pub fn store(&self) -> &'s Store {
        self.store
    }

    /// Reads one entry.
    pub fn read(&self, id: &str) -> Result<Option<Entry>, StoreError> {
        self.store.read(id)
    }

    /// Writes one entry atomically.
    pub fn write(&self, entry: &Entry) -> Result<(), StoreError> {
        let path = self.store.entry_path(&entry.id);
        let err = |source| StoreError {
            action: "write",
            path: path.clone(),
            source,
        };
        let bytes = serde_json::to_vec(entry)
            .map_err(|e| err(io::Error::new(io::ErrorKind::InvalidData, e)))?;
        crate::shared_file::replace(&path, &bytes).map_err(err)
    }

    /// Whether a failed duplicate `create` orphaned a sandbox named `id`.
    pub fn is_orphaned(&self, id: &str) -> bool {
        self.store.is_orphaned(id)
    }

    /// What a failed duplicate `create` of `id` leaves, as runsc's does: the
    /// container's metadata gone and, while its sandbox still runs (its
    /// init has not exited), the sandbox orphaned under the id's name.
    /// Returns the entry that was removed; does nothing when there is none.
    pub fn orphan(
        &self,
        id: &str,
        sandbox_runs: impl Fn(&Entry) -> bool,
    ) -> Result<Option<Entry>, StoreError> {
        let Some(existing) = self.read(id)? else {
            return Ok(None);
        };
        if sandbox_runs(&existing) {
            let path = self.store.orphan_path(id);
            crate::shared_file::replace(&path, b"").map_err(|source| StoreError {
                action: "write",
                path,
                source,
            })?;
        }
        self.remove(id)?;
        Ok(Some(existing))
    }

    /// Removes one entry; a missing one is not an error.
    pub fn remove(&self, id: &str) -> Result<(), StoreError> {
        if !is_plain_name(id) {
            return Ok(());
        }
        let path = self.store.entry_path(id);
        match fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(StoreError {
                action: "remove",
                path,
                source: e,
            }),
            _ => Ok(()),
        }
    }
}

/// What an id argument names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// Exactly one container, as read while resolving.
    Found(Box<Entry>),
    /// None.
    Missing,
    /// Several containers whose ids begin with it.
    Ambiguous(Vec<String>),
}

/// Whether `id` can be used in a file name in the root: no separators, not
/// empty. Anything else names no container. (`.` and `..` are fine: the
/// state file's name has a suffix.)
fn is_plain_name(id: &str) -> bool {
    !id.is_empty() && !id.contains('/') && !id.contains('\0')
}

/// `$XDG_RUNTIME_DIR/fake-runsc`, else `/tmp/fake-runsc-UID`: never runsc's
/// own `/var/run/runsc`, so a test without `--root` cannot touch real state.
pub fn default_root() -> PathBuf {
    match std::env::var_os("XDG_RUNTIME_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir).join("fake-runsc"),
        _ => {
            // The owner of /proc/self is this process's effective uid.
            let uid = fs::metadata("/proc/self").map_or(0, |m| m.uid());
            PathBuf::from(format!("/tmp/fake-runsc-{uid}"))
        }
    }
}

/// What the simulator needs from `/proc/PID/stat`.
struct ProcStat {
    /// Field 22, the start time in clock ticks since boot.
    start_time: u64,
    /// State `Z` (zombie) or `X` (dead).
    dead: bool,
}

/// Reads `/proc/PID/stat` once; `None` when there is no such process.
fn proc_stat(pid: i32) -> Option<ProcStat> {
    if pid <= 0 {
        return None;
    }
    // One read is enough: the file is well under 1 KiB, and procfs returns
    // it whole to a large enough buffer.
    let mut stat = Vec::with_capacity(1024);
    File::open(format!("/proc/{pid}/stat"))
        .and_then(|mut f| f.read_to_end(&mut stat))
        .ok()?;
    // The command name may hold spaces and parentheses; fields resume after the last ')'.
    let rest = &stat[stat.iter().rposition(|b| *b == b')')? + 1..];
    let mut fields = rest
        .split(|b| b.is_ascii_whitespace())
        .filter(|f| !f.is_empty());
    let state = fields.next()?;
    let start_time = std::str::from_utf8(fields.nth(18)?).ok()?.parse().ok()?;
    Some(ProcStat {
        start_time,
        dead: state == b"Z" || state == b"X",
    })
}

/// Whether an error means "no such container": runsc reads a `--root` that
/// is missing or a regular file as an empty root.
fn is_absent(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::NotFound || e.raw_os_error() == Some(nix::libc::ENOTDIR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifies_live_processes_only() {
        let me = HostProcess::of(std::process::id() as i32).unwrap();
        assert!(me.is_alive());
        let reused = HostProcess {
            start_time: me.start_time + 1,
            ..me
        };
        assert!(!reused.is_alive());
        assert!(HostProcess::of(-1).is_none());
    }

    #[test]
    fn entries_round_trip_and_list_in_id_order() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(Some(dir.path()));
        let entry = |id: &str| Entry {
            id: id.to_owned(),
            bundle: "/b".into(),
            rootfs: "/".into(),
            annotations: BTreeMap::new(),
            path_env: None,
            created_nanos: 1,
            status: Status::Created,
            init: Process {
                pid: 1,
                args: vec!["true".into()],
                host: None,
                started_nanos: 1,
                pending_signals: vec![],
                exit_status: None,
                children: vec![],
            },
            execs: vec![],
            next_pid: 2,
            real: false,
        };
        let locked = store.lock().unwrap();
        locked.write(&entry("b")).unwrap();
        locked.write(&entry("a")).unwrap();
        assert_eq!(locked.read("a").unwrap(), Some(entry("a")));
        let ids: Vec<String> = store.list().unwrap().into_iter().map(|e| e.id).collect();
        assert_eq!(ids, ["a", "b"]);
        assert_eq!(
            store.resolve("a").unwrap(),
            Resolved::Found(Box::new(entry("a")))
        );
        assert_eq!(
            store.resolve("").unwrap(),
            Resolved::Ambiguous(vec!["a".into(), "b".into()])
        );
        assert_eq!(store.resolve("../a").unwrap(), Resolved::Missing);
        assert_eq!(store.read("../a").unwrap(), None);
        locked.remove("a").unwrap();
        locked.remove("a").unwrap();
        assert_eq!(store.read("a").unwrap(), None);
        assert_eq!(
            store.resolve("").unwrap(),
            Resolved::Found(Box::new(entry("b")))
        );
    }
}
