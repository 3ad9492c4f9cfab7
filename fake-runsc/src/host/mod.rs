//! Real host processes for a container: the engine behind "the fake runs real
//! programs".
//!
//! A container is played by a **sandbox supervisor**: a process of its own
//! session, forked by the call that creates the container, that outlives that
//! call (as runsc's sandbox does) and is the parent, and child subreaper, of
//! every process of the container. It starts the init process, runs each
//! `exec` on request, reaps them and keeps their exit statuses (signal deaths
//! as 128 + N). Because every process of the container descends from it,
//! "every process of the container" is "every descendant of the supervisor":
//! `kill --all`, `ps`, pause/resume and stats walk that tree in `/proc`, and
//! [`Sandbox::destroy`] kills it whole, also after the call that created the
//! container or the one that ran an `exec` was killed mid-way.
//!
//! The supervisor is forked, not re-executed, so [`Sandbox::create`] is
//! meant for a single-threaded caller such as the fake's own process; from a
//! threaded one (the tests) it relies on the supervisor taking no lock that
//! another thread may hold at the fork: it touches neither Rust's stdio nor
//! the environment.
//!
//! Calls talk to the supervisor over a unix socket in the container's state
//! directory; an `exec` hands its stdio to the supervisor with SCM_RIGHTS (as
//! runsc donates fds to its sandbox) and waits for the exit status there.
//!
//! How far a process is confined to the container's filesystem depends on the
//! [`Level`]: as root, a private mount namespace with an overlay over the
//! bundle's root (a tmpfs upper layer, so the bundle's files are never
//! modified and missing mount points still work), the spec's mounts, then
//! `pivot_root`; without root, the same inside an unprivileged user
//! namespace where the kernel allows it; else the host's filesystem with only
//! cwd and env applied.

mod confine;
mod launch;
mod procs;
mod sandbox;
mod supervisor;
mod wire;

#[cfg(test)]
mod tests;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use launch::Launch;
pub use procs::Stats;
#[cfg(test)]
pub use sandbox::Created;
pub use sandbox::{ExecHandle, Sandbox};

/// How far the container's processes are confined to its filesystem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// As root: a private mount namespace, an overlay over the root
    /// filesystem, the spec's mounts, `pivot_root`, the spec's user.
    Root,
    /// Without root: the same inside an unprivileged user namespace that maps
    /// the caller to uid 0 (the spec's user is not applied).
    Rootless,
    /// Neither: the host's filesystem, with only cwd and env applied.
    Host,
}

/// Environment variable that forces a [`Level`] (`root`, `rootless`, `host`),
/// for tests of the less privileged levels.
pub const LEVEL_ENV: &str = "FAKE_RUNSC_HOST_LEVEL";

impl Level {
    /// The level this process can have: [`LEVEL_ENV`] when set, else root when
    /// running as root, else rootless when the kernel lets an unprivileged
    /// user make a user namespace, else host.
    pub fn detect() -> Result<Self, Error> {
        if let Some(forced) = std::env::var_os(LEVEL_ENV) {
            return match forced.to_str() {
                Some("root") => Ok(Self::Root),
                Some("rootless") => Ok(Self::Rootless),
                Some("host") => Ok(Self::Host),
                _ => Err(Error::BadLevel(forced.to_string_lossy().into_owned())),
            };
        }
        if nix::unistd::geteuid().is_root() {
            return Ok(Self::Root);
        }
        Ok(if confine::user_namespaces_allowed() {
            Self::Rootless
        } else {
            Self::Host
        })
    }

    /// The one-line warning the simulator writes to `--log`/`--debug-log`
    /// when processes see the host's filesystem, `None` otherwise.
    pub fn warning(self) -> Option<&'static str> {
        match self {
            Self::Host => Some(
                "fake-runsc: no root and no user namespaces: container processes run on the \
                 host's filesystem with only cwd and env applied",
            ),
            Self::Rootless => None,
            Self::Root => None,
        }
    }
}

/// A mount of the OCI spec, as the engine applies it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mount {
    /// Where it appears in the container.
    pub destination: PathBuf,
    /// `proc`, `tmpfs`, `bind`, ... (others are skipped).
    pub kind: String,
    /// The source: a host path for binds (relative to the bundle when relative).
    pub source: PathBuf,
    /// The spec's options (`ro`, `bind`, `rbind`, `size=...`, `mode=...`).
    pub options: Vec<String>,
}

/// The container's filesystem: what [`Level::Root`] and [`Level::Rootless`]
/// confine its processes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filesystem {
    /// The root filesystem on the host (absolute).
    pub root: PathBuf,
    /// `root.readonly`: the container sees its root read-only.
    pub readonly: bool,
    /// The spec's mounts, in order.
    pub mounts: Vec<Mount>,
}

