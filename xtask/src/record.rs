//! `cargo xtask record [--write] [NAME...]`: records the corpus scenarios
//! (`scenarios/recorded/NAME.json`) again from real runsc, by running each
//! scenario's driver (`NAME.drive`) through the client with fake-runsc in
//! record mode in front of real runsc, and shows how each differs from the
//! committed file. Files are written only with `--write`.

use std::path::{Path, PathBuf};

use client_driver::{self as driver, Driver, Target, Transcript};
use fake_runsc::record::{sidecar_path, Sidecar};
use fake_runsc::scenario::Scenario;

use crate::cargo::{build_fake_runsc, workspace_root, FakeBuild};

/// Where the corpus lives, relative to the workspace.
pub const CORPUS: &str = "scenarios/recorded";
/// The real runsc used unless `RUNSC` names another.
pub const DEFAULT_RUNSC: &str = "/usr/bin/runsc";

/// The real runsc to use (`RUNSC`, else /usr/bin/runsc).
pub fn real_runsc() -> PathBuf {
    std::env::var_os("RUNSC")
        .filter(|v| !v.is_empty())
        .map_or_else(|| PathBuf::from(DEFAULT_RUNSC), PathBuf::from)
}

/// Why real runsc cannot be driven here, if it cannot.
pub fn cannot_run_real(real: &Path) -> Option<String> {
    if !nix::unistd::geteuid().is_root() {
        return Some("it needs root (real runsc creates sandboxes)".to_owned());
    }
    if !real.is_file() {
        return Some(format!(
            "runsc is not installed at {} (install it with `apt-get install runsc`, or set RUNSC)",
            real.display()
        ));
    }
    None
}

/// The corpus drivers, by name, sorted; only `names` when given.
pub fn drivers(names: &[String]) -> Result<Vec<(String, Driver)>, String> {
    let dir = workspace_root().join(CORPUS);
    let mut all = Vec::new();
    let entries =
        std::fs::read_dir(&dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "drive") {
            if let Some(stem) = path.file_stem() {
                all.push((stem.to_string_lossy().into_owned(), path));
            }
        }
    }
    all.sort();
    for name in names {
        if !all.iter().any(|(n, _)| n == name) {
            let known: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
            return Err(format!(
                "no driver {CORPUS}/{name}.drive; known: {}",
                known.join(", ")
            ));
        }
    }
    all.into_iter()
        .filter(|(n, _)| names.is_empty() || names.contains(n))
        .map(|(name, path)| Driver::load(&path).map(|d| (name, d)))
        .collect()
}

/// A fresh recording of one driver.
pub struct Recorded {
    /// The scenario as it would be committed.
    pub scenario: Scenario,
    /// The recorder's sidecar (names and review notes).
    pub sidecar: Sidecar,
    /// The client's results against real runsc.
    pub transcript: Transcript,
    /// Keeps the scratch directory (recording, sidecar) until the caller is done.
    pub _dir: tempfile::TempDir,
}

/// Runs a driver through the recorder in front of `real`.
pub fn record_one(
    fake: &Path,
    real: &Path,
    name: &str,
    driver: &Driver,
) -> Result<Recorded, String> {
    let dir = tempfile::Builder::new()
        .prefix("xtask-record-")
        .tempdir()
        .map_err(|e| format!("cannot make a scratch directory: {e}"))?;
    let scratch = dir.path().join("run");
    std::fs::create_dir_all(&scratch)
        .map_err(|e| format!("cannot make {}: {e}", scratch.display()))?;
    let path = dir.path().join(format!("{name}.json"));
    let target = Target {
        command: fake.to_owned(),
        env: vec![
            (
                "FAKE_RUNSC_RECORD".to_owned(),
                path.to_string_lossy().into_owned(),
            ),
            (
                fake_runsc::record::ENV_REAL.to_owned(),
                real.to_string_lossy().into_owned(),
            ),
        ],
        cleanup: Some(real.to_owned()),
        id_suffix: driver::unique_suffix(),
    };
    let transcript = block_on(driver::execute(driver, &target, &scratch))??;
    let bytes = std::fs::read(&path).map_err(|e| {
        format!(
            "the driver made no recorded call ({}: {e}); check that it calls runsc",
            path.display()
        )
    })?;
    let mut scenario = Scenario::from_json(&bytes)?;
    scenario.description = Some(driver.description.clone());
    let sidecar: Sidecar =
        serde_json::from_slice(&std::fs::read(sidecar_path(&path)).unwrap_or_default())
            .unwrap_or_default();
    std::fs::write(&path, format!("{}\n", scenario.to_json()))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(Recorded {
        scenario,
        sidecar,
        transcript,
        _dir: dir,
    })
}

