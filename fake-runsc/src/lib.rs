//! `fake-runsc`: a drop-in fake of gVisor's `runsc` for tests.
//!
//! It reads argv exactly as runsc 20221219 does (refusing what runsc refuses,
//! with runsc's words and exit status), then, by configuration, replays a
//! scenario, simulates a stateful runsc (nothing configured), or records real
//! runsc (`FAKE_RUNSC_RECORD`, `FAKE_RUNSC_REAL`). README.md describes the
//! binary; ARCHITECTURE.md at the workspace's top describes how it is built.
//!
//! Who uses which part of this library:
//!
//! - **Rust tests of code that runs runsc**: [`scenario`] to write what is
//!   expected (or load a committed scenario), [`testing::FakeRuntime`] to
//!   run it and `verify` it, [`journal`] to read what was called.
//! - **Scenario tooling** (`fake-runsc check`, the fuzzers): [`check`],
//!   [`argv::parse`], [`matching::document`] and [`decide`], the pure
//!   functions replay itself uses.
//! - **The recorder's users** (`cargo xtask record`): [`record`]'s variable
//!   and sidecar.
//! - **Everyone reading exit statuses**: [`exit`].
//!
//! The binary's own plumbing (configuration, sessions, replies, the
//! simulator) is private: [`entry`] is all of it there is to call.

#![warn(missing_docs)]

use std::ffi::OsString;
use std::io::Write;

pub mod argv;
pub mod check;
mod config;
pub mod decide;
mod error;
pub mod exit;
mod help;
mod host;
pub mod journal;
pub mod matching;
pub mod record;
mod replay;
mod reply;
pub mod scenario;
mod session;
mod shared_file;
mod signals;
mod sim;
mod stdout;
pub mod testing;
pub mod verify;

pub use error::Error;
pub use reply::CONSOLE_PAYLOAD;

/// Runs the fake with argv (without the program name); returns the exit status.
pub fn entry(args: Vec<OsString>) -> i32 {
    match args.first().and_then(|a| a.to_str()) {
        Some("__sim") => return sim::internal_main(&args[1..]),
        Some("check") => return check::main(&args[1..]),
        Some("verify") => return verify::main(&args[1..]),
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
            if asks_for_help(&args) {
                // After runsc's usage, on the stream runsc wrote it to.
                if refusal.stdout.is_empty() {
                    let _ = std::io::stderr().write_all(help::FAKE.as_bytes());
                } else {
                    let _ = stdout::write(help::FAKE.as_bytes());
                }
            }
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
            exit::EXIT_CONFIG
        }
    }
}

/// Whether argv asks for the top-level help (`-h`, `--help`, `help`
/// alone), which describes the fake after runsc's usage.
fn asks_for_help(args: &[OsString]) -> bool {
    matches!(
        args.iter()
            .map(|a| a.to_str())
            .collect::<Vec<_>>()
            .as_slice(),
        [Some("-h" | "-help" | "--help" | "help")]
    )
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