impl Filesystem {
    /// The filesystem an OCI spec describes, with `root.path` and relative
    /// bind sources resolved against `bundle`.
    pub fn from_spec(spec: &runsc::oci_spec::runtime::Spec, bundle: &std::path::Path) -> Self {
        let (root, readonly) = match spec.root() {
            Some(root) => (bundle.join(root.path()), root.readonly().unwrap_or(false)),
            None => (bundle.join("rootfs"), false),
        };
        let mounts = spec
            .mounts()
            .iter()
            .flatten()
            .map(|m| Mount {
                destination: m.destination().clone(),
                kind: m.typ().clone().unwrap_or_default(),
                source: m
                    .source()
                    .as_ref()
                    .map(|s| bundle.join(s))
                    .unwrap_or_default(),
                options: m.options().clone().unwrap_or_default(),
            })
            .collect();
        Self {
            root,
            readonly,
            mounts,
        }
    }
}

/// Why a container's process could not be started, in the words runsc uses
/// (see `scenarios/real-runsc/cases/prog-*`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum StartFailure {
    /// The program named by path could not be loaded.
    #[error("failed to load {path}: {cause}")]
    Load {
        /// argv[0] or the file found for it.
        path: String,
        /// Go's wording of the errno (`no such file or directory`).
        cause: String,
    },
    /// argv[0] has no slash and is on no directory of `PATH`.
    #[error("error finding executable \"{name}\" in PATH [{}]: {cause}", .dirs.join(" "))]
    Lookup {
        /// argv[0].
        name: String,
        /// The directories of the process's `PATH`.
        dirs: Vec<String>,
        /// Go's wording of the errno.
        cause: String,
    },
    /// The container's filesystem view could not be set up.
    #[error("setting up the container's filesystem: {what}: {cause}")]
    Setup {
        /// The step that failed, with its path.
        what: String,
        /// The errno's wording.
        cause: String,
    },
}

impl StartFailure {
    /// runsc's stderr line for a `start` that fails this way.
    pub fn start_message(&self) -> String {
        match self {
            Self::Lookup { .. } => {
                format!("starting container: starting root container: starting sandbox: {self}")
            }
            _ => format!(
                "starting container: starting root container: starting sandbox: creating process: {self}"
            ),
        }
    }

    /// runsc's stderr line for a `run` that fails this way (the simulator
    /// prefixes `start`'s message the same way for every failure).
    #[cfg(test)]
    pub fn run_message(&self) -> String {
        format!("running container: {}", self.start_message())
    }

    /// runsc's stderr line for an `exec` of `command` (argv[0]) that fails
    /// this way.
    pub fn exec_message(&self, command: &str) -> String {
        format!(
            "executing processes for container: executing command \"{command}\" in sandbox: {self}"
        )
    }
}

/// A failure of the engine itself.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// [`LEVEL_ENV`] holds something else than `root`, `rootless` or `host`.
    #[error("fake-runsc: {LEVEL_ENV}={0:?} is not one of root, rootless, host")]
    BadLevel(String),
    /// The container's process could not be started.
    #[error("{0}")]
    Start(#[from] StartFailure),
    /// A file or directory of the container's state could not be used.
    #[error("fake-runsc: cannot {action} {path}: {source}; check that --root names a writable directory")]
    State {
        /// What was being done.
        action: &'static str,
        /// The path involved.
        path: PathBuf,
        /// Why it failed.
        source: std::io::Error,
    },
    /// The sandbox supervisor did not answer (it died or was killed).
    #[error("fake-runsc: the sandbox process of {dir} is gone: {source}; delete the container and create it again")]
    Gone {
        /// The container's state directory.
        dir: PathBuf,
        /// What failed when talking to it.
        source: std::io::Error,
    },
    /// The sandbox supervisor answered something this engine cannot read.
    #[error("fake-runsc: the sandbox process of {dir} answered {reply:?}; it was started by another fake-runsc build, delete the container")]
    Protocol {
        /// The container's state directory.
        dir: PathBuf,
        /// What it answered.
        reply: String,
    },
    /// A request the container's state refuses (a second `start`).
    #[error("fake-runsc: {0}")]
    Refused(String),
}

/// Go's wording of an errno: the C library's text with a lower-case first
/// letter (`no such file or directory`, `exec format error`).
pub(crate) fn go_errno(errno: nix::errno::Errno) -> String {
    let text = errno.desc();
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => text.to_owned(),
    }
}
