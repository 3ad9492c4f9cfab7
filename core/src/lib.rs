//! An async client for gVisor's `runsc` command line, for Rust code that
//! drives runsc: containerd shims, sandbox orchestrators, CI systems,
//! code-execution services.
//!
//! Which part to use:
//!
//! - [`Runsc`] (built with [`RunscBuilder`]) to run runsc: one method per
//!   runsc subcommand, each with an `*Opts` value where it takes options,
//!   returning typed results or an [`Error`]. This is what most users need.
//! - [`types`] for runsc's outputs ([`types::Container`], [`types::Stats`],
//!   [`types::Event`], ...) and their decoders, when runsc's output reaches
//!   you some other way (a log, a recording).
//! - [`cli`] for the command line as data: an [`cli::Invocation`] renders
//!   argv with no I/O and parses back exactly as runsc 20221219 would. Use
//!   it to show or log what a call runs ([`Runsc::invocation`]), or to read
//!   argv, as the fake runsc in this workspace does.
//! - [`Io`] / [`ProcessIo`], [`ConsoleSocket`] and [`Monitor`] when the
//!   defaults (captured output, tokio's reaping) do not fit.
//! - [`oci_spec`], re-exported, for the OCI types the client takes
//!   ([`Runsc::exec`] takes an [`oci_spec::runtime::Process`]).
//!
//! The `fake` feature adds `types::encode`, runsc's exact output bytes,
//! which only a fake runsc needs; the `proptest` feature adds
//! `cli::strategy`.
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
//!     .log("/run/runsc-example.log") // failed calls then carry runsc's own error
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
//! let process: runsc::oci_spec::runtime::Process = serde_json::from_str(
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
//! runsc.delete(&id, &DeleteOpts::default().with_force(true)).await?;
//! match runsc.state(&id).await {
//!     Err(e) if e.is_not_found() => println!("gone"),
//!     other => println!("unexpected: {other:?}"),
//! }
//! # Ok(())
//! # }
//! ```

