//! Record mode: the fake sits in front of real runsc, forwards the call
//! (argv, stdin, the `--process` file is read by runsc itself), passes
//! stdout and stderr through as they come, ends as runsc ended (exit status
//! or signal), and appends what happened to a scenario as one step.
//!
//! Configured with `FAKE_RUNSC_RECORD=<scenario file>` and
//! `FAKE_RUNSC_REAL=<path of real runsc>`. Several recorder processes may
//! run at once: the scenario and its sidecar (`<scenario>.record`, the names
//! given to volatile values and a review log of every rewrite) are updated
//! under an exclusive `flock` on `<scenario>.lock`. Steps are ordered by the
//! time their call started, so a `wait` that blocked across a `kill` comes
//! before it, as the caller issued them.
//!
//! runsc's sandbox inherits the stdio runsc was given, so the recorder never
//! waits for end-of-file: it waits for runsc to exit and then takes what is
//! already in the pipes.

mod normalise;
mod sidecar;

use std::ffi::OsString;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use nix::fcntl::Flock;
use nix::sys::signal::{self, SigHandler, Signal};
use runsc::cli::{Invocation, Subcommand};
use serde::Deserialize;
use serde_json::Value;

use self::normalise::{Ending, RawCall, TimedChunk};
use self::sidecar::{lock_path, mark_overlaps, recorder_identity};
pub use self::sidecar::{sidecar_path, CallNote, Sidecar};
use crate::exit::EXIT_CONFIG;
use crate::scenario::Scenario;
use crate::signals;

/// Names the real runsc binary the recorder forwards to.
pub const ENV_REAL: &str = "FAKE_RUNSC_REAL";
/// How long to keep reading after runsc exited: its own last writes are
/// already in the pipe; anything later comes from the sandbox.
const AFTER_EXIT: Duration = Duration::from_millis(100);
/// How often the recorder looks at runsc while it runs.
const POLL: Duration = Duration::from_millis(20);
/// A call running longer than this is written provisionally (as "hangs
/// after this output") and rewritten with each new output and when it ends.
const PROVISIONAL_AFTER: Duration = Duration::from_millis(500);

/// Set to `1` to add to an existing recording made by another process
/// instead of starting the file afresh.
pub const ENV_APPEND: &str = "FAKE_RUNSC_RECORD_APPEND";

static CHILD: AtomicI32 = AtomicI32::new(0);
static FORWARDED: AtomicI32 = AtomicI32::new(0);

extern "C" fn forward(signal: i32) {
    FORWARDED.store(signal, Ordering::SeqCst);
    let child = CHILD.load(Ordering::SeqCst);
    if child > 0 {
        // SAFETY: kill(2) is async-signal-safe.
        unsafe {
            nix::libc::kill(child, signal);
        }
    }
}

fn install_forwarding() {
    for sig in signals::PROXIED {
        // SAFETY: the handler only stores to atomics and calls kill(2).
        unsafe {
            let _ = signal::signal(sig, SigHandler::Handler(forward));
        }
    }
}

fn unix_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

fn process_spec(invocation: &Invocation) -> Option<Value> {
    let Subcommand::Exec(exec) = &invocation.command else {
        return None;
    };
    serde_json::from_slice(&std::fs::read(exec.process.as_ref()?).ok()?).ok()
}

#[derive(Clone, Copy)]
enum Stream {
    Out,
    Err,
}

/// What one call of real runsc produced.
struct Observed {
    stdout: Vec<TimedChunk>,
    stderr: Vec<TimedChunk>,
    ending: Ending,
    wall_ms: u64,
}

fn pump(
    mut from: impl Read + Send + 'static,
    stream: Stream,
    started: Instant,
    tx: mpsc::Sender<(Stream, TimedChunk)>,
) {
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match from.read(&mut buf) {
                Ok(0) => return,
                Ok(n) => {
                    let at_ms = started.elapsed().as_millis() as u64;
                    let chunk = TimedChunk {
                        at_ms,
                        data: buf[..n].to_vec(),
                    };
                    if tx.send((stream, chunk)).is_err() {
                        return;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return,
            }
        }
    });
}

