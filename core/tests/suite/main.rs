//! The `runsc` crate's integration tests, one module per area, built as one
//! test binary.
//!
//! - `cli_argv`, `cli_vs_real`: the command-line model (argv rendering,
//!   parsing, and the parser against real runsc's recorded refusals);
//! - `go_argv`: the client's argv against gVisor's Go client's, call by call;
//! - `release`, `real_values`: the release profiles against the shared flag
//!   tables, and typed flag values against real runsc;
//! - `decode`, `decode_events`, `no_panic`: the typed outputs and their
//!   decoders;
//! - `client_*`: the client against a scripted stand-in for runsc
//!   (`tests/fixtures/fake-runsc.sh`); `client_newer_options` the options
//!   newer releases added, refused for older ones and rendered as the Go
//!   client at 20260817 renders them;
//! - `real_runsc`: the client against real runsc (skips loudly without root
//!   and runsc, fails instead when `CI` is set).

mod cli_argv;
mod cli_vs_real;
mod client_errors;
mod client_exec;
mod client_failure_rule;
mod client_io;
mod client_monitor;
mod client_newer_options;
mod decode;
mod decode_events;
mod go_argv;
mod no_panic;
mod real_runsc;
mod real_values;
mod release;
mod support;
