//! `cargo xtask fuzz [--seconds N] [TARGET...]`: runs each cargo-fuzz target
//! in `fuzz/` for a fixed time, reports the executions, and keeps every
//! crashing input as a regression that `cargo test` replays.
//!
//! The machine's toolchain is stable; cargo-fuzz needs nightly flags, so its
//! build runs with `RUSTC_BOOTSTRAP=1` (only for that child process). The
//! targets are built without a sanitizer: the code under test is safe Rust,
//! where the failures worth finding are panics, overflows (debug assertions
//! are on), hangs and runaway memory, and a sanitizer would only cost
//! executions.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::cargo::{cargo, display, has_cargo_plugin, workspace_root};

/// The fuzz targets, as named in `fuzz/Cargo.toml`.
pub const TARGETS: &[&str] = &["ps_table", "events_decoder", "argv", "scenario"];

const DEFAULT_SECONDS: u64 = 60;

/// How one target's run went.
struct Outcome {
    target: &'static str,
    executions: Option<u64>,
    seconds: u64,
    kept: Vec<PathBuf>,
    failed: Option<String>,
}

/// Parses the options and runs the targets one after another (the machine
/// has two cores; libFuzzer uses one per target).
pub fn run(args: &[String]) -> Result<(), String> {
    let (seconds, targets) = parse_args(args)?;
    if !has_cargo_plugin("fuzz") {
        return Err(
            "cargo-fuzz is not installed; install it with `cargo install cargo-fuzz` (it works on \
             the stable toolchain: this task sets RUSTC_BOOTSTRAP=1 for it). Without it, the same \
             properties run under proptest in `cargo xtask test` (core/tests/suite/no_panic.rs, \
             fake-runsc/tests/suite/reliability_fuzz.rs)"
                .to_owned(),
        );
    }
    let mut outcomes = Vec::new();
    for target in targets {
        outcomes.push(run_target(target, seconds)?);
    }
    eprintln!("xtask fuzz: summary ({seconds} s per target)");
    eprintln!("  {:<16} {:>14}  result", "target", "executions");
    for o in &outcomes {
        let executions = o
            .executions
            .map_or_else(|| "?".to_owned(), |n| n.to_string());
        let result = match &o.failed {
            None => "no crash".to_owned(),
            Some(why) => format!("FAILED: {why}"),
        };
        eprintln!(
            "  {:<16} {executions:>14}  {result} ({} s)",
            o.target, o.seconds
        );
        for path in &o.kept {
            eprintln!("      kept {}", path.display());
        }
    }
    let failed: Vec<&str> = outcomes
        .iter()
        .filter(|o| o.failed.is_some())
        .map(|o| o.target)
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "fuzzing found failures in {}; the inputs are kept under fuzz/regressions/ and replayed \
             by `cargo test -p runsc --test suite` and `cargo test -p fake-runsc --test \
             suite reliability_fuzz`: fix the code until those pass, then commit the inputs",
            failed.join(", ")
        ))
    }
}

fn parse_args(args: &[String]) -> Result<(u64, Vec<&'static str>), String> {
    let mut seconds = DEFAULT_SECONDS;
    let mut targets = Vec::new();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let value = match arg.strip_prefix("--seconds") {
            Some("") => Some(
                rest.next()
                    .ok_or("--seconds needs a number of seconds, e.g. --seconds 60")?
                    .as_str(),
            ),
            Some(v) => v.strip_prefix('='),
            None => None,
        };
        if let Some(value) = value {
            seconds =
                value.parse().ok().filter(|s| *s > 0).ok_or_else(|| {
                    format!("--seconds takes a whole number above 0, got {value:?}")
                })?;
            continue;
        }
        match TARGETS.iter().find(|t| **t == arg.as_str()) {
            Some(target) => targets.push(*target),
            None => {
                return Err(format!(
                    "unknown fuzz option or target {arg:?}; targets: {}",
                    TARGETS.join(", ")
                ))
            }
        }
    }
    if targets.is_empty() {
        targets = TARGETS.to_vec();
    }
    Ok((seconds, targets))
}

fn files_in(dir: &Path) -> BTreeSet<PathBuf> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default()
}

