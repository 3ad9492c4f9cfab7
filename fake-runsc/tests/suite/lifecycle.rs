//! The lifecycle suite: drives a runsc through the core client (`runsc::Runsc`)
//! across every subcommand, every wrong transition, events streaming, wait,
//! pid files and concurrent containers.
//!
//! By default it drives the fake in simulator mode; `LIFECYCLE_RUNSC=/usr/bin/runsc`
//! runs the very same cases against real runsc (as root). Each case writes a
//! normalised transcript (see `lifecycle_support`) for the conformance diff.

use std::collections::BTreeMap;
use std::time::Duration;

use rstest::rstest;
use runsc::cli::{ContainerId, Signal};
use runsc::types::Status;
use runsc::{
    CheckpointOpts, CreateOpts, DeleteOpts, ExecOpts, ExecOutcome, KillOpts, RestoreOpts, RunOpts,
    WaitOpts,
};

use crate::common::pid_alive;
use crate::lifecycle_support::{describe_error, eventually, Case};

/// How long an effect that real runsc shows "soon" may take.
const SOON: Duration = Duration::from_secs(10);

macro_rules! case {
    ($name:expr) => {
        match Case::new($name) {
            Some(case) => case,
            None => return,
        }
    };
}

/// Records a call and returns its result.
macro_rules! call {
    ($case:expr, $label:expr, $fut:expr) => {{
        let result = $fut.await;
        $case.record($label, &result);
        result
    }};
}

fn err_text<T: std::fmt::Debug>(result: &Result<T, runsc::Error>) -> String {
    match result {
        Ok(v) => panic!("expected a failure, got {v:?}"),
        Err(e) => describe_error(e),
    }
}

#[tokio::test]
async fn full_lifecycle_of_a_long_running_container() {
    let case = case!("full-lifecycle");
    let r = &case.runsc;
    let id = case.id("id");
    let bundle = case.bundle("sleep", &["sleep", "1000"]);
    let pid_file = case.tmp().join("create.pid");

    let list = call!(case, "list (empty)", r.list())
        .unwrap()
        .unwrap_or_default();
    assert!(list.is_empty());

    call!(
        case,
        "create",
        r.create(
            &id,
            &bundle,
            &CreateOpts::default().with_pid_file(pid_file.clone())
        )
    )
    .unwrap();
    let pid: i32 = std::fs::read_to_string(&pid_file)
        .expect("create writes the pid file")
        .trim()
        .parse()
        .expect("the pid file holds a number");
    assert!(
        pid_alive(pid),
        "the sandbox pid {pid} is alive after create"
    );

    let state = call!(case, "state (created)", r.state(&id)).unwrap();
    assert_eq!(state.status, Status::Created);
    assert_eq!(state.pid, pid);
    assert_eq!(state.bundle, bundle.display().to_string());

    let list = call!(case, "list (one)", r.list())
        .unwrap()
        .unwrap_or_default();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].id, id.as_str());

    call!(case, "start", r.start(&id, None)).unwrap();
    let state = call!(case, "state (running)", r.state(&id)).unwrap();
    assert_eq!(state.status, Status::Running);
    assert_eq!(state.pid, pid, "start keeps the sandbox pid");

    let ps = call!(case, "ps", r.ps(&id)).unwrap();
    assert_eq!(ps, vec![1]);
    let top = call!(case, "top", r.top(&id)).unwrap();
    assert_eq!(
        top.headers,
        ["UID", "PID", "PPID", "C", "TTY", "STIME", "TIME", "CMD"]
    );
    assert_eq!(top.processes.len(), 1);
    assert_eq!(top.processes[0].last().map(String::as_str), Some("sleep"));

    let stats = call!(case, "events --stats", r.stats(&id)).unwrap();
    assert_eq!(stats.pids.current, 1);
    assert!(stats.cpu.usage.total > 0);

    call!(case, "pause", r.pause(&id)).unwrap();
    let state = call!(case, "state (paused)", r.state(&id)).unwrap();
    assert_eq!(state.status, Status::Paused);
    let again = call!(case, "pause (paused)", r.pause(&id));
    assert_eq!(
        err_text(&again),
        format!("err exit 128: pause failed: cannot pause container \"{id}\" in state paused")
    );
    let exec = call!(
        case,
        "exec (paused)",
        r.exec(&id, &Case::process(&["true"]), &ExecOpts::default())
    );
    assert_eq!(
        err_text(&exec),
        format!("err exit 128: executing processes for container: cannot execute in container \"{id}\" in state paused")
    );
    call!(case, "ps (paused)", r.ps(&id)).unwrap();
    call!(case, "resume", r.resume(&id)).unwrap();
    let again = call!(case, "resume (running)", r.resume(&id));
    assert_eq!(
        err_text(&again),
        format!("err exit 128: resume failed: cannot resume container \"{id}\" in state running")
    );
    let again = call!(case, "start (running)", r.start(&id, None));
    assert_eq!(
        err_text(&again),
        format!(
            "err exit 128: starting container: cannot start container \"{id}\" in state running"
        )
    );

    let del = call!(
        case,
        "delete (running)",
        r.delete(&id, &DeleteOpts::default())
    );
    assert_eq!(
        err_text(&del),
        "err exit 128: cannot delete container that is not stopped without --force flag"
    );

    call!(
        case,
        "delete --force",
        r.delete(&id, &DeleteOpts::default().with_force(true))
    )
    .unwrap();
    assert!(
        eventually(SOON, || !pid_alive(pid)).await,
        "the sandbox pid {pid} is gone after delete --force"
    );
    let state = call!(case, "state (deleted)", r.state(&id));
    assert_eq!(
        err_text(&state),
        "err exit 128: loading container: file does not exist"
    );
    assert!(state.unwrap_err().is_not_found());
    let list = call!(case, "list (empty again)", r.list())
        .unwrap()
        .unwrap_or_default();
    assert!(list.is_empty());
}

