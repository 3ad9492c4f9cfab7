//! The simulator under hostile and concurrent conditions: symlinks planted
//! under its root, a default root someone else owns, forged pids in state
//! files, concurrent creates of one id, corrupt neighbours, and the ids,
//! global values and wording recorded from real runsc 20221219
//! (`scenarios/real-runsc/cases/hd-*`, made by `capture-hardening.sh`).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use regex::Regex;

use crate::common::{binary, pid_alive, sleep_bundle};

/// The fake in simulator mode with `--root=ROOT`, whatever the caller's env.
fn sim(root: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(binary());
    cmd.arg(format!("--root={}", root.display()))
        .arg("--network=none")
        .args(args)
        .env_remove("FAKE_RUNSC_SCENARIO")
        .env_remove("FAKE_RUNSC_SESSION")
        .env_remove("FAKE_RUNSC_RECORD")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Runs the fake with stdout and stderr in files: a created container's
/// helper inherits them, as runsc's sandbox does, so a pipe would not see
/// EOF until the container ends.
fn run(mut cmd: Command) -> (i32, String, String) {
    let out = tempfile::tempfile().unwrap();
    let err = tempfile::tempfile().unwrap();
    let status = cmd
        .stdout(out.try_clone().unwrap())
        .stderr(err.try_clone().unwrap())
        .status()
        .expect("the fake runs");
    let text = |mut file: std::fs::File| {
        use std::io::{Read, Seek};
        let mut text = String::new();
        file.rewind().unwrap();
        file.read_to_string(&mut text).unwrap();
        text
    };
    (status.code().unwrap_or(-1), text(out), text(err))
}

fn case_dir(name: &str) -> PathBuf {
    crate::common::real_cases_dir().join(name)
}

/// A recorded case: argv, exit code, stdout, stderr.
fn recorded(name: &str) -> (Vec<String>, i32, String, String) {
    let dir = case_dir(name);
    let read = |file: &str| {
        std::fs::read_to_string(dir.join(file))
            .unwrap_or_else(|e| panic!("{}/{file}: {e}; the case is committed", dir.display()))
    };
    let argv: Vec<String> = serde_json::from_str(&read("argv.json")).unwrap();
    let meta: serde_json::Value = serde_json::from_str(&read("meta.json")).unwrap();
    let code = meta["exit_code"].as_i64().expect("an exit code") as i32;
    (argv, code, read("stdout"), read("stderr"))
}

/// glog's warning prefix differs in time and pid on every run.
fn without_glog_header(text: &str) -> String {
    Regex::new(r"(?m)^W\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ ")
        .unwrap()
        .replace_all(text, "W{header} ")
        .into_owned()
}

#[test]
fn recorded_ids_values_leftovers_and_wording_are_answered_as_runsc_did() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path();
    let root = tmp.join("root");
    let bundle = sleep_bundle(tmp);
    std::fs::create_dir_all(tmp.join("nobundle")).unwrap();
    let subs = [
        ("{root}", root.display().to_string()),
        ("{bundle}", bundle.display().to_string()),
        ("{id3}", "hd-c".to_owned()),
        ("{id2}", "hd-b".to_owned()),
        ("{id}", "hd-a".to_owned()),
        ("{tmp}", tmp.display().to_string()),
    ];
    let fill = |text: &str| {
        subs.iter()
            .fold(text.to_owned(), |t, (ph, v)| t.replace(ph, v))
    };
    let cases = [
        "hd-id-colon",
        "hd-id-accent",
        "hd-id-star",
        "hd-id-at",
        "hd-id-121",
        "hd-id-93",
        "hd-id-dotdot",
        "hd-id-dot",
        "hd-id-dot-state",
        "hd-platform-bogus-list",
        "hd-platform-bogus-create",
        "hd-overlay-shared",
        "hd-overlay-none-shared",
        "hd-rootless-create",
        "hd-dup-1-create",
        "hd-dup-2-create-again",
        "hd-dup-3-state",
        "hd-dup-4-create-third",
        "hd-dup-5-delete-force",
        "hd-corrupt-1-create",
        "hd-corrupt-2-list",
        "hd-corrupt-3-state-other",
        "hd-corrupt-4-state-missing",
        "hd-create-no-bundle",
        "hd-restore-no-bundle",
    ];
    let mut compared = 0;
    for name in cases {
        let (argv, code, stdout, stderr) = recorded(name);
        if name == "hd-corrupt-2-list" {
            // The simulator's own state file for a container `bad`.
            std::fs::write(root.join("bad.fake-runsc.json"), "garbage{").unwrap();
        }
        let argv: Vec<String> = argv.iter().map(|a| fill(a)).collect();
        let mut cmd = Command::new(binary());
        cmd.args(&argv)
            .env_remove("FAKE_RUNSC_SCENARIO")
            .env_remove("FAKE_RUNSC_SESSION")
            .env_remove("FAKE_RUNSC_RECORD")
            .stdin(Stdio::null());
        if name.ends_with("no-bundle") {
            cmd.current_dir(tmp.join("nobundle"));
        }
        let (got_code, got_stdout, got_stderr) = run(cmd);
        assert_eq!(got_code, code, "{name}: exit code; stderr: {got_stderr}");
        assert_eq!(
            without_glog_header(&got_stderr),
            without_glog_header(&fill(&stderr)),
            "{name}: stderr"
        );
        if name == "hd-corrupt-2-list" {
            let ids = |text: &str| -> Vec<String> {
                text.lines()
                    .skip(1)
                    .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
                    .collect()
            };
            assert_eq!(ids(&got_stdout), ids(&fill(&stdout)), "{name}: listed ids");
        }
        if name == "hd-id-dot-state" {
            // The recording deletes `.` here, unrecorded.
            let (code, _, _) = run(sim(&root, &["delete", "--force", "."]));
            assert_eq!(code, 0);
        }
        compared += 1;
    }
    assert_eq!(compared, cases.len());
}

