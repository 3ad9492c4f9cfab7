//! The container's filesystem view, set up in the init process's child
//! before it waits for `start`: a private mount namespace (inside a new user
//! namespace without root), an overlay whose lower layer is the bundle's root
//! and whose upper layer is a tmpfs (the bundle's files are never modified,
//! missing mount points can be made, and the whole layer vanishes with the
//! namespace), the spec's mounts, then `pivot_root`, so that an `exec` that
//! joins the namespace with `setns` lands in the container's root.

use std::fs;
use std::os::fd::OwnedFd;
use std::path::{Component, Path, PathBuf};

use nix::errno::Errno;
use nix::mount::{MntFlags, MsFlags};
use nix::sched::CloneFlags;

use super::{go_errno, Filesystem, Level, Mount, StartFailure};

/// Host device nodes a container needs and a spec's tmpfs `/dev` lacks
/// (runsc provides them itself).
const DEVICES: &[&str] = &["null", "zero", "full", "random", "urandom", "tty"];

/// Whether this process may make a user namespace here: the kernel's
/// switches allow it, and a child that tries succeeds (a seccomp filter or a
/// security module may refuse it all the same).
pub(super) fn user_namespaces_allowed() -> bool {
    let read = |p: &str| fs::read_to_string(p).ok().map(|s| s.trim().to_owned());
    let debian_switch = read("/proc/sys/kernel/unprivileged_userns_clone");
    let max = read("/proc/sys/user/max_user_namespaces");
    if debian_switch.as_deref() == Some("0") || max.as_deref() == Some("0") {
        return false;
    }
    // SAFETY: the child only calls unshare(2) and _exit(2).
    match unsafe { nix::unistd::fork() } {
        Ok(nix::unistd::ForkResult::Child) => {
            let code = i32::from(nix::sched::unshare(CloneFlags::CLONE_NEWUSER).is_err());
            // SAFETY: leaves the forked child at once.
            unsafe { nix::libc::_exit(code) }
        }
        Ok(nix::unistd::ForkResult::Parent { child }) => matches!(
            nix::sys::wait::waitpid(child, None),
            Ok(nix::sys::wait::WaitStatus::Exited(_, 0))
        ),
        Err(_) => false,
    }
}

fn fail(what: impl Into<String>, errno: Errno) -> StartFailure {
    StartFailure::Setup {
        what: what.into(),
        cause: go_errno(errno),
    }
}

fn io_fail(what: impl Into<String>, e: &std::io::Error) -> StartFailure {
    fail(
        what,
        Errno::from_raw(e.raw_os_error().unwrap_or(nix::libc::EIO)),
    )
}

/// Confines the calling process (a fresh child of the supervisor) to the
/// container's filesystem at `level`; `scratch` and `target` are empty
/// directories of the container's state. Returns what the debug log should
/// say about mounts it skipped.
pub(super) fn enter(
    level: Level,
    fs_spec: &Filesystem,
    cwd: &str,
    scratch: &Path,
    target: &Path,
) -> Result<Vec<String>, StartFailure> {
    let mut notes = Vec::new();
    match level {
        Level::Host => return Ok(notes),
        Level::Root => nix::sched::unshare(CloneFlags::CLONE_NEWNS)
            .map_err(|e| fail("unshare(CLONE_NEWNS)", e))?,
        Level::Rootless => enter_user_namespace()?,
    }
    mount(
        None,
        Path::new("/"),
        None,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None,
    )
    .map_err(|e| fail("making / private", e))?;
    mount(
        Some(Path::new("tmpfs")),
        scratch,
        Some("tmpfs"),
        MsFlags::empty(),
        Some("mode=0755"),
    )
    .map_err(|e| fail(format!("mounting a tmpfs on {}", scratch.display()), e))?;
    let upper = scratch.join("upper");
    let work = scratch.join("work");
    for dir in [&upper, &work] {
        fs::create_dir(dir).map_err(|e| io_fail(format!("making {}", dir.display()), &e))?;
    }
    let data = format!(
        "lowerdir={},upperdir={},workdir={}",
        fs_spec.root.display(),
        upper.display(),
        work.display()
    );
    if let Err(errno) = mount(
        Some(Path::new("overlay")),
        target,
        Some("overlay"),
        MsFlags::empty(),
        Some(&data),
    ) {
        // Kernels before 5.11 refuse overlayfs in a user namespace: the root
        // is then bound as it is, and mount points it lacks cannot be made.
        notes.push(format!(
            "overlay over {} refused ({}): binding it directly",
            fs_spec.root.display(),
            go_errno(errno)
        ));
        mount(
            Some(fs_spec.root.as_path()),
            target,
            None,
            MsFlags::MS_BIND | MsFlags::MS_REC,
            None,
        )
        .map_err(|e| fail(format!("binding {}", fs_spec.root.display()), e))?;
    }
    let _ = fs::create_dir_all(inside(target, Path::new(cwd)));
    let mut dev_is_fresh = false;
    for m in &fs_spec.mounts {
        match apply(level, m, target) {
            Ok(true) => {
                dev_is_fresh |= m.destination == Path::new("/dev") && m.kind == "tmpfs";
            }
            Ok(false) => notes.push(format!(
                "mount of type {:?} at {} skipped",
                m.kind,
                m.destination.display()
            )),
            Err(failure) => return Err(failure),
        }
    }
    if dev_is_fresh {
        add_devices(level, target);
    }
    if fs_spec.readonly {
        mount(
            None,
            target,
            None,
            MsFlags::MS_REMOUNT | MsFlags::MS_BIND | MsFlags::MS_RDONLY,
            None,
        )
        .map_err(|e| fail("making the root read-only", e))?;
    }
    pivot(target)?;
    Ok(notes)
}