/// Every call on an id that does not exist fails as runsc fails.
#[rstest]
#[case::state("state", "loading container: file does not exist")]
#[case::start("start", "loading container: file does not exist")]
#[case::kill("kill", "loading container: file does not exist")]
#[case::pause("pause", "loading container: file does not exist")]
#[case::resume("resume", "loading container: file does not exist")]
#[case::wait("wait", "loading container: file does not exist")]
#[case::ps("ps", "loading sandbox: file does not exist")]
#[case::events("events", "loading sandbox: file does not exist")]
#[case::exec("exec", "loading sandbox: file does not exist")]
#[case::delete("delete", "loading container \"{id}\": file does not exist")]
#[case::delete_force("delete-force", "")]
#[tokio::test]
async fn calls_on_a_missing_id(#[case] command: &str, #[case] expected: &str) {
    let case = case!(&format!("missing-{command}"));
    let r = &case.runsc;
    let id = case.id("id");
    let result: Result<String, runsc::Error> = match command {
        "state" => r.state(&id).await.map(|c| format!("{c:?}")),
        "start" => r.start(&id, None).await.map(|()| String::new()),
        "kill" => r
            .kill(&id, Signal::Number(9), &KillOpts::default())
            .await
            .map(|()| String::new()),
        "pause" => r.pause(&id).await.map(|()| String::new()),
        "resume" => r.resume(&id).await.map(|()| String::new()),
        "wait" => r
            .wait(&id, &WaitOpts::default())
            .await
            .map(|w| format!("{w:?}")),
        "ps" => r.ps(&id).await.map(|p| format!("{p:?}")),
        "events" => r.stats(&id).await.map(|s| format!("{s:?}")),
        "exec" => r
            .exec(&id, &Case::process(&["true"]), &ExecOpts::default())
            .await
            .map(|o| format!("{o:?}")),
        "delete" => r
            .delete(&id, &DeleteOpts::default())
            .await
            .map(|()| String::new()),
        "delete-force" => r
            .delete(&id, &DeleteOpts::default().with_force(true))
            .await
            .map(|()| String::new()),
        other => panic!("no such case {other}"),
    };
    case.record(command, &result);
    if expected.is_empty() {
        result.expect("delete --force of a missing id succeeds");
    } else {
        let expected = format!("err exit 128: {}", expected.replace("{id}", id.as_str()));
        assert_eq!(err_text(&result), expected);
    }
}

#[tokio::test]
async fn bundles_without_a_usable_config() {
    let case = case!("bad-bundles");
    let r = &case.runsc;
    let id = case.id("id");
    let empty = case.tmp().join("empty-bundle");
    std::fs::create_dir_all(&empty).unwrap();
    let shown = empty.join("config.json").display().to_string();
    let create = call!(
        case,
        "create (no config.json)",
        r.create(&id, &empty, &CreateOpts::default())
    );
    assert_eq!(
        err_text(&create),
        format!("err exit 128: reading spec: error opening spec file \"{shown}\": open {shown}: no such file or directory")
    );
    let run = call!(
        case,
        "run (no config.json)",
        r.run(&id, &empty, &RunOpts::default())
    );
    assert_eq!(err_text(&run), err_text(&create));
    let missing = case.tmp().join("no-such-bundle");
    let create = call!(
        case,
        "create (no bundle dir)",
        r.create(&id, &missing, &CreateOpts::default())
    );
    assert!(err_text(&create).starts_with("err exit 128: reading spec: error opening spec file"));
    std::fs::write(empty.join("config.json"), "{not json").unwrap();
    let create = call!(
        case,
        "create (bad json)",
        r.create(&id, &empty, &CreateOpts::default())
    );
    assert!(
        err_text(&create).starts_with(&format!(
            "err exit 128: reading spec: error unmarshaling spec from file \"{shown}\": "
        )),
        "{}",
        err_text(&create)
    );
    assert!(call!(case, "list", r.list())
        .unwrap()
        .unwrap_or_default()
        .is_empty());
}

