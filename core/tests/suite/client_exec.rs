//! The client's process handling against a scripted stand-in for runsc
//! (`fixtures/fake-runsc.sh` running a body each test writes): process
//! groups, deadlines, cancellation, bounded draining, returning on exit
//! rather than EOF, the exec spec file, and error reporting.

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use crate::support::{
    id, next, pid_is_dead, process, read_pid, wait_for_file, wait_until_reaped, Fake,
};
use runsc::{CreateOpts, DeleteOpts, Error, ExecOpts, ExecOutcome, KillOpts, RunOpts, WaitOpts};

/// Generous bound for calls that must not hang; the fixtures that would
/// make them hang sleep for an hour.
const NO_HANG: Duration = Duration::from_secs(20);

#[tokio::test]
async fn create_returns_when_runsc_exits_although_a_daemon_keeps_stdout_open() {
    // Like runsc create: start something that inherits stdout/stderr and
    // outlives the command, print a little, exit 0.
    let fake = Fake::new(
        r#"sleep 3600 &
echo $! >"$root/daemon"
echo "created"
echo "a warning" >&2
exit 0"#,
    );
    let (c1, opts) = (id("c1"), CreateOpts::default());
    let call = fake.runsc.create(&c1, fake.dir.path(), &opts);
    let result = tokio::time::timeout(NO_HANG, call).await;
    let daemon = read_pid(&fake.dir.path().join("daemon"));
    // The daemon is meant to outlive the call: the client must not have
    // killed it. Then clean it up.
    assert!(
        !pid_is_dead(daemon),
        "the client killed the daemon it should leave alone"
    );
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(daemon),
        nix::sys::signal::Signal::SIGKILL,
    );
    result
        .expect("create waited for EOF on a pipe the daemon holds")
        .expect("create failed");
}

#[tokio::test]
async fn output_written_just_before_exit_is_kept_although_the_pipe_stays_open() {
    let fake = Fake::new(
        r#"sleep 3600 &
echo $! >"$root/daemon"
i=0
while [ $i -lt 200 ]; do echo "line $i" >&2; i=$((i+1)); done
exit 3"#,
    );
    let c1 = id("c1");
    let call = fake.runsc.start(&c1, None);
    let result = tokio::time::timeout(NO_HANG, call).await;
    let daemon = read_pid(&fake.dir.path().join("daemon"));
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(daemon),
        nix::sys::signal::Signal::SIGKILL,
    );
    let err = result.expect("start hung").unwrap_err();
    assert_eq!(err.exit_code(), Some(3));
    let stderr = err.stderr().unwrap();
    assert!(stderr.starts_with("line 0\n"), "{stderr}");
    assert!(stderr.trim_end().ends_with("line 199"), "{stderr}");
}

#[tokio::test]
async fn deadline_kills_the_whole_group_and_reaps_runsc() {
    let fake = Fake::new(
        r#"sleep 3600 &
echo $! >"$root/grandchild"
sleep 3600"#,
    );
    let runsc = fake.runsc.with_timeout(Duration::from_millis(300));
    let err = runsc.state(&id("c1")).await.unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert!(err.to_string().contains("timed out after 300ms"), "{err}");
    let pid = read_pid(&fake.dir.path().join("pid"));
    let grandchild = read_pid(&fake.dir.path().join("grandchild"));
    // runsc itself was reaped before the error was returned: not even a zombie.
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "runsc (pid {pid}) left behind"
    );
    assert!(
        wait_until_dead(grandchild).await,
        "the group's other member survived"
    );
}