#[test]
fn symlinks_planted_under_the_root_are_never_followed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir(&root).unwrap();
    let bundle = sleep_bundle(dir.path());
    let bundle_flag = format!("--bundle={}", bundle.display());

    // A dangling link where the lock goes must not create its target.
    let target = dir.path().join("created-through-the-lock-link");
    std::os::unix::fs::symlink(&target, root.join(".fake-runsc.lock")).unwrap();
    let (code, _, stderr) = run(sim(&root, &["create", &bundle_flag, "victim"]));
    assert_eq!(code, 128, "{stderr}");
    assert!(stderr.contains("symbolic link"), "{stderr}");
    assert!(!target.exists(), "the lock link's target was created");
    std::fs::remove_file(root.join(".fake-runsc.lock")).unwrap();

    // A link where a state file goes is neither read nor written through.
    let precious = dir.path().join("precious");
    std::fs::write(&precious, "keep me").unwrap();
    std::os::unix::fs::symlink(&precious, root.join("victim.fake-runsc.json")).unwrap();
    let (code, _, _) = run(sim(&root, &["create", &bundle_flag, "victim"]));
    assert_eq!(code, 128);
    let (_, stdout, _) = run(sim(&root, &["state", "victim"]));
    assert!(!stdout.contains("keep me"));
    assert_eq!(std::fs::read_to_string(&precious).unwrap(), "keep me");

    // No staging file has a name another user could guess and plant first.
    let (code, _, stderr) = run(sim(&root, &["create", &bundle_flag, "other"]));
    assert_eq!(code, 0, "{stderr}");
    let leftovers: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert_eq!(std::fs::read_to_string(&precious).unwrap(), "keep me");
    run(sim(&root, &["delete", "--force", "other"]));
}

/// The fake without `--root`, its default root under `runtime_dir`.
fn default_root_call(runtime_dir: &Path, args: &[&str]) -> (i32, String, String) {
    let mut cmd = Command::new(binary());
    cmd.args(args)
        .env("XDG_RUNTIME_DIR", runtime_dir)
        .env_remove("FAKE_RUNSC_SCENARIO")
        .env_remove("FAKE_RUNSC_SESSION")
        .env_remove("FAKE_RUNSC_RECORD")
        .stdin(Stdio::null());
    run(cmd)
}