/// The executions a libFuzzer line reports: its closing `Done 123 runs in
/// 60 second(s)`, or a progress line `#123\tpulse ...` (the count so far,
/// all there is when a crash ends the run).
fn executions_in(line: &str) -> Option<u64> {
    let line = line.trim();
    if let Some(rest) = line.strip_prefix("Done ") {
        let (count, tail) = rest.split_once(' ')?;
        return tail.starts_with("runs in").then(|| count.parse().ok())?;
    }
    let (count, _) = line.strip_prefix('#')?.split_once('\t')?;
    count.parse().ok()
}

fn run_target(target: &'static str, seconds: u64) -> Result<Outcome, String> {
    let root = workspace_root();
    let fuzz_dir = root.join("fuzz");
    let corpus = fuzz_dir.join("corpus").join(target);
    let regressions = fuzz_dir.join("regressions").join(target);
    let artifacts = fuzz_dir.join("artifacts").join(target);
    for dir in [&corpus, &regressions, &artifacts] {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let before = files_in(&artifacts);
    let mut command: Command = cargo([
        "fuzz",
        "run",
        "--sanitizer=none",
        "--debug-assertions",
        target,
    ]);
    // New inputs go to the first directory; the regressions seed the run.
    command.arg(&corpus).arg(&regressions);
    command.args([
        "--".to_owned(),
        format!("-max_total_time={seconds}"),
        "-timeout=10".to_owned(),
        "-rss_limit_mb=2048".to_owned(),
        "-print_final_stats=1".to_owned(),
    ]);
    // The fuzz build uses its own flags; in a shared target directory it
    // would force the workspace's artifacts to rebuild, so it keeps its own
    // (`fuzz/target`).
    command
        .env("RUSTC_BOOTSTRAP", "1")
        .env_remove("CARGO_TARGET_DIR")
        .stderr(Stdio::piped());
    eprintln!("xtask fuzz: {}", display(&command));
    let started = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot run `{}`: {e}", display(&command)))?;
    let mut executions = None;
    let mut tail: Vec<String> = Vec::new();
    if let Some(stderr) = child.stderr.take() {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            // libFuzzer reports every new coverage point; its periodic
            // `pulse` lines and everything else are progress enough.
            let chatty = (line.starts_with('#')
                && (line.contains("NEW") || line.contains("REDUCE")))
                || line.contains("# Uses:");
            if !chatty {
                eprintln!("  {target}: {line}");
            }
            if let Some(n) = executions_in(&line) {
                executions = Some(n);
            }
            tail.push(line);
            if tail.len() > 40 {
                tail.remove(0);
            }
        }
    }
    let status = child
        .wait()
        .map_err(|e| format!("waiting for cargo fuzz: {e}"))?;
    let mut kept = Vec::new();
    for found in files_in(&artifacts).difference(&before) {
        let Some(name) = found.file_name() else {
            continue;
        };
        let dest = regressions.join(name);
        std::fs::copy(found, &dest)
            .map_err(|e| format!("cannot copy {} to {}: {e}", found.display(), dest.display()))?;
        kept.push(dest);
    }
    let failed = if !status.success() || !kept.is_empty() {
        Some(if kept.is_empty() {
            format!("cargo fuzz ended with {status} and left no input; see the output above")
        } else {
            format!("{} crashing input(s)", kept.len())
        })
    } else {
        None
    };
    Ok(Outcome {
        target,
        executions,
        seconds: started.elapsed().as_secs(),
        kept,
        failed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_libfuzzers_closing_line() {
        assert_eq!(
            executions_in("Done 1234567 runs in 60 second(s)"),
            Some(1_234_567)
        );
        assert_eq!(executions_in("#1024\tpulse  cov: 12 ft: 13"), Some(1024));
        assert_eq!(
            executions_in("#### End of recommended dictionary. ######"),
            None
        );
        assert_eq!(executions_in("Done soon"), None);
    }

    #[test]
    fn options_and_targets() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(parse_args(&args(&[])).unwrap(), (60, TARGETS.to_vec()));
        assert_eq!(
            parse_args(&args(&["--seconds", "5", "argv"])).unwrap(),
            (5, vec!["argv"])
        );
        assert_eq!(parse_args(&args(&["--seconds=7"])).unwrap().0, 7);
        assert!(parse_args(&args(&["--seconds", "0"])).is_err());
        assert!(parse_args(&args(&["--seconds"])).is_err());
        assert!(parse_args(&args(&["nosuch"]))
            .unwrap_err()
            .contains("ps_table"));
    }
}