/// Joins the namespaces of a running container (held open by the
/// supervisor): the user namespace first, as it owns the mount namespace.
pub(super) fn join(user: Option<&OwnedFd>, mnt: Option<&OwnedFd>) -> Result<(), StartFailure> {
    if let Some(fd) = user {
        nix::sched::setns(fd, CloneFlags::CLONE_NEWUSER)
            .map_err(|e| fail("joining the container's user namespace", e))?;
    }
    if let Some(fd) = mnt {
        nix::sched::setns(fd, CloneFlags::CLONE_NEWNS)
            .map_err(|e| fail("joining the container's mount namespace", e))?;
    }
    Ok(())
}

/// Makes `dir` in the container's read-only root, which is an overlay with a
/// tmpfs upper layer: the root is made writable for as long as that takes,
/// as runsc's own overlay takes such a directory.
pub(super) fn make_dir_in_read_only_root(dir: &Path) -> bool {
    let root = Path::new("/");
    let remount = |extra: MsFlags| {
        mount(
            None,
            root,
            None,
            MsFlags::MS_REMOUNT | MsFlags::MS_BIND | extra,
            None,
        )
    };
    if remount(MsFlags::empty()).is_err() {
        return false;
    }
    let made = fs::create_dir_all(dir).is_ok();
    let _ = remount(MsFlags::MS_RDONLY);
    made
}

fn enter_user_namespace() -> Result<(), StartFailure> {
    let uid = nix::unistd::geteuid();
    let gid = nix::unistd::getegid();
    // A process that changed its uid is not dumpable, and then its own
    // /proc/self/*_map files belong to root: it could not write them.
    let _ = nix::sys::prctl::set_dumpable(true);
    nix::sched::unshare(CloneFlags::CLONE_NEWUSER | CloneFlags::CLONE_NEWNS)
        .map_err(|e| fail("unshare(CLONE_NEWUSER|CLONE_NEWNS)", e))?;
    let writes = [
        ("/proc/self/setgroups", "deny".to_owned()),
        ("/proc/self/uid_map", format!("0 {uid} 1")),
        ("/proc/self/gid_map", format!("0 {gid} 1")),
    ];
    for (path, content) in writes {
        fs::write(path, content).map_err(|e| io_fail(format!("writing {path}"), &e))?;
    }
    Ok(())
}

fn mount(
    source: Option<&Path>,
    target: &Path,
    kind: Option<&str>,
    flags: MsFlags,
    data: Option<&str>,
) -> Result<(), Errno> {
    nix::mount::mount(source, target, kind, flags, data)
}

/// `dest` (a container path) under `target`, never above it.
fn inside(target: &Path, dest: &Path) -> PathBuf {
    let mut path = target.to_path_buf();
    for part in dest.components() {
        if let Component::Normal(p) = part {
            path.push(p);
        }
    }
    path
}

