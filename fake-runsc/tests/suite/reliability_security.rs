//! What callers and scenarios hand the harness never escapes its place:
//! container ids, config values and paths from callers never become flags
//! (checked in what the fake received and parsed, end to end through the
//! client); `exec`'s process file is private and removed on success, error
//! and cancellation; the fake creates and follows no path a scenario names;
//! and runsc is started directly, never through a shell.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use fake_runsc::journal::{Call, CallResult};
use fake_runsc::scenario::{Fault, Scenario, Step};
use oci_spec::runtime::Process;
use proptest::prelude::*;
use runsc::cli::{self, ContainerId, Subcommand};
use runsc::{CreateOpts, DeleteOpts, ExecOpts, KillOpts, Runsc};
use serde_json::{json, Value};

use crate::common::{binary, start};
use crate::reliability_support;
use crate::reliability_support::{calls, state_json, wait_for};

const SETTLE: Duration = Duration::from_secs(10);
/// Long enough for a fake to start and journal its call on a loaded
/// machine; the call hangs, so the deadline always passes.
const DEADLINE: Duration = Duration::from_secs(3);

/// Answers every call the flag property makes, writing no pid file.
fn permissive_scenario() -> Scenario {
    let text = json!({"version": 1, "steps": [
        {"match": {"command": "state"}, "times": "any", "reply": {"stdout": state_json("x")}},
        {"match": {"command": "create"}, "times": "any", "reply": {"pid_file": "none"}},
        {"match": {"command": "kill"}, "times": "any"},
        {"match": {"command": "delete"}, "times": "any"},
    ]});
    Scenario::from_json(text.to_string().as_bytes()).expect("a valid scenario")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

/// Real runsc string flags whose values the property fills with anything
/// (typed flags such as `--network` check their values while parsing).
const CONFIG_KEYS: &[&str] = &[
    "debug-command",
    "pod-init-config",
    "strace-syscalls",
    "profile-cpu",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Whatever the caller passes as an id, a config value, a bundle or a
    /// pid file, the fake (which reads argv exactly as runsc does) parses
    /// back the same values in the same places and no extra flag.
    #[test]
    fn caller_values_reach_runsc_as_values_never_as_flags(
        id in cli::strategy::parsed_container_id(),
        key in proptest::sample::select(CONFIG_KEYS),
        value in cli::strategy::text(),
        bundle in "[^\\x00]{0,12}|-{1,2}[a-z=]{0,8}",
        pid_file in "[a-z0-9=-]{1,10}",
        signal in cli::strategy::signal(),
    ) {
        let fake = start(&permissive_scenario());
        let runsc = Runsc::builder()
            .command(fake.command_path())
            .root(fake.root())
            .config(key, value.clone())
            .timeout(Duration::from_secs(60))
            .build()
            .expect("a valid client");
        let pid_file = std::env::temp_dir().join(format!("-{pid_file}.pid"));
        runtime().block_on(async {
            runsc.state(&id).await.expect("state");
            let opts = CreateOpts::default().with_pid_file(pid_file.clone());
            runsc.create(&id, &bundle, &opts).await.expect("create");
            runsc.kill(&id, signal.clone(), &KillOpts::default()).await.expect("kill");
            runsc.delete(&id, &DeleteOpts::default()).await.expect("delete");
        });
        let journal = calls(&fake);
        prop_assert_eq!(journal.len(), 4, "{:#?}", journal);
        let docs: Vec<Value> = journal.iter().map(|c| c.invocation.clone().unwrap_or_default()).collect();
        for (entry, doc) in journal.iter().zip(&docs) {
            prop_assert_eq!(entry.result, CallResult::Matched, "{:#?}", entry);
            let config = doc["global"]["config"].as_object().cloned().unwrap_or_default();
            prop_assert_eq!(config.len(), 1, "extra global flags: {:?}", config);
            prop_assert_eq!(&config[key], &json!(value));
            prop_assert_eq!(&doc["global"]["root"], &json!(fake.root()));
        }
        prop_assert_eq!(&docs[0]["id"], &json!(id.as_str()));
        prop_assert_eq!(&docs[1]["id"], &json!(id.as_str()));
        prop_assert_eq!(&docs[1]["bundle"], &json!(bundle));
        prop_assert_eq!(&docs[1]["pid-file"], &json!(pid_file));
        prop_assert_eq!(&docs[2]["id"], &json!(id.as_str()));
        prop_assert_eq!(&docs[2]["signal"], &json!(signal));
        prop_assert_eq!(&docs[2]["all"], &json!(false));
        prop_assert_eq!(&docs[3]["ids"], &json!([id.as_str()]));
        prop_assert_eq!(&docs[3]["force"], &json!(false));
        prop_assert!(!pid_file.exists(), "the scenario asked for no pid file");
    }
}

fn process(args: &[&str]) -> Process {
    let mut process = Process::default();
    process.set_args(Some(args.iter().map(|a| a.to_string()).collect()));
    process
}

/// The first journalled call; the fake journals before it answers.
fn first_call(fake: &fake_runsc::testing::FakeRuntime) -> Call {
    calls(fake)
        .into_iter()
        .next()
        .expect("the fake journalled the call")
}

/// The `--process` file named in a journalled exec call.
fn process_file(entry: &Call) -> PathBuf {
    entry
        .invocation
        .as_ref()
        .and_then(|doc| doc["process"].as_str())
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("the exec call names no process file: {entry:#?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn execs_process_file_is_private_and_removed_on_every_path() {
    let c1 = ContainerId::new("c1").expect("id");
    // The arguments look like flags and shell: they travel in the file.
    let args = ["--root=/elsewhere", "-rf", "$(touch pwned)", "; echo"];

    // Cancellation: inspect the file while runsc hangs, then drop the call.
    let step = Step::command("exec").fault(Fault::Hang {});
    let fake = start(&Scenario::new().step(step));
    let runsc = reliability_support::client(&fake, None);
    let call = tokio::spawn({
        let (c1, process) = (c1.clone(), process(&args));
        async move { runsc.exec(&c1, &process, &ExecOpts::default()).await }
    });
    wait_for("the exec call to reach the fake", SETTLE, || {
        let n = calls(&fake).len();
        (n == 1, n)
    });
    let entry = calls(&fake).remove(0);
    let path = process_file(&entry);
    let meta = std::fs::metadata(&path).expect("the process file exists while runsc runs");
    assert!(meta.is_file());
    assert_eq!(
        meta.permissions().mode() & 0o777,
        0o600,
        "{}",
        path.display()
    );
    assert_eq!(meta.uid(), nix::unistd::getuid().as_raw());
    let dir = path.parent().expect("a directory").to_owned();
    let dir_mode = std::fs::metadata(&dir)
        .expect("its directory")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(dir_mode, 0o700, "{}", dir.display());
    let doc = entry.invocation.clone().unwrap_or_default();
    assert_eq!(doc["process-spec"]["args"], json!(args));
    let argv: Vec<&str> = entry.argv.iter().map(String::as_str).collect();
    for arg in args {
        assert!(!argv.contains(&arg), "{arg:?} reached argv {argv:?}");
    }
    call.abort();
    assert!(call.await.expect_err("aborted").is_cancelled());
    wait_for("the cancelled call's process file to go", SETTLE, || {
        (!path.exists() && !dir.exists(), path.exists())
    });

    // runsc fails.
    let step = Step::command("exec").exit(128).stderr("exec failed\n");
    let fake = start(&Scenario::new().step(step));
    let error = reliability_support::client(&fake, None)
        .exec(&c1, &process(&args), &ExecOpts::default())
        .await
        .expect_err("runsc failed");
    assert_eq!(error.exit_code(), Some(128));
    let path = process_file(&first_call(&fake));
    assert!(
        !path.exists() && !path.parent().expect("dir").exists(),
        "{} was left",
        path.display()
    );

    // The deadline passes.
    let step = Step::command("exec").fault(Fault::Hang {});
    let fake = start(&Scenario::new().step(step));
    let error = reliability_support::client(&fake, Some(DEADLINE))
        .exec(&c1, &process(&args), &ExecOpts::default())
        .await
        .expect_err("deadline");
    assert!(error.is_timeout(), "{error:?}");
    let path = process_file(&first_call(&fake));
    assert!(
        !path.exists(),
        "{} was left after the deadline",
        path.display()
    );

    // Success, detached.
    let fake = start(&Scenario::new().step(Step::command("exec")));
    let outcome = reliability_support::client(&fake, None)
        .exec(&c1, &process(&args), &ExecOpts::default().with_detach(true))
        .await
        .expect("exec");
    assert!(
        matches!(outcome, runsc::ExecOutcome::Detached { pid: Some(_), .. }),
        "{outcome:?}"
    );
    let path = process_file(&first_call(&fake));
    assert!(!path.exists(), "{} was left after success", path.display());
}

/// Every file under `dir`, relative, sorted.
fn tree(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir)
            .expect("readable")
            .filter_map(Result::ok)
        {
            let path = entry.path();
            let file_type = entry.file_type().expect("a file type");
            if file_type.is_dir() {
                walk(base, &path, out);
            } else {
                out.push(
                    path.strip_prefix(base)
                        .expect("below base")
                        .display()
                        .to_string(),
                );
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// A scenario whose every string is a path that climbs out (`../`), run
/// from a working directory next to the session: the fake writes only its
/// session files and what the call itself names, and nothing those strings name.
#[test]
fn scenario_strings_never_become_paths_the_fake_touches() {
    let top = tempfile::tempdir().expect("temp dir");
    let work = top.path().join("a/b/work");
    std::fs::create_dir_all(&work).expect("work dir");
    let escape = "../../../escaped";
    let scenario = json!({"version": 1, "description": escape, "steps": [
        {"name": escape,
         "match": {"command": "create", "id": {"capture": escape}, "bundle": {"capture": "bundle"}},
         "reply": {"stdout": format!("{{{{{escape}}}}}"), "pid_file": {"pid": 4242},
                   "log": [format!("{{{{{escape}}}}}")]}},
        {"name": format!("/{escape}"),
         "match": {"command": "state", "id": {"ref": escape}},
         "reply": {"stdout": state_json("x"), "stderr": escape}},
    ]});
    let scenario_path = top.path().join("scenario.json");
    std::fs::write(&scenario_path, scenario.to_string()).expect("scenario");
    let session = top.path().join("session");
    let run = |args: &[&str]| {
        Command::new(binary())
            .args(args)
            .current_dir(&work)
            .env("FAKE_RUNSC_SCENARIO", &scenario_path)
            .env("FAKE_RUNSC_SESSION", &session)
            .output()
            .expect("the fake runs")
    };
    let log = top.path().join("runsc.log");
    let pid_file = top.path().join("c.pid");
    let create = run(&[
        &format!("--log={}", log.display()),
        "create",
        &format!("--pid-file={}", pid_file.display()),
        &format!("--bundle={escape}"),
        escape,
    ]);
    assert!(
        create.status.success(),
        "{}",
        String::from_utf8_lossy(&create.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&create.stdout), escape);
    let state = run(&["state", escape]);
    assert!(
        state.status.success(),
        "{}",
        String::from_utf8_lossy(&state.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(&pid_file).expect("pid file"),
        "4242"
    );
    assert_eq!(
        std::fs::read_to_string(&log).expect("log"),
        format!("{escape}\n")
    );
    assert_eq!(
        tree(top.path()),
        [
            "c.pid",
            "runsc.log",
            "scenario.json",
            "session/journal.jsonl",
            "session/scenario-path",
            "session/scenario.index",
            "session/state.json",
            "session/state.lock",
        ],
        "the fake wrote somewhere a scenario string named"
    );
}

/// The simulator never reaches outside `--root`: ids that climb out of it
/// (`../other-root/c1`) do not find, signal or delete a container of a
/// sibling root, and a state file planted in the root as a symlink to a
/// file outside is neither written nor removed through.
#[test]
fn the_simulator_stays_inside_its_root() {
    let top = tempfile::tempdir().expect("temp dir");
    let (root, other) = (top.path().join("root"), top.path().join("other"));
    let bundle = crate::common::sleep_bundle(top.path());
    let sim = |root: &Path, args: &[&str]| {
        Command::new(binary())
            .arg(format!("--root={}", root.display()))
            .args(args)
            .env_remove("FAKE_RUNSC_SCENARIO")
            .env_remove("FAKE_RUNSC_SESSION")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .expect("the fake runs")
    };
    let bundle_flag = format!("--bundle={}", bundle.display());
    assert!(
        sim(&other, &["create", &bundle_flag, "c1"]).success(),
        "create in the sibling root"
    );
    let outside = top.path().join("precious");
    std::fs::write(&outside, "precious").expect("outside file");
    std::fs::create_dir_all(&root).expect("root");
    std::os::unix::fs::symlink(&outside, root.join("evil.fake-runsc.json")).expect("symlink");
    for id in ["../other/c1", "../../other/c1", "./../other/c1"] {
        assert!(
            !sim(&root, &["state", id]).success(),
            "`state {id}` found a container outside the root"
        );
        for args in [
            &["kill", id, "KILL"][..],
            &["pause", id],
            &["delete", "--force", id],
        ] {
            let _ = sim(&root, args);
        }
    }
    for args in [
        &["state", "evil"][..],
        &["kill", "evil", "KILL"],
        &["delete", "--force", "evil"],
        &["list"],
    ] {
        let _ = sim(&root, args);
    }
    let still_there = Command::new(binary())
        .args([&format!("--root={}", other.display()), "state", "c1"])
        .output()
        .expect("the fake runs");
    let _ = sim(&other, &["delete", "--force", "c1"]);
    assert!(
        still_there.status.success()
            && String::from_utf8_lossy(&still_there.stdout).contains("\"status\": \"created\""),
        "the sibling root's container was touched: {}{}",
        String::from_utf8_lossy(&still_there.stdout),
        String::from_utf8_lossy(&still_there.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(&outside).expect("the outside file survives"),
        "precious",
        "a file outside the root changed"
    );
}

/// runsc is started directly: the process the fake sees has the test
/// process as its parent and exactly the client's argv, shell
/// metacharacters included, and nothing they would run has run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runsc_is_never_run_through_a_shell() {
    let dir = tempfile::tempdir().expect("temp dir");
    let marker = dir.path().join("marker");
    let shell = format!(
        "$(touch {m}) `touch {m}` ; touch {m} && touch {m} | touch {m}",
        m = marker.display()
    );
    let step = Step::command("state").fault(Fault::Hang {});
    let fake = start(&Scenario::new().step(step));
    let runsc = Runsc::builder()
        .command(fake.command_path())
        .root(fake.root())
        .config("pod-init-config", shell.clone())
        .build()
        .expect("client");
    let id = ContainerId::new("$(id)';\"*").expect("a legal id");
    let expected: Vec<String> = std::iter::once(fake.command_path().display().to_string())
        .chain(
            runsc
                .invocation(Subcommand::State(cli::IdOnly { id: id.clone() }))
                .to_args()
                .iter()
                .map(|a| a.to_string_lossy().into_owned()),
        )
        .collect();
    let call = tokio::spawn({
        let (runsc, id) = (runsc.clone(), id.clone());
        async move { runsc.state(&id).await }
    });
    wait_for("the call to reach the fake", SETTLE, || {
        let n = calls(&fake).len();
        (n == 1, n)
    });
    let entry = calls(&fake).remove(0);
    let pid = i32::try_from(entry.pid).expect("a pid");
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).expect("the fake is alive");
    let seen: Vec<String> = cmdline
        .split(|b| *b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    let parent = crate::common::stat(pid).expect("stat").ppid;
    call.abort();
    let _ = call.await;
    assert_eq!(
        parent,
        std::process::id() as i32,
        "runsc's parent is not the caller"
    );
    assert_eq!(
        seen, expected,
        "runsc did not get the client's argv verbatim"
    );
    let doc = entry.invocation.clone().unwrap_or_default();
    assert_eq!(doc["global"]["config"]["pod-init-config"], json!(shell));
    assert_eq!(doc["id"], json!(id.as_str()));
    assert!(!marker.exists(), "a shell ran the metacharacters");
}
