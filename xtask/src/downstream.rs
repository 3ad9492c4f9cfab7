//! `cargo xtask downstream`: the crate under `xtask/downstream/`, outside the
//! workspace, uses the client and the fake exactly as a user's crate does
//! (path dependencies, the fake's binary found at run time) and runs a
//! scenario, a recording of real runsc and the simulator. It gets the
//! optimised fake the README tells users to build, through
//! `FAKE_RUNSC_BIN`.

use crate::cargo::{build_fake_runsc, cargo, display, workspace_root, FakeBuild};

/// Builds the optimised fake and runs the downstream crate's tests with it.
pub fn run() -> Result<(), String> {
    let fake = build_fake_runsc(FakeBuild::Static)?;
    let root = workspace_root();
    let manifest = root.join("xtask/downstream/Cargo.toml");
    // The workspace's target directory: the dependencies it shares with the
    // workspace are built once.
    let mut command = cargo(["test", "--manifest-path"]);
    command
        .arg(&manifest)
        .arg("--target-dir")
        .arg(root.join("target"))
        .env("FAKE_RUNSC_BIN", &fake);
    eprintln!(
        "xtask downstream: FAKE_RUNSC_BIN={} {}",
        fake.display(),
        display(&command)
    );
    let status = command
        .status()
        .map_err(|e| format!("cannot run `{}`: {e}", display(&command)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed ({status})", display(&command)))
    }
}
