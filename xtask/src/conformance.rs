//! `cargo xtask conformance`: checks the fake against real runsc.
//!
//! For every corpus driver (`scenarios/recorded/NAME.drive`) it runs the
//! calls three ways through the client — real runsc behind the recorder,
//! the simulator, and a replay of the fresh recording — and compares the
//! normalised transcripts; then it replays the committed scenario the same
//! way and reports drift from real runsc. With no case names given it also
//! runs the lifecycle suite (`fake-runsc/tests/suite/lifecycle.rs`) against the
//! simulator and, through the recorder, against real runsc, and compares
//! the transcripts the suite writes. Known differences between the
//! simulator and real runsc are listed, each with its reason, in
//! `scenarios/conformance-allowlist.json`; they are reported, never hidden.
//!
//! It needs root and real runsc. Where it cannot run it says so and
//! succeeds, unless `CI` is set: then it fails.
//!
//! runsc's sandbox processes are reparented when runsc exits; under a slow
//! reaper (PID 1 here) `delete` waits seconds for them to vanish. The task
//! therefore runs its work in a child of a process that is a child
//! subreaper and reaps at once.

use std::path::Path;
use std::time::Instant;

use client_driver::{self as driver, Driver, Entry, Target, Transcript};
use fake_runsc::scenario::Scenario;
use serde::Deserialize;

use crate::cargo::{build_fake_runsc, cargo, workspace_root, FakeBuild};
use crate::record::{block_on, cannot_run_real, drivers, real_runsc, record_one, CORPUS};

/// The allow-list of known simulator differences.
pub const ALLOWLIST: &str = "scenarios/conformance-allowlist.json";
/// Set in the worker process started under the reaper.
const WORKER_ENV: &str = "XTASK_CONFORMANCE_WORKER";

/// One known, justified difference.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Allowed {
    /// The driver's name.
    pub case: String,
    /// The call's label as the transcript shows it (`stats id`).
    pub call: String,
    /// Why the difference is acceptable.
    pub reason: String,
}

