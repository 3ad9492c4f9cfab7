//! What a container process runs, and the last steps of starting it: in the
//! forked child, after its filesystem view is set, apply cwd, user and
//! rlimits, find the program as runsc does, and exec it. A failure goes back
//! to the supervisor as a [`StartFailure`] over a close-on-exec pipe, so
//! a successful exec is seen as that pipe's end of file.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use nix::errno::Errno;
use nix::unistd::{Gid, Uid};
use serde::{Deserialize, Serialize};

use super::{go_errno, Level, StartFailure};

/// A process to run in the container: the spec's `process`, or `exec`'s
/// arguments with `--cwd`, `--env`, `--user`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Launch {
    /// argv; argv[0] without a slash is looked up in the `PATH` of `env`.
    pub args: Vec<String>,
    /// `NAME=value` entries, the whole environment.
    pub env: Vec<String>,
    /// The working directory inside the container (made when missing, as
    /// runsc does).
    pub cwd: String,
    /// The user id (applied as root only).
    pub uid: u32,
    /// The group id (applied as root only).
    pub gid: u32,
    /// Supplementary groups (applied as root only).
    pub additional_gids: Vec<u32>,
    /// `RLIMIT_*` settings.
    pub rlimits: Vec<Rlimit>,
    /// `terminal: true`: the process gets a pty whose master goes to
    /// `console_socket`.
    pub terminal: bool,
    /// Where the pty's master is sent (`--console-socket`).
    pub console_socket: Option<std::path::PathBuf>,
}

/// One `process.rlimits` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rlimit {
    /// `RLIMIT_NOFILE`, ... as the spec spells it.
    pub kind: String,
    /// The soft limit.
    pub soft: u64,
    /// The hard limit.
    pub hard: u64,
}

impl Launch {
    /// The spec's process.
    pub fn from_process(process: &runsc::oci_spec::runtime::Process) -> Self {
        let user = process.user();
        Self {
            args: process.args().clone().unwrap_or_default(),
            env: process.env().clone().unwrap_or_default(),
            cwd: process.cwd().to_string_lossy().into_owned(),
            uid: user.uid(),
            gid: user.gid(),
            additional_gids: user.additional_gids().clone().unwrap_or_default(),
            rlimits: process
                .rlimits()
                .iter()
                .flatten()
                .map(|r| Rlimit {
                    kind: serde_json::to_value(r.typ())
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                    soft: r.soft(),
                    hard: r.hard(),
                })
                .collect(),
            terminal: process.terminal().unwrap_or(false),
            console_socket: None,
        }
    }

    /// The directories of `PATH` in this process's environment.
    fn path_dirs(&self) -> Vec<String> {
        self.env
            .iter()
            .find_map(|e| e.strip_prefix("PATH="))
            .map(|p| p.split(':').map(str::to_owned).collect())
            .unwrap_or_default()
    }
}

/// Applies cwd, user and rlimits, then execs; returns only on failure.
pub(super) fn exec(launch: &Launch, level: Level) -> StartFailure {
    enter_cwd(&launch.cwd, level);
    for limit in &launch.rlimits {
        if let Some(resource) = resource(&limit.kind) {
            let _ = nix::sys::resource::setrlimit(resource, limit.soft, limit.hard);
        }
    }
    if level != Level::Rootless && Uid::effective().is_root() {
        let groups: Vec<Gid> = launch
            .additional_gids
            .iter()
            .map(|g| Gid::from_raw(*g))
            .collect();
        let steps = [
            ("setgroups", nix::unistd::setgroups(&groups)),
            ("setgid", nix::unistd::setgid(Gid::from_raw(launch.gid))),
            ("setuid", nix::unistd::setuid(Uid::from_raw(launch.uid))),
        ];
        for (what, result) in steps {
            if let Err(errno) = result {
                return StartFailure::Setup {
                    what: format!("{what} for user {}:{}", launch.uid, launch.gid),
                    cause: go_errno(errno),
                };
            }
        }
    }
    let Some(name) = launch.args.first() else {
        return StartFailure::Load {
            path: String::new(),
            cause: go_errno(Errno::ENOENT),
        };
    };
    let path = if name.contains('/') {
        name.clone()
    } else {
        match find_in_path(name, &launch.path_dirs()) {
            Some(found) => found,
            None => {
                return StartFailure::Lookup {
                    name: name.clone(),
                    dirs: launch.path_dirs(),
                    cause: go_errno(Errno::ENOENT),
                }
            }
        }
    };
    if let Err(errno) = loadable(Path::new(&path)) {
        return load_failure(name, errno);
    }
    let (Ok(file), Ok(argv), Ok(envp)) = (
        CString::new(path.as_bytes()),
        cstrings(&launch.args),
        cstrings(&launch.env),
    ) else {
        return load_failure(name, Errno::EINVAL);
    };
    match nix::unistd::execve(&file, &argv, &envp) {
        Err(errno) => load_failure(name, errno),
        Ok(never) => match never {},
    }
}

