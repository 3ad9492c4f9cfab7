//! An async client for gVisor's `runsc` command line.
//!
//! - [`cli`]: the runsc command line as data. An [`cli::Invocation`] renders
//!   to argv with no I/O and parses back exactly as runsc 20221219 would.
//! - [`Runsc`]: runs invocations with tokio and returns typed results
//!   ([`types`]); see the [`client`] module for how calls are run, cancelled
//!   and bounded, and where this client differs from gVisor's Go client.
//! - [`Error`]: one error type that keeps what a caller needs to act on.
//!
//! What a call will run, without running anything:
//!
//! ```
//! use runsc::cli::{ContainerId, IdOnly, Subcommand};
//! use runsc::Runsc;
//!
//! let runsc = Runsc::builder()
//!     .root("/run/runsc-example")
//!     .config("network", "none")
//!     .build()?;
//! let id = ContainerId::new("example")?;
//! let argv = runsc.invocation(Subcommand::State(IdOnly { id })).to_args();
//! assert_eq!(argv, ["--root=/run/runsc-example", "--network=none", "state", "example"]);
//! // An id that would read as a flag never gets that far.
//! assert!(ContainerId::new("--all").unwrap_err().is_invalid_input());
//! # Ok::<(), runsc::Error>(())
//! ```
//!
//! A container's life (needs root and runsc):
//!
//! ```no_run
//! use std::future::poll_fn;
//! use std::pin::Pin;
//! use std::time::Duration;
//!
//! use futures_core::Stream;
//! use runsc::cli::ContainerId;
//! use runsc::{CreateOpts, DeleteOpts, ExecOpts, KillOpts, Runsc, WaitOpts};
//!
//! # async fn lifecycle() -> Result<(), runsc::Error> {
//! let runsc = Runsc::builder()
//!     .root("/run/runsc-example")
//!     .log("/run/runsc-example.log.json") // failed calls then carry runsc's own error
//!     .log_format(runsc::cli::LogFormat::Json)
//!     .config("network", "none")
//!     .timeout(Duration::from_secs(30))
//!     .build()?;
//! let id = ContainerId::new("example")?;
//!
//! // Returns when runsc exits, although the sandbox keeps runsc's stdio.
//! runsc.create(&id, "/srv/bundle", &CreateOpts::default()).await?;
//! runsc.start(&id, None).await?;
//! println!("{:?}", runsc.state(&id).await?.status);
//!
//! let process: oci_spec::runtime::Process = serde_json::from_str(
//!     r#"{"args": ["sh", "-c", "exit 3"], "cwd": "/", "user": {"uid": 0, "gid": 0}}"#,
//! )
//! .expect("a valid process spec");
//! let outcome = runsc.exec(&id, &process, &ExecOpts::default()).await?;
//! assert_eq!(outcome.code(), Some(3));
//!
//! // Stats every second; `StreamExt::next` from the futures crate works too.
//! let mut events = runsc.events(&id, Duration::from_secs(1)).await?;
//! if let Some(event) = poll_fn(|cx| Pin::new(&mut events).poll_next(cx)).await {
//!     println!("{:?}", event?.stats);
//! }
//! drop(events); // kills `runsc events`
//!
//! // runsc reports the exit status to a wait that is already waiting.
//! let waiter = tokio::spawn({
//!     let (runsc, id) = (runsc.clone(), id.clone());
//!     async move { runsc.wait(&id, &WaitOpts::default()).await }
//! });
//! runsc.kill(&id, nix::sys::signal::Signal::SIGTERM, &KillOpts::default()).await?;
//! println!("exit status {}", waiter.await.expect("wait task").map(|w| w.exit_status)?);
//!
//! runsc.delete(&id, &DeleteOpts { force: true }).await?;
//! match runsc.state(&id).await {
//!     Err(e) if e.is_not_found() => println!("gone"),
//!     other => println!("unexpected: {other:?}"),
//! }
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

pub mod cli;
pub mod client;
mod error;
pub mod types;

pub use client::{
    CheckpointOpts, CreateOpts, DeleteOpts, EventStream, ExecOpts, ExecOutcome, Io, KillOpts,
    ProcessExit, RestoreOpts, RunOpts, Runsc, RunscBuilder, WaitOpts,
};
pub use error::Error;
pub use types::{
    parse_ps_output, Container, Event, EventDecoder, ProcessList, Stats, Status, TopResults,
    WaitResult,
};
