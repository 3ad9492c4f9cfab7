//! fake-runsc's integration tests, in one binary (one link on a small
//! machine instead of one per area): a module per area, and the helpers they
//! share written once (`common` for replay sessions and the fake binary,
//! `reliability_support` for the client and `/proc`, `lifecycle_support` for
//! the lifecycle cases that run against real runsc and the simulator).

// The fuzz targets' properties, included at the crate root because they
// name each other by `crate::` path (see `reliability_fuzz`).
#[path = "../../../fuzz/src/core_checks.rs"]
#[allow(dead_code)] // Only `argv_of` is used here; the rest serves the core suite.
mod core_checks;
#[path = "../../../fuzz/src/fake_checks.rs"]
mod fake_checks;
#[path = "../../../fuzz/src/regressions.rs"]
#[allow(dead_code)] // `targets` and `regression_dirs` serve the core suite.
mod fuzz_regressions;

mod common;
mod lifecycle_support;
mod reliability_support;

mod argv_vs_runsc;
mod check_cli;
mod corpus_replay;
mod diagnostics;
mod differential;
mod hardening;
mod harness;
mod layering;
mod lifecycle;
mod record_proxy;
mod releases;
mod reliability_big_output;
mod reliability_concurrency;
mod reliability_faults;
mod reliability_fuzz;
mod reliability_hang;
mod reliability_security;
mod replay_committed;
mod replay_concurrency;
mod replay_match;
mod replay_reply;
mod scenario_index;
mod sim_check_order;
mod sim_cli;
mod sim_log_files;
mod sim_real_processes;
mod sim_releases;
mod sim_replay_captures;
mod testing_api;