fn load_allowlist() -> Result<Vec<Allowed>, String> {
    let path = workspace_root().join(ALLOWLIST);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
            format!(
                "{} is not valid ({e}); it is a list of {{\"case\", \"call\", \"reason\"}}",
                path.display()
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// A difference between two transcripts at one call.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    /// The call's position (1-based) and label.
    pub call: String,
    /// The label alone, for the allow-list.
    pub label: String,
    /// What each side gave.
    pub text: String,
}

fn show(entry: Option<&Entry>) -> String {
    entry.map_or_else(
        || "(no call)".to_owned(),
        |e| serde_json::to_string(&e.result).unwrap_or_default(),
    )
}

/// The calls at which two transcripts differ.
pub fn compare(
    expected: &Transcript,
    actual: &Transcript,
    expected_name: &str,
    actual_name: &str,
) -> Vec<Difference> {
    let mut out = Vec::new();
    for i in 0..expected.len().max(actual.len()) {
        let (e, a) = (expected.get(i), actual.get(i));
        if e == a {
            continue;
        }
        let label = e.or(a).map_or_else(String::new, |x| x.call.clone());
        out.push(Difference {
            call: format!("call #{} `{label}`", i + 1),
            label,
            text: format!(
                "    - {expected_name}: {}\n    + {actual_name}: {}",
                show(e),
                show(a)
            ),
        });
    }
    out
}

/// How one comparison of one case came out.
#[derive(Debug, Default)]
struct Outcome {
    failures: Vec<String>,
    allowed: Vec<String>,
}

impl Outcome {
    fn cell(&self) -> String {
        match (self.failures.len(), self.allowed.len()) {
            (0, 0) => "ok".to_owned(),
            (0, n) => format!("ok ({n} allowed)"),
            (n, _) => format!("FAIL ({n})"),
        }
    }
}

fn judge(
    case: &str,
    differences: Vec<Difference>,
    what: &str,
    allowlist: Option<&[Allowed]>,
) -> Outcome {
    let mut outcome = Outcome::default();
    for d in differences {
        let allowed =
            allowlist.and_then(|list| list.iter().find(|a| a.case == case && a.call == d.label));
        match allowed {
            Some(a) => outcome
                .allowed
                .push(format!("{case}, {}: {what}; allowed: {}", d.call, a.reason)),
            None => outcome
                .failures
                .push(format!("{case}, {}: {what}\n{}", d.call, d.text)),
        }
    }
    outcome
}

struct Row {
    case: String,
    /// Seconds against real runsc, when measured per case.
    real_secs: Option<f64>,
    simulator: Outcome,
    /// `None` where the comparison does not apply (lifecycle-suite cases).
    replay: Option<Outcome>,
    drift: Option<Outcome>,
}

fn cell(outcome: &Option<Outcome>) -> String {
    outcome
        .as_ref()
        .map_or_else(|| "n/a".to_owned(), Outcome::cell)
}

fn simulate(fake: &Path, driver: &Driver) -> Result<Transcript, String> {
    let scratch = tempfile::Builder::new()
        .prefix("xtask-sim-")
        .tempdir()
        .map_err(|e| format!("cannot make a scratch directory: {e}"))?;
    // Empty values switch replay and record off even when the caller's
    // environment sets them.
    let env = [
        "FAKE_RUNSC_RECORD",
        "FAKE_RUNSC_SCENARIO",
        "FAKE_RUNSC_SESSION",
    ]
    .into_iter()
    .map(|k| (k.to_owned(), String::new()))
    .collect();
    let target = Target {
        command: fake.to_owned(),
        env,
        cleanup: Some(fake.to_owned()),
        id_suffix: driver::unique_suffix(),
    };
    block_on(driver::execute(driver, &target, scratch.path()))?
}

fn check_case(
    fake: &Path,
    real: &Path,
    name: &str,
    driver: &Driver,
    allowlist: &[Allowed],
) -> Result<Row, String> {
    let started = Instant::now();
    let recorded = record_one(fake, real, name, driver)?;
    let real_secs = started.elapsed().as_secs_f64();
    let simulated = simulate(fake, driver)?;
    let simulator = judge(
        name,
        compare(&recorded.transcript, &simulated, "real runsc", "simulator"),
        "the simulator differs from real runsc",
        Some(allowlist),
    );
    let replay = match block_on(driver::replay(driver, &recorded.scenario, fake))? {
        Ok(replayed) => judge(
            name,
            compare(
                &recorded.transcript,
                &replayed,
                "real runsc",
                "replay of the recording",
            ),
            "the replay of the fresh recording differs from real runsc",
            None,
        ),
        Err(e) => Outcome {
            failures: vec![format!(
                "{name}: the replay of the fresh recording failed: {e}"
            )],
            allowed: Vec::new(),
        },
    };
    let committed_path = workspace_root().join(CORPUS).join(format!("{name}.json"));
    let drift = match std::fs::read(&committed_path) {
        Err(_) => Outcome {
            failures: vec![format!("{name}: {} is missing; record it with `cargo xtask record --write {name}`", committed_path.display())],
            allowed: Vec::new(),
        },
        Ok(bytes) => match Scenario::from_json(&bytes) {
            Err(e) => Outcome {
                failures: vec![format!("{name}: {} is not a valid scenario: {e}", committed_path.display())],
                allowed: Vec::new(),
            },
            Ok(committed) => match block_on(driver::replay(driver, &committed, fake))? {
                Ok(replayed) => judge(name, compare(&recorded.transcript, &replayed, "real runsc now", "committed scenario"), "real runsc drifted from the committed scenario (re-record with `cargo xtask record --write`)", None),
                Err(e) => Outcome {
                    failures: vec![format!("{name}: the committed scenario no longer replays the driver's calls (drift): {e}")],
                    allowed: Vec::new(),
                },
            },
        },
    };
    Ok(Row {
        case: name.to_owned(),
        real_secs: Some(real_secs),
        simulator,
        replay: Some(replay),
        drift: Some(drift),
    })
}

/// Runs the lifecycle suite (`fake-runsc/tests/suite/lifecycle.rs`) against the
/// simulator and, through the recorder, against real runsc, and compares
/// the normalised transcripts it writes, case by case.
fn lifecycle_suite(fake: &Path, real: &Path, allowlist: &[Allowed]) -> Result<Vec<Row>, String> {
    let dir = tempfile::Builder::new()
        .prefix("xtask-lifecycle-")
        .tempdir()
        .map_err(|e| format!("cannot make a scratch directory: {e}"))?;
    let transcripts = dir.path().join("transcripts");
    let suite = |real_target: bool| -> Result<f64, String> {
        let started = Instant::now();
        let mut command = cargo([
            "test",
            "--quiet",
            "--package",
            "fake-runsc",
            "--test",
            "suite",
            // The lifecycle area of the fake's one test binary.
            "lifecycle::",
        ]);
        command.env("LIFECYCLE_TRANSCRIPTS", &transcripts);
        for key in [
            "LIFECYCLE_RUNSC",
            "FAKE_RUNSC_RECORD",
            "FAKE_RUNSC_SCENARIO",
            "FAKE_RUNSC_SESSION",
        ] {
            command.env_remove(key);
        }
        if real_target {
            command
                .env("LIFECYCLE_RUNSC", fake)
                .env("FAKE_RUNSC_RECORD", dir.path().join("recording.json"))
                .env(fake_runsc::record::ENV_REAL, real);
        }
        let output = command
            .output()
            .map_err(|e| format!("cannot run the lifecycle suite: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "the lifecycle suite failed against {}:\n{}{}",
                if real_target {
                    "real runsc"
                } else {
                    "the simulator"
                },
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        Ok(started.elapsed().as_secs_f64())
    };
    suite(false)?;
    let real_secs = suite(true)?;
    let mut names: Vec<String> = std::fs::read_dir(transcripts.join("real"))
        .map_err(|e| format!("the lifecycle suite wrote no transcripts against real runsc: {e}"))?
        .flatten()
        .filter_map(|e| {
            e.path()
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
        })
        .collect();
    names.sort();
    let mut rows = Vec::new();
    for name in names {
        let read = |side: &str| {
            std::fs::read_to_string(transcripts.join(side).join(format!("{name}.txt")))
        };
        let case = format!("lifecycle/{name}");
        let real_text = read("real").unwrap_or_default();
        let simulator = match read("fake") {
            Err(_) => Outcome {
                failures: vec![format!("{case}: the simulator run wrote no transcript")],
                allowed: Vec::new(),
            },
            Ok(sim_text) => {
                let differences = line_differences(&real_text, &sim_text);
                judge(
                    &case,
                    differences,
                    "the simulator differs from real runsc",
                    Some(allowlist),
                )
            }
        };
        rows.push(Row {
            case,
            real_secs: None,
            simulator,
            replay: None,
            drift: None,
        });
    }
    eprintln!("lifecycle suite: {real_secs:.0} s against real runsc");
    Ok(rows)
}

/// The lines at which two text transcripts differ, labelled by the call
/// (the text before ` -> `).
fn line_differences(real: &str, sim: &str) -> Vec<Difference> {
    let (real, sim): (Vec<&str>, Vec<&str>) = (real.lines().collect(), sim.lines().collect());
    let mut out = Vec::new();
    for i in 0..real.len().max(sim.len()) {
        let (r, s) = (real.get(i), sim.get(i));
        if r == s {
            continue;
        }
        let label = r
            .or(s)
            .map_or("", |l| l.split(" -> ").next().unwrap_or(l))
            .to_owned();
        out.push(Difference {
            call: format!("line {} `{label}`", i + 1),
            label,
            text: format!(
                "    - real runsc: {}\n    + simulator: {}",
                r.unwrap_or(&"(nothing)"),
                s.unwrap_or(&"(nothing)")
            ),
        });
    }
    out
}

fn table(rows: &[Row]) -> String {
    let width = rows.iter().map(|r| r.case.len()).max().unwrap_or(4).max(4);
    let mut out = format!(
        "| {:width$} | real runsc | simulator | replay | drift |\n",
        "case"
    );
    out.push_str(&format!(
        "|{}|------------|-----------|--------|-------|\n",
        "-".repeat(width + 2)
    ));
    for r in rows {
        out.push_str(&format!(
            "| {:width$} | {:>10} | {} | {} | {} |\n",
            r.case,
            r.real_secs
                .map_or_else(|| "suite".to_owned(), |s| format!("{s:.1} s")),
            r.simulator.cell(),
            cell(&r.replay),
            cell(&r.drift)
        ));
    }
    out
}

fn worker(names: &[String]) -> Result<(), String> {
    let real = real_runsc();
    let allowlist = load_allowlist()?;
    let drivers = drivers(names)?;
    let fake = build_fake_runsc(FakeBuild::Debug)?;
    for a in &allowlist {
        // Lifecycle-suite entries are checked against its transcripts only.
        let of_a_driver = !a.case.starts_with("lifecycle/");
        if of_a_driver
            && names.is_empty()
            && !drivers
                .iter()
                .any(|(n, d)| *n == a.case && d.calls.iter().any(|c| c.label() == a.call))
        {
            return Err(format!(
                "{ALLOWLIST}: the entry for case {:?} call {:?} matches no call of any driver; remove or fix it",
                a.case, a.call
            ));
        }
    }
    let started = Instant::now();
    let mut rows = Vec::new();
    for (i, (name, driver)) in drivers.iter().enumerate() {
        let row = check_case(&fake, &real, name, driver, &allowlist)?;
        eprintln!(
            "[{}/{}] {name:<22} real {:>5.1} s   simulator {:<14} replay {:<8} drift {}",
            i + 1,
            drivers.len(),
            row.real_secs.unwrap_or_default(),
            row.simulator.cell(),
            cell(&row.replay),
            cell(&row.drift)
        );
        rows.push(row);
    }
    if names.is_empty() {
        eprintln!("lifecycle suite: simulator, then real runsc through the recorder ...");
        let suite_rows = lifecycle_suite(&fake, &real, &allowlist)?;
        for row in &suite_rows {
            eprintln!("  {:<36} simulator {}", row.case, row.simulator.cell());
        }
        eprintln!(
            "lifecycle suite: {} case(s) compared (replay of its recording is not part of the suite run)",
            suite_rows.len()
        );
        rows.extend(suite_rows);
    }
    println!("\n{}", table(&rows));
    let allowed: Vec<&String> = rows
        .iter()
        .flat_map(|r| r.simulator.allowed.iter())
        .collect();
    if !allowed.is_empty() {
        println!("Known differences between the simulator and real runsc ({ALLOWLIST}):");
        for line in &allowed {
            println!("  - {line}");
        }
    }
    let failures: Vec<&String> = rows
        .iter()
        .flat_map(|r| {
            r.simulator
                .failures
                .iter()
                .chain(r.replay.iter().flat_map(|o| &o.failures))
                .chain(r.drift.iter().flat_map(|o| &o.failures))
        })
        .collect();
    println!(
        "conformance: {} case(s) in {:.0} s, {} failure(s), {} allowed difference(s)",
        rows.len(),
        started.elapsed().as_secs_f64(),
        failures.len(),
        allowed.len()
    );
    if failures.is_empty() {
        return Ok(());
    }
    for failure in &failures {
        eprintln!("\n{failure}");
    }
    Err(format!(
        "{} mismatch(es) against real runsc; see above",
        failures.len()
    ))
}

/// Runs `work` in a child process while this one reaps every orphan at once.
fn under_reaper(args: &[String]) -> Result<(), String> {
    use nix::sys::wait::{waitpid, WaitStatus};
    use nix::unistd::Pid;
    nix::sys::prctl::set_child_subreaper(true)
        .map_err(|e| format!("cannot become a child subreaper: {e}"))?;
    let exe =
        std::env::current_exe().map_err(|e| format!("cannot find the xtask executable: {e}"))?;
    let child = std::process::Command::new(exe)
        .arg("conformance")
        .args(args)
        .env(WORKER_ENV, "1")
        .spawn()
        .map_err(|e| format!("cannot start the conformance worker: {e}"))?;
    let worker = Pid::from_raw(child.id() as i32);
    loop {
        match waitpid(None, None) {
            Ok(WaitStatus::Exited(pid, code)) if pid == worker => {
                return if code == 0 {
                    Ok(())
                } else {
                    Err(format!("conformance failed (exit status {code})"))
                };
            }
            Ok(WaitStatus::Signaled(pid, signal, _)) if pid == worker => {
                return Err(format!("the conformance worker was killed by {signal:?}"));
            }
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => {}
            Err(e) => return Err(format!("waiting for the conformance worker failed: {e}")),
        }
    }
}

/// `cargo xtask conformance [NAME...]`.
pub fn run(args: &[String]) -> Result<(), String> {
    if let Some(flag) = args.iter().find(|a| a.starts_with('-')) {
        return Err(format!(
            "unknown option {flag:?}; usage: cargo xtask conformance [NAME...]"
        ));
    }
    if std::env::var_os(WORKER_ENV).is_some() {
        return worker(args);
    }
    let real = real_runsc();
    if let Some(why) = cannot_run_real(&real) {
        if std::env::var_os("CI").is_some() {
            return Err(format!("CI is set and conformance must run, but {why}"));
        }
        eprintln!("conformance: SKIPPED, nothing was checked: {why}. It runs as root with real runsc (CI fails instead of skipping).");
        return Ok(());
    }
    under_reaper(args)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(call: &str, result: serde_json::Value) -> Entry {
        Entry {
            call: call.to_owned(),
            result,
        }
    }

    #[test]
    fn a_difference_names_the_call_and_the_allowlist_only_excuses_its_own_call() {
        let real = vec![
            entry("list", json!({"ok": []})),
            entry("state id", json!({"ok": 1})),
        ];
        let sim = vec![
            entry("list", json!({"ok": []})),
            entry("state id", json!({"ok": 2})),
        ];
        let differences = compare(&real, &sim, "real runsc", "simulator");
        assert_eq!(differences.len(), 1);
        assert_eq!(differences[0].call, "call #2 `state id`");
        assert!(differences[0].text.contains("- real runsc: {\"ok\":1}"));
        let allow = vec![Allowed {
            case: "c".into(),
            call: "state id".into(),
            reason: "why".into(),
        }];
        let judged = judge("c", differences.clone(), "differs", Some(&allow));
        assert!(judged.failures.is_empty() && judged.allowed.len() == 1);
        let judged = judge("other", differences, "differs", Some(&allow));
        assert_eq!(judged.failures.len(), 1);
        assert!(compare(&real, &real[..1].to_vec(), "a", "b")[0]
            .text
            .contains("(no call)"));
    }
}
