//! The crate's error: what went wrong with the fake's files, sessions or
//! binary, in variants a caller can act on.

use std::path::PathBuf;

/// Why the fake or its test support could not go on.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The fake binary was not found: install it or name it.
    #[error("cannot find the fake-runsc binary; tried:\n  {}\nInstall it once (`cargo install --path PATH/TO/fake-runsc` puts an optimised build on PATH), or build it and set FAKE_RUNSC_BIN to its path (see \"Using it in your crate\" in fake-runsc's README)", tried.join("\n  "))]
    NotFound {
        /// What was tried, in order.
        tried: Vec<String>,
    },
    /// The session directory cannot be created: point the session elsewhere.
    #[error("cannot create the session directory {}: {source}; set FAKE_RUNSC_SESSION to a writable directory", dir.display())]
    SessionDir {
        /// The directory.
        dir: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// One of the two replay variables is set without the other: set both.
    #[error("{set} is set but {missing} is not; set {missing} to {what}")]
    HalfConfigured {
        /// The variable that is set.
        set: &'static str,
        /// The variable that is missing.
        missing: &'static str,
        /// What the missing variable names.
        what: &'static str,
    },
    /// The session file under `--root` is not a session file: rewrite it.
    #[error("the session file {} is not valid ({reason}); it must be {{\"scenario\": PATH, \"session\": DIR}}", path.display())]
    SessionFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A scenario's `runsc_version` names no release the fake knows: fix it
    /// or set `FAKE_RUNSC_RELEASE`.
    #[error("the scenario {} does not name a runsc release the fake speaks ({reason}); set its runsc_version to 20221219, 20241021 or 20260817", path.display())]
    ScenarioRelease {
        /// The scenario file.
        path: PathBuf,
        /// What is wrong with its header.
        reason: String,
    },
    /// A file of the session (state, journal, lock) or of the test's setup
    /// could not be read or written.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, naming the path.
        context: String,
        /// What the OS said.
        source: std::io::Error,
    },
    /// `FakeRuntime::start` was given a scenario `fake-runsc check` rejects:
    /// fix the steps named.
    #[error("the scenario has problems `fake-runsc check` reports:\n  {}", problems.join("\n  "))]
    InvalidScenario {
        /// One line per problem.
        problems: Vec<String>,
    },
    /// A file the fake writes holds something it did not write: the session
    /// is unusable and is best started over.
    #[error("{what} {} is corrupt ({reason}); delete the session directory to start over", path.display())]
    Corrupt {
        /// Which file: `the replay state`, `a journal line in`.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

/// A test that returns `Result` or calls `unwrap` prints the Debug form:
/// make it the Display form, which says what to do.
impl std::fmt::Debug for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl Error {
    /// An [`Error::Io`] for `context`, to use with `map_err`.
    pub(crate) fn io(context: String) -> impl FnOnce(std::io::Error) -> Self {
        move |source| Self::Io { context, source }
    }
}
