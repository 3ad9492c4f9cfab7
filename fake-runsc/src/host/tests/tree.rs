//! The engine's tests of the process tree (kill, pause, ps, stats, destroy
//! after killed callers), the less privileged levels, the terminal, and
//! reading a spec.

use super::*;

#[test]
fn kill_all_pause_resume_ps_and_stats_follow_the_real_tree() {
    if !ready("kill_all_pause_resume_ps_and_stats", false) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let guard = create(
        dir.path(),
        Level::Root,
        &host_root(true),
        &launch(&["/bin/sh", "-c", "sleep 1000 & sleep 1001; wait"]),
    );
    guard.0.start().unwrap();
    let null = fs::File::open("/dev/null").unwrap();
    let exec = guard
        .0
        .exec(
            &launch(&["sleep", "1002"]),
            [&null as &dyn AsFd, &null, &null],
        )
        .unwrap();
    // Until the shell's children exec, ps shows them as copies of the shell.
    eventually("ps shows the shell, its two sleeps and the exec", || {
        let commands: Vec<String> = guard.0.processes().into_iter().map(|p| p.cmd).collect();
        commands.len() == 4
            && ["sleep 1000", "sleep 1001", "sleep 1002"]
                .iter()
                .all(|want| commands.iter().any(|c| c == want))
    });
    assert_eq!(guard.0.processes()[0].pid, guard.1.init);
    let stats = guard.0.stats();
    assert_eq!(stats.pids, 4);
    assert!(stats.memory_bytes > 0);

    guard.0.pause();
    assert!(guard
        .0
        .processes()
        .iter()
        .all(|p| super::sandbox::is_stopped(p.pid)));
    guard.0.resume();
    eventually("every process runs again", || {
        guard
            .0
            .processes()
            .iter()
            .all(|p| !super::sandbox::is_stopped(p.pid))
    });

    // `kill --pid`: only the container's own processes.
    assert!(!guard
        .0
        .signal(Some(std::process::id() as i32), Signal::SIGCONT));
    let doomed = guard
        .0
        .exec(
            &launch(&["sleep", "1003"]),
            [&null as &dyn AsFd, &null, &null],
        )
        .unwrap();
    assert!(guard.0.signal(Some(doomed.pid), Signal::SIGTERM));
    assert_eq!(doomed.wait().unwrap(), 143);

    guard.0.signal_all(Signal::SIGKILL);
    assert_eq!(exec.wait().unwrap(), 137);
    assert_eq!(guard.0.wait(guard.1.init).unwrap(), 137);
    eventually("no process is left", || guard.0.processes().is_empty());
}

/// Forks a process that runs `body` and then sleeps until it is killed.
fn forked(body: impl FnOnce()) -> Pid {
    // SAFETY: the child only runs the engine and sleeps; it never returns to
    // the test harness.
    match unsafe { nix::unistd::fork() }.unwrap() {
        ForkResult::Child => {
            // A failed test must not leave its helper behind.
            let _ = nix::sys::prctl::set_pdeathsig(Signal::SIGKILL);
            body();
            loop {
                std::thread::sleep(Duration::from_secs(1));
            }
        }
        ForkResult::Parent { child } => child,
    }
}