/// Takes what runsc left in its pipes, until both close or `deadline`.
fn drain(
    rx: &mpsc::Receiver<(Stream, TimedChunk)>,
    deadline: Instant,
    stdout: &mut Vec<TimedChunk>,
    stderr: &mut Vec<TimedChunk>,
) {
    while let Ok((stream, chunk)) =
        rx.recv_timeout(deadline.saturating_duration_since(Instant::now()))
    {
        pass_through(&stream, &chunk.data);
        match stream {
            Stream::Out => stdout.push(chunk),
            Stream::Err => stderr.push(chunk),
        }
    }
}

/// Passes output on to the caller.
fn pass_through(stream: &Stream, data: &[u8]) {
    let _ = match stream {
        Stream::Out => std::io::stdout()
            .write_all(data)
            .and_then(|()| std::io::stdout().flush()),
        Stream::Err => std::io::stderr().write_all(data),
    };
}

/// Calls real runsc, passing its output through. Once a call has run for
/// [`PROVISIONAL_AFTER`], `provisional` gets what it wrote so far, again
/// before each new output is passed on, so a call the caller kills with
/// `SIGKILL` (as a client dropping an event stream does) is still recorded.
fn call_real(
    real: &Path,
    args: &[OsString],
    mut provisional: impl FnMut(&[TimedChunk], &[TimedChunk], u64),
) -> Result<Observed, String> {
    install_forwarding();
    let started = Instant::now();
    let mut child = real_command(real)
        .args(args)
        .stdin(Stdio::inherit())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            format!(
                "cannot start real runsc {}: {e}; check {ENV_REAL}",
                real.display()
            )
        })?;
    CHILD.store(child.id() as i32, Ordering::SeqCst);
    if FORWARDED.load(Ordering::SeqCst) != 0 {
        forward(FORWARDED.load(Ordering::SeqCst));
    }
    let (tx, rx) = mpsc::channel();
    if let Some(out) = child.stdout.take() {
        pump(out, Stream::Out, started, tx.clone());
    }
    if let Some(err) = child.stderr.take() {
        pump(err, Stream::Err, started, tx.clone());
    }
    drop(tx);
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let mut written: Option<usize> = None;
    let mut open = true;
    let status = loop {
        if let Some(status) = child
            .try_wait()
            .map_err(|e| format!("cannot wait for real runsc: {e}"))?
        {
            break status;
        }
        let received = if open {
            match rx.recv_timeout(POLL) {
                Ok(received) => Some(received),
                Err(mpsc::RecvTimeoutError::Timeout) => None,
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    open = false;
                    None
                }
            }
        } else {
            std::thread::sleep(POLL);
            None
        };
        if let Some((stream, chunk)) = &received {
            match stream {
                Stream::Out => stdout.push(chunk.clone()),
                Stream::Err => stderr.push(chunk.clone()),
            }
        }
        // Written before the output is passed on: a caller that kills the
        // call as soon as it has read something must find it recorded.
        let seen = stdout.len() + stderr.len();
        let long = started.elapsed() >= PROVISIONAL_AFTER;
        let due = match written {
            None => long,
            Some(count) => long && count != seen,
        };
        if due {
            provisional(&stdout, &stderr, started.elapsed().as_millis() as u64);
            written = Some(seen);
        }
        if let Some((stream, chunk)) = received {
            pass_through(&stream, &chunk.data);
        }
    };
    let wall_ms = started.elapsed().as_millis() as u64;
    let deadline = Instant::now() + AFTER_EXIT;
    if open {
        drain(&rx, deadline, &mut stdout, &mut stderr);
    }
    use std::os::unix::process::ExitStatusExt;
    let ending = match (status.code(), status.signal()) {
        (Some(code), _) => Ending::Exit(code),
        (None, Some(signal)) => Ending::Signal {
            signal,
            forwarded: FORWARDED.load(Ordering::SeqCst) == signal,
        },
        (None, None) => Ending::Exit(128),
    };
    Ok(Observed {
        stdout,
        stderr,
        ending,
        wall_ms,
    })
}

/// Ends this process as runsc ended.
fn end_like(ending: Ending) -> i32 {
    match ending {
        Ending::Exit(code) => code,
        Ending::Signal { signal, .. } => signals::die_of(signal),
    }
}