//! # Newer runsc releases
//!
//! The client drives runsc 20260817 by default and has every option of the
//! lifecycle subcommands that a client drives up to that release, each
//! documented with the release that added it: `kill --pgid`
//! ([`KillOpts::pgid`]); `wait --checkpoint`, `--restore`, `--fscheckpoint`,
//! `--fsrestore` ([`WaitOpts`], waited for with [`Runsc::wait_event`], since
//! runsc prints no exit status for them); `checkpoint --direct`,
//! `--compression` and the save/restore and CUDA flags ([`CheckpointOpts`]);
//! `restore --direct`, `--background` and the filesystem-restore flags
//! ([`RestoreOpts`]); `create`/`run --fs-restore-image-path`
//! ([`CreateOpts`], [`RunOpts`]); and `fscheckpoint`
//! ([`Runsc::fscheckpoint`]). They render as gVisor's Go client
//! (`pkg/shim/v1/runsccmd` at release-20260817.0) renders them. Build the
//! client with [`RunscBuilder::release`] for an older runsc, and a call
//! using an option that release lacks fails with [`Error::InvalidInput`]
//! naming the option and the release that added it, before anything is
//! spawned.
//!
//! `wait --checkpoint` changed meaning: 20241021 takes the number of the
//! checkpoint to wait for ([`WaitOpts::with_checkpoint_number`]), 20260817
//! is a switch for the next one ([`WaitOpts::with_checkpoint`]). Each
//! release refuses the other's form ([`cli::WaitCheckpoint`]).
//!
//! # How a call runs
//!
//! Every method builds a [`cli::Invocation`], renders
//! it with [`to_args`](crate::cli::Invocation::to_args) and runs it through
//! the configured [`Monitor`]. Each call:
//!
//! - runs runsc in a process group of its own (unless
//!   [`RunscBuilder::process_group`] says otherwise); when the call's deadline
//!   passes or its future is dropped, the whole group gets `SIGKILL` and
//!   runsc is reaped;
//! - drains stdout and stderr concurrently, keeping at most the output limit
//!   of each and counting the rest, so a chatty runsc can neither block on a
//!   full pipe nor grow memory without bound;
//! - ends when runsc exits, not when its pipes reach EOF (see below);
//! - reports a failure as [`Error::Failed`] with argv, status, stderr
//!   and, when a `--log` is configured, runsc's last logged error.
//!
//! ## When a call is over
//!
//! A call ends when runsc exits, not when its pipes reach EOF. runsc's sandbox
//! (and `exec --detach`'s process) inherits the stdout and stderr that runsc
//! was given, so a pipe that captures runsc's output gets no EOF until the
//! container exits; the Go client's `Create` waits for that EOF and hangs for
//! the container's whole life. Here, once the monitor reports runsc's exit,
//! the client reads what is already buffered in each pipe with non-blocking
//! reads and stops at the first `EWOULDBLOCK`. Nothing runsc wrote can be
//! missed that way: a write to a pipe has copied its bytes into the pipe
//! before it returns, and runsc exits only after its writes returned. No
//! grace period is involved, so nothing depends on timing. What the
//! container writes later goes into a pipe nobody reads; give an [`Io`] when
//! its output matters.
//!
//! ## runsc failed, or the process exited 128
//!
//! `run`, `exec` and `restore` (without `detach`) pass the container
//! process's exit code on as their own, and runsc exits 128 when it fails
//! itself, so 128 alone says nothing. runsc 20221219 gives these signals,
//! each checked against it:
//!
//! - every failure of its own (`Fatalf`) ends with the error on stderr,
//!   and, when `--log` is set, the same error appended to the log as a JSON
//!   entry of level `error`, whatever `--log-format` says;
//! - when it cannot open its `--log` (a missing directory, a directory, no
//!   permission) it writes a Go log line, `W1202 06:58:19.865473 2263
//!   util.go:64] FATAL ERROR: error opening log file ...`, then the error,
//!   to stderr; the log file is then not created;
//! - a command line it refuses starts stderr with Go's flag message
//!   (`flag provided but not defined: -x`), exit 128, nothing logged;
//! - it writes `--pid-file` once the process runs, never on failure;
//! - a process that exits 128 leaves the log empty and adds nothing to
//!   stderr.
//!
//! The client's rule for exit status 128, first match wins:
//!
//! 1. stderr was captured (no `Io` given) and holds a Go `FATAL ERROR:`
//!    log line or begins with Go's flag message: runsc failed;
//! 2. a `--log` is configured and runsc appended an error to it during the
//!    call (JSON entry of level error, fatal or panic; or a text line in Go's
//!    log shape of level `E`/`F`, or a `FATAL ERROR:` one): runsc failed;
//!    the log does not exist after the call: runsc failed;
//! 3. a pid file was asked for: runsc failed unless runsc wrote it during the
//!    call;
//! 4. a `--log` is configured (and holds no error from the call): the
//!    process exited 128;
//! 5. stderr was captured and is empty: the process exited 128, since runsc
//!    never fails without saying why on stderr;
//! 6. otherwise (output on stderr, or an `Io` given, and neither log nor pid
//!    file): runsc failed. Either may have written that stderr, and a
//!    failure must not read as success; configure `--log` or pass a pid file
//!    to have such a process reported as exit code 128.
//!
//! A failure is [`Error::Failed`] (see [`Error::is_runsc_failure`]). runsc
//! killed by a signal is always a failure; exit 2 with a Go panic's traceback
//! on the captured stderr is runsc crashing; any other code is the process's.
//! With `detach`, runsc exits once the process runs, so any failure status is
//! runsc's own.
//!
//!
//! ## Where this differs from the Go client
//!
//! - `events --interval` is sent as whole seconds (`--interval=2`); the Go
//!   client sends `--interval=2s`, which runsc rejects. Intervals under one
//!   second or with a fractional part are refused before anything runs.
//! - `create`, `start` and `exec --detach` return when runsc exits instead of
//!   waiting for EOF on pipes the sandbox keeps open.
//! - `events` reports runsc's failure and a stream cut mid-event as errors
//!   instead of closing silently.
//! - `run`, `exec` and `restore` report runsc's own failure as an error; the
//!   Go client's `Run` returns exit status 128 with no error for a bad
//!   bundle. See "runsc failed, or the process exited 128" above.
//! - `list` returns `None` for runsc's `null` and `Some` for a JSON array;
//!   the Go client decodes both into a nil-or-empty slice.
//! - `top` keeps an excerpt of a `ps` table it cannot parse.
//! - `exec --detach` without a pid file gets a private one: runsc 20221219,
//!   given `--detach` and no `--pid-file`, re-runs itself with `--pid-file`
//!   appended after the container id and fails with a usage message.
//! - Every call has an optional deadline, and cancellation kills runsc's
//!   whole process group.
//! - runsc gets a process group of its own by default (the Go client's
//!   `Setpgid` defaults to false), so that a deadline can kill everything it
//!   started; [`RunscBuilder::process_group`] turns that off.
//! - `Container` has `rootfs` and `created` as options: runsc prints
//!   neither, and the Go client's zero values (an empty path, the year 1)
//!   would read as real values.
//! - `wait` with a checkpoint or restore option is [`Runsc::wait_event`],
//!   returning `()`; the Go client's `WaitWithOptions` returns exit status 0
//!   for it, which would read as the container's exit.
//! - `restore` passes `--bundle` (the Go client's `Restore` takes no
//!   bundle); options the Go client lacks (`--bundle`,
//!   `kill --pgid`, `checkpoint --fs-checkpoint-paths`, ...) follow the ones
//!   it has.
//!
//! ## The Go client's features, here
//!
//! | Go client                           | here                                   |
//! |-------------------------------------|----------------------------------------|
//! | `IO` interface (`Set(*exec.Cmd)`)   | the [`Io`] trait ([`Io::set`])         |
//! | `NewPipeIO(uid, gid)`               | [`ProcessIo::piped_owned_by`]          |
//! | `NewNullIO`, inherited stdio        | [`ProcessIo::null`], [`ProcessIo::inherit`] |
//! | `Runsc.Setpgid`                     | [`RunscBuilder::process_group`]        |
//! | `Runsc.PdeathSignal`                | [`RunscBuilder::pdeath_signal`]        |
//! | `ProcessMonitor`                    | [`Monitor`]                            |
//! | `List` (`[]*Container`)             | [`Runsc::list`], `None` for `null`     |
//! | `WaitWithOptions`                   | [`Runsc::wait`], [`Runsc::wait_event`] |
//! | `Checkpoint`, `FSCheckpoint`        | [`Runsc::checkpoint`], [`Runsc::fscheckpoint`] |

#![warn(missing_docs)]

pub mod cli;
mod client;
mod error;
pub mod types;

pub use oci_spec;

pub use client::{
    Captured, CheckpointOpts, Console, ConsoleSocket, CreateOpts, DeleteOpts, EventStream,
    ExecOpts, ExecOutcome, ExitFuture, FsCheckpointOpts, Io, IoPipes, KillOpts, LoggingMonitor,
    Monitor, ProcessExit, ProcessIo, RestoreOpts, RunOpts, Runsc, RunscBuilder, TokioMonitor,
    WaitOpts, DEFAULT_COMMAND, DEFAULT_OUTPUT_LIMIT,
};
pub use error::{Error, DISPLAY_STDERR_LIMIT};