#[test]
fn nothing_outlives_destroy_after_the_callers_were_sigkilled() {
    if !ready(
        "nothing_outlives_destroy_after_the_callers_were_sigkilled",
        false,
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let marker = format!("100{}.25", std::process::id());
    // A `run` killed after its container started.
    // The marker reaches the sleeps through the environment, so that only
    // they show it in their command lines.
    let mut init = launch(&["/bin/sh", "-c", "sleep $T & sleep $T; wait"]);
    init.env.push(format!("T={marker}"));
    let (state2, init2) = (state.clone(), init.clone());
    let creator = forked(move || {
        let (sandbox, _) =
            Sandbox::create(&state2, Level::Root, &host_root(true), &init2, None).unwrap();
        sandbox.start().unwrap();
    });
    let sandbox = Sandbox::open(&state);
    eventually("the container's sleeps run", || {
        live_with(&marker).len() == 2
    });
    nix::sys::signal::kill(creator, Signal::SIGKILL).unwrap();
    waitpid(creator, None).unwrap();
    // An `exec` killed while it waits for its process.
    let exec_marker = format!("200{}.5", std::process::id());
    let (sandbox2, exec_marker2) = (sandbox.clone(), exec_marker.clone());
    let caller = forked(move || {
        let null = fs::File::open("/dev/null").unwrap();
        let handle = sandbox2
            .exec(
                &launch(&["sleep", &exec_marker2]),
                [&null as &dyn AsFd, &null, &null],
            )
            .unwrap();
        let _ = handle.wait();
    });
    eventually("the exec runs", || live_with(&exec_marker).len() == 1);
    nix::sys::signal::kill(caller, Signal::SIGKILL).unwrap();
    waitpid(caller, None).unwrap();
    assert_eq!(
        live_with(&marker).len(),
        2,
        "the container died with its caller"
    );
    assert_eq!(
        live_with(&exec_marker).len(),
        1,
        "the exec died with its caller"
    );
    let supervisor = sandbox.supervisor().unwrap();

    sandbox.destroy();
    assert_eq!(live_with(&marker), Vec::<i32>::new());
    assert_eq!(live_with(&exec_marker), Vec::<i32>::new());
    eventually("the supervisor is gone", || {
        super::procs::descendants(1)
            .iter()
            .all(|p| p.pid != supervisor)
    });
    assert!(!state.exists());
}

#[test]
fn host_level_applies_only_cwd_and_env() {
    if !ready("host_level_applies_only_cwd_and_env", false) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let filesystem = Filesystem {
        root: dir.path().join("never-used"),
        readonly: true,
        mounts: standard_mounts(),
    };
    let guard = create(
        dir.path(),
        Level::Host,
        &filesystem,
        &launch(&["sleep", "1000"]),
    );
    guard.0.start().unwrap();
    let mut shell = launch(&["/bin/sh", "-c", "echo $FOO; pwd; ls"]);
    shell.env.push("FOO=host".to_owned());
    shell.cwd = dir.path().display().to_string();
    let (status, out, _) = run(&guard.0, &shell);
    assert_eq!(status, 0);
    assert!(
        out.starts_with(&format!("host\n{}\n", dir.path().display())),
        "{out}"
    );
    assert!(
        out.contains("state"),
        "the host's files are not visible: {out}"
    );
    // Nothing is made on the host's own filesystem: a missing cwd leaves
    // the process at `/`.
    let mut missing = launch(&["/bin/sh", "-c", "pwd"]);
    missing.cwd = dir.path().join("missing").display().to_string();
    assert_eq!(run(&guard.0, &missing).1, "/\n");
    assert!(!dir.path().join("missing").exists());
    assert_eq!(Level::Host.warning().map(|w| w.lines().count()), Some(1));
}

#[test]
fn rootless_level_as_an_unprivileged_user() {
    if !ready("rootless_level_as_an_unprivileged_user", true) {
        return;
    }
    if !super::confine::user_namespaces_allowed() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI's kernel must allow user namespaces"
        );
        eprintln!("SKIP rootless_level_as_an_unprivileged_user: no user namespaces here");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let rootfs = busybox_rootfs(dir.path());
    let work = dir.path().join("work");
    fs::create_dir(&work).unwrap();
    // The unprivileged user must reach its state directory.
    for path in [dir.path(), &work] {
        let open = <fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o777);
        fs::set_permissions(path, open).unwrap();
    }
    let result = work.join("result");
    let filesystem = Filesystem {
        root: rootfs.clone(),
        readonly: true,
        mounts: standard_mounts(),
    };
    let (state, result2) = (work.join("state"), result.clone());
    let child = forked(move || {
        let outcome = (|| -> Result<String, String> {
            nix::unistd::setgid(nix::unistd::Gid::from_raw(65534)).map_err(|e| e.to_string())?;
            nix::unistd::setuid(nix::unistd::Uid::from_raw(65534)).map_err(|e| e.to_string())?;
            let (sandbox, _) = Sandbox::create(
                &state,
                Level::Rootless,
                &filesystem,
                &launch(&["sleep", "1000"]),
                None,
            )
            .map_err(|e| e.to_string())?;
            sandbox.start().map_err(|e| e.to_string())?;
            let out = state.with_file_name("out");
            let file = fs::File::create(&out).map_err(|e| e.to_string())?;
            let null = fs::File::open("/dev/null").map_err(|e| e.to_string())?;
            let shell = launch(&[
                "sh",
                "-c",
                "cat /etc/motd; id -u; echo x > /x || echo read-only",
            ]);
            let status = sandbox
                .exec(&shell, [&null as &dyn AsFd, &file, &null])
                .and_then(|h| h.wait())
                .map_err(|e| e.to_string())?;
            sandbox.destroy();
            let text = fs::read_to_string(&out).map_err(|e| e.to_string())?;
            Ok(format!("{status}\n{text}"))
        })();
        let _ = fs::write(&result2, outcome.unwrap_or_else(|e| format!("error: {e}")));
    });
    eventually("the unprivileged caller is done", || result.exists());
    nix::sys::signal::kill(child, Signal::SIGKILL).unwrap();
    waitpid(child, None).unwrap();
    let text = fs::read_to_string(&result).unwrap();
    assert_eq!(text, format!("0\n{MOTD}0\nread-only\n"));
    assert!(!rootfs.join("x").exists());
}

