//! The per-test session directory: replay state (which steps were used, the
//! per-container cursors, captures), the journal, and pids of live processes.
//!
//! Many fake processes may answer calls at once, so every read-modify-write
//! of the state happens under an exclusive `flock` on `state.lock`, and the
//! new state replaces the old atomically ([`crate::shared_file`]).

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use nix::fcntl::Flock;

use crate::decide::ReplayState;
use crate::error::Error;

/// The replay state's file name in the session directory.
pub const STATE: &str = "state.json";
/// Pids of `live` pid-file processes, one per line.
pub const LIVE_PIDS: &str = "live-pids";
const LOCK: &str = "state.lock";
/// How often a lock file that vanished under the lock is locked again.
const LOCK_ATTEMPTS: usize = 20;

/// An open session directory.
#[derive(Debug)]
pub struct Session {
    dir: PathBuf,
    // Kept open between the call and finished lines: one open per process.
    journal: std::cell::OnceCell<File>,
}

/// The session, locked: state may be read and written.
pub struct Locked<'s> {
    session: &'s Session,
    _lock: Flock<File>,
}

impl Session {
    /// Opens (creating if needed) a session directory.
    pub fn open(dir: &Path) -> Result<Self, Error> {
        fs::create_dir_all(dir).map_err(|source| Error::SessionDir {
            dir: dir.to_owned(),
            source,
        })?;
        Ok(Self {
            dir: dir.to_owned(),
            journal: std::cell::OnceCell::new(),
        })
    }

    /// Takes the session's exclusive lock, waiting for other fake processes.
    ///
    /// A lock file deleted (or replaced) while another process waited on it
    /// would let two processes hold "the" lock at once, so the lock only
    /// counts when the file locked is still the one at the path; otherwise
    /// it is taken again on the new file.
    pub fn lock(&self) -> Result<Locked<'_>, Error> {
        use std::os::unix::fs::MetadataExt;
        let path = self.dir.join(LOCK);
        for _ in 0..LOCK_ATTEMPTS {
            let lock = crate::shared_file::lock(&path)
                .map_err(Error::io(format!("cannot lock {}", path.display())))?;
            let held = lock
                .metadata()
                .map_err(Error::io(format!("cannot inspect {}", path.display())))?;
            let current = fs::metadata(&path).ok();
            if current.is_some_and(|m| m.ino() == held.ino() && m.dev() == held.dev()) {
                return Ok(Locked {
                    session: self,
                    _lock: lock,
                });
            }
        }
        Err(Error::io(format!(
            "cannot lock {}: the lock file keeps being deleted or replaced; leave the session directory to the fake while a test runs",
            path.display()
        ))(std::io::ErrorKind::Other.into()))
    }

    /// Appends one JSON line to the journal in a single write, so lines of
    /// concurrent processes never interleave.
    pub fn journal(&self, entry: &crate::journal::Entry) -> Result<(), Error> {
        let path = self.dir.join(crate::journal::JOURNAL);
        let mut line = serde_json::to_vec(entry).map_err(|e| {
            Error::io(format!(
                "cannot encode a line of the journal {}",
                path.display()
            ))(e.into())
        })?;
        line.push(b'\n');
        let mut file = match self.journal.get() {
            Some(file) => file,
            None => {
                let opened = OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&path)
                    .map_err(Error::io(format!(
                        "cannot open the journal {}",
                        path.display()
                    )))?;
                self.journal.get_or_init(|| opened)
            }
        };
        file.write_all(&line).map_err(Error::io(format!(
            "cannot write the journal {}",
            path.display()
        )))
    }

    /// Records the pid of a live helper process so the test can kill it.
    pub fn record_live_pid(&self, pid: i32) -> Result<(), Error> {
        let path = self.dir.join(LIVE_PIDS);
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(Error::io(format!("cannot open {}", path.display())))?;
        file.write_all(format!("{pid}\n").as_bytes())
            .map_err(Error::io(format!("cannot write {}", path.display())))
    }
}

impl Locked<'_> {
    /// Reads the state (empty when there is none yet).
    pub fn read(&self) -> Result<ReplayState, Error> {
        let path = self.session.dir.join(STATE);
        match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| Error::Corrupt {
                what: "the replay state",
                reason: e.to_string(),
                path,
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                // No state yet is a new session, unless calls were already
                // journalled: then the state was deleted, and starting the
                // scenario over would let its steps answer twice.
                let journal = self.session.dir.join(crate::journal::JOURNAL);
                match fs::metadata(&journal) {
                    Ok(meta) if meta.len() > 0 => Err(Error::Corrupt {
                        what: "the replay state",
                        path,
                        reason: format!(
                            "it is missing although {} already holds calls",
                            journal.display()
                        ),
                    }),
                    _ => Ok(ReplayState::default()),
                }
            }
            Err(e) => Err(Error::io(format!("cannot read {}", path.display()))(e)),
        }
    }

    /// Replaces the state atomically.
    pub fn write(&self, state: &ReplayState) -> Result<(), Error> {
        let path = self.session.dir.join(STATE);
        let context = format!("cannot write the replay state {}", path.display());
        let bytes = serde_json::to_vec(state).map_err(|e| Error::io(context.clone())(e.into()))?;
        crate::shared_file::replace(&path, &bytes).map_err(Error::io(context))
    }
}

/// The file in a session directory naming the scenario replayed into it,
/// written by the session's first call so `fake-runsc verify` needs only
/// the directory.
pub const SCENARIO_NAME: &str = "scenario-path";

/// Remembers which scenario a session replays (see [`SCENARIO_NAME`]).
pub fn remember_scenario(session_dir: &Path, scenario: &Path) -> std::io::Result<()> {
    let absolute = std::path::absolute(scenario)?;
    fs::write(
        session_dir.join(SCENARIO_NAME),
        absolute.as_os_str().as_encoded_bytes(),
    )
}

/// Reads a session's state under its lock.
pub fn read_state(dir: &Path) -> Result<ReplayState, Error> {
    let session = Session {
        dir: dir.to_owned(),
        journal: std::cell::OnceCell::new(),
    };
    session.lock()?.read()
}
