//! Replays the lifecycle session recorded from real runsc 20221219
//! (`scenarios/real-runsc/cases/lc-*`, made by `scenarios/real-runsc/capture.sh`) against
//! the simulator, call by call, and compares exit codes, stdout and stderr.
//!
//! Paths and ids are chosen with the same lengths as in the recording, so
//! that JSON and tables line up; only values that differ on every run (pids,
//! times, cpu and memory figures) are normalised.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use fake_runsc::testing::write_host_bundle;
use regex::Regex;

fn cases_dir() -> PathBuf {
    crate::common::real_cases_dir()
}

struct Session {
    dir: tempfile::TempDir,
    id: String,
    id2: String,
}

impl Session {
    fn new() -> Self {
        // The recording ran in /tmp/runsc-capture.XXXXXX/lc with ids
        // rec-lc-a-XXXXXX: same lengths here.
        let dir = tempfile::Builder::new()
            .prefix("runsc-capture.")
            .rand_bytes(6)
            .tempdir_in("/tmp")
            .unwrap();
        let tag: String = dir
            .path()
            .display()
            .to_string()
            .chars()
            .rev()
            .take(6)
            .collect();
        let tag: String = tag
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    'x'
                }
            })
            .collect();
        Self {
            id: format!("rec-lc-a-{tag}"),
            id2: format!("rec-lc-b-{tag}"),
            dir,
        }
    }

    fn tmp(&self) -> PathBuf {
        self.dir.path().join("lc")
    }

    fn substitutions(&self) -> Vec<(String, String)> {
        let tmp = self.tmp().display().to_string();
        vec![
            ("{root}".into(), format!("{tmp}/root")),
            ("{bundle2}".into(), format!("{tmp}/bundle2")),
            ("{bundle}".into(), format!("{tmp}/bundle")),
            ("{id2}".into(), self.id2.clone()),
            ("{id}".into(), self.id.clone()),
            ("{tmp}".into(), tmp),
        ]
    }

    fn fill(&self, text: &str) -> String {
        self.substitutions()
            .iter()
            .fold(text.to_owned(), |t, (ph, v)| t.replace(ph.as_str(), v))
    }

    fn unfill(&self, text: &str) -> String {
        let mut subs = self.substitutions();
        subs.sort_by_key(|(_, v)| std::cmp::Reverse(v.len()));
        subs.iter()
            .fold(text.to_owned(), |t, (ph, v)| t.replace(v.as_str(), ph))
    }
}

/// Replaces what differs from run to run; tables are compared cell by cell.
fn normalise(text: &str) -> String {
    let rules = [
        (r#""pid": ?\d+"#, r#""pid":{pid}"#),
        (r#""(total|usage)":\d+"#, r#""$1":{n}"#),
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "{time}"),
        (r"exec-pid-\d+", "exec-pid-{n}"),
    ];
    let mut text = text.to_owned();
    for (pattern, with) in rules {
        text = Regex::new(pattern)
            .unwrap()
            .replace_all(&text, with)
            .into_owned();
    }
    let table = text.starts_with("ID ") || text.starts_with("UID ");
    if !table {
        return text;
    }
    text.lines()
        .enumerate()
        .map(|(n, line)| {
            let mut cells: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
            if n > 0 && text.starts_with("ID ") && cells.len() > 1 {
                cells[1] = "{pid}".into();
            }
            if n > 0 && text.starts_with("UID ") && cells.len() == 8 {
                // C, STIME and TIME are cpu and clock readings.
                cells[3] = "{c}".into();
                cells[5] = "{stime}".into();
                cells[6] = "{time}".into();
            }
            cells.join(" ") + "\n"
        })
        .collect()
}

#[test]
fn the_recorded_lifecycle_replays_identically() {
    let dir = cases_dir();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| {
            panic!(
                "read {}: {e}; run scenarios/real-runsc/capture.sh as root",
                dir.display()
            )
        })
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("lc-"))
        .collect();
    names.sort();
    assert!(
        names.len() > 40,
        "the lc-* recording is incomplete: {names:?}"
    );

    let fake = fake_runsc::testing::locate_binary().unwrap();
    let session = Session::new();
    let tmp = session.tmp();
    write_host_bundle(&tmp.join("bundle"), &["sleep", "1000"]).unwrap();
    write_host_bundle(&tmp.join("bundle2"), &["sleep", "1000"]).unwrap();
    std::fs::create_dir_all(tmp.join("root")).unwrap();
    std::fs::write(
        tmp.join("process.json"),
        r#"{"terminal":false,"user":{"uid":0,"gid":0},"args":["echo","hi"],"env":["PATH=/usr/bin:/bin"],"cwd":"/"}"#,
    )
    .unwrap();

    let mut mismatches = Vec::new();
    let mut compared = 0;
    for name in &names {
        let case = dir.join(name);
        let meta: serde_json::Value =
            serde_json::from_slice(&std::fs::read(case.join("meta.json")).unwrap()).unwrap();
        if !meta["signal"].is_null() {
            // Streaming calls ended by the recorder's signal; the lifecycle
            // suite covers them.
            continue;
        }
        let argv: Vec<String> =
            serde_json::from_slice(&std::fs::read(case.join("argv.json")).unwrap()).unwrap();
        let argv: Vec<String> = argv.iter().map(|a| session.fill(a)).collect();
        let out = tmp.join("out");
        let err = tmp.join("err");
        let status = Command::new(&fake)
            .args(&argv)
            .env_remove("FAKE_RUNSC_SCENARIO")
            .env_remove("FAKE_RUNSC_SESSION")
            .env("FAKE_RUNSC_TIME_SCALE", "1")
            .stdin(Stdio::null())
            // Files, not pipes: the sandbox process inherits them.
            .stdout(std::fs::File::create(&out).unwrap())
            .stderr(std::fs::File::create(&err).unwrap())
            .status()
            .unwrap();
        let got = (
            status.code(),
            normalise(&session.unfill(&std::fs::read_to_string(&out).unwrap())),
            normalise(&session.unfill(&std::fs::read_to_string(&err).unwrap())),
        );
        let want = (
            meta["exit_code"].as_i64().map(|c| c as i32),
            normalise(&std::fs::read_to_string(case.join("stdout")).unwrap()),
            normalise(&std::fs::read_to_string(case.join("stderr")).unwrap()),
        );
        compared += 1;
        if got != want {
            mismatches.push(format!("{name}:\n  real: {want:?}\n  fake: {got:?}"));
        }
    }
    for id in [&session.id, &session.id2] {
        let _ = Command::new(&fake)
            .arg(format!("--root={}/root", tmp.display()))
            .args(["delete", "--force", id])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert!(compared > 40, "only {compared} calls were compared");
}