/// Runs a future on a small runtime of its own.
pub fn block_on<F: std::future::Future>(future: F) -> Result<F::Output, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    Ok(runtime.block_on(future))
}

/// A unified diff of two texts, or `None` when they are equal.
pub fn diff(old: &str, new: &str, old_name: &str, new_name: &str) -> Option<String> {
    if old == new {
        return None;
    }
    Some(
        similar::TextDiff::from_lines(old, new)
            .unified_diff()
            .context_radius(3)
            .header(old_name, new_name)
            .to_string(),
    )
}

/// The review notes of a recording, counted by kind.
pub fn notes_summary(sidecar: &Sidecar) -> Vec<String> {
    let mut counts: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for note in sidecar
        .steps
        .iter()
        .chain(&sidecar.unrecorded)
        .flat_map(|s| &s.notes)
    {
        // Group by the rewrite, not by the value it applied to.
        let kind = match note.split_once(": ") {
            Some((field, rest)) => {
                let rest = rest.split('"').step_by(2).collect::<Vec<_>>().join("…");
                format!("{field}: {rest}")
            }
            None => note.clone(),
        };
        *counts.entry(kind).or_default() += 1;
    }
    counts
        .into_iter()
        .map(|(k, n)| format!("{n:>3} × {k}"))
        .collect()
}

/// `cargo xtask record`.
pub fn run(args: &[String]) -> Result<(), String> {
    let write = args.iter().any(|a| a == "--write");
    let names: Vec<String> = args.iter().filter(|a| *a != "--write").cloned().collect();
    if let Some(flag) = names.iter().find(|n| n.starts_with('-')) {
        return Err(format!(
            "unknown option {flag:?}; usage: cargo xtask record [--write] [NAME...]"
        ));
    }
    let real = real_runsc();
    if let Some(why) = cannot_run_real(&real) {
        return Err(format!(
            "recording needs real runsc and cannot run here: {why}"
        ));
    }
    let drivers = drivers(&names)?;
    let fake = build_fake_runsc(FakeBuild::Debug)?;
    let corpus = workspace_root().join(CORPUS);
    let mut changed = 0;
    for (name, driver) in &drivers {
        eprintln!("record {name} ...");
        let recorded = record_one(&fake, &real, name, driver)?;
        let new = format!("{}\n", recorded.scenario.to_json());
        let committed_path = corpus.join(format!("{name}.json"));
        let old = std::fs::read_to_string(&committed_path).unwrap_or_default();
        for line in notes_summary(&recorded.sidecar) {
            eprintln!("    normalised {line}");
        }
        match diff(
            &old,
            &new,
            &format!("committed {CORPUS}/{name}.json"),
            "fresh recording",
        ) {
            None => eprintln!("  {name}: unchanged"),
            Some(text) => {
                changed += 1;
                eprintln!("  {name}: changed");
                print!("{text}");
                if write {
                    std::fs::write(&committed_path, &new)
                        .map_err(|e| format!("cannot write {}: {e}", committed_path.display()))?;
                    eprintln!("  {name}: written to {}", committed_path.display());
                }
            }
        }
    }
    eprintln!(
        "record: {} scenario(s), {changed} changed{}",
        drivers.len(),
        if write || changed == 0 {
            ""
        } else {
            " (not written; run again with --write to keep them)"
        }
    );
    Ok(())
}