fn load_failure(name: &str, errno: Errno) -> StartFailure {
    StartFailure::Load {
        path: name.to_owned(),
        cause: go_errno(errno),
    }
}

/// Enters `cwd`, making it when missing, as runsc does even on a read-only
/// root (`prog-exec-bad-cwd`, `prog-run-bad-cwd`: its overlay takes the new
/// directory); a cwd that cannot be made leaves the process at `/`. On the
/// host's own filesystem ([`Level::Host`]) nothing is made.
fn enter_cwd(cwd: &str, level: Level) {
    let cwd = if cwd.is_empty() { "/" } else { cwd };
    if nix::unistd::chdir(cwd).is_ok() {
        return;
    }
    let made = level != Level::Host
        && match std::fs::create_dir_all(cwd) {
            Ok(()) => true,
            Err(e) if e.raw_os_error() == Some(nix::libc::EROFS) => {
                super::confine::make_dir_in_read_only_root(Path::new(cwd))
            }
            Err(_) => false,
        };
    if !(made && nix::unistd::chdir(cwd).is_ok()) {
        let _ = nix::unistd::chdir("/");
    }
}

/// runsc's loader refuses what is not an ELF binary or a `#!` script with
/// ENOEXEC before it looks at permission bits (`prog-exec-not-executable`),
/// and a directory with EACCES (`prog-run-directory`).
fn loadable(path: &Path) -> Result<(), Errno> {
    let meta = std::fs::metadata(path).map_err(io_errno)?;
    if meta.is_dir() {
        return Err(Errno::EACCES);
    }
    let mut head = [0u8; 4];
    let mut file = std::fs::File::open(path).map_err(io_errno)?;
    let n = std::io::Read::read(&mut file, &mut head).map_err(io_errno)?;
    if head[..n].starts_with(b"\x7fELF") || head[..n].starts_with(b"#!") {
        Ok(())
    } else {
        Err(Errno::ENOEXEC)
    }
}

fn io_errno(e: std::io::Error) -> Errno {
    Errno::from_raw(e.raw_os_error().unwrap_or(nix::libc::EIO))
}

/// The first `DIR/name` on `dirs` that is an executable non-directory.
fn find_in_path(name: &str, dirs: &[String]) -> Option<String> {
    dirs.iter().find_map(|dir| {
        let candidate = Path::new(if dir.is_empty() { "." } else { dir }).join(name);
        let meta = std::fs::metadata(&candidate).ok()?;
        let executable = std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o111 != 0;
        (!meta.is_dir() && executable).then(|| candidate.to_string_lossy().into_owned())
    })
}

fn cstrings(items: &[String]) -> Result<Vec<CString>, std::ffi::NulError> {
    items
        .iter()
        .map(|s| CString::new(std::ffi::OsStr::new(s).as_bytes()))
        .collect()
}

fn resource(kind: &str) -> Option<nix::sys::resource::Resource> {
    use nix::sys::resource::Resource as R;
    Some(match kind.trim_start_matches("RLIMIT_") {
        "AS" => R::RLIMIT_AS,
        "CORE" => R::RLIMIT_CORE,
        "CPU" => R::RLIMIT_CPU,
        "DATA" => R::RLIMIT_DATA,
        "FSIZE" => R::RLIMIT_FSIZE,
        "MEMLOCK" => R::RLIMIT_MEMLOCK,
        "NOFILE" => R::RLIMIT_NOFILE,
        "NPROC" => R::RLIMIT_NPROC,
        "STACK" => R::RLIMIT_STACK,
        _ => return None,
    })
}