#[test]
fn terminal_gets_a_pty_through_the_console_socket() {
    if !ready("terminal_gets_a_pty_through_the_console_socket", false) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("console.sock");
    let listener = UnixListener::bind(&socket).unwrap();
    let mut init = launch(&["/bin/sh", "-c", "tty -s && echo on-a-tty"]);
    init.terminal = true;
    init.console_socket = Some(socket);
    let guard = create(dir.path(), Level::Root, &host_root(true), &init);
    let (conn, _) = listener.accept().unwrap();
    let (_, fds): (Option<()>, Vec<OwnedFd>) = receive_fd(&conn);
    guard.0.start().unwrap();
    assert_eq!(guard.0.wait(guard.1.init).unwrap(), 0);
    let mut master = fs::File::from(fds.into_iter().next().unwrap());
    let mut buf = [0u8; 64];
    let n = master.read(&mut buf).unwrap();
    assert_eq!(String::from_utf8_lossy(&buf[..n]), "on-a-tty\r\n");
}

fn receive_fd(conn: &std::os::unix::net::UnixStream) -> (Option<()>, Vec<OwnedFd>) {
    use std::os::fd::{AsRawFd, FromRawFd, RawFd};
    let mut buf = [0u8; 64];
    let mut space = nix::cmsg_space!([RawFd; 1]);
    let mut iov = [std::io::IoSliceMut::new(&mut buf)];
    let msg = nix::sys::socket::recvmsg::<()>(
        conn.as_raw_fd(),
        &mut iov,
        Some(&mut space),
        nix::sys::socket::MsgFlags::empty(),
    )
    .unwrap();
    let mut fds = Vec::new();
    for cmsg in msg.cmsgs().unwrap() {
        if let nix::sys::socket::ControlMessageOwned::ScmRights(raw) = cmsg {
            // SAFETY: just received, owned by nobody else.
            fds.extend(
                raw.into_iter()
                    .map(|fd| unsafe { OwnedFd::from_raw_fd(fd) }),
            );
        }
    }
    (None, fds)
}

#[test]
fn a_spec_becomes_a_launch_and_a_filesystem() {
    if !ready("a_spec_becomes_a_launch_and_a_filesystem", true) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    busybox_rootfs(dir.path());
    let spec: runsc::oci_spec::runtime::Spec = serde_json::from_value(serde_json::json!({
        "ociVersion": "1.0.2-dev",
        "root": {"path": "rootfs", "readonly": true},
        "process": {
            "terminal": false,
            "user": {"uid": 65534, "gid": 65534, "additionalGids": [4]},
            "args": ["sh", "-c", "ulimit -n; id -u; id -G; pwd; echo $GREETING"],
            "env": ["PATH=/bin", "GREETING=hello"],
            "cwd": "/work",
            "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 123, "hard": 456}]
        },
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/data", "type": "bind", "source": "data", "options": ["rbind", "ro"]}
        ]
    }))
    .unwrap();
    fs::create_dir(dir.path().join("data")).unwrap();
    fs::write(dir.path().join("data/file"), "bound\n").unwrap();
    let filesystem = Filesystem::from_spec(&spec, dir.path());
    assert_eq!(filesystem.root, dir.path().join("rootfs"));
    assert!(filesystem.readonly);
    assert_eq!(filesystem.mounts[1].source, dir.path().join("data"));
    let init = Launch::from_process(spec.process().as_ref().unwrap());
    assert_eq!(init.rlimits[0].kind, "RLIMIT_NOFILE");
    let guard = create(
        dir.path(),
        Level::Root,
        &filesystem,
        &launch(&["sleep", "1000"]),
    );
    guard.0.start().unwrap();
    assert_eq!(
        run(&guard.0, &init),
        (
            0,
            "123\n65534\n65534 4\n/work\nhello\n".to_owned(),
            String::new()
        )
    );
    let write = launch(&["sh", "-c", "cat /data/file; echo x > /data/file || exit 9"]);
    let (status, out, _) = run(&guard.0, &write);
    assert_eq!((status, out.as_str()), (9, "bound\n"));
    assert_eq!(
        fs::read_to_string(dir.path().join("data/file")).unwrap(),
        "bound\n"
    );
}
