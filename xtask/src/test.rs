//! `cargo xtask test`: every check that needs no root, in the order that
//! fails fastest (formatting, lints, tests, the downstream crate, doctests).

use std::path::PathBuf;

use crate::cargo::{cargo, has_cargo_plugin, run_steps, workspace_root, Step};

/// Runs the steps; the first failure stops the task and is named.
pub fn run() -> Result<(), String> {
    if std::env::var_os("CI").is_some() {
        eprintln!(
            "xtask test: CI is set: tests that need real runsc must run (root and /usr/bin/runsc), they fail instead of skipping"
        );
    }
    let tests = if has_cargo_plugin("nextest") {
        let mut command = cargo(["nextest", "run", "--workspace", "--no-fail-fast"]);
        command.arg("--config-file").arg(nextest_config());
        Step {
            name: "tests",
            command,
            note: None,
        }
    } else {
        Step {
            name: "tests",
            command: cargo(["test", "--workspace", "--all-targets", "--no-fail-fast"]),
            note: Some(
                "cargo-nextest is not installed, falling back to `cargo test` (install it with `cargo install cargo-nextest --locked`)"
                    .to_owned(),
            ),
        }
    };
    let steps = vec![
        Step {
            name: "fmt",
            command: cargo(["fmt", "--all", "--check"]),
            note: None,
        },
        Step {
            name: "clippy",
            command: cargo([
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ]),
            note: None,
        },
        // The workspace build unifies features, so the client is always on in
        // it; the fake's own view of `runsc` (no client, no tokio) is linted
        // on its own so it cannot rot unnoticed.
        Step {
            name: "clippy without the client",
            command: cargo([
                "clippy",
                "-p",
                "runsc",
                "--no-default-features",
                "--features",
                "fake",
                "--",
                "-D",
                "warnings",
            ]),
            note: None,
        },
        tests,
        Step {
            name: "downstream",
            command: cargo(["xtask", "downstream"]),
            note: None,
        },
        Step {
            name: "doctests",
            command: cargo(["test", "--workspace", "--doc"]),
            note: None,
        },
    ];
    run_steps("test", steps)
}

/// nextest's settings (timeouts for hung tests), kept in xtask/ because the
/// workspace's top level has no `.config/` directory.
pub fn nextest_config() -> PathBuf {
    workspace_root().join("xtask").join("nextest.toml")
}
