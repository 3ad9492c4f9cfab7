//! The engine against the kernel: real processes in a busybox rootfs and in
//! a read-only host `/`, their statuses, signals, pause, and nothing left
//! behind after `destroy`, also when the calling process was SIGKILLed.

use std::fs;
use std::io::Read;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, Pid};

use super::*;

const MOTD: &str = "busybox rootfs of the host-process tests\n";
const BUSYBOX: &str = "/bin/busybox";

/// Whether the test can run: it needs root (and busybox-static for
/// `needs_busybox`). Elsewhere it prints SKIP, except under CI, where the
/// machine is set up for it and a skip would hide a failure.
fn ready(name: &str, needs_busybox: bool) -> bool {
    let why = if !nix::unistd::geteuid().is_root() {
        "needs root"
    } else if needs_busybox && !Path::new(BUSYBOX).exists() {
        "needs busybox-static (apt-get install busybox-static)"
    } else {
        return true;
    };
    assert!(
        std::env::var_os("CI").is_none(),
        "{name} {why}, and CI is set, so it must run"
    );
    eprintln!("SKIP {name}: {why}");
    false
}

/// A rootfs of `/bin/busybox`, its applets as symlinks, and `/etc/motd`.
fn busybox_rootfs(dir: &Path) -> PathBuf {
    let root = dir.join("rootfs");
    fs::create_dir_all(root.join("bin")).unwrap();
    fs::create_dir_all(root.join("etc")).unwrap();
    fs::copy(BUSYBOX, root.join("bin/busybox")).unwrap();
    for applet in [
        "sh", "cat", "echo", "ls", "pwd", "sleep", "id", "true", "env", "kill",
    ] {
        std::os::unix::fs::symlink("busybox", root.join("bin").join(applet)).unwrap();
    }
    fs::write(root.join("etc/motd"), MOTD).unwrap();
    root
}

fn mount(kind: &str, destination: &str, source: &Path) -> Mount {
    Mount {
        destination: destination.into(),
        kind: kind.to_owned(),
        source: source.to_path_buf(),
        options: Vec::new(),
    }
}

fn standard_mounts() -> Vec<Mount> {
    vec![
        mount("proc", "/proc", Path::new("proc")),
        mount("tmpfs", "/dev", Path::new("tmpfs")),
    ]
}

fn launch(args: &[&str]) -> Launch {
    Launch {
        args: args.iter().map(|s| s.to_string()).collect(),
        env: vec!["PATH=/usr/bin:/bin".to_owned()],
        cwd: "/".to_owned(),
        ..Launch::default()
    }
}

/// A created sandbox that is destroyed when the test ends, failed or not.
struct Guard(Sandbox, Created);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.destroy();
    }
}

fn create(dir: &Path, level: Level, filesystem: &Filesystem, init: &Launch) -> Guard {
    let (sandbox, created) = Sandbox::create(&dir.join("state"), level, filesystem, init, None)
        .unwrap_or_else(|e| panic!("create: {e}"));
    Guard(sandbox, created)
}

/// Runs `launch` as an exec; its status, stdout and stderr.
fn run(sandbox: &Sandbox, launch: &Launch) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = fs::File::create(dir.path().join("out")).unwrap();
    let err = fs::File::create(dir.path().join("err")).unwrap();
    let null = fs::File::open("/dev/null").unwrap();
    let handle = sandbox
        .exec(launch, [&null as &dyn AsFd, &out, &err])
        .unwrap_or_else(|e| panic!("exec {:?}: {e}", launch.args));
    let status = handle.wait().unwrap();
    let read = |name| fs::read_to_string(dir.path().join(name)).unwrap();
    (status, read("out"), read("err"))
}

fn host_root(readonly: bool) -> Filesystem {
    Filesystem {
        root: "/".into(),
        readonly,
        mounts: standard_mounts(),
    }
}

fn recorded_stderr(case: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios/real-runsc/cases")
        .join(case)
        .join("stderr");
    fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .trim_end()
        .to_owned()
}

/// Live (not zombie) processes whose command line contains `marker`.
fn live_with(marker: &str) -> Vec<i32> {
    fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            let cmd = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let zombie = stat
                .rfind(')')
                .and_then(|i| stat.get(i + 2..i + 3))
                .is_none_or(|s| s == "Z" || s == "X");
            !zombie && String::from_utf8_lossy(&cmd).contains(marker)
        })
        .collect()
}

fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn busybox_container_sees_only_its_rootfs_and_leaves_the_bundle_alone() {
    if !ready("busybox_container_sees_only_its_rootfs", true) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let rootfs = busybox_rootfs(dir.path());
    let out = dir.path().join("out");
    fs::create_dir(&out).unwrap();
    let mut mounts = standard_mounts();
    mounts.push(mount("bind", "/out", &out));
    let filesystem = Filesystem {
        root: rootfs.clone(),
        readonly: false,
        mounts,
    };
    let init = launch(&[
        "sh",
        "-c",
        "cat /etc/motd > /out/motd; ls / > /out/ls; echo changed > /etc/motd; echo new > /new; exit 3",
    ]);
    let guard = create(dir.path(), Level::Root, &filesystem, &init);
    guard.0.start().unwrap();
    assert_eq!(guard.0.wait(guard.1.init).unwrap(), 3);
    assert_eq!(fs::read_to_string(out.join("motd")).unwrap(), MOTD);
    let listing = fs::read_to_string(out.join("ls")).unwrap();
    let names: Vec<&str> = listing.lines().collect();
    assert_eq!(names, ["bin", "dev", "etc", "out", "proc"], "{listing}");
    // The writes went to the overlay's tmpfs layer, not to the bundle.
    assert_eq!(fs::read_to_string(rootfs.join("etc/motd")).unwrap(), MOTD);
    assert!(!rootfs.join("new").exists());
    assert!(!rootfs.join("out").exists() && !rootfs.join("proc").exists());
}

#[test]
fn read_only_host_root_runs_shell_with_env_and_cwd() {
    if !ready("read_only_host_root_runs_shell_with_env_and_cwd", false) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let guard = create(
        dir.path(),
        Level::Root,
        &host_root(true),
        &launch(&["sleep", "1000"]),
    );
    guard.0.start().unwrap();
    let mut shell = launch(&["/bin/sh", "-c", "echo $FOO; pwd; id -u"]);
    shell.env.push("FOO=from-exec".to_owned());
    shell.cwd = "/tmp".to_owned();
    assert_eq!(
        run(&guard.0, &shell),
        (0, "from-exec\n/tmp\n0\n".to_owned(), String::new())
    );
    // As with runsc (`prog-exec-readonly-root`): the root stays read-only.
    let write = launch(&["/bin/sh", "-c", "echo x > /written-by-the-test || exit 9"]);
    let (status, _, err) = run(&guard.0, &write);
    assert_eq!(status, 9, "{err}");
    assert!(err.contains("Read-only file system"), "{err}");
    assert!(!Path::new("/written-by-the-test").exists());
    // A missing cwd is made, read-only root or not, as runsc does
    // (`prog-exec-bad-cwd`); the root stays read-only, and the host is
    // untouched.
    let mut missing = launch(&["/bin/sh", "-c", "pwd; echo x > /x || exit 9"]);
    missing.cwd = "/no-such-dir-of-the-test".to_owned();
    let (status, out, _) = run(&guard.0, &missing);
    assert_eq!((status, out.as_str()), (9, "/no-such-dir-of-the-test\n"));
    assert!(!Path::new("/no-such-dir-of-the-test").exists());
    // The user is applied.
    let mut nobody = launch(&["/bin/sh", "-c", "id -u; id -g"]);
    (nobody.uid, nobody.gid) = (65534, 65534);
    assert_eq!(run(&guard.0, &nobody).1, "65534\n65534\n");
}

#[test]
fn exec_sees_the_container_root() {
    if !ready("exec_sees_the_container_root", true) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let filesystem = Filesystem {
        root: busybox_rootfs(dir.path()),
        readonly: true,
        mounts: standard_mounts(),
    };
    let guard = create(
        dir.path(),
        Level::Root,
        &filesystem,
        &launch(&["sleep", "1000"]),
    );
    guard.0.start().unwrap();
    assert_eq!(
        run(&guard.0, &launch(&["cat", "/etc/motd"])),
        (0, MOTD.to_owned(), String::new())
    );
    let (status, out, _) = run(&guard.0, &launch(&["ls", "/usr"]));
    assert_ne!(status, 0, "the host's /usr is visible: {out}");
    // /dev is the spec's tmpfs, with the basic devices added.
    assert_eq!(
        run(
            &guard.0,
            &launch(&["sh", "-c", "echo ok > /dev/null && ls /dev"])
        ),
        (
            0,
            "full\nnull\nrandom\ntty\nurandom\nzero\n".to_owned(),
            String::new()
        )
    );
}