/// A command for real runsc without the fake's configuration, so a fake
/// standing in for real runsc (as in tests) does not record again.
fn real_command(real: &Path) -> Command {
    let mut command = Command::new(real);
    command
        .env_remove(crate::config::ENV_RECORD)
        .env_remove(ENV_REAL)
        .env_remove(crate::config::ENV_SCENARIO)
        .env_remove(crate::config::ENV_SESSION);
    command
}

/// The runsc version as the corpus names it (`20221219`), from `runsc
/// --version`; `None` when it does not answer within a few seconds.
pub fn real_version(real: &Path) -> Option<String> {
    // A file, not a pipe: a process runsc leaves behind may hold a pipe open.
    let mut out = tempfile::tempfile().ok()?;
    let mut child = real_command(real)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::from(out.try_clone().ok()?))
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let deadline = Instant::now() + Duration::from_secs(5);
    while child.try_wait().ok()?.is_none() {
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(POLL);
    }
    let mut text = String::new();
    std::io::Seek::rewind(&mut out).ok()?;
    out.read_to_string(&mut text).ok()?;
    let word = text.lines().next()?.strip_prefix("runsc version ")?.trim();
    let release = word.rsplit('~').next().unwrap_or(word);
    Some(release.split('.').next().unwrap_or(release).to_owned())
}