#[tokio::test]
async fn wrong_transitions_of_a_created_container() {
    let case = case!("created-transitions");
    let r = &case.runsc;
    let id = case.id("id");
    let bundle = case.bundle("sleep", &["sleep", "1000"]);
    call!(
        case,
        "create",
        r.create(&id, &bundle, &CreateOpts::default())
    )
    .unwrap();

    let pause = call!(case, "pause (created)", r.pause(&id));
    assert_eq!(
        err_text(&pause),
        "err exit 2: panic: invalid state transition: created => paused",
        "runsc 20221219 panics"
    );
    let resume = call!(case, "resume (created)", r.resume(&id));
    assert_eq!(
        err_text(&resume),
        format!("err exit 128: resume failed: cannot resume container \"{id}\" in state created")
    );
    let exec = call!(
        case,
        "exec (created)",
        r.exec(&id, &Case::process(&["true"]), &ExecOpts::default())
    );
    assert_eq!(
        err_text(&exec),
        format!("err exit 128: executing processes for container: executing command \"true\" in sandbox: container \"{id}\" not started")
    );
    let ps = call!(case, "ps (created)", r.ps(&id));
    assert_eq!(
        err_text(&ps),
        format!("err exit 128: getting processes for container: cannot get processes of container \"{id}\" in state created")
    );
    let stats = call!(case, "events --stats (created)", r.stats(&id));
    assert_eq!(
        err_text(&stats),
        "err exit 2: panic: runtime error: integer divide by zero"
    );
    let kill = call!(
        case,
        "kill 9 (created)",
        r.kill(&id, Signal::Number(9), &KillOpts::default())
    );
    assert_eq!(
        err_text(&kill),
        format!("err exit 128: cannot signal container \"{id}\" in state created")
    );
    let state = call!(case, "state", r.state(&id)).unwrap();
    assert_eq!(state.status, Status::Created);

    let again = call!(
        case,
        "create (same id)",
        r.create(&id, &bundle, &CreateOpts::default())
    );
    assert_eq!(
        err_text(&again),
        "err exit 128: creating container: cannot lock container metadata file: container already exists"
    );
    // runsc's failed create removes the existing container's metadata.
    let state = call!(case, "state (after failed create)", r.state(&id));
    assert!(state.unwrap_err().is_not_found());

    let id2 = case.id("id2");
    call!(
        case,
        "create id2",
        r.create(&id2, &bundle, &CreateOpts::default())
    )
    .unwrap();
    call!(
        case,
        "delete id2 (created, no force)",
        r.delete(&id2, &DeleteOpts::default())
    )
    .unwrap();
    assert!(call!(case, "list", r.list())
        .unwrap()
        .unwrap_or_default()
        .is_empty());
}

#[tokio::test]
async fn wait_reports_the_exit_status_then_the_stopped_container_refuses_everything() {
    let case = case!("stopped-transitions");
    let r = &case.runsc;
    let id = case.id("id");
    let script = format!("sleep {}; exit 3", case.sleep_secs(2));
    let bundle = case.bundle("exit3", &["sh", "-c", &script]);
    call!(
        case,
        "create",
        r.create(&id, &bundle, &CreateOpts::default())
    )
    .unwrap();
    call!(case, "start", r.start(&id, None)).unwrap();
    // runsc reports the status only to a wait that is blocked when the
    // container exits; the container runs for about 2 s of wall time.
    let wait = call!(case, "wait (running)", r.wait(&id, &WaitOpts::default())).unwrap();
    assert_eq!(wait.exit_status, 3);
    assert_eq!(wait.id, id.as_str());

    let state = call!(case, "state (stopped)", r.state(&id)).unwrap();
    assert_eq!(state.status, Status::Stopped);
    assert_eq!(state.pid, -1);

    let unavailable = format!(
        "err exit 128: waiting on container \"{id}\": sandbox no longer running and its exit status is unavailable"
    );
    let wait = call!(case, "wait (stopped)", r.wait(&id, &WaitOpts::default()));
    assert_eq!(err_text(&wait), unavailable);
    let start = call!(case, "start (stopped)", r.start(&id, None));
    assert_eq!(
        err_text(&start),
        format!(
            "err exit 128: starting container: cannot start container \"{id}\" in state stopped"
        )
    );
    let pause = call!(case, "pause (stopped)", r.pause(&id));
    assert_eq!(
        err_text(&pause),
        format!("err exit 128: pause failed: cannot pause container \"{id}\" in state stopped")
    );
    let resume = call!(case, "resume (stopped)", r.resume(&id));
    assert_eq!(
        err_text(&resume),
        format!("err exit 128: resume failed: cannot resume container \"{id}\" in state stopped")
    );
    for sig in [9, 15] {
        let kill = call!(
            case,
            &format!("kill {sig} (stopped)"),
            r.kill(&id, Signal::Number(sig), &KillOpts::default())
        );
        assert_eq!(err_text(&kill), "err exit 128: sandbox is not running");
    }
    let exec = call!(
        case,
        "exec (stopped)",
        r.exec(&id, &Case::process(&["true"]), &ExecOpts::default())
    );
    assert_eq!(
        err_text(&exec),
        format!("err exit 128: executing processes for container: cannot execute in container \"{id}\" in state stopped")
    );
    let ps = call!(case, "ps (stopped)", r.ps(&id));
    assert_eq!(
        err_text(&ps),
        format!("err exit 128: getting processes for container: cannot get processes of container \"{id}\" in state stopped")
    );
    let stats = call!(case, "events --stats (stopped)", r.stats(&id));
    assert_eq!(err_text(&stats), "err exit 128: ", "runsc prints nothing");
    let list = call!(case, "list", r.list()).unwrap().unwrap_or_default();
    assert_eq!(list[0].status, Status::Stopped);
    call!(
        case,
        "delete (stopped, no force)",
        r.delete(&id, &DeleteOpts::default())
    )
    .unwrap();
    assert!(call!(case, "state (deleted)", r.state(&id))
        .unwrap_err()
        .is_not_found());
}