#[test]
fn stdio_is_released_when_the_container_stops_and_skipped_mounts_are_noted() {
    if !ready("stdio_is_released_when_the_container_stops", false) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut filesystem = host_root(true);
    filesystem
        .mounts
        .push(mount("mqueue", "/dev/mqueue", Path::new("mqueue")));
    let (read, write) = nix::unistd::pipe().unwrap();
    let init = launch(&["/bin/sh", "-c", "echo from-init; sleep 1000"]);
    // The pipe is the sandbox's stdout, as for a caller of `run --detach`
    // that reads runsc's stdout.
    let null = fs::File::open("/dev/null").unwrap();
    let (sandbox, created) = Sandbox::create(
        &dir.path().join("state"),
        Level::Root,
        &filesystem,
        &init,
        Some([&null as &dyn AsFd, &write, &null]),
    )
    .unwrap();
    drop(write);
    let guard = Guard(sandbox, created);
    assert!(
        guard
            .1
            .notes
            .iter()
            .any(|n| n.contains("\"mqueue\" at /dev/mqueue skipped")),
        "{:?}",
        guard.1.notes
    );
    guard.0.start().unwrap();
    let mut reader = fs::File::from(read);
    let mut first = [0u8; 10];
    reader.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"from-init\n");
    guard.0.signal(None, Signal::SIGKILL);
    // End of file comes once the container has stopped, with no delete.
    let mut rest = Vec::new();
    reader.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
    assert_eq!(guard.0.wait(guard.1.init).unwrap(), 137);
}

#[test]
fn statuses_and_signal_deaths() {
    if !ready("statuses_and_signal_deaths", false) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let guard = create(
        dir.path(),
        Level::Root,
        &host_root(true),
        &launch(&["sleep", "1000"]),
    );
    guard.0.start().unwrap();
    assert_eq!(run(&guard.0, &launch(&["/bin/sh", "-c", "exit 7"])).0, 7);
    assert_eq!(
        run(&guard.0, &launch(&["/bin/sh", "-c", "kill -9 $$"])).0,
        137
    );
    assert_eq!(run(&guard.0, &launch(&["true"])).0, 0);
    assert!(guard.0.signal(None, Signal::SIGTERM));
    assert_eq!(guard.0.wait(guard.1.init).unwrap(), 143);
    assert_eq!(guard.0.exit_status(guard.1.init), Some(143));
    // The container stopped with its init process: the supervisor, whose
    // pid `state` reports, exits with the init process's status, as runsc's
    // sandbox does, and no exec can run any more.
    let supervisor = Pid::from_raw(guard.1.supervisor);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let exited = loop {
        match nix::sys::wait::waitpid(supervisor, Some(nix::sys::wait::WaitPidFlag::WNOHANG)) {
            Ok(nix::sys::wait::WaitStatus::StillAlive) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5))
            }
            other => break other,
        }
    };
    assert_eq!(
        exited,
        Ok(nix::sys::wait::WaitStatus::Exited(supervisor, 143))
    );
    let null = fs::File::open("/dev/null").unwrap();
    assert!(matches!(
        guard
            .0
            .exec(&launch(&["true"]), [&null as &dyn AsFd, &null, &null]),
        Err(Error::Gone { .. })
    ));
}

#[test]
fn failures_have_runsc_wording() {
    if !ready("failures_have_runsc_wording", false) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let guard = create(
        dir.path(),
        Level::Root,
        &host_root(true),
        &launch(&["/nonexistent"]),
    );
    let Err(Error::Start(failure)) = guard.0.start() else {
        panic!("start of /nonexistent succeeded");
    };
    assert_eq!(
        failure.start_message(),
        recorded_stderr("prog-start-missing-binary")
    );
    assert_eq!(
        failure.run_message(),
        recorded_stderr("prog-run-missing-binary")
    );
    drop(guard);

    let guard = create(
        dir.path(),
        Level::Root,
        &host_root(true),
        &launch(&["sleep", "1000"]),
    );
    guard.0.start().unwrap();
    let null = fs::File::open("/dev/null").unwrap();
    for (args, case) in [
        ("/nonexistent", "prog-exec-missing-binary"),
        ("no-such-command", "prog-exec-relative-missing"),
        ("/etc/hostname", "prog-exec-not-executable"),
    ] {
        let Err(Error::Start(failure)) = guard
            .0
            .exec(&launch(&[args]), [&null as &dyn AsFd, &null, &null])
        else {
            panic!("exec of {args} succeeded");
        };
        assert_eq!(failure.exec_message(args), recorded_stderr(case), "{args}");
    }
    drop(guard);

    for (args, case) in [
        ("/etc", "prog-run-directory"),
        ("/etc/hostname", "prog-run-not-executable"),
        ("no-such-command", "prog-run-relative-missing"),
    ] {
        let guard = create(dir.path(), Level::Root, &host_root(true), &launch(&[args]));
        let Err(Error::Start(failure)) = guard.0.start() else {
            panic!("start of {args} succeeded");
        };
        assert_eq!(failure.run_message(), recorded_stderr(case), "{args}");
    }
}

// The process tree, the less privileged levels, the terminal, and the spec.
mod tree;
