//! The fake reads and refuses argv exactly as runsc 20221219 does: same
//! stdout, stderr and exit status for every argv error, checked against
//! outputs captured from real runsc (`tests/data/argv_errors.json`, and
//! `scenarios/real-runsc/cases` when present) and, when this machine has real
//! runsc and root, against real runsc itself.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common;
use fake_runsc::journal::CallResult;
use fake_runsc::scenario::{Scenario, Step, Times};
use proptest::prelude::*;
use runsc::cli::{Invocation, Subcommand};
use serde_json::Value;

const CAPTURED: &str = include_str!("../data/argv_errors.json");

struct Answer {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(program: &Path, root: &Path, argv: &[String]) -> Answer {
    let output = Command::new(program)
        .arg(format!("--root={}", root.display()))
        .args(argv)
        .env_remove("FAKE_RUNSC_SCENARIO")
        .env_remove("FAKE_RUNSC_SESSION")
        .output()
        .expect("program runs");
    Answer {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn captured_cases() -> Vec<(Vec<String>, i32, String, String)> {
    let data: Value = serde_json::from_str(CAPTURED).unwrap();
    data["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|case| {
            (
                serde_json::from_value(case["argv"].clone()).unwrap(),
                case["exit_code"].as_i64().unwrap() as i32,
                case["stdout"].as_str().unwrap().to_owned(),
                case["stderr"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn argv_errors_match_captured_runsc_output_byte_for_byte() {
    let fake = common::binary();
    let root = tempfile::tempdir().unwrap();
    let cases = captured_cases();
    assert!(cases.len() > 30);
    for (argv, code, stdout, stderr) in cases {
        let got = run(&fake, root.path(), &argv);
        assert_eq!(
            got.code,
            Some(code),
            "exit status of {argv:?}: {}",
            got.stderr
        );
        assert_eq!(got.stdout, stdout, "stdout of {argv:?}");
        assert_eq!(got.stderr, stderr, "stderr of {argv:?}");
    }
}

/// Real runsc, or `None` (with a loud SKIP) when this machine cannot run it;
/// under `CI` a missing runsc or root fails instead.
fn real_runsc() -> Option<PathBuf> {
    let runsc = PathBuf::from("/usr/bin/runsc");
    let why = if !nix::unistd::geteuid().is_root() {
        "not root"
    } else if !runsc.is_file() {
        "/usr/bin/runsc is missing"
    } else {
        return Some(runsc);
    };
    if std::env::var_os("CI").is_some() {
        panic!("this test needs real runsc as root, and CI is set: {why}");
    }
    eprintln!("SKIP: comparing argv errors with real runsc needs root and /usr/bin/runsc: {why}");
    None
}

#[test]
fn argv_errors_match_real_runsc_when_available() {
    let Some(runsc) = real_runsc() else { return };
    let fake = common::binary();
    for (argv, _, _, _) in captured_cases() {
        let (fake_root, real_root) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let want = run(&runsc, real_root.path(), &argv);
        let got = run(&fake, fake_root.path(), &argv);
        assert_eq!(got.code, want.code, "exit status of {argv:?}");
        assert_eq!(got.stdout, want.stdout, "stdout of {argv:?}");
        assert_eq!(got.stderr, want.stderr, "stderr of {argv:?}");
    }
}

fn real_cases_dir() -> PathBuf {
    crate::common::real_cases_dir()
}

fn substitute(text: &str) -> String {
    [
        ("{root}", "/fake/root"),
        ("{bundle}", "/fake/bundle"),
        ("{bundle2}", "/fake/bundle2"),
        ("{bundle3}", "/fake/bundle3"),
        ("{id}", "cid1"),
        ("{id2}", "cid2"),
        ("{id3}", "cid3"),
        ("{tmp}", "/fake/tmp"),
    ]
    .iter()
    .fold(text.to_owned(), |acc, (from, to)| acc.replace(from, to))
}

#[test]
fn argv_errors_in_recorded_real_cases_are_refused_alike() {
    let entries = std::fs::read_dir(real_cases_dir()).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}; the recorded real-runsc cases are committed",
            real_cases_dir().display()
        )
    });
    let mut compared = 0;
    for entry in entries.flatten() {
        let dir = entry.path();
        let (Ok(argv), Ok(meta), Ok(stderr)) = (
            std::fs::read_to_string(dir.join("argv.json")),
            std::fs::read_to_string(dir.join("meta.json")),
            std::fs::read_to_string(dir.join("stderr")),
        ) else {
            continue;
        };
        let argv: Vec<String> = serde_json::from_str(&argv).unwrap();
        let meta: Value = serde_json::from_str(&meta).unwrap();
        let args: Vec<OsString> = argv.iter().map(|a| substitute(a).into()).collect();
        let Err(refusal) = fake_runsc::argv::parse(&args) else {
            continue;
        };
        // Subcommands the fake does not implement (`flags`, `spec`, ...) are
        // refused on purpose, with their own message.
        if refusal.exit_code == fake_runsc::exit::EXIT_UNSUPPORTED {
            continue;
        }
        compared += 1;
        assert_eq!(
            Some(i64::from(refusal.exit_code)),
            meta["exit_code"].as_i64(),
            "{}",
            dir.display()
        );
        assert_eq!(
            crate::common::without_glog_stamps(&refusal.stderr),
            crate::common::without_glog_stamps(&substitute(&stderr)),
            "{}",
            dir.display()
        );
        if let Ok(stdout) = std::fs::read_to_string(dir.join("stdout")) {
            assert_eq!(refusal.stdout, substitute(&stdout), "{}", dir.display());
        }
    }
    // The corpus holds dozens of argv errors; comparing none means the cases
    // moved or their format changed, not that the fake agrees.
    assert!(
        compared >= 20,
        "only {compared} recorded argv errors were compared (in {})",
        real_cases_dir().display()
    );
}

/// A scenario that answers every subcommand, any number of times.
fn catch_all() -> Scenario {
    fake_runsc::argv::commands().fold(Scenario::new(), |scenario, command| {
        scenario
            .step(Step::command(command).times(Times::Word(fake_runsc::scenario::TimesWord::Any)))
    })
}

fn refused_by_runsc(invocation: &Invocation) -> bool {
    // runsc loads its config, and refuses an unknown platform, before any subcommand.
    let platforms = runsc::cli::Release::RECORDED.platforms();
    if let Some(platform) = invocation.global.config.get("platform") {
        if !platforms.contains(&platform) {
            return true;
        }
    }
    match &invocation.command {
        Subcommand::Update(_) => true,
        Subcommand::Exec(exec) => exec.args.is_empty() && exec.process.is_none(),
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// What the client renders, the fake binary parses back to the same invocation.
    #[test]
    fn the_fake_parses_every_rendered_invocation_back(invocation in runsc::cli::strategy::invocation()) {
        let fake = common::start(&catch_all());
        // Rendered paths may be relative: the fake writes pid files there.
        let cwd = tempfile::tempdir().unwrap();
        let output = Command::new(fake.command_path())
            .args(invocation.to_args())
            .envs(fake.envs())
            .current_dir(cwd.path())
            .output()
            .unwrap();
        let journal = fake.calls().unwrap();
        if refused_by_runsc(&invocation) {
            prop_assert_eq!(output.status.code(), Some(128));
            prop_assert_eq!(journal[0].result, CallResult::ArgvError);
        } else {
            prop_assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
            let process_spec = None;
            let expected = fake_runsc::matching::document(&invocation, process_spec).unwrap();
            prop_assert_eq!(journal[0].invocation.as_ref(), Some(&expected));
        }
    }

    /// Whatever the bytes, reading argv never panics, and a refusal always
    /// has runsc's exit status.
    #[test]
    fn arbitrary_argv_never_panics(args in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..12), 0..8)) {
        let args: Vec<OsString> = args.into_iter().map(OsString::from_vec).collect();
        if let Err(refusal) = fake_runsc::argv::parse(&args) {
            prop_assert!([0, 2, 128, fake_runsc::exit::EXIT_UNSUPPORTED].contains(&refusal.exit_code));
        }
    }

    /// Argv built from runsc's own words and flags (more likely to get deep
    /// into the parser than random bytes) never panics either.
    #[test]
    fn flag_soup_never_panics(args in proptest::collection::vec(
        prop_oneof![
            Just("--root".to_owned()), Just("-debug".to_owned()), Just("--".to_owned()), Just("-".to_owned()),
            Just("create".to_owned()), Just("exec".to_owned()), Just("kill".to_owned()), Just("events".to_owned()),
            Just("--pid=".to_owned()), Just("-interval".to_owned()), Just("-h".to_owned()), Just("0x".to_owned()),
            "[a-z=-]{0,6}",
        ], 0..10)) {
        let args: Vec<OsString> = args.into_iter().map(OsString::from).collect();
        let _ = fake_runsc::argv::parse(&args);
    }
}

#[rstest::rstest]
#[case::spec(&["spec"])]
#[case::do_(&["do", "ls"])]
#[case::flags(&["flags"])]
#[case::help(&["help", "state"])]
fn subcommands_the_fake_lacks_say_so(#[case] argv: &[&str]) {
    let root = tempfile::tempdir().unwrap();
    let argv: Vec<String> = argv.iter().map(|a| a.to_string()).collect();
    let got = run(&common::binary(), root.path(), &argv);
    assert_eq!(got.code, Some(fake_runsc::exit::EXIT_UNSUPPORTED));
    assert!(
        got.stderr.starts_with(&format!(
            "fake-runsc does not implement `runsc {}`",
            argv[0]
        )),
        "{}",
        got.stderr
    );
}