async fn wait_until_dead(pid: i32) -> bool {
    for _ in 0..200 {
        if pid_is_dead(pid) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test]
async fn dropping_the_call_kills_the_group_and_reaps_runsc() {
    let fake = Fake::new(
        r#"sleep 3600 &
echo $! >"$root/grandchild"
sleep 3600"#,
    );
    let root = fake.dir.path().to_owned();
    let runsc = fake.runsc.clone();
    let call = tokio::spawn(async move { runsc.list().await });
    let grandchild = read_pid(&wait_for_file(&root.join("grandchild")).await);
    let pid = read_pid(&root.join("pid"));
    call.abort();
    assert!(call.await.unwrap_err().is_cancelled());
    assert!(
        wait_until_reaped(pid).await,
        "runsc (pid {pid}) was not reaped"
    );
    assert!(
        wait_until_dead(grandchild).await,
        "the group's other member survived"
    );
}

#[tokio::test]
async fn a_flood_on_stderr_neither_deadlocks_nor_grows_memory() {
    let fake = Fake::with(
        "head -c 100000000 /dev/zero | tr '\\0' x >&2\nexit 1",
        |b, _| b.output_limit(64 * 1024),
    );
    let err = tokio::time::timeout(NO_HANG, fake.runsc.state(&id("c1")))
        .await
        .expect("the call deadlocked on a full stderr pipe")
        .unwrap_err();
    assert_eq!(err.exit_code(), Some(1));
    let stderr = err.stderr().unwrap();
    assert!(stderr.starts_with(&"x".repeat(64 * 1024)));
    assert!(
        stderr.contains(&format!(
            "... ({} more bytes not kept",
            100_000_000 - 64 * 1024
        )),
        "{}",
        &stderr[64 * 1024..]
    );
    assert!(stderr.len() < 64 * 1024 + 200);
}

#[tokio::test]
async fn failure_keeps_argv_status_and_stderr_and_reads_like_the_go_client() {
    let fake = Fake::new(r#"echo "loading container: file does not exist" >&2; exit 128"#);
    let err = fake.runsc.state(&id("gone")).await.unwrap_err();
    assert!(err.is_not_found());
    assert_eq!(err.exit_code(), Some(128));
    assert_eq!(err.signal(), None);
    let argv = err.argv().unwrap();
    assert_eq!(argv.last().unwrap(), "gone");
    assert_eq!(argv[argv.len() - 2], "state");
    let program = crate::support::fixture().display().to_string();
    assert_eq!(
        err.to_string(),
        format!("{program} did not terminate successfully: exit status: 128: loading container: file does not exist")
    );
}

#[tokio::test]
async fn other_failures_are_not_not_found() {
    let fake = Fake::new(
        r#"echo 'executing processes for container: failed to load /no/such/binary: no such file or directory' >&2; exit 128"#,
    );
    let err = fake
        .runsc
        .kill(
            &id("c1"),
            nix::sys::signal::Signal::SIGKILL,
            &KillOpts::default(),
        )
        .await
        .unwrap_err();
    assert!(!err.is_not_found(), "{err}");
}

#[tokio::test]
async fn death_by_signal_is_reported_as_a_signal() {
    let fake = Fake::new("kill -SEGV $$");
    let err = fake.runsc.pause(&id("c1")).await.unwrap_err();
    assert_eq!(err.signal(), Some(11));
    assert_eq!(err.exit_code(), None);
    assert!(err.to_string().contains("signal: 11"), "{err}");
}

#[tokio::test]
async fn the_json_log_supplies_runscs_own_error() {
    // runsc 20221219 appends entries with no newline between them.
    let fake = Fake::json_log(
        r#"printf '{"msg":"reading spec: Spec.Process must be defined","level":"error","time":"t"}' >>"$root/log.json"
exit 128"#,
    );
    std::fs::write(
        fake.dir.path().join("log.json"),
        r#"{"msg":"an older call's error","level":"error","time":"t"}"#,
    )
    .unwrap();
    let err = fake
        .runsc
        .run(&id("c1"), "/no/bundle", &RunOpts::default())
        .await
        .unwrap_err();
    assert_eq!(
        err.runsc_error(),
        Some("reading spec: Spec.Process must be defined")
    );
    assert!(
        err.to_string().ends_with(
            "exit status: 128; runsc logged: reading spec: Spec.Process must be defined"
        ),
        "{err}"
    );
}

#[tokio::test]
async fn run_passes_the_container_exit_code_on() {
    let fake = Fake::new(r#"echo out; echo err >&2; exit 5"#);
    let exit = fake
        .runsc
        .run(&id("c1"), fake.dir.path(), &RunOpts::default())
        .await
        .unwrap();
    assert_eq!(exit.code, 5);
    assert_eq!(exit.stdout.bytes, b"out\n");
    assert_eq!(exit.stderr.bytes, b"err\n");
}

#[tokio::test]
async fn run_reports_runscs_failure_as_an_error_not_as_status_128() {
    let fake = Fake::new(r#"echo 'reading spec: error opening spec file' >&2; exit 128"#);
    let err = fake
        .runsc
        .run(&id("c1"), "/no/bundle", &RunOpts::default())
        .await
        .unwrap_err();
    assert_eq!(err.exit_code(), Some(128));
    assert!(err.to_string().contains("reading spec"), "{err}");
}

#[tokio::test]
async fn a_runsc_panic_during_run_is_an_error_but_exit_2_of_the_process_is_not() {
    let fake = Fake::new(
        r#"printf 'panic: invalid state transition: created => paused\n\ngoroutine 1 [running]:\nmain.main()\n' >&2; exit 2"#,
    );
    let err = fake
        .runsc
        .run(&id("c1"), "/b", &RunOpts::default())
        .await
        .unwrap_err();
    assert_eq!(err.exit_code(), Some(2));
    let fake = Fake::new("echo 'usage: grep PATTERN' >&2; exit 2");
    let exit = fake
        .runsc
        .run(&id("c1"), "/b", &RunOpts::default())
        .await
        .unwrap();
    assert_eq!(exit.code, 2);
}

#[tokio::test]
async fn with_a_json_log_and_no_logged_error_128_is_the_process_exit_code() {
    // runsc creates its log (O_CREATE) before anything else, so it exists.
    let fake = Fake::json_log(r#": >>"$root/log.json"; exit 128"#);
    let exit = fake
        .runsc
        .exec(&id("c1"), &process(&["sh"]), &ExecOpts::default())
        .await
        .unwrap();
    assert_eq!(exit.code(), Some(128));
}

#[tokio::test]
async fn exec_writes_a_private_spec_file_and_removes_it() {
    let fake = Fake::new(
        r#"for a; do [ "$prev" = --process ] && spec="$a"; prev="$a"; done
echo "$spec" >"$root/spec-path"
cp "$spec" "$root/spec-copy"
stat -c %a "$spec" >"$root/spec-mode"
exit 0"#,
    );
    let spec = process(&["echo", "hi"]);
    let outcome = fake
        .runsc
        .exec(&id("c1"), &spec, &ExecOpts::default())
        .await
        .unwrap();
    assert_eq!(outcome.code(), Some(0));
    let root = fake.dir.path();
    let path = std::fs::read_to_string(root.join("spec-path")).unwrap();
    assert!(
        !std::path::Path::new(path.trim()).exists(),
        "spec file left behind"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("spec-mode"))
            .unwrap()
            .trim(),
        "600"
    );
    let copy: oci_spec::runtime::Process =
        serde_json::from_slice(&std::fs::read(root.join("spec-copy")).unwrap()).unwrap();
    assert_eq!(copy, spec);
}

#[tokio::test]
async fn exec_spec_file_is_removed_on_timeout_and_on_drop() {
    let body = r#"for a; do [ "$prev" = --process ] && spec="$a"; prev="$a"; done
echo "$spec" >"$root/spec-path.tmp"
mv "$root/spec-path.tmp" "$root/spec-path"
sleep 3600"#;
    let spec = process(&["sleep", "1"]);

    let fake = Fake::new(body);
    let runsc = fake.runsc.with_timeout(Duration::from_millis(300));
    let err = runsc
        .exec(&id("c1"), &spec, &ExecOpts::default())
        .await
        .unwrap_err();
    assert!(err.is_timeout());
    let path = std::fs::read_to_string(fake.dir.path().join("spec-path")).unwrap();
    assert!(
        !std::path::Path::new(path.trim()).exists(),
        "spec file left after timeout"
    );

    let fake = Fake::new(body);
    let runsc = fake.runsc.clone();
    let spec2 = spec.clone();
    let call =
        tokio::spawn(async move { runsc.exec(&id("c1"), &spec2, &ExecOpts::default()).await });
    let path =
        std::fs::read_to_string(wait_for_file(&fake.dir.path().join("spec-path")).await).unwrap();
    assert!(std::path::Path::new(path.trim()).exists());
    call.abort();
    let _ = call.await;
    assert!(
        !std::path::Path::new(path.trim()).exists(),
        "spec file left after drop"
    );
}

#[tokio::test]
async fn detached_exec_gets_a_pid_file_and_reports_the_pid() {
    let fake = Fake::new(
        r#"for a; do [ "$prev" = --pid-file ] && pidfile="$a"; prev="$a"; done
echo 4242 >"$pidfile"
exit 0"#,
    );
    let opts = ExecOpts::default().with_detach(true);
    let outcome = fake
        .runsc
        .exec(&id("c1"), &process(&["sleep", "9"]), &opts)
        .await
        .unwrap();
    assert_eq!(
        outcome,
        ExecOutcome::Detached {
            pid: Some(4242),
            internal_pid: None
        }
    );
    let argv = fake.argv();
    assert!(argv.contains(&"--detach".to_owned()), "{argv:?}");
}

#[tokio::test]
async fn relative_pid_files_are_made_absolute() {
    let fake = Fake::new("exit 0");
    let opts = CreateOpts::default().with_pid_file("some/dir/c1.pid");
    fake.runsc.create(&id("c1"), "/b", &opts).await.unwrap();
    let cwd = std::env::current_dir().unwrap();
    let argv = fake.argv();
    let expected = [
        "--pid-file".to_owned(),
        format!("{}/some/dir/c1.pid", cwd.display()),
    ];
    assert!(argv.windows(2).any(|w| w == expected), "{argv:?}");
    assert_eq!(argv.last().unwrap(), "c1");
}

#[tokio::test]
async fn update_sends_the_resources_on_stdin() {
    let fake = Fake::new(r#"cat >"$root/stdin"; exit 0"#);
    let resources = oci_spec::runtime::LinuxResourcesBuilder::default()
        .pids(
            oci_spec::runtime::LinuxPidsBuilder::default()
                .limit(42i64)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    fake.runsc.update(&id("c1"), &resources).await.unwrap();
    let sent: oci_spec::runtime::LinuxResources =
        serde_json::from_slice(&std::fs::read(fake.dir.path().join("stdin")).unwrap()).unwrap();
    assert_eq!(sent, resources);
    assert!(fake.argv().contains(&"--resources=-".to_owned()));
}

#[tokio::test]
async fn decoded_results_and_decode_errors() {
    let fake = Fake::new(r#"echo '{"id":"c1","exitStatus":3}'"#);
    let wait = fake
        .runsc
        .wait(&id("c1"), &WaitOpts::default())
        .await
        .unwrap();
    assert_eq!(wait.exit_status, 3);

    let fake = Fake::new(r#"echo 'this is not json'"#);
    let err = fake.runsc.state(&id("c1")).await.unwrap_err();
    match &err {
        Error::Decode { what, excerpt, .. } => {
            assert_eq!(*what, "container state");
            assert!(excerpt.contains("this is not json"));
        }
        other => panic!("expected a decode error, got {other:?}"),
    }

    let fake = Fake::new("echo null");
    assert_eq!(fake.runsc.list().await.unwrap(), None);
    let fake = Fake::new("echo '[]'");
    assert_eq!(fake.runsc.list().await.unwrap(), Some(vec![]));
    let fake = Fake::new("echo '[1,7]'");
    assert_eq!(fake.runsc.ps(&id("c1")).await.unwrap(), vec![1, 7]);
}

#[tokio::test]
async fn stdout_over_the_limit_is_reported_not_decoded() {
    let fake = Fake::with(
        "head -c 100000 /dev/zero | tr '\\0' ' '; echo null",
        |b, _| b.output_limit(1000),
    );
    let err = fake.runsc.list().await.unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("printed 100005 bytes on stdout, more than the output limit of 1000"),
        "{message}"
    );
    match err {
        Error::OutputLimit { limit, total, .. } => {
            assert_eq!(limit, 1000);
            assert_eq!(total, 100_005);
        }
        other => panic!("expected OutputLimit, got {other:?}"),
    }
}

#[tokio::test]
async fn top_keeps_an_excerpt_of_a_table_it_cannot_parse() {
    let fake = Fake::new("printf 'UID CMD\\n0 sleep\\n'");
    let err = fake.runsc.top(&id("c1")).await.unwrap_err();
    match &err {
        Error::PsOutput { excerpt, .. } => assert!(excerpt.contains("UID CMD"), "{err}"),
        other => panic!("expected PsOutput, got {other:?}"),
    }
}

#[tokio::test]
async fn delete_and_kill_render_their_options() {
    let fake = Fake::new("exit 0");
    fake.runsc
        .delete(&id("c1"), &DeleteOpts::default().with_force(true))
        .await
        .unwrap();
    assert_eq!(fake.argv(), ["delete", "--force", "c1"]);
    fake.runsc
        .kill(
            &id("c1"),
            nix::sys::signal::Signal::SIGKILL,
            &KillOpts::default().with_all(true),
        )
        .await
        .unwrap();
    assert_eq!(fake.argv(), ["kill", "--all", "c1", "9"]);
}

#[tokio::test]
async fn events_interval_must_be_whole_seconds() {
    let fake = Fake::new("exit 0");
    for bad in [
        Duration::ZERO,
        Duration::from_millis(500),
        Duration::from_millis(1500),
    ] {
        let err = fake.runsc.events(&id("c1"), bad).await.unwrap_err();
        assert!(err.is_invalid_input(), "{bad:?}: {err}");
    }
    assert!(!fake.dir.path().join("pid").exists(), "runsc was spawned");
    let mut events = fake
        .runsc
        .events(&id("c1"), Duration::from_secs(2))
        .await
        .unwrap();
    assert!(next(&mut events).await.is_none());
    assert_eq!(fake.argv(), ["events", "--interval=2", "c1"]);
}

const EVENT: &str = r#"{"type":"stats","id":"c1","data":{"pids":{"current":1}}}"#;

#[tokio::test]
async fn events_stream_yields_each_event_then_ends() {
    let fake = Fake::new(&format!(
        "echo '{EVENT}'; sleep 0.1; echo '{EVENT}'; exit 0"
    ));
    let mut events = fake
        .runsc
        .events(&id("c1"), Duration::from_secs(1))
        .await
        .unwrap();
    for _ in 0..2 {
        let event = next(&mut events).await.unwrap().unwrap();
        assert!(event.is_stats());
        assert_eq!(event.stats.unwrap().pids.current, 1);
    }
    assert!(next(&mut events).await.is_none());
    assert!(next(&mut events).await.is_none());
}

#[tokio::test]
async fn events_stream_cut_mid_event_yields_an_error_then_ends() {
    let fake = Fake::new(&format!(
        r#"echo '{EVENT}'; printf '{{"type":"sta'; exit 0"#
    ));
    let mut events = fake
        .runsc
        .events(&id("c1"), Duration::from_secs(1))
        .await
        .unwrap();
    assert!(next(&mut events).await.unwrap().is_ok());
    let err = next(&mut events).await.unwrap().unwrap_err();
    match &err {
        Error::Decode { argv, excerpt, .. } => {
            assert!(excerpt.contains(r#"{"type":"sta"#), "{err}");
            assert_eq!(argv.last().unwrap(), "c1");
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
    assert!(next(&mut events).await.is_none());
}

#[tokio::test]
async fn events_stream_reports_runscs_failure() {
    let fake = Fake::new(r#"echo "loading container: file does not exist" >&2; exit 128"#);
    let mut events = fake
        .runsc
        .events(&id("c1"), Duration::from_secs(1))
        .await
        .unwrap();
    let err = next(&mut events).await.unwrap().unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert!(next(&mut events).await.is_none());
}

#[tokio::test]
async fn dropping_the_events_stream_kills_and_reaps_runsc() {
    let fake = Fake::new(&format!("echo '{EVENT}'; sleep 3600"));
    let mut events = fake
        .runsc
        .events(&id("c1"), Duration::from_secs(1))
        .await
        .unwrap();
    assert!(next(&mut events).await.unwrap().is_ok());
    let pid = read_pid(&fake.dir.path().join("pid"));
    drop(events);
    assert!(
        wait_until_reaped(pid).await,
        "runsc events (pid {pid}) was not reaped"
    );
}

#[tokio::test]
async fn spawn_failure_names_the_program() {
    let runsc = runsc::Runsc::builder()
        .command("/no/such/runsc")
        .build()
        .unwrap();
    let err = runsc.list().await.unwrap_err();
    assert!(matches!(err, Error::Spawn { .. }));
    assert!(
        err.to_string()
            .starts_with("failed to start /no/such/runsc"),
        "{err}"
    );
}

#[tokio::test]
async fn builder_reports_an_invalid_config_key() {
    let err = runsc::Runsc::builder()
        .config("network", "none")
        .config("--debug", "true")
        .build()
        .unwrap_err();
    assert!(err.is_invalid_input(), "{err}");
}

#[test]
fn fixture_is_executable() {
    let mode = std::fs::metadata(crate::support::fixture())
        .unwrap()
        .permissions()
        .mode();
    assert_ne!(mode & 0o111, 0, "fixtures/fake-runsc.sh must be executable");
}

#[tokio::test]
async fn invocation_shows_the_argv_a_call_runs() {
    let fake = Fake::with("exit 0", |b, _| {
        b.config("network", "none")
            .config("debug-log-format", "json")
            .debug(true)
    });
    let command = runsc::cli::Subcommand::State(runsc::cli::IdOnly { id: id("c1") });
    let args = fake.runsc.invocation(command.clone()).to_args();
    let root = format!("--root={}", fake.dir.path().display());
    assert_eq!(
        args,
        [
            root.as_str(),
            "--debug",
            "--debug-log-format=json",
            "--network=none",
            "state",
            "c1"
        ]
    );
    let _ = fake.runsc.state(&id("c1")).await;
    let recorded = std::fs::read_to_string(fake.dir.path().join("argv")).unwrap();
    assert_eq!(recorded.lines().collect::<Vec<_>>(), args);
}

#[tokio::test]
async fn with_timeout_changes_only_the_deadline() {
    let fake = Fake::with("sleep 3600", |b, _| b.timeout(Duration::from_millis(200)));
    assert_eq!(fake.runsc.timeout(), Some(Duration::from_millis(200)));
    let patient = fake.runsc.with_timeout(None);
    assert_eq!(patient.timeout(), None);
    assert_eq!(patient.command(), fake.runsc.command());
    assert!(fake.runsc.resume(&id("c1")).await.unwrap_err().is_timeout());
}

#[tokio::test]
async fn a_parent_death_signal_leaves_normal_calls_alone() {
    let fake = Fake::with("echo '[3]'", |b, _| {
        b.pdeath_signal(nix::sys::signal::Signal::SIGKILL)
    });
    assert_eq!(fake.runsc.ps(&id("c1")).await.unwrap(), vec![3]);
}

#[test]
fn calls_and_streams_can_move_between_threads() {
    fn send<T: Send>(_: &T) {}
    fn send_sync_unpin<T: Send + Sync + Unpin>() {}
    send_sync_unpin::<runsc::Runsc>();
    fn send_unpin<T: Send + Unpin>() {}
    send_unpin::<runsc::EventStream>();
    let runsc = runsc::Runsc::builder().build().unwrap();
    let c1 = id("c1");
    let spec = process(&["true"]);
    let (create, exec, events) = (
        CreateOpts::default(),
        ExecOpts::default(),
        Duration::from_secs(1),
    );
    send(&runsc.create(&c1, "/b", &create));
    send(&runsc.exec(&c1, &spec, &exec));
    send(&runsc.events(&c1, events));
    send(&runsc.run(&c1, "/b", &RunOpts::default()));
}

#[tokio::test]
async fn an_endless_event_is_cut_at_the_output_limit() {
    let fake = Fake::with(
        &format!("echo '{EVENT}'; printf '{{\"type\":\"'; exec head -c 100000000 /dev/zero"),
        |b, _| b.output_limit(256 * 1024),
    );
    let mut events = fake
        .runsc
        .events(&id("c1"), Duration::from_secs(1))
        .await
        .unwrap();
    assert!(next(&mut events).await.unwrap().is_ok());
    let pid = read_pid(&fake.dir.path().join("pid"));
    let err = tokio::time::timeout(NO_HANG, next(&mut events))
        .await
        .expect("the stream kept buffering")
        .unwrap()
        .unwrap_err();
    match err {
        Error::OutputLimit { limit, total, .. } => {
            assert_eq!(limit, 256 * 1024);
            assert!(total < 100_000_000, "{total}");
        }
        other => panic!("expected OutputLimit, got {other:?}"),
    }
    assert!(next(&mut events).await.is_none());
    assert!(
        wait_until_reaped(pid).await,
        "runsc events (pid {pid}) was not reaped"
    );
}

#[tokio::test]
async fn builder_env_reaches_runsc_and_nothing_else_changes() {
    let fake = Fake::with(
        r#"printf '{"id":"c1","exitStatus":%s}' "$FAKE_RUNSC_TEST_STATUS""#,
        |b, _| b.env("FAKE_RUNSC_TEST_STATUS", "42"),
    );
    let result = fake
        .runsc
        .wait(&id("c1"), &WaitOpts::default())
        .await
        .unwrap();
    assert_eq!(result.exit_status, 42);
    assert!(std::env::var_os("FAKE_RUNSC_TEST_STATUS").is_none());
}

#[tokio::test]
async fn a_failure_with_megabytes_of_stderr_reads_short_and_keeps_it_all() {
    let fake = Fake::new(
        r#"head -c 3000000 /dev/zero | tr '\0' 'x' >&2
echo >&2
echo 'loading container: file does not exist' >&2
exit 128"#,
    );
    let err = fake.runsc.state(&id("c1")).await.unwrap_err();
    assert!(err.to_string().len() < runsc::DISPLAY_STDERR_LIMIT + 1024);
    assert!(err.to_string().contains("bytes of stderr cut"), "{err}");
    assert!(err.is_not_found(), "{err}");
    assert_eq!(err.stderr().map(str::len), Some(3_000_000 + 1 + 39));
}
