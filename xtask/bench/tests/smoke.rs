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
    let mut config = Config::smoke(fake.clone());
    // The same binary stands in for the dynamic build: the rows must appear.
    config.fake_dynamic = Some(fake);
    // This test is not the benchmark binary, which measures peak memory.
    config.peak_rss_helper = env!("CARGO_BIN_EXE_xtask-bench").into();
    let outcome = run(&config);
    let markdown = outcome.report.to_markdown("smoke");
    println!("{markdown}");
    assert!(
        outcome.failures.is_empty(),
        "figures failed: {:#?}",
        outcome.failures
    );
    for figure in 1..=7 {
        assert!(
            outcome.report.rows.iter().any(|row| row.figure == figure),
            "figure {figure} has no row in:\n{markdown}"
        );
    }
    assert_eq!(
        outcome
            .report
            .rows
            .iter()
            .filter(|row| row.figure == 1)
            .count(),
        4,
        "figure 1 needs replay and simulator rows for both builds:\n{markdown}"
    );
    assert!(
        markdown.contains("runc crate"),
        "the peer client is missing from figure 3:\n{markdown}"
    );
}