#[test]
fn the_default_root_is_private_and_refused_when_others_could_have_written_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("fake-runsc");
    let (code, stdout, stderr) = default_root_call(dir.path(), &["list", "--quiet"]);
    assert_eq!((code, stdout.as_str()), (0, ""), "{stderr}");
    let mode = std::fs::metadata(&root).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);

    std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o777)).unwrap();
    let (code, _, stderr) = default_root_call(dir.path(), &["list"]);
    assert_eq!(code, 128);
    assert!(stderr.contains("writable by group or others"), "{stderr}");
    assert!(stderr.contains("--root"), "{stderr}");
    std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o700)).unwrap();

    if !nix::unistd::geteuid().is_root() {
        eprintln!("SKIP: a default root owned by another user needs root to set up");
        return;
    }
    std::os::unix::fs::chown(&root, Some(65534), None).unwrap();
    let (code, _, stderr) = default_root_call(dir.path(), &["state", "x"]);
    assert_eq!(code, 128);
    assert!(stderr.contains("belongs to uid 65534"), "{stderr}");
}

/// Field 22 of `/proc/PID/stat`.
fn start_time(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let rest = &stat[stat.rfind(')').unwrap() + 1..];
    rest.split_whitespace().nth(19).unwrap().parse().unwrap()
}

#[test]
fn a_pid_forged_into_a_state_file_is_never_signalled() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let bundle = sleep_bundle(dir.path());
    let bundle_flag = format!("--bundle={}", bundle.display());
    let (code, _, stderr) = run(sim(&root, &["create", &bundle_flag, "forged"]));
    assert_eq!(code, 0, "{stderr}");
    let mut bystander = Command::new("sleep").arg("1000").spawn().unwrap();
    let pid = bystander.id();
    // The forged entry names the bystander with its true start time, so
    // only its command line tells it from the fake's helper.
    let path = root.join("forged.fake-runsc.json");
    let mut entry: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let helper = entry["init"]["host"]["pid"].as_i64().unwrap() as i32;
    entry["init"]["host"] = serde_json::json!({"pid": pid, "start_time": start_time(pid)});
    std::fs::write(&path, serde_json::to_vec(&entry).unwrap()).unwrap();

    let (code, _, _) = run(sim(&root, &["create", &bundle_flag, "forged"]));
    assert_eq!(code, 128);
    std::thread::sleep(std::time::Duration::from_millis(100));
    let alive = pid_alive(pid as i32);
    let _ = bystander.kill();
    let _ = bystander.wait();
    assert!(
        alive,
        "a duplicate create killed a process it did not start"
    );
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(helper),
        nix::sys::signal::Signal::SIGKILL,
    );
}

