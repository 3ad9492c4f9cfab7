//! Runs every benchmark figure with tiny sizes, so that the bench code keeps
//! working as the client and the fake change. It checks that each figure was
//! measured and that the report has its rows; it never looks at the times.
//!
//! Needs the fake-runsc binary built next to this test (any workspace build
//! does that, e.g. `cargo xtask test` or `cargo build -p fake-runsc`) or named
//! by `FAKE_RUNSC_BIN`.

use xtask_bench::{run, setup::locate_fake, Config};

#[test]
fn every_figure_runs_at_smoke_sizes() {
    let fake = locate_fake().unwrap_or_else(|e| panic!("{e}"));
    let outcome = run(&Config::smoke(fake));
    let markdown = outcome.report.to_markdown("smoke");
    println!("{markdown}");
    assert!(
        outcome.failures.is_empty(),
        "figures failed: {:#?}",
        outcome.failures
    );
    for figure in 1..=5 {
        assert!(
            outcome.report.rows.iter().any(|row| row.figure == figure),
            "figure {figure} has no row in:\n{markdown}"
        );
    }
    assert!(
        markdown.contains("runc crate"),
        "the peer client is missing from figure 3:\n{markdown}"
    );
}
