//! `fake-runsc`: a drop-in fake of gVisor's `runsc` for tests.
//!
//! It reads argv exactly as runsc 20221219 does (refusing what runsc refuses,
//! with runsc's words and exit status), then, by configuration:
//!
//! - **replay**: answers from a [scenario](scenario::Scenario) (see
//!   `FAKE_RUNSC_SCENARIO` and `FAKE_RUNSC_SESSION` in [`config`]),
//! - **simulate**: behaves as a stateful runsc ([`sim`]) when nothing is configured,
//! - **record**: forwards to real runsc and appends what happened to a
//!   scenario ([`record`]; `FAKE_RUNSC_RECORD` and `FAKE_RUNSC_REAL`).
//!
//! `fake-runsc check FILE...` validates scenario files. Rust tests use
//! [`testing::FakeRuntime`].
//!
//! Exit statuses of the fake itself (runsc uses 0, 1, 2 and 128 for its own
//! failures; `exec`/`run` forward the container's status, which a scenario
//! chooses): [`EXIT_UNMATCHED`], [`EXIT_CONFIG`], [`argv::EXIT_UNSUPPORTED`].

#![warn(missing_docs)]

use std::ffi::OsString;
use std::io::Write;

pub mod argv;
pub mod check;
pub mod config;
pub mod host;
pub mod matching;
pub mod record;
pub mod replay;
mod reply;
pub mod scenario;
pub mod session;
mod shared_file;
pub mod sim;
mod stdout;
pub mod testing;

pub use reply::CONSOLE_PAYLOAD;

/// A call no scenario step answers (or that a `never` step forbids).
pub const EXIT_UNMATCHED: i32 = 86;
/// The fake's configuration or scenario is unusable.
pub const EXIT_CONFIG: i32 = 87;

/// Runs the fake with argv (without the program name); returns the exit status.
pub fn entry(args: Vec<OsString>) -> i32 {
    match args.first().and_then(|a| a.to_str()) {
        Some("__sim") => return sim::internal_main(&args[1..]),
        Some("check") => return check::main(&args[1..]),
        _ => {}
    }
    let invocation = match argv::parse(&args) {
        Ok(invocation) => invocation,
        Err(refusal) => {
            if let Ok(config::Mode::Record { output }) = config::mode(None) {
                return record::run(&args, None, &output);
            }
            let failed = refusal.exit_code != 0;
            let root = root_hint(&args);
            if let (true, Ok(config::Mode::Replay { session, .. })) =
                (failed, config::mode(root.as_deref()))
            {
                replay::journal_refusal(&session, &args, &refusal);
            }
            let _ = stdout::write(refusal.stdout.as_bytes());
            let _ = std::io::stderr().write_all(refusal.stderr.as_bytes());
            return refusal.exit_code;
        }
    };
    match config::mode(invocation.global.root.as_deref()) {
        Ok(config::Mode::Replay { scenario, session }) => {
            replay::run(&args, &invocation, &scenario, &session)
        }
        Ok(config::Mode::Record { output }) => record::run(&args, Some(&invocation), &output),
        Ok(config::Mode::Simulate) => sim::run(&invocation),
        Err(message) => {
            let _ = writeln!(std::io::stderr(), "fake-runsc: {message}");
            EXIT_CONFIG
        }
    }
}

/// The `--root` an argv that did not parse most likely meant (its last
/// `-root`/`--root` value), so a refused call still reaches the session's
/// journal when the session is selected through `--root`.
fn root_hint(args: &[OsString]) -> Option<std::path::PathBuf> {
    let mut root = None;
    let mut iter = args.iter().map(|a| a.to_string_lossy());
    while let Some(arg) = iter.next() {
        let bare = arg.trim_start_matches('-');
        if !arg.starts_with('-') || arg.starts_with("---") {
            continue;
        }
        if bare == "root" {
            root = iter.next().map(|v| v.into_owned());
        } else if let Some(value) = bare.strip_prefix("root=") {
            root = Some(value.to_owned());
        }
    }
    root.map(std::path::PathBuf::from)
}