fn read_json<T: for<'de> Deserialize<'de> + Default>(path: &Path, what: &str) -> Result<T, String> {
    match std::fs::read(path) {
        Ok(bytes) if bytes.is_empty() => Ok(T::default()),
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
            format!(
                "the {what} {} is not valid ({e}); remove it to start a new recording",
                path.display()
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(T::default()),
        Err(e) => Err(format!("cannot read the {what} {}: {e}", path.display())),
    }
}

fn write_atomically(path: &Path, text: &str) -> Result<(), String> {
    crate::shared_file::replace(path, text.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn lock(output: &Path) -> Result<Flock<File>, String> {
    crate::shared_file::lock(&lock_path(output))
        .map_err(|e| format!("cannot lock the recording {}: {e}", output.display()))
}

/// Adds one call to the recording at `output` (under the lock).
pub fn append(
    output: &Path,
    real: &Path,
    call: Option<RawCall>,
    mut note: CallNote,
) -> Result<(), String> {
    let _guard = lock(output)?;
    let mut sidecar: Sidecar = read_json(&sidecar_path(output), "recording sidecar")?;
    let identity = recorder_identity();
    let appending = std::env::var_os(ENV_APPEND).is_some_and(|v| v == "1");
    let fresh = !appending && sidecar.recorder.as_deref() != Some(identity.as_str());
    if fresh {
        sidecar = Sidecar {
            recorder: Some(identity),
            ..Sidecar::default()
        };
        match std::fs::remove_file(output) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(format!(
                    "cannot start the recording {} afresh: {e}",
                    output.display()
                ))
            }
        }
    }
    let Some(call) = call else {
        sidecar.unrecorded.push(note);
        return write_atomically(&sidecar_path(output), &to_json(&sidecar));
    };
    let mut scenario = match std::fs::read(output) {
        Ok(bytes) if !bytes.is_empty() => Scenario::from_json(&bytes).map_err(|e| {
            format!(
                "the recording {} is not a valid scenario ({e}); remove it or choose another {}",
                output.display(),
                crate::config::ENV_RECORD
            )
        })?,
        Ok(_) => Scenario::new(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Scenario::new(),
        Err(e) => {
            return Err(format!(
                "cannot read the recording {}: {e}",
                output.display()
            ))
        }
    };
    if scenario.runsc_version.is_none() {
        scenario.runsc_version = real_version(real);
    }
    let normalised = normalise::normalise(&call, &mut sidecar.names)?;
    note.notes = normalised.notes;
    let described = sidecar.steps.len() == scenario.steps.len();
    if let Some(k) = sidecar
        .steps
        .iter()
        .position(|s| s.call == note.call)
        .filter(|_| described)
    {
        scenario.steps[k] = normalised.step;
        sidecar.steps[k] = note;
        mark_overlaps(&mut scenario, &sidecar.steps);
        write_atomically(output, &format!("{}\n", scenario.to_json()))?;
        return write_atomically(&sidecar_path(output), &to_json(&sidecar));
    }
    // Ordered by start time while the sidecar describes every step; after a
    // hand edit it no longer does, and new steps go last.
    let at = if described {
        sidecar
            .steps
            .iter()
            .take_while(|s| s.started_unix_ns <= note.started_unix_ns)
            .count()
    } else {
        scenario.steps.len()
    };
    scenario.steps.insert(at, normalised.step);
    let note_at = at.min(sidecar.steps.len());
    sidecar.steps.insert(note_at, note);
    mark_overlaps(&mut scenario, &sidecar.steps);
    write_atomically(output, &format!("{}\n", scenario.to_json()))?;
    write_atomically(&sidecar_path(output), &to_json(&sidecar))
}

fn to_json(sidecar: &Sidecar) -> String {
    format!(
        "{}\n",
        serde_json::to_string_pretty(sidecar).unwrap_or_default()
    )
}

fn argv_strings(args: &[OsString]) -> Vec<String> {
    args.iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect()
}

fn text_of(chunks: &[TimedChunk]) -> String {
    String::from_utf8_lossy(
        &chunks
            .iter()
            .flat_map(|c| c.data.iter().copied())
            .collect::<Vec<u8>>(),
    )
    .into_owned()
}

/// Runs one call through real runsc and records it in `output`;
/// `invocation` is `None` when the fake itself refuses the argv (the call is
/// still forwarded, and noted in the sidecar, but becomes no step: the fake
/// answers such argv without a scenario). Returns the exit status to use.
pub fn run(args: &[OsString], invocation: Option<&Invocation>, output: &Path) -> i32 {
    let real = match std::env::var_os(ENV_REAL).filter(|v| !v.is_empty()) {
        Some(real) => PathBuf::from(real),
        None => {
            let _ = writeln!(
                std::io::stderr(),
                "fake-runsc: record mode ({} = {}) needs {ENV_REAL}, the path of real runsc (e.g. /usr/bin/runsc)",
                crate::config::ENV_RECORD,
                output.display()
            );
            return EXIT_CONFIG;
        }
    };
    let started_unix_ns = unix_ns();
    let spec = invocation.and_then(process_spec);
    let note = |wall_ms: u64, ending: Ending| CallNote {
        call: format!("{}-{started_unix_ns}", std::process::id()),
        argv: argv_strings(args),
        started_unix_ns,
        wall_ms,
        ending,
        notes: Vec::new(),
        output: None,
    };
    let raw = |stdout: &[TimedChunk], stderr: &[TimedChunk], ending: Ending| {
        invocation.map(|invocation| RawCall {
            invocation: invocation.clone(),
            process_spec: spec.clone(),
            pid_file: invocation
                .command
                .pid_file()
                .and_then(|p| std::fs::read_to_string(p).ok()),
            stdout: stdout.to_vec(),
            stderr: stderr.to_vec(),
            ending,
        })
    };
    // Until runsc ends, the call is recorded as one the caller ended.
    let killed = Ending::Signal {
        signal: Signal::SIGKILL as i32,
        forwarded: true,
    };
    let provisional = |stdout: &[TimedChunk], stderr: &[TimedChunk], wall_ms: u64| {
        if let Some(call) = raw(stdout, stderr, killed) {
            let _ = append(output, &real, Some(call), note(wall_ms, killed));
        }
    };
    let observed = match call_real(&real, args, provisional) {
        Ok(observed) => observed,
        Err(message) => {
            let _ = writeln!(std::io::stderr(), "fake-runsc: {message}");
            return EXIT_CONFIG;
        }
    };
    let mut note = note(observed.wall_ms, observed.ending);
    let call = raw(&observed.stdout, &observed.stderr, observed.ending);
    if call.is_none() {
        note.notes.push(
            "not a step: the fake refuses this argv itself, as runsc does, without a scenario"
                .to_owned(),
        );
        note.output = Some((text_of(&observed.stdout), text_of(&observed.stderr)));
    }
    if let Err(message) = append(output, &real, call, note) {
        let _ = writeln!(std::io::stderr(), "fake-runsc: recording failed: {message}");
    }
    end_like(observed.ending)
}
