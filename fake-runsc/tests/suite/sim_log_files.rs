//! The simulator's log files against real runsc's: the recorded cases
//! `scenarios/real-runsc/cases/log-*` (made by `capture-logs.sh`) are played
//! through the simulator call by call, and the `--log` file it leaves after
//! each call must equal the recorded one once times are normalised; the
//! same goes for stderr, the exit status and the failure line of
//! `--debug-log`. When this machine has real runsc and root, the lifecycle
//! is also run against real runsc and the two `--log` files compared.

use std::io::{Read, Seek};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use regex::Regex;
use serde_json::Value;

use crate::common;

fn cases_dir() -> PathBuf {
    common::real_cases_dir()
}

/// The recorded cases whose names start with `prefix`, in order.
fn cases(prefix: &str) -> Vec<PathBuf> {
    let entries = std::fs::read_dir(cases_dir()).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}; the recorded real-runsc cases are committed",
            cases_dir().display()
        )
    });
    let mut found: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix))
        })
        .collect();
    found.sort();
    assert!(
        !found.is_empty(),
        "no recorded case starts with {prefix} in {}; re-record with SECTION=logs capture.sh",
        cases_dir().display()
    );
    found
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Times, pids and the glog stamp differ from run to run.
fn normalise(text: &str) -> String {
    let time = Regex::new(r#""time":"[^"]*""#).expect("a regex");
    let text = common::without_glog_stamps(text);
    time.replace_all(&text, r#""time":"{time}""#).into_owned()
}

/// The lines of a debug log a client can rely on: the failure's warning.
fn failure_lines(text: &str) -> String {
    text.lines()
        .filter(|l| l.contains("FATAL ERROR"))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// One scenario's placeholders and the files behind them.
struct Place {
    _dir: tempfile::TempDir,
    values: Vec<(&'static str, String)>,
}

impl Place {
    /// A scratch dir laid out as `capture.sh`'s `scen`: a root, a bundle
    /// running `sleep 1000`, a bundle whose config.json is cut short.
    fn new(tag: &str) -> Self {
        let dir = tempfile::tempdir().expect("a temp dir");
        let tmp = dir.path().to_path_buf();
        for sub in ["root", "bundle", "bundle2", "bundle3"] {
            std::fs::create_dir_all(tmp.join(sub)).expect("a scratch dir");
        }
        fake_runsc::testing::write_host_bundle(&tmp.join("bundle"), &["sleep", "1000"])
            .expect("the bundle");
        std::fs::write(
            tmp.join("bundle2/config.json"),
            r#"{"ociVersion": "1.0.2-dev", "process": {"#,
        )
        .expect("the bad bundle");
        let values = common::case_placeholders(&tmp, &format!("lg-{tag}"));
        Self { _dir: dir, values }
    }

    fn fill(&self, text: &str) -> String {
        self.values
            .iter()
            .fold(text.to_owned(), |acc, (from, to)| acc.replace(from, to))
    }

    fn path(&self, placeholder: &str) -> PathBuf {
        PathBuf::from(self.fill(placeholder))
    }

    /// The placeholders back in place of this scenario's values.
    fn unfill(&self, text: &str) -> String {
        self.values.iter().fold(text.to_owned(), |acc, (to, from)| {
            acc.replace(from.as_str(), to)
        })
    }

    fn ids(&self) -> Vec<String> {
        ["{id}", "{id2}", "{id3}"]
            .iter()
            .map(|p| self.fill(p))
            .collect()
    }
}

struct Outcome {
    code: Option<i32>,
    stderr: String,
}

/// Runs one call. Its output goes to files: the sandbox a `create` starts
/// keeps runsc's stdio open, so a pipe would never reach EOF.
fn call(program: &Path, args: &[String]) -> Outcome {
    let stderr = tempfile::tempfile().expect("a temp file");
    let status = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr.try_clone().expect("a second handle"))
        .env_remove("FAKE_RUNSC_SCENARIO")
        .env_remove("FAKE_RUNSC_SESSION")
        .env_remove("FAKE_RUNSC_RECORD")
        .status()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    let mut stderr = stderr;
    let mut text = String::new();
    stderr
        .seek(std::io::SeekFrom::Start(0))
        .and_then(|_| stderr.read_to_string(&mut text))
        .expect("stderr is readable");
    Outcome {
        code: status.code(),
        stderr: text,
    }
}

fn argv_of(case: &Path, place: &Place) -> Vec<String> {
    let argv: Vec<String> =
        serde_json::from_str(&read(&case.join("argv.json"))).expect("argv.json is a list");
    argv.iter().map(|a| place.fill(a)).collect()
}

/// Force-deletes the scenario's containers, also when the test fails.
struct Cleanup<'a> {
    program: &'a Path,
    place: &'a Place,
}

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        let root = format!("--root={}", self.place.fill("{root}"));
        for id in self.place.ids() {
            let _ = Command::new(self.program)
                .args([root.as_str(), "delete", "--force", id.as_str()])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// Plays the recorded cases `log-FORMAT-*` through `program`; returns the
/// `--log` file's normalised text after each call, checking exit status
/// and stderr against the recording as it goes.
fn play_lifecycle(program: &Path, tag: &str, format: &str, check_outputs: bool) -> Vec<String> {
    let place = Place::new(&format!("{tag}{format}"));
    let _cleanup = Cleanup {
        program,
        place: &place,
    };
    let log = place.path("{tmp}/runsc.log");
    let mut logs = Vec::new();
    for case in cases(&format!("log-{format}-")) {
        let name = case.display().to_string();
        let got = call(program, &argv_of(&case, &place));
        if check_outputs {
            let meta: Value = serde_json::from_str(&read(&case.join("meta.json"))).expect("meta");
            assert_eq!(
                got.code.map(i64::from),
                meta["exit_code"].as_i64(),
                "{name}: {}",
                got.stderr
            );
            assert_eq!(
                normalise(&got.stderr),
                normalise(&place.fill(&read(&case.join("stderr")))),
                "{name}"
            );
            let want = place.fill(&read(&case.join("log")));
            assert_eq!(
                normalise(&std::fs::read_to_string(&log).unwrap_or_default()),
                normalise(&want),
                "{name}: the --log file after the call"
            );
        }
        logs.push(place.unfill(&normalise(
            &std::fs::read_to_string(&log).unwrap_or_else(|e| panic!("{name}: no --log file: {e}")),
        )));
    }
    logs
}

#[test]
fn the_simulators_log_matches_the_recorded_lifecycle_under_each_format() {
    let fake = common::binary();
    for format in ["json", "text", "none"] {
        let logs = play_lifecycle(&fake, "s", format, true);
        let last = logs.last().expect("calls were played");
        // The log holds one line per failure and none for the process that
        // exited 128: a recording that lost them would compare equal here.
        assert_eq!(last.matches(r#""level":"error""#).count(), 7, "{last}");
        // runsc ends no line of this log with a newline.
        assert!(!last.contains('\n'), "{last}");
    }
}

/// The cases whose file could not be opened, the debug logs, and the panic
/// log the command never opens.
#[test]
fn the_simulator_opens_its_logs_as_runsc_does() {
    let fake = common::binary();
    let stamp = Regex::new(r"\d{8}-\d{6}\.\d{6}").expect("a regex");
    let mut compared = 0;
    for prefix in ["log-open-", "log-format-", "log-debug-", "log-panic-"] {
        for case in cases(prefix) {
            let name = case.display().to_string();
            let place = Place::new("open");
            std::fs::write(place.path("{tmp}/afile"), "").expect("a plain file");
            let got = call(&fake, &argv_of(&case, &place));
            let meta: Value = serde_json::from_str(&read(&case.join("meta.json"))).expect("meta");
            assert_eq!(
                got.code.map(i64::from),
                meta["exit_code"].as_i64(),
                "{name}"
            );
            assert_eq!(
                normalise(&got.stderr),
                normalise(&place.fill(&read(&case.join("stderr")))),
                "{name}"
            );
            if let Ok(want) = std::fs::read_to_string(case.join("debug-log")) {
                let got = read(&place.path("{tmp}/debug.log"));
                assert_eq!(
                    normalise(&got),
                    normalise(&failure_lines(&place.fill(&want))),
                    "{name}: the debug log's failure line"
                );
            }
            if let Ok(want) = std::fs::read_to_string(case.join("log")) {
                // The recorded log also holds the lines of the scenario's
                // earlier calls; this call's lines end it.
                let got = normalise(&read(&place.path("{tmp}/runsc.log")));
                let want = normalise(&place.fill(&want));
                assert!(
                    !got.is_empty() && want.ends_with(&got),
                    "{name}: the --log file holds {got:?}; real runsc's ends the recorded {want:?}"
                );
            }
            if case.ends_with("log-debug-dir") {
                let names: Vec<String> = std::fs::read_dir(place.path("{tmp}/dbg"))
                    .expect("the debug dir was made")
                    .flatten()
                    .map(|e| {
                        let name = e.file_name().to_string_lossy().into_owned();
                        stamp.replace(&name, "{stamp}").into_owned()
                    })
                    .collect();
                assert_eq!(
                    names.join("\n") + "\n",
                    read(&case.join("debug-dir.ls")),
                    "{name}"
                );
            }
            if case.ends_with("log-panic-log") {
                assert!(!place.path("{tmp}/panic.log").exists(), "{name}");
            }
            compared += 1;
        }
    }
    assert!(compared >= 10, "only {compared} log cases compared");
}

/// A failure that prints the usage before its message logs the message
/// only (runsc 20221219 logged exactly this line for the same call).
#[test]
fn a_failure_after_the_usage_logs_its_message_only() {
    let place = Place::new("usage");
    let process = place.path("{tmp}/process.json");
    std::fs::write(&process, r#"{"args": ["true"], "cwd": "/"}"#).expect("process.json");
    let args: Vec<String> = [
        "--root={root}",
        "--log={tmp}/runsc.log",
        "exec",
        "--process",
        "{tmp}/process.json",
        "{id}",
        "echo",
        "hi",
    ]
    .iter()
    .map(|a| place.fill(a))
    .collect();
    let got = call(&common::binary(), &args);
    assert_eq!(got.code, Some(128), "{}", got.stderr);
    assert!(
        got.stderr.starts_with("exec [command options]"),
        "{}",
        got.stderr
    );
    assert_eq!(
        normalise(&read(&place.path("{tmp}/runsc.log"))),
        r#"{"msg":"parsing process spec: a container-id is required","level":"error","time":"{time}"}"#
    );
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
    assert!(
        std::env::var_os("CI").is_none(),
        "comparing log files with real runsc needs root and /usr/bin/runsc, and CI is set: {why}"
    );
    eprintln!("SKIP: comparing log files with real runsc needs root and /usr/bin/runsc: {why}");
    None
}

/// The conformance check proper: the same lifecycle with failures, run now
/// against real runsc and against the simulator, leaves the same `--log`
/// after every call (times and pids normalised).
#[test]
fn real_runsc_and_the_simulator_write_the_same_log() {
    let Some(runsc) = real_runsc() else { return };
    let fake = common::binary();
    for format in ["json", "text"] {
        let real = play_lifecycle(&runsc, "r", format, false);
        let simulated = play_lifecycle(&fake, "f", format, false);
        assert_eq!(real.len(), simulated.len());
        for (i, (r, s)) in real.iter().zip(&simulated).enumerate() {
            assert_eq!(s, r, "--log-format={format}, after call {}", i + 1);
        }
    }
}
