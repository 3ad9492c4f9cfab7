//! `fake-runsc`: a drop-in fake of gVisor's `runsc` for tests.
//!
//! It reads argv exactly as runsc 20221219 does, or as the release
//! `FAKE_RUNSC_RELEASE` or a replayed scenario's header names (refusing what
//! runsc refuses, with runsc's words and exit status), then, by configuration, replays a
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
mod glog;
mod help;
mod host;
pub mod journal;
pub mod matching;
pub mod record;
mod replay;
mod reply;
pub mod scenario;
pub mod scenario_index;
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
    let variable = std::env::var_os(config::ENV_RELEASE).filter(|v| !v.is_empty());
    let mut release = match argv::release_from(variable.as_deref()) {
        Ok(release) => release,
        Err(message) => {
            let _ = writeln!(std::io::stderr(), "{message}");
            return exit::EXIT_CONFIG;
        }
    };
    let mut parsed = argv::parse_for(release, &args);
    let root = match &parsed {
        Ok(invocation) => invocation.global.root.clone(),
        Err(_) => root_hint(&args),
    };
    let mode = config::mode(root.as_deref());
    // Without the variable, a replayed scenario's header names the release;
    // only replay reads it, so the other modes start as fast as before.
    let mut index = None;
    if let (None, Ok(config::Mode::Replay { scenario, session })) = (&variable, &mode) {
        // A scenario that cannot be indexed names no release here: replay
        // then says what is wrong with it in its own words.
        let opened = scenario_index::ScenarioIndex::open(scenario, session);
        let named = opened.as_ref().ok().and_then(|i| i.runsc_version());
        match config::scenario_release(scenario, named) {
            Ok(Some(named)) if named != release => {
                release = named;
                parsed = argv::parse_for(release, &args);
            }
            Ok(_) => {}
            Err(message) => {
                let _ = writeln!(std::io::stderr(), "fake-runsc: {message}");
                return exit::EXIT_CONFIG;
            }
        }
        index = Some(opened);
    }
    let invocation = match parsed {
        Ok(invocation) => invocation,
        Err(refusal) => {
            if let Ok(config::Mode::Record { output }) = mode {
                return record::run(&args, None, &output);
            }
            if let (true, Ok(config::Mode::Replay { session, .. })) = (refusal.exit_code != 0, mode)
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
    match mode {
        Ok(config::Mode::Replay { scenario, session }) => {
            replay::run(&args, &invocation, index, &scenario, &session)
        }
        Ok(config::Mode::Record { output }) => record::run(&args, Some(&invocation), &output),
        Ok(config::Mode::Simulate) => sim::run(&invocation, release),
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
