//! The simulator as each release behaves: 20260817's `update`,
//! `fscheckpoint`, `wait` modes, `kill --pgid`, wording and output changes
//! (read from its source), and the 20221219 refusals checked against the
//! real binary (unknown platforms, `platforms`/`syscalls`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use runsc::cli::Release;
use serde_json::Value;

struct Sim {
    _dir: tempfile::TempDir,
    root: PathBuf,
    bundle: PathBuf,
    release: Release,
    ids: Vec<String>,
}

impl Sim {
    fn new(release: Release) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        let bundle = crate::common::sleep_bundle(dir.path());
        Self {
            _dir: dir,
            root,
            bundle,
            release,
            ids: Vec::new(),
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(crate::common::binary());
        cmd.env_remove("FAKE_RUNSC_SCENARIO")
            .env_remove("FAKE_RUNSC_SESSION")
            .env("FAKE_RUNSC_RELEASE", self.release.as_str())
            .arg(format!("--root={}", self.root.display()))
            .arg("--network=none")
            .args(args)
            .stdin(Stdio::null());
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("fake runs")
    }

    fn run_with_stdin(&self, args: &[&str], input: &str) -> Output {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    /// A started container (its simulated sandbox gets /dev/null, not pipes).
    fn started(&mut self, id: &str) {
        let bundle = format!("--bundle={}", self.bundle.display());
        for args in [vec!["create", bundle.as_str(), id], vec!["start", id]] {
            let status = self
                .command(&args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .unwrap();
            assert!(status.success(), "{args:?}: {status}");
        }
        self.ids.push(id.to_owned());
    }

    fn state(&self, id: &str) -> String {
        text(&self.run(&["state", id]).stdout)
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        for id in &self.ids {
            let _ = self.command(&["delete", "--force", id]).output();
        }
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[track_caller]
fn fails(output: &Output, code: i32, stderr: &str) {
    assert_eq!(
        (output.status.code(), text(&output.stderr)),
        (Some(code), stderr.to_owned())
    );
}

#[track_caller]
fn succeeds(output: &Output) {
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
}

#[test]
fn newest_release_output_formats() {
    let mut sim = Sim::new(Release::R20260817);
    sim.started("n-out");

    let state = sim.state("n-out");
    assert!(
        state.ends_with("}\n"),
        "state ends with a newline: {state:?}"
    );
    let parsed: Value = serde_json::from_str(&state).unwrap();
    assert_eq!(parsed["ociVersion"], "1.2.1");
    assert_eq!(parsed["status"], "running");

    let ps = text(&sim.run(&["ps", "n-out"]).stdout);
    let header: Vec<&str> = ps.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        ["UID", "PID", "PPID", "PGID", "C", "TTY", "STIME", "TIME", "CMD"]
    );
    assert!(
        ps.lines().nth(1).unwrap().split_whitespace().nth(3) == Some("1"),
        "{ps}"
    );

    let events = sim.run(&["events", "--stats", "n-out"]);
    succeeds(&events);
    let event: Value = serde_json::from_slice(&events.stdout).unwrap();
    assert_eq!(event["data"]["network_interfaces"][0]["Name"], "lo");
    assert_eq!(event["data"]["network_interfaces"][0]["TxBytes"], 0);

    fails(
        &sim.run(&["state", "n-missing"]),
        128,
        "FetchSpec failed: loading container: file does not exist\n",
    );
    fails(
        &sim.run(&["ps", "n-missing"]),
        128,
        "FetchSpec failed: loading container: file does not exist\n",
    );
    succeeds(&sim.run(&["delete", "--force", "n-missing"]));
    let usage = fake_runsc::argv::subcommand_usage_for(Release::R20260817, "kill").unwrap();
    assert!(
        usage.starts_with("kill <container id> [signal]\n  -all\n")
            && usage.contains("  -pgid int\n")
    );
    fails(
        &sim.run(&["kill", "-h", "n-out"]),
        128,
        &format!("{usage}failed to parse flags for \"kill\": flag: help requested\n"),
    );
    let bad_flag = sim.run(&["kill", "--bogus", "n-out"]);
    assert_eq!(bad_flag.status.code(), Some(128));
    let stderr = text(&bad_flag.stderr);
    assert!(
        stderr.starts_with("flag provided but not defined: -bogus\n"),
        "{stderr}"
    );
    assert!(
        stderr.ends_with(
            "failed to parse flags for \"kill\": flag provided but not defined: -bogus\n"
        ),
        "{stderr}"
    );
}

#[test]
fn the_recorded_release_keeps_its_formats() {
    let mut sim = Sim::new(Release::R20221219);
    sim.started("o-out");
    let state = sim.state("o-out");
    assert!(
        state.ends_with('}') && state.contains("\"ociVersion\": \"1.0.2-dev\""),
        "{state:?}"
    );
    let ps = text(&sim.run(&["ps", "o-out"]).stdout);
    assert!(!ps.contains("PGID"), "{ps}");
    let events = text(&sim.run(&["events", "--stats", "o-out"]).stdout);
    assert!(!events.contains("network_interfaces"), "{events}");
    fails(
        &sim.run(&["state", "o-missing"]),
        128,
        "loading container: file does not exist\n",
    );
    // No `update` in 20221219: its usage, as for any unknown subcommand.
    fails(
        &sim.run(&["update", "--memory=1", "o-out"]),
        128,
        fake_runsc::argv::RUNSC_USAGE,
    );
}

#[test]
fn update_takes_resources_from_stdin_a_file_or_flags_and_checks_them() {
    let mut sim = Sim::new(Release::R20260817);
    sim.started("u-1");
    let good = r#"{"memory":{"limit":268435456,"swap":-1},"cpu":{"shares":512,"quota":50000,"period":100000,"cpus":"0"},"pids":{"limit":64}}"#;
    succeeds(&sim.run_with_stdin(&["update", "--resources=-", "u-1"], good));
    fails(
        &sim.run_with_stdin(&["update", "--resources=-", "u-1"], r#"{"memory":{"limit":"1G"}}"#),
        128,
        "decoding \"-\": json: cannot unmarshal string into Go struct field LinuxMemory.memory.limit of type int64\n",
    );
    fails(
        &sim.run_with_stdin(&["update", "--resources=-", "u-1"], ""),
        128,
        "decoding \"-\": EOF\n",
    );

    let file = sim.bundle.join("resources.json");
    std::fs::write(&file, good).unwrap();
    let file = file.to_str().unwrap();
    succeeds(&sim.run(&["update", "--resources", file, "u-1"]));
    let missing = sim.bundle.join("none.json");
    let missing = missing.to_str().unwrap();
    fails(
        &sim.run(&["update", "--resources", missing, "u-1"]),
        128,
        &format!("opening {missing:?}: open {missing}: no such file or directory\n"),
    );

    succeeds(&sim.run(&[
        "update",
        "--memory=1048576",
        "--cpu-share=2",
        "--pids-limit=10",
        "u-1",
    ]));
    fails(
        &sim.run(&["update", "--cpu-share=abc", "u-1"]),
        128,
        "invalid value for abc: strconv.ParseUint: parsing \"abc\": invalid syntax\n",
    );
    fails(
        &sim.run(&["update", "--l3-cache-schema=L3:0=f", "u-1"]),
        128,
        "Intel RDT support is not yet implemented\n",
    );
    fails(
        &sim.run(&["update", "--memory=1", "u-none"]),
        128,
        "FetchSpec failed: loading container: file does not exist\n",
    );

    succeeds(&sim.run(&["kill", "u-1", "KILL"]));
    fails(
        &sim.run(&["update", "--memory=1", "u-1"]),
        128,
        "setting resources: cannot set resources for container \"u-1\" in state stopped\n",
    );
}

#[test]
fn wait_modes_and_kill_pgid() {
    let mut sim = Sim::new(Release::R20260817);
    sim.started("w-1");
    for mode in ["--checkpoint", "--restore", "--fscheckpoint", "--fsrestore"] {
        let out = sim.run(&["wait", mode, "w-1"]);
        succeeds(&out);
        assert_eq!(text(&out.stdout), "", "{mode}");
    }
    fails(
        &sim.run(&["wait", "--checkpoint", "--restore", "w-1"]),
        128,
        "at most one of -checkpoint, -restore, -fscheckpoint, -fsrestore may be set\n",
    );
    fails(
        &sim.run(&["kill", "--all", "--pgid=1", "w-1"]),
        128,
        "it is invalid to specify more than one of --all, --pid, and --pgid\n",
    );
    fails(
        &sim.run(&["kill", "--pgid=7", "w-1"]),
        128,
        "failed to signal process group 7: signaling container \"w-1\" PGID 7: \
         signaling process group 7: no such process group with PGID 7\n",
    );
    succeeds(&sim.run(&["kill", "--pgid=1", "w-1", "KILL"]));
    assert!(sim.state("w-1").contains("\"status\": \"stopped\""));
}

#[test]
fn fscheckpoint_saves_and_stops_the_container_unless_told_to_leave_it_running() {
    let mut sim = Sim::new(Release::R20260817);
    sim.started("f-1");
    fails(
        &sim.run(&["fscheckpoint", "f-1"]),
        128,
        "image-path flag must be provided\n",
    );
    let image: &Path = &sim.bundle.join("fs-image");
    let image_arg = format!("--image-path={}", image.display());
    succeeds(&sim.run(&[
        "fscheckpoint",
        &image_arg,
        "--leave-running",
        "--path=/tmp",
        "f-1",
    ]));
    assert!(sim.state("f-1").contains("\"status\": \"running\""));
    let saved = std::fs::read_to_string(image.join("fs-checkpoint.json")).unwrap();
    assert_eq!(saved, r#"["/tmp"]"#);
    succeeds(&sim.run(&["fscheckpoint", &image_arg, "f-1"]));
    assert!(sim.state("f-1").contains("\"status\": \"stopped\""));
    fails(
        &sim.run(&["fscheckpoint", &image_arg, "f-1"]),
        128,
        "filesystem checkpoint saving failed: cannot filesystem checkpoint container \"f-1\" in state stopped\n",
    );
}

/// Checked on real runsc 20221219: an unknown platform fails every call
/// (even `list` and unknown subcommands) with a glog warning line and the
/// message, exit 128; `platforms` and `syscalls` are not subcommands.
/// 20260817 (from source) does not check the platform's name up front.
#[test]
fn recorded_release_refuses_unknown_platforms_and_help_topics() {
    let sim = Sim::new(Release::R20221219);
    for args in [
        vec!["--platform=systrap", "list"],
        vec!["--platform=bogus", "state", "x"],
        vec!["--platform=systrap", "nosuch"],
        vec!["--platform=systrap"],
    ] {
        let out = sim.run(&args);
        assert_eq!(out.status.code(), Some(128), "{args:?}");
        let stderr = text(&out.stderr);
        let platform = args[0].trim_start_matches("--platform=");
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 2, "{stderr}");
        assert!(lines[0].starts_with('W'), "{stderr}");
        assert!(
            lines[0].ends_with(&format!(
                " util.go:64] FATAL ERROR: unknown platform: {platform}"
            )),
            "{stderr}"
        );
        assert_eq!(lines[1], format!("unknown platform: {platform}"));
    }
    succeeds(&sim.run(&["--platform=kvm", "list"]));
    succeeds(&sim.run(&["--platform=systrap", "--version"]));
    for topic in ["platforms", "syscalls"] {
        fails(&sim.run(&[topic]), 128, fake_runsc::argv::RUNSC_USAGE);
    }
    // 20260817 looks the platform up only when it starts a sandbox.
    let newest = Sim::new(Release::R20260817);
    succeeds(&newest.run(&["--platform=systrap", "list"]));
    succeeds(&newest.run(&["--platform=bogus", "list"]));
}

#[test]
fn an_unknown_release_is_a_configuration_error() {
    let out = Command::new(crate::common::binary())
        .env("FAKE_RUNSC_RELEASE", "2019")
        .args(["list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(fake_runsc::exit::EXIT_CONFIG));
    assert!(text(&out.stderr).contains("FAKE_RUNSC_RELEASE=2019 names no runsc release"));
}

#[test]
fn version_names_the_release() {
    let newest = Sim::new(Release::R20260817);
    let out = newest.run(&["--version"]);
    succeeds(&out);
    assert_eq!(
        text(&out.stdout),
        "runsc version release-20260817.0\nspec: 1.2.1\n"
    );
    let recorded = Sim::new(Release::R20221219);
    assert_eq!(
        text(&recorded.run(&["--version"]).stdout),
        fake_runsc::argv::RUNSC_VERSION
    );
}

/// Replay takes the release from the scenario's header unless
/// `FAKE_RUNSC_RELEASE` names one; a header naming no known release is a
/// configuration error that says what to write.
#[test]
fn a_scenario_header_names_the_release_for_replay() {
    use fake_runsc::scenario::{Scenario, Step};
    let scenario = Scenario::new()
        .release(Release::R20260817)
        .step(Step::command("list"));
    let fake = crate::common::start(&scenario);
    let call = |env: Option<&str>| {
        let mut cmd = Command::new(fake.command_path());
        cmd.args(["--nvproxy", "list"])
            .envs(fake.envs())
            .env_remove("FAKE_RUNSC_RELEASE");
        if let Some(release) = env {
            cmd.env("FAKE_RUNSC_RELEASE", release);
        }
        cmd.output().unwrap()
    };
    succeeds(&call(None));
    fake.verify().unwrap();
    // The variable wins over the header (and a refused call fails verify).
    let refused = call(Some("20221219"));
    assert_eq!(refused.status.code(), Some(2));
    assert!(text(&refused.stderr).starts_with("flag provided but not defined: -nvproxy\n"));
    assert!(fake.verify().is_err());

    let mut bad = Scenario::new().step(Step::command("list"));
    bad.runsc_version = Some("0.0~20221219.0".to_owned());
    let fake = crate::common::start(&bad);
    let out = Command::new(fake.command_path())
        .arg("list")
        .envs(fake.envs())
        .env_remove("FAKE_RUNSC_RELEASE")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(fake_runsc::exit::EXIT_CONFIG));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("does not name a runsc release the fake speaks")
            && stderr.contains("set its runsc_version to 20221219, 20241021 or 20260817"),
        "{stderr}"
    );
}

/// Checked on real runsc 20221219: both refused before the container is loaded.
#[test]
fn clashing_kill_and_wait_targets_are_refused_first() {
    let sim = Sim::new(Release::R20221219);
    fails(
        &sim.run(&["kill", "--all", "--pid=1", "nosuch"]),
        128,
        "it is invalid to specify both --all and --pid\n",
    );
    fails(
        &sim.run(&["wait", "--pid=1", "--rootpid=1", "nosuch"]),
        128,
        "only one of -pid and -rootPid can be set\n",
    );
}

/// 20260817's top-level usage (from its source) lists its own subcommands,
/// `update` among them, for unknown subcommands and bad global flags.
#[test]
fn newest_release_prints_its_own_top_level_usage() {
    let sim = Sim::new(Release::R20260817);
    let usage = fake_runsc::argv::runsc_usage(Release::R20260817);
    assert!(usage.contains("\tupdate           update container resource constraints\n"));
    assert!(usage.contains("Subcommands for metrics:\n"));
    fails(&sim.run(&["syscalls"]), 128, usage);
    fails(
        &sim.run(&["--bogus", "list"]),
        2,
        &format!("flag provided but not defined: -bogus\n{usage}"),
    );
}

/// `fake-runsc check` judges a scenario by the release its header names.
#[test]
fn check_reads_steps_as_the_scenarios_release() {
    use fake_runsc::check::check_scenario;
    use fake_runsc::scenario::{Scenario, Step};
    let steps = Scenario::new()
        .step(Step::command("update"))
        .step(Step::command("fscheckpoint"));
    assert_eq!(
        check_scenario(&steps.clone().release(Release::R20260817)),
        Vec::<String>::new()
    );
    let problems = check_scenario(&steps.clone());
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems[0].contains("unreachable: runsc 20221219 has no `update`"),
        "{problems:?}"
    );
    let mut unknown = steps;
    unknown.runsc_version = Some("2019".to_owned());
    assert!(check_scenario(&unknown)[0].starts_with("runsc_version: "));
}

/// Checked on real runsc 20221219: `wait --pid=-1` is the flag's default,
/// "not set", so it waits on the container as a plain `wait` does.
#[test]
fn wait_pid_minus_one_waits_on_the_container() {
    let mut sim = Sim::new(Release::R20221219);
    sim.started("m-1");
    succeeds(&sim.run(&["kill", "m-1", "KILL"]));
    fails(
        &sim.run(&["wait", "--pid=-1", "m-1"]),
        128,
        "waiting on container \"m-1\": sandbox no longer running and its exit status is unavailable\n",
    );
}
