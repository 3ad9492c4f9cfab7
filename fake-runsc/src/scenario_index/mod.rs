//! The index of a replayed scenario, kept in the session directory, so that
//! a call reads its own container's steps and not the whole file.
//!
//! The fake is one short process per call, so without an index every call
//! would read and build the whole scenario: 216 ms and 452 MiB for 100 000
//! steps. The session's first call reads the file once, one step at a time,
//! and writes what deciding needs to know without reading a step (its
//! place in the file, subcommand, order and repeat count, and which
//! container ids it can be for) to `scenario.index`; later calls read that
//! and then only the steps they match, at their offsets in the scenario.
//!
//! The index is a cache: it names the scenario file's identity and times
//! (device, inode, size, mtime, ctime) and is rebuilt when they change or
//! when it cannot be used (its layout is in `format.rs`).

mod format;

use std::borrow::Cow;
use std::fs::File;
use std::io::Read;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};

use memmap2::Mmap;

use self::format::{build, Layout, Stamp};
use crate::decide::{Candidate, StepHead, StepSource};
use crate::matching::Captures;
use crate::scenario::Step;

/// The index's file name in the session directory.
pub const INDEX: &str = "scenario.index";

/// The identity and times of the scenario file as opened.
fn stamp_of(meta: &std::fs::Metadata) -> Stamp {
    [
        meta.dev(),
        meta.ino(),
        meta.size(),
        meta.mtime() as u64,
        meta.mtime_nsec() as u64,
        meta.ctime() as u64,
        meta.ctime_nsec() as u64,
    ]
}

/// Why the scenario file `path` cannot be read (here or by `verify`).
pub fn cannot_read(path: &Path, error: std::io::Error) -> String {
    format!(
        "cannot read the scenario {}: {error}; check FAKE_RUNSC_SCENARIO or the session file",
        path.display()
    )
}

/// Why the scenario file `path` is not a scenario.
pub fn not_valid(path: &Path, reason: &str) -> String {
    format!("the scenario {} is not valid: {reason}", path.display())
}

/// Why a step of the scenario file `path` cannot be replayed.
pub fn no_command(path: &Path, label: &str) -> String {
    format!(
        "the scenario {}: step {label} has no exact \"command\" in its match; run `fake-runsc check` on it",
        path.display()
    )
}

/// A scenario file and its index: the steps replay decides from.
#[derive(Debug)]
pub struct ScenarioIndex {
    path: PathBuf,
    scenario: File,
    bytes: Bytes,
    layout: Layout,
}

/// The index's bytes: mapped from the session directory, or just built.
#[derive(Debug)]
enum Bytes {
    Mapped(Mmap),
    Built(Vec<u8>),
}

impl std::ops::Deref for Bytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Self::Mapped(map) => map,
            Self::Built(bytes) => bytes,
        }
    }
}

/// Maps the index at `path` when it is a regular file of this user that
/// no one else may write. Reading it whole would cost more than the rest
/// of a call (4.6 MB for 100 000 steps); mapped, a call touches a few
/// pages. A mapped file that shrinks kills the reader (`SIGBUS`), and only
/// this user can shrink such a file; the fake itself only ever replaces it
/// whole, which leaves a mapping of the old file intact.
fn map_own(path: &Path) -> Option<Mmap> {
    let file = crate::shared_file::open(path).ok()?;
    let meta = file.metadata().ok()?;
    let own = meta.uid() == nix::unistd::geteuid().as_raw() && meta.mode() & 0o022 == 0;
    if !meta.is_file() || !own {
        return None;
    }
    // SAFETY: the file is a regular file owned by this user and writable
    // by no one else, and the fake never truncates it (see above), so it
    // keeps its length while mapped.
    unsafe { Mmap::map(&file) }.ok()
}

impl ScenarioIndex {
    /// Opens `scenario` through the index in `session_dir`, building the
    /// index (and checking every step, as loading the scenario does) when
    /// there is none for this version of the file.
    pub fn open(scenario: &Path, session_dir: &Path) -> Result<Self, String> {
        let unreadable = |e| cannot_read(scenario, e);
        let mut file = File::open(scenario).map_err(unreadable)?;
        let stamp = stamp_of(&file.metadata().map_err(unreadable)?);
        let index_path = session_dir.join(INDEX);
        if let Some(bytes) = map_own(&index_path) {
            if let Some(layout) = Layout::decode(&bytes, stamp) {
                return Ok(Self {
                    path: scenario.to_owned(),
                    scenario: file,
                    bytes: Bytes::Mapped(bytes),
                    layout,
                });
            }
        }
        let mut text = Vec::new();
        file.read_to_end(&mut text).map_err(unreadable)?;
        let bytes = build(&text, stamp, scenario)?;
        // Best effort: without it later calls build it again, no more.
        if std::fs::create_dir_all(session_dir).is_ok() {
            let _ = crate::shared_file::replace(&index_path, &bytes);
        }
        let layout = Layout::decode(&bytes, stamp)
            .ok_or_else(|| format!("the index built for {} cannot be read", scenario.display()))?;
        Ok(Self {
            path: scenario.to_owned(),
            scenario: file,
            bytes: Bytes::Built(bytes),
            layout,
        })
    }

    /// The scenario's `runsc_version`, as written.
    pub fn runsc_version(&self) -> Option<&str> {
        self.layout.release(&self.bytes)
    }
}

impl StepSource for ScenarioIndex {
    fn step_count(&self) -> usize {
        self.layout.steps()
    }

    fn head(&self, index: usize) -> StepHead<'_> {
        self.layout.head(&self.bytes, index)
    }

    fn step(&self, index: usize) -> Result<Cow<'_, Step>, String> {
        let read = match self.layout.place(&self.bytes, index) {
            Some((offset, len)) => {
                let mut text = vec![0; len];
                self.scenario
                    .read_exact_at(&mut text, offset)
                    .map(|()| text)
                    .map_err(|e| e.to_string())
            }
            None => Err("the index places it outside the file".to_owned()),
        };
        read.and_then(|text| serde_json::from_slice(&text).map_err(|e| e.to_string()))
            .map(Cow::Owned)
            .map_err(|e| {
                format!(
                    "cannot read step #{} of the scenario {} ({e}); was it changed while the test ran? Delete {INDEX} in the session directory",
                    index + 1,
                    self.path.display()
                )
            })
    }

    fn lane_candidates(
        &self,
        lane: Option<&str>,
        captures: &Captures,
    ) -> Result<Vec<Candidate>, String> {
        Ok(self.layout.candidates(&self.bytes, lane, captures))
    }
}
