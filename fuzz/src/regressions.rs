//! Replaying `fuzz/regressions/`: the inputs that once broke a target (kept
//! by `cargo xtask fuzz`) and the hand-written seeds, one directory per
//! target. The core and fake test suites include this file, so every suite
//! reads the regressions the same way and reports a failing input by path.
//!
//! Paths are found from `CARGO_MANIFEST_DIR`, which is the including crate's:
//! `core/`, `fake-runsc/` and `fuzz/` are siblings, so `../fuzz` is the same
//! directory from each.

use std::panic::{catch_unwind, RefUnwindSafe};
use std::path::{Path, PathBuf};

/// The fuzz project's directory.
pub fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// The names of the fuzz targets (`fuzz/fuzz_targets/NAME.rs`), sorted.
pub fn targets() -> Vec<String> {
    names_in(&fuzz_dir().join("fuzz_targets"), |path| {
        path.is_file() && path.extension().is_some_and(|ext| ext == "rs")
    })
}

/// The names of the directories under `fuzz/regressions/`, sorted.
pub fn regression_dirs() -> Vec<String> {
    names_in(&fuzz_dir().join("regressions"), Path::is_dir)
}

fn names_in(dir: &Path, keep: impl Fn(&Path) -> bool) -> Vec<String> {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    let mut names: Vec<String> = entries
        .map(|entry| entry.expect("a readable directory entry").path())
        .filter(|path| keep(path))
        .filter_map(|path| Some(path.file_stem()?.to_string_lossy().into_owned()))
        .collect();
    names.sort();
    names
}

/// Every input kept for `target`, sorted by path. Panics when the directory
/// is missing or empty: each target keeps at least its seeds, so an empty
/// replay means the inputs were not found, not that all is well.
pub fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = fuzz_dir().join("regressions").join(target);
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}; every fuzz target keeps a regressions directory",
            dir.display()
        )
    });
    let mut inputs: Vec<(PathBuf, Vec<u8>)> = entries
        .map(|entry| entry.expect("a readable directory entry").path())
        .filter(|path| path.is_file())
        .map(|path| {
            let bytes = std::fs::read(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            (path, bytes)
        })
        .collect();
    inputs.sort();
    assert!(
        !inputs.is_empty(),
        "{} holds no inputs; it keeps at least the seed regressions",
        dir.display()
    );
    inputs
}

/// Runs `check` on every input kept for `target` and fails naming each
/// input whose check panics (all of them, not only the first).
pub fn replay(target: &str, check: impl Fn(&[u8]) + RefUnwindSafe) {
    let failed: Vec<String> = inputs(target)
        .into_iter()
        .filter(|(_, bytes)| catch_unwind(|| check(bytes)).is_err())
        .map(|(path, _)| path.display().to_string())
        .collect();
    assert!(
        failed.is_empty(),
        "fuzz regressions of {target} fail again (reproduce one with `RUSTC_BOOTSTRAP=1 cargo \
         fuzz run --sanitizer=none {target} FILE`): {failed:#?}"
    );
}