/// Applies one spec mount; `Ok(false)` when its type is one the engine skips.
fn apply(level: Level, m: &Mount, target: &Path) -> Result<bool, StartFailure> {
    let dest = inside(target, &m.destination);
    let has = |o: &str| m.options.iter().any(|x| x == o);
    let bind = m.kind == "bind" || has("bind") || has("rbind");
    let (flags, data) = split_options(&m.options);
    let what = |s: &str| format!("mounting {s} at {}", m.destination.display());
    if bind {
        make_mount_point(&dest, m.source.is_dir())?;
        let mut bind_flags = MsFlags::MS_BIND;
        if has("rbind") {
            bind_flags |= MsFlags::MS_REC;
        }
        mount(Some(m.source.as_path()), &dest, None, bind_flags, None)
            .map_err(|e| fail(what(&m.source.display().to_string()), e))?;
        if flags.contains(MsFlags::MS_RDONLY) {
            mount(
                None,
                &dest,
                None,
                MsFlags::MS_REMOUNT | MsFlags::MS_BIND | flags,
                None,
            )
            .map_err(|e| fail(what("a read-only bind"), e))?;
        }
        return Ok(true);
    }
    match (m.kind.as_str(), level) {
        ("tmpfs", _) => {
            make_mount_point(&dest, true)?;
            mount(
                Some(Path::new("tmpfs")),
                &dest,
                Some("tmpfs"),
                flags,
                Some(&data),
            )
            .map_err(|e| fail(what("tmpfs"), e))?;
        }
        ("proc", Level::Root) | ("sysfs", Level::Root) => {
            make_mount_point(&dest, true)?;
            let kind = m.kind.as_str();
            mount(Some(Path::new(kind)), &dest, Some(kind), flags, None)
                .map_err(|e| fail(what(kind), e))?;
        }
        // Without a PID and network namespace of its own, an unprivileged
        // user may not mount proc or sysfs: the host's are bound instead.
        ("proc", _) | ("sysfs", _) => {
            make_mount_point(&dest, true)?;
            let host = if m.kind == "proc" { "/proc" } else { "/sys" };
            mount(
                Some(Path::new(host)),
                &dest,
                None,
                MsFlags::MS_BIND | MsFlags::MS_REC,
                None,
            )
            .map_err(|e| fail(what(host), e))?;
        }
        _ => return Ok(false),
    }
    Ok(true)
}

fn make_mount_point(dest: &Path, dir: bool) -> Result<(), StartFailure> {
    let made = if dir {
        fs::create_dir_all(dest)
    } else {
        if let Some(parent) = dest.parent() {
            let _ = fs::create_dir_all(parent);
        }
        fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dest)
            .map(drop)
    };
    made.map_err(|e| io_fail(format!("making mount point {}", dest.display()), &e))
}

/// Splits mount options into flags and the data string the filesystem reads.
fn split_options(options: &[String]) -> (MsFlags, String) {
    let mut flags = MsFlags::empty();
    let mut data = Vec::new();
    for option in options {
        match option.as_str() {
            "ro" => flags |= MsFlags::MS_RDONLY,
            "nosuid" => flags |= MsFlags::MS_NOSUID,
            "nodev" => flags |= MsFlags::MS_NODEV,
            "noexec" => flags |= MsFlags::MS_NOEXEC,
            "relatime" => flags |= MsFlags::MS_RELATIME,
            "strictatime" => flags |= MsFlags::MS_STRICTATIME,
            "rw" | "bind" | "rbind" | "private" | "rprivate" | "shared" | "rshared" | "slave"
            | "rslave" => {}
            other => data.push(other.to_owned()),
        }
    }
    (flags, data.join(","))
}

/// Adds the host's basic device nodes to a fresh `/dev`: made with mknod as
/// root (a device node bound on its own is refused on some kernels), bound
/// from the host in a user namespace, where mknod is not allowed.
fn add_devices(level: Level, target: &Path) {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    for name in DEVICES {
        let host = Path::new("/dev").join(name);
        let dest = inside(target, &host);
        let Ok(meta) = fs::metadata(&host) else {
            continue;
        };
        if !meta.file_type().is_char_device() {
            continue;
        }
        let made = level == Level::Root
            && nix::sys::stat::mknod(
                &dest,
                nix::sys::stat::SFlag::S_IFCHR,
                nix::sys::stat::Mode::from_bits_truncate(0o666),
                meta.rdev(),
            )
            .is_ok();
        if !made && make_mount_point(&dest, false).is_ok() {
            let _ = mount(Some(&host), &dest, None, MsFlags::MS_BIND, None);
        }
    }
}

fn pivot(target: &Path) -> Result<(), StartFailure> {
    nix::unistd::chdir(target).map_err(|e| fail("entering the root", e))?;
    nix::unistd::pivot_root(".", ".").map_err(|e| fail("pivot_root", e))?;
    nix::mount::umount2(".", MntFlags::MNT_DETACH)
        .map_err(|e| fail("detaching the old root", e))?;
    nix::unistd::chdir("/").map_err(|e| fail("entering /", e))?;
    Ok(())
}