#[test]
fn concurrent_creates_of_one_id_have_exactly_one_winner_and_later_ones_fail() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let bundle = sleep_bundle(dir.path());
    let bundle_flag = format!("--bundle={}", bundle.display());
    let children: Vec<_> = (0..32)
        .map(|_| {
            sim(&root, &["create", &bundle_flag, "contested"])
                .stdout(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    let outcomes: Vec<Output> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let winners = outcomes.iter().filter(|o| o.status.success()).count();
    assert_eq!(winners, 1, "runsc lets exactly one create of an id win");
    // The duplicates orphaned the winner's sandbox, as runsc's do: its
    // metadata is gone and its name stays taken.
    let (code, _, stderr) = run(sim(&root, &["state", "contested"]));
    assert_eq!(
        (code, stderr.as_str()),
        (128, "loading container: file does not exist\n")
    );
    let (code, _, stderr) = run(sim(&root, &["create", &bundle_flag, "contested"]));
    assert_eq!(code, 128);
    assert!(
        stderr.ends_with("\"contested\": address already in use\n"),
        "{stderr}"
    );
}

fn replay(dir: &Path, scenario: &str, args: &[&str]) -> Command {
    let file = dir.join("scenario.json");
    std::fs::write(&file, scenario).unwrap();
    let mut cmd = Command::new(binary());
    cmd.args(args)
        .env("FAKE_RUNSC_SCENARIO", &file)
        .env("FAKE_RUNSC_SESSION", dir.join("session"))
        .env_remove("FAKE_RUNSC_RECORD")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

#[test]
fn steps_the_fake_cannot_honour_fail_fast_instead_of_stopping_or_hanging() {
    for reply in [
        r#""reply": {"signal": "SIGSTOP"}"#,
        r#""reply": {"signal": "SIGCHLD"}"#,
        r#""reply": {"delay_ms": 18446744073709551615}"#,
        r#""fault": {"killed": {"signal": "SIGTSTP"}}"#,
    ] {
        let dir = tempfile::tempdir().unwrap();
        let scenario =
            format!(r#"{{"version": 1, "steps": [{{"match": {{"command": "list"}}, {reply}}}]}}"#);
        let mut child = replay(dir.path(), &scenario, &["list"]).spawn().unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        let status = status.unwrap_or_else(|| panic!("{reply}: the fake did not end"));
        let mut stderr = String::new();
        std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
        assert_eq!(status.code(), Some(87), "{reply}: {stderr}");
        assert!(
            stderr.contains("cannot be carried out"),
            "{reply}: {stderr}"
        );
    }
}

#[test]
fn a_huge_garbage_fault_streams_with_flat_memory() {
    let dir = tempfile::tempdir().unwrap();
    let bytes: u64 = 512 << 20;
    let scenario = format!(
        r#"{{"version": 1, "steps": [{{"match": {{"command": "list"}}, "fault": {{"garbage": {{"bytes": {bytes}}}}}}}]}}"#
    );
    let mut child = replay(dir.path(), &scenario, &["list"]).spawn().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut total = 0u64;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        match std::io::Read::read(&mut stdout, &mut buf).unwrap() {
            0 => break,
            n => total += n as u64,
        }
    }
    child.wait().unwrap();
    assert_eq!(total, bytes);
    // The largest peak of any reaped child of this test process: the other
    // fakes a test run reaps are far smaller than the bound.
    let usage =
        nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN).unwrap();
    let peak_kib = usage.max_rss();
    assert!(
        peak_kib < 64 * 1024,
        "peak RSS {peak_kib} KiB for a {bytes}-byte fault"
    );
}

#[test]
fn check_refuses_what_the_fake_cannot_honour() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.json");
    std::fs::write(
        &file,
        r#"{"version": 1, "steps": [
            {"match": {"command": "state"}, "fault": {"garbage": {"bytes": 18446744073709551615}}},
            {"match": {"command": "list"}, "reply": {"signal": "SIGWINCH"}},
            {"match": {"command": "kill"}, "reply": {"delay_ms": 18446744073709551615}},
            {"match": {"command": "ps"}, "fault": {"killed": {"signal": "SIGSTOP"}}}
        ]}"#,
    )
    .unwrap();
    let (code, stdout, _) = run({
        let mut cmd = Command::new(binary());
        cmd.arg("check").arg(&file);
        cmd
    });
    assert_eq!(code, 1, "{stdout}");
    for expected in [
        "step #1: garbage bytes 18446744073709551615 is over the limit",
        "step #2: reply signal \"SIGWINCH\" does not end a process",
        "step #3: delay_ms 18446744073709551615 is over the limit of 3600000 ms",
        "step #4: fault signal \"SIGSTOP\" does not end a process",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
}

#[test]
fn delete_resolves_a_unique_prefix_and_refuses_an_ambiguous_one() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let bundle = sleep_bundle(dir.path());
    let bundle_flag = format!("--bundle={}", bundle.display());
    for id in ["pfx-one", "other"] {
        let (code, _, stderr) = run(sim(&root, &["create", &bundle_flag, id]));
        assert_eq!(code, 0, "{stderr}");
    }
    let (code, _, stderr) = run(sim(&root, &["delete", "--force", ""]));
    assert_eq!(code, 128);
    assert!(
        stderr.starts_with("loading container \"\": id \"\" is ambiguous"),
        "{stderr}"
    );
    let (code, _, stderr) = run(sim(&root, &["delete", "--force", "pfx-"]));
    assert_eq!(code, 0, "{stderr}");
    let (code, _, _) = run(sim(&root, &["state", "pfx-one"]));
    assert_eq!(code, 128, "a unique prefix deletes its container");
    run(sim(&root, &["delete", "--force", "other"]));
}
