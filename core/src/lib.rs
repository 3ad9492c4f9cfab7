//! gVisor's `runsc` command line for Rust code that drives runsc:
//! containerd shims, sandbox orchestrators, CI systems, code-execution
//! services. An async client runs runsc (feature `client`, on by default);
//! the parts it is built from, the command line as data and runsc's
//! outputs as types, need no async runtime and are usable without it.
//!
//! Which part to use:
//!
//! - [`types`] for runsc's outputs ([`types::Container`], [`types::Stats`],
//!   [`types::Event`], ...) and their decoders, when runsc's output reaches
//!   you some other way (a log, a recording).
//! - [`cli`] for the command line as data: an [`cli::Invocation`] renders
//!   argv with no I/O and parses back exactly as runsc 20221219 would. Use
//!   it to show or log what a call runs, or to read argv, as the fake runsc
//!   in this workspace does.
//! - [`oci_spec`], re-exported, for the OCI types of runsc's bundles and
//!   processes.
//!
//! # Features
//!
//! - `client` (default): the async client on tokio, below. Without it the
//!   crate depends on no async runtime (nor tokio, futures, tracing or
//!   tempfile); the fake runsc in this workspace builds it so, to start fast.
//! - `fake`: `types::encode`, runsc's exact output bytes, which only a fake
//!   runsc needs.
//! - `proptest`: `cli::strategy`, proptest strategies for every invocation
//!   the model can express.
//!
// The client's docs (its guide, examples, and how it differs from the Go
// client) link to its items, so they are part of the docs only with it.
#![cfg_attr(feature = "client", doc = include_str!("client/guide.md"))]
#![warn(missing_docs)]

pub mod cli;
#[cfg(feature = "client")]
mod client;
mod error;
pub mod types;

pub use oci_spec;

#[cfg(feature = "client")]
pub use client::{
    Captured, CheckpointOpts, Console, ConsoleSocket, CreateOpts, DeleteOpts, EventStream,
    ExecOpts, ExecOutcome, ExitFuture, FsCheckpointOpts, Io, IoPipes, KillOpts, LoggingMonitor,
    Monitor, ProcessExit, ProcessIo, RestoreOpts, RunOpts, Runsc, RunscBuilder, TokioMonitor,
    WaitOpts, DEFAULT_COMMAND, DEFAULT_OUTPUT_LIMIT,
};
pub use error::{Error, DISPLAY_STDERR_LIMIT};