#[tokio::test]
async fn wait_after_the_container_exited_is_unavailable() {
    let case = case!("late-wait");
    let r = &case.runsc;
    let id = case.id("id");
    let bundle = case.bundle("exit7", &["sh", "-c", "exit 7"]);
    case.run_detached(&id, &bundle).await;
    assert!(stopped_soon(r, &id).await, "the container stops by itself");
    case.note("state: stopped");
    let wait = call!(case, "wait (after exit)", r.wait(&id, &WaitOpts::default()));
    assert_eq!(
        err_text(&wait),
        format!("err exit 128: waiting on container \"{id}\": sandbox no longer running and its exit status is unavailable")
    );
}

/// Whether the container is reported stopped within [`SOON`].
async fn stopped_soon(r: &runsc::Runsc, id: &runsc::cli::ContainerId) -> bool {
    let deadline = tokio::time::Instant::now() + SOON;
    while tokio::time::Instant::now() < deadline {
        if r.state(id).await.is_ok_and(|s| s.status == Status::Stopped) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// Whether `ps` shows exactly `pids` within [`SOON`].
async fn ps_soon(r: &runsc::Runsc, id: &runsc::cli::ContainerId, pids: &[i32]) -> bool {
    let deadline = tokio::time::Instant::now() + SOON;
    while tokio::time::Instant::now() < deadline {
        if r.ps(id).await.is_ok_and(|ps| ps == pids) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[rstest]
#[case::echo("echo", &["echo", "hello", "world"], 0, "hello world\n", "")]
#[case::true_("true", &["true"], 0, "", "")]
#[case::false_("false", &["false"], 1, "", "")]
#[case::exit7("exit7", &["sh", "-c", "exit 7"], 7, "", "")]
#[case::out_err("out-err", &["sh", "-c", "echo out; echo err >&2; exit 3"], 3, "out\n", "err\n")]
// Real programs, which only a fake that runs them can answer.
#[case::pipe("pipe", &["sh", "-c", "printf 'b\\na\\n' | sort; echo $(echo nested) ${UNSET:-default}"], 0, "a\nb\nnested default\n", "")]
#[case::cat("cat", &["cat", "/proc/self/comm"], 0, "cat\n", "")]
#[case::killed("killed", &["sh", "-c", "echo before; kill -9 $$; echo after"], 137, "before\n", "")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_forwards_output_and_exit_status(
    #[case] label: &str,
    #[case] args: &[&str],
    #[case] code: i32,
    #[case] stdout: &str,
    #[case] stderr: &str,
) {
    let case = case!(&format!("run-{label}"));
    let r = &case.runsc;
    let id = case.id("id");
    let bundle = case.bundle(label, args);
    let exit = call!(case, "run", r.run(&id, &bundle, &RunOpts::default())).unwrap();
    assert_eq!(exit.code, code);
    assert_eq!(String::from_utf8_lossy(&exit.stdout.bytes), stdout);
    assert_eq!(String::from_utf8_lossy(&exit.stderr.bytes), stderr);
    let state = call!(case, "state (after run)", r.state(&id));
    assert!(
        state.unwrap_err().is_not_found(),
        "run deletes the container"
    );
    assert!(call!(case, "list", r.list())
        .unwrap()
        .unwrap_or_default()
        .is_empty());
}

#[tokio::test]
async fn annotations_choose_output_exit_status_and_duration() {
    let case = case!("annotations");
    if !case.target.fake {
        eprintln!("SKIP annotations: only the simulator reads dev.fake-runsc annotations");
        case.discard_transcript();
        return;
    }
    let r = &case.runsc;
    let id = case.id("id");
    let annotations = BTreeMap::from([
        ("dev.fake-runsc.stdout", "from annotation\n"),
        ("dev.fake-runsc.duration-ms", "500"),
        ("dev.fake-runsc.exit-code", "42"),
    ]);
    let bundle = case.bundle_with("annotated", &["my-server", "--port=80"], &annotations);
    let exit = call!(case, "run", r.run(&id, &bundle, &RunOpts::default())).unwrap();
    assert_eq!(exit.code, 42);
    assert_eq!(
        String::from_utf8_lossy(&exit.stdout.bytes),
        "from annotation\n"
    );
}

#[tokio::test]
async fn exec_runs_processes_with_pid_files_and_wait_pid() {
    let case = case!("exec");
    let r = &case.runsc;
    let id = case.id("id");
    let bundle = case.bundle("sleep", &["sleep", "1000"]);
    case.run_detached(&id, &bundle).await;

    let echo = call!(
        case,
        "exec echo hi",
        r.exec(&id, &Case::process(&["echo", "hi"]), &ExecOpts::default())
    )
    .unwrap();
    let ExecOutcome::Exited(exit) = echo else {
        panic!("not detached")
    };
    assert_eq!(
        (exit.code, exit.stdout.bytes.as_slice()),
        (0, b"hi\n".as_slice())
    );
    let code = call!(
        case,
        "exec sh -c 'exit 5'",
        r.exec(
            &id,
            &Case::process(&["sh", "-c", "exit 5"]),
            &ExecOpts::default()
        )
    )
    .unwrap()
    .code();
    assert_eq!(code, Some(5));
    let missing = call!(
        case,
        "exec /no/such/binary",
        r.exec(
            &id,
            &Case::process(&["/no/such/binary"]),
            &ExecOpts::default()
        )
    );
    assert_eq!(
        err_text(&missing),
        "err exit 128: executing processes for container: executing command \"/no/such/binary\" in sandbox: failed to load /no/such/binary: no such file or directory"
    );

    let unknown = call!(
        case,
        "exec no-such-command-here",
        r.exec(
            &id,
            &Case::process(&["no-such-command-here"]),
            &ExecOpts::default()
        )
    );
    assert_eq!(
        err_text(&unknown),
        "err exit 128: executing processes for container: executing command \"no-such-command-here\" in sandbox: error finding executable \"no-such-command-here\" in PATH [/usr/local/bin /usr/bin /bin]: no such file or directory"
    );

    let internal_pid_file = case.tmp().join("exec-internal.pid");
    let detached = call!(
        case,
        "exec --detach sh -c 'sleep 4; exit 4'",
        r.exec(
            &id,
            &Case::process(&["sh", "-c", "sleep 4; exit 4"]),
            &ExecOpts::default()
                .with_detach(true)
                .with_internal_pid_file(internal_pid_file.clone())
        )
    )
    .unwrap();
    // Paused, the processes stay as they are while ps looks at them.
    call!(case, "pause", r.pause(&id)).unwrap();
    let ExecOutcome::Detached {
        internal_pid: Some(internal),
        ..
    } = detached
    else {
        panic!("detached exec reports its internal pid: {detached:?}")
    };
    // The shell forks `sleep`, which takes the next pid.
    let ps = call!(case, "ps", r.ps(&id)).unwrap();
    assert_eq!(ps, vec![1, internal as i32, internal as i32 + 1]);
    call!(case, "resume", r.resume(&id)).unwrap();
    let wait = call!(
        case,
        "wait --pid",
        r.wait(&id, &WaitOpts::default().with_pid(i64::from(internal)))
    )
    .unwrap();
    assert_eq!(wait.exit_status, 4);
    let again = call!(
        case,
        "wait --pid (reaped)",
        r.wait(&id, &WaitOpts::default().with_pid(i64::from(internal)))
    );
    assert_eq!(
        err_text(&again),
        format!("err exit 128: waiting on PID {internal} in container \"{id}\": waiting on PID {internal} in sandbox \"{id}\": waiting for PID {internal}: no such process")
    );
    let ps = call!(case, "ps (after wait)", r.ps(&id)).unwrap();
    assert_eq!(ps, vec![1]);

    // kill --pid reaches one exec'd process and leaves the container running.
    let detached = call!(
        case,
        "exec --detach sleep 500",
        r.exec(
            &id,
            &Case::process(&["sleep", "500"]),
            &ExecOpts::default()
                .with_detach(true)
                .with_pid_file(case.tmp().join("sleep-host.pid"))
                .with_internal_pid_file(case.tmp().join("sleep.pid"))
        )
    )
    .unwrap();
    let ExecOutcome::Detached {
        pid: Some(host_pid),
        internal_pid: Some(sleeper),
    } = detached
    else {
        panic!("detached exec reports both pids: {detached:?}")
    };
    let host_pid = host_pid as i32;
    assert!(
        pid_alive(host_pid),
        "the exec pid file names a live process"
    );
    call!(
        case,
        "kill --pid 9",
        r.kill(
            &id,
            Signal::Number(9),
            &KillOpts::default().with_pid(i64::from(sleeper))
        )
    )
    .unwrap();
    assert!(ps_soon(r, &id, &[1]).await, "the killed process leaves ps");
    assert!(
        eventually(SOON, || !pid_alive(host_pid)).await,
        "the process named by the exec pid file is gone"
    );
    case.note("ps: [1]");
    let missing = call!(
        case,
        "kill --pid 9999",
        r.kill(&id, Signal::Number(9), &KillOpts::default().with_pid(9999))
    );
    assert_eq!(
        err_text(&missing),
        format!("err exit 128: failed to signal pid 9999: signaling container \"{id}\" PID 9999: signaling process in container \"{id}\" PID 9999: no such process with PID 9999")
    );
    assert_eq!(
        call!(case, "state", r.state(&id)).unwrap().status,
        Status::Running
    );
}

#[rstest]
#[case::num_9("9", true)]
#[case::num_15("15", true)]
#[case::name_kill("KILL", true)]
#[case::name_sigterm("SIGTERM", true)]
#[case::lower_sigterm("sigterm", true)]
#[case::zero("0", false)]
#[case::num_99("99", false)]
#[case::bogus("BOGUS", false)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_by_number_or_name(#[case] signal: &str, #[case] known: bool) {
    let case = case!(&format!("kill-{signal}"));
    let r = &case.runsc;
    let id = case.id("id");
    let bundle = case.bundle("sleep", &["sleep", "1000"]);
    case.run_detached(&id, &bundle).await;
    let kill = call!(
        case,
        "kill",
        r.kill(&id, Signal::from_arg(signal), &KillOpts::default())
    );
    if known {
        kill.unwrap();
        assert!(
            stopped_soon(r, &id).await,
            "kill {signal} stops the container"
        );
        case.note("state: stopped");
    } else {
        assert_eq!(
            err_text(&kill),
            format!("err exit 128: unknown signal \"{signal}\"")
        );
        let state = call!(case, "state", r.state(&id)).unwrap();
        assert_eq!(state.status, Status::Running);
    }
}

#[tokio::test]
async fn kill_all_stops_the_container() {
    let case = case!("kill-all");
    let r = &case.runsc;
    let id = case.id("id");
    let bundle = case.bundle("sleep", &["sleep", "1000"]);
    case.run_detached(&id, &bundle).await;
    call!(
        case,
        "kill --all 9",
        r.kill(&id, Signal::Number(9), &KillOpts::default().with_all(true))
    )
    .unwrap();
    assert!(stopped_soon(r, &id).await);
    case.note("state: stopped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_blocked_while_running_gets_128_plus_signal() {
    let case = case!("wait-sigkill");
    let r = &case.runsc;
    let id = case.id("id");
    let bundle = case.bundle("sleep", &["sleep", "1000"]);
    case.run_detached(&id, &bundle).await;
    let waiter = {
        let (r, id) = (r.clone(), id.clone());
        tokio::spawn(async move { r.wait(&id, &WaitOpts::default()).await })
    };
    // The wait must be blocked before the kill: a second lets it reach runsc.
    tokio::time::sleep(Duration::from_secs(1)).await;
    call!(
        case,
        "kill 9",
        r.kill(&id, Signal::Number(9), &KillOpts::default())
    )
    .unwrap();
    let wait = waiter.await.expect("waiter task");
    case.record("wait (blocked before kill)", &wait);
    assert_eq!(wait.unwrap().exit_status, 137);
    let again = call!(case, "wait (again)", r.wait(&id, &WaitOpts::default()));
    assert!(err_text(&again).contains("exit status is unavailable"));
    call!(
        case,
        "delete (stopped)",
        r.delete(&id, &DeleteOpts::default())
    )
    .unwrap();
}

#[tokio::test]
async fn events_stream_until_the_container_stops_and_then_go_silent() {
    let case = case!("events-stream");
    let r = &case.runsc;
    let id = case.id("id");
    let bundle = case.bundle("sleep", &["sleep", "1000"]);
    case.run_detached(&id, &bundle).await;
    let mut stream = r
        .events(&id, Duration::from_secs(1))
        .await
        .expect("events starts");
    for n in 0..2 {
        let event = next_event(&mut stream, Duration::from_secs(10))
            .await
            .expect("an event every interval")
            .expect("a well-formed event");
        assert!(event.is_stats());
        assert_eq!(event.id, id.as_str());
        case.note(&format!(
            "event {n}: type {} pids {:?}",
            event.r#type,
            event.stats.map(|s| s.pids.current)
        ));
    }
    call!(
        case,
        "kill 9",
        r.kill(&id, Signal::Number(9), &KillOpts::default())
    )
    .unwrap();
    assert!(stopped_soon(r, &id).await);
    // Drain what was in flight, then runsc neither prints nor exits.
    while let Some(Some(_)) = next_event_opt(&mut stream, Duration::from_millis(100)).await {}
    let silent = next_event_opt(&mut stream, Duration::from_secs(3)).await;
    assert!(
        silent.is_none(),
        "events stays silent and open after the container stopped: {silent:?}"
    );
    case.note("events: silent after stop");
    drop(stream);
}

async fn next_event(
    stream: &mut runsc::EventStream,
    limit: Duration,
) -> Option<Result<runsc::types::Event, runsc::Error>> {
    next_event_opt(stream, limit).await.flatten()
}

/// `None` on timeout, `Some(None)` at the end of the stream.
async fn next_event_opt(
    stream: &mut runsc::EventStream,
    limit: Duration,
) -> Option<Option<Result<runsc::types::Event, runsc::Error>>> {
    use futures_core::Stream;
    let next = std::future::poll_fn(|cx| std::pin::Pin::new(&mut *stream).poll_next(cx));
    tokio::time::timeout(limit, next).await.ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_containers_in_one_root() {
    let case = case!("concurrent");
    let bundle = case.bundle("sleep", &["sleep", "1000"]);
    let ids: Vec<_> = (0..16).map(|n| case.id(&format!("c{n:02}"))).collect();
    let tasks: Vec<_> = ids
        .iter()
        .map(|id| {
            let (r, id, bundle) = (case.runsc.clone(), id.clone(), bundle.clone());
            tokio::spawn(async move {
                r.create(&id, &bundle, &CreateOpts::default()).await?;
                r.start(&id, None).await?;
                let state = r.state(&id).await?;
                assert_eq!(state.status, Status::Running);
                Ok::<_, runsc::Error>(state.pid)
            })
        })
        .collect();
    let mut pids = Vec::new();
    for task in tasks {
        pids.push(task.await.expect("task").expect("lifecycle"));
    }
    let list = call!(case, "list (16 running)", case.runsc.list())
        .unwrap()
        .unwrap_or_default();
    assert_eq!(list.len(), 16);
    assert!(list.iter().all(|c| c.status == Status::Running));
    let mut listed: Vec<&str> = list.iter().map(|c| c.id.as_str()).collect();
    listed.sort();
    let mut expected: Vec<&str> = ids.iter().map(|i| i.as_str()).collect();
    expected.sort();
    assert_eq!(listed, expected);
    let tasks: Vec<_> = ids
        .iter()
        .map(|id| {
            let (r, id) = (case.runsc.clone(), id.clone());
            tokio::spawn(
                async move { r.delete(&id, &DeleteOpts::default().with_force(true)).await },
            )
        })
        .collect();
    for task in tasks {
        task.await.expect("task").expect("delete --force");
    }
    assert!(call!(case, "list (all deleted)", case.runsc.list())
        .unwrap()
        .unwrap_or_default()
        .is_empty());
    assert!(
        eventually(SOON, || pids.iter().all(|p| !pid_alive(*p))).await,
        "no sandbox process is left"
    );
}

#[tokio::test]
async fn ids_may_be_unique_prefixes() {
    let case = case!("id-prefixes");
    let r = &case.runsc;
    let a = case.id("pfxa");
    let b = case.id("pfxb");
    let bundle = case.bundle("sleep", &["sleep", "1000"]);
    for id in [&a, &b] {
        call!(
            case,
            "create",
            r.create(id, &bundle, &CreateOpts::default())
        )
        .unwrap();
    }
    // Ids look like lc-PID-pfxa-N: cut after "pfxa" and after "pfx".
    let unique = &a.as_str()[..a.as_str().rfind('-').unwrap()];
    let shared = &unique[..unique.len() - 1];
    case.replace(unique, "{unique-prefix}");
    case.replace(shared, "{shared-prefix}");
    let state = call!(
        case,
        "state UNIQUE-PREFIX",
        r.state(&ContainerId::new(unique).unwrap())
    )
    .unwrap();
    assert_eq!(state.id, a.as_str());
    let ambiguous = call!(
        case,
        "state SHARED-PREFIX",
        r.state(&ContainerId::new(shared).unwrap())
    );
    let text = err_text(&ambiguous);
    assert!(
        text.starts_with(&format!(
            "err exit 128: loading container: id \"{shared}\" is ambiguous and could refer to multiple containers: "
        )),
        "{text}"
    );
}

#[tokio::test]
async fn a_missing_binary_fails_at_start_not_at_create() {
    let case = case!("missing-binary");
    let r = &case.runsc;
    let id = case.id("id");
    let bundle = case.bundle("missing", &["/no/such/binary"]);
    call!(
        case,
        "create",
        r.create(&id, &bundle, &CreateOpts::default())
    )
    .unwrap();
    let start = call!(case, "start", r.start(&id, None));
    assert_eq!(
        err_text(&start),
        "err exit 128: starting container: starting root container: starting sandbox: creating process: failed to load /no/such/binary: no such file or directory"
    );
    assert_eq!(
        call!(case, "state", r.state(&id)).unwrap().status,
        Status::Created
    );
    let id2 = case.id("id2");
    let run = call!(case, "run", r.run(&id2, &bundle, &RunOpts::default()));
    assert_eq!(
        err_text(&run),
        "err exit 128: running container: starting container: starting root container: starting sandbox: creating process: failed to load /no/such/binary: no such file or directory"
    );
}

#[tokio::test]
async fn checkpoint_stops_the_container_and_restore_starts_a_new_one() {
    let case = case!("checkpoint-restore");
    let r = &case.runsc;
    let id = case.id("id");
    let bundle = case.bundle("sleep", &["sleep", "1000"]);
    case.run_detached(&id, &bundle).await;
    let no_path = call!(
        case,
        "checkpoint (no image path)",
        r.checkpoint(&id, &CheckpointOpts::default())
    );
    assert_eq!(
        err_text(&no_path),
        "err exit 128: image-path flag must be provided"
    );
    let image = case.tmp().join("image");
    call!(
        case,
        "checkpoint",
        r.checkpoint(
            &id,
            &CheckpointOpts::default().with_image_path(image.clone())
        )
    )
    .unwrap();
    assert!(image.join("checkpoint.img").is_file());
    assert_eq!(
        call!(case, "state", r.state(&id)).unwrap().status,
        Status::Stopped
    );
    call!(
        case,
        "delete --force",
        r.delete(&id, &DeleteOpts::default().with_force(true))
    )
    .unwrap();

    let id2 = case.id("id2");
    call!(
        case,
        "restore --detach",
        r.restore(
            &id2,
            &bundle,
            &RestoreOpts::default()
                .with_image_path(image.clone())
                .with_detach(true)
        )
    )
    .unwrap();
    assert_eq!(
        call!(case, "state (restored)", r.state(&id2))
            .unwrap()
            .status,
        Status::Running
    );
    let id3 = case.id("id3");
    let missing = case.tmp().join("no-image");
    let restore = call!(
        case,
        "restore (no image)",
        r.restore(
            &id3,
            &bundle,
            &RestoreOpts::default()
                .with_image_path(missing.clone())
                .with_detach(true)
        )
    );
    let shown = missing.join("checkpoint.img").display().to_string();
    assert_eq!(
        err_text(&restore),
        format!("err exit 128: running container: starting container: opening restore file \"{shown}\" failed: open {shown}: no such file or directory")
    );
}

/// A foreground `run` that gets SIGTERM passes it on and dies of it; the
/// container is left stopped, not deleted. The client cannot signal runsc,
/// so this case starts runsc itself.
#[tokio::test]
async fn a_foreground_run_killed_by_sigterm_leaves_a_stopped_container() {
    use std::os::unix::process::ExitStatusExt;
    let case = case!("run-sigterm");
    let id = case.id("id");
    let bundle = case.bundle("sleep", &["sleep", "1000"]);
    let out = std::fs::File::create(case.tmp().join("run.out")).unwrap();
    let mut child = std::process::Command::new(&case.target.path)
        .arg(format!("--root={}", case.root().display()))
        .arg("--network=none")
        .args(["run", "--bundle"])
        .arg(&bundle)
        .arg(id.as_str())
        .stdin(std::process::Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .expect("start runsc run");
    let r = &case.runsc;
    let deadline = tokio::time::Instant::now() + SOON;
    while !r
        .state(&id)
        .await
        .is_ok_and(|s| s.status == Status::Running)
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "run starts the container"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    case.note(&format!("run ended by signal {:?}", status.signal()));
    assert_eq!(
        status.signal(),
        Some(15),
        "runsc dies of the signal: {status:?}"
    );
    assert!(
        stopped_soon(r, &id).await,
        "the container is stopped, not deleted"
    );
    case.note("state: stopped");
}

#[tokio::test]
async fn a_wait_begun_while_paused_panics_when_the_container_exits() {
    let case = case!("wait-paused");
    let r = &case.runsc;
    let id = case.id("id");
    let script = format!("sleep {}; exit 3", case.sleep_secs(2));
    let bundle = case.bundle("exit3", &["sh", "-c", &script]);
    case.run_detached(&id, &bundle).await;
    call!(case, "pause", r.pause(&id)).unwrap();
    let waiter = {
        let (r, id) = (r.clone(), id.clone());
        tokio::spawn(async move { r.wait(&id, &WaitOpts::default()).await })
    };
    // A second lets the wait reach runsc while the container is paused.
    tokio::time::sleep(Duration::from_secs(1)).await;
    call!(case, "resume", r.resume(&id)).unwrap();
    let wait = waiter.await.expect("waiter task");
    case.record("wait (begun while paused)", &wait);
    assert_eq!(
        err_text(&wait),
        "err exit 2: panic: invalid state transition: paused => stopped",
        "runsc 20221219 panics"
    );
    assert!(stopped_soon(r, &id).await);
    case.note("state: stopped");
}
