//! The simulator: a stateful runsc used when no scenario is configured.
//!
//! Tests get a realistic runtime without root and without gVisor. Each
//! invocation reads and updates container state under `--root` (default:
//! `$XDG_RUNTIME_DIR/fake-runsc`, else `/tmp/fake-runsc-UID`; never runsc's
//! own `/var/run/runsc`) and answers with runsc 20221219's output, messages
//! and exit codes, including its odd ones:
//!
//! - `wait ID` reports the exit status only when it was already blocked while
//!   the container ran; afterwards it fails with "sandbox no longer running
//!   and its exit status is unavailable". A `wait` begun while the container
//!   was paused panics (exit 2) when it exits.
//! - `events ID` (streaming) goes silent when the container stops and never
//!   exits by itself; `events` on a created container, and `pause` of one,
//!   panic (exit 2) as runsc does.
//! - `create` with an id that exists fails and removes the existing
//!   container's state.
//! - `exec --detach` without `--pid-file` passes `--pid-file=...` to the
//!   command and exits 128.
//! - Any id argument may be a unique prefix of a container id (even `""`).
//!
//! Commands are looked up as runsc does only when the bundle's root
//! filesystem exists on the host: an absolute `argv[0]` must exist in it (else
//! `start`/`exec` fail with "failed to load"), and `exec` searches `PATH` in
//! it for a bare name. A missing or empty root means a purely simulated
//! bundle in which every command exists.
//!
//! Simulated processes come from `config.json`'s `process.args` and
//! annotations (see [`program`]); each is played by a live host process (see
//! [`process`]) whose pid `state` and `--pid-file` report, which exits with
//! the simulated status, and which never outlives its container's state.
//!
//! Environment: [`clock::TIME_SCALE_ENV`] (`FAKE_RUNSC_TIME_SCALE=100` makes
//! simulated time pass 100 times faster).

pub mod clock;
mod lifecycle;
pub mod output;
pub mod process;
pub mod program;
pub mod store;

use std::ffi::OsString;
use std::io::Write;

use runsc::cli::{Invocation, Subcommand};

use self::clock::TimeScale;
use self::lifecycle::Sim;
use self::store::Store;

/// Answers one parsed invocation against the simulated state, writing to
/// stdout and stderr as runsc would, and returns the exit status.
pub fn run(invocation: &Invocation) -> i32 {
    let scale = match TimeScale::from_env() {
        Ok(scale) => scale,
        Err(message) => {
            let _ = writeln!(std::io::stderr(), "{message}");
            return 128;
        }
    };
    let sim = Sim {
        store: Store::new(invocation.global.root.as_deref()),
        scale,
    };
    let result = match &invocation.command {
        Subcommand::List(o) => sim.list(o),
        Subcommand::State(o) => sim.state(o.id.as_str()),
        Subcommand::Create(o) => sim.create(o),
        Subcommand::Start(o) => sim.start(o.id.as_str()),
        Subcommand::Exec(o) => sim.exec(o),
        Subcommand::Run(o) => sim.run(o),
        Subcommand::Delete(o) => sim.delete(o),
        Subcommand::Kill(o) => sim.kill(o),
        Subcommand::Events(o) => sim.events(o),
        Subcommand::Ps(o) => sim.ps(o),
        Subcommand::Pause(o) => sim.pause(o.id.as_str()),
        Subcommand::Resume(o) => sim.resume(o.id.as_str()),
        Subcommand::Wait(o) => sim.wait(o),
        Subcommand::Checkpoint(o) => sim.checkpoint(o),
        Subcommand::Restore(o) => sim.restore(o),
        Subcommand::Update(_) | Subcommand::FsCheckpoint(_) => Err(lifecycle::fatal(format!(
            "fake-runsc: runsc 20221219 has no {} subcommand",
            invocation.command.name()
        ))),
    };
    match result {
        Ok(code) => code,
        Err(failure) => {
            let mut stderr = std::io::stderr();
            let _ = stderr.write_all(failure.stderr.as_bytes());
            let _ = stderr.flush();
            failure.code
        }
    }
}

/// Entry of the hidden helper (`fake-runsc __sim proc ROOT ID PID`) that
/// plays one simulated process. Accepts its arguments with or without the
/// leading `__sim`.
pub fn internal_main(args: &[OsString]) -> i32 {
    let args = match args.first() {
        Some(first) if first == "__sim" => &args[1..],
        _ => args,
    };
    match args.split_first() {
        Some((kind, rest)) if kind == "proc" => process::helper_main(rest),
        _ => {
            let _ = writeln!(
                std::io::stderr(),
                "fake-runsc: __sim is the simulator's internal helper; it takes `proc ROOT ID PID`"
            );
            125
        }
    }
}
