//! Carrying out a step's reply: delays, side effects runsc has (pid file,
//! `--log` lines, the console socket), timed output, faults, and the way the
//! process ends (exit status, death by signal, or hanging until killed).

use std::fs::OpenOptions;
use std::io::{IoSlice, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::sys::socket::{sendmsg, ControlMessage, MsgFlags};
use runsc::cli::{Invocation, Subcommand};
use serde_json::Value;

use crate::exit::EXIT_CONFIG;
use crate::matching::{render_template, Captures};
use crate::scenario::{Chunk, Fault, PidFile, PidFileWord, SignalSpec, Step};
use crate::session::Session;
use crate::signals;

/// Everything needed to answer one matched call.
pub struct Plan<'a> {
    /// The matched step.
    pub step: &'a Step,
    /// The call.
    pub invocation: &'a Invocation,
    /// Captures visible to templates.
    pub captures: &'a Captures,
    /// Which call of the step this is, from 1.
    pub call: u32,
    /// The session (for live pids).
    pub session: &'a Session,
    /// Called with the exit status just before the process ends.
    pub before_exit: &'a dyn Fn(i32),
}

/// The payload runsc sends with the pty master over `--console-socket`.
pub const CONSOLE_PAYLOAD: &[u8] = b"pty-master";

const HUGE_CHUNK: usize = 64 * 1024;

/// The most bytes a `garbage` or `huge-stderr` fault may ask for: 16 GiB,
/// far more than any reader test needs, and written in 64 KiB blocks so the
/// fake's memory stays flat whatever the size.
pub const MAX_FAULT_BYTES: u64 = 16 << 30;

/// The longest wait a step may ask for (`delay_ms`, a chunk's `after_ms`,
/// `slow-start`'s `delay_ms`): one hour. A test that wants a call that never
/// ends says `"hang": true` or uses the `hang` fault.
pub const MAX_DELAY_MS: u64 = 3_600_000;

/// Signals whose default action does not end a process: ignored (SIGCHLD,
/// SIGURG, SIGWINCH), continue (SIGCONT), or stop (SIGSTOP, SIGTSTP,
/// SIGTTIN, SIGTTOU). A fake "killed" by one would exit normally, or stop
/// for good, while the journal records a death.
const NOT_ENDING: &[i32] = &[17, 18, 19, 20, 21, 22, 23, 28];

/// What in a step's reply the fake cannot carry out as written, one
/// sentence each; `fake-runsc check` reports them, and a call that matches
/// such a step fails with them instead of answering.
pub fn reply_problems(step: &Step) -> Vec<String> {
    let reply = &step.reply;
    let mut problems = Vec::new();
    let mut delay = |what: &str, ms: u64| {
        if ms > MAX_DELAY_MS {
            problems.push(format!(
                "{what} {ms} is over the limit of {MAX_DELAY_MS} ms; use \"hang\": true for a call that never ends"
            ));
        }
    };
    delay("delay_ms", reply.delay_ms);
    for chunk in reply.stdout.chunks().iter().chain(&reply.stderr.chunks()) {
        delay("after_ms", chunk.after_ms);
    }
    let fault = step.fault.as_ref().map(|f| f.resolve());
    if let Some(Fault::SlowStart { delay_ms }) = &fault {
        delay("slow-start delay_ms", *delay_ms);
    }
    let size = match &fault {
        Some(Fault::Garbage { bytes }) => Some(("garbage", *bytes as u64)),
        Some(Fault::HugeStderr { bytes }) => Some(("huge-stderr", *bytes)),
        _ => None,
    };
    if let Some((name, bytes)) = size.filter(|(_, bytes)| *bytes > MAX_FAULT_BYTES) {
        problems.push(format!(
            "{name} bytes {bytes} is over the limit of {MAX_FAULT_BYTES}"
        ));
    }
    let signals = [
        ("reply signal", reply.signal.as_ref()),
        (
            "fault signal",
            match &fault {
                Some(Fault::Killed { signal }) => Some(signal),
                _ => None,
            },
        ),
    ];
    for (what, signal) in signals {
        if let Some(number) = signal.and_then(SignalSpec::number) {
            if NOT_ENDING.contains(&number) {
                problems.push(format!(
                    "{what} {} does not end a process (it is ignored, continues or stops one); \
                     use a signal that kills, such as SIGKILL or SIGTERM",
                    signal.map(ToString::to_string).unwrap_or_default()
                ));
            }
        }
    }
    problems
}

/// Answers the call; returns the exit status unless the process dies by a
/// signal or hangs.
pub fn perform(plan: &Plan<'_>) -> i32 {
    let reply = &plan.step.reply;
    let problems = reply_problems(plan.step);
    if !problems.is_empty() {
        let text: String = problems
            .iter()
            .map(|p| format!("fake-runsc: the matched step cannot be carried out: {p}; `fake-runsc check` reports this\n"))
            .collect();
        write_stream(2, text.as_bytes());
        (plan.before_exit)(EXIT_CONFIG);
        return EXIT_CONFIG;
    }
    let fault = plan.step.fault.as_ref().map(|f| f.resolve());
    let render = |text: &str| render_template(text, plan.captures);
    if let Some(Fault::NthCallFails { n, exit, stderr }) = &fault {
        if *n == plan.call {
            write_stream(2, render(stderr).as_bytes());
            (plan.before_exit)(*exit);
            return *exit;
        }
    }
    if let Some(Fault::SlowStart { delay_ms }) = &fault {
        std::thread::sleep(Duration::from_millis(*delay_ms));
    }
    std::thread::sleep(Duration::from_millis(reply.delay_ms));
    if let Some(Fault::Hang {}) = &fault {
        hang();
    }
    let killed_by = match &fault {
        Some(Fault::Killed { signal }) => Some(signal.clone()),
        _ => reply.signal.clone(),
    };
    let succeeds = reply.succeeds() && killed_by.is_none();
    let mut problems = Vec::new();
    if let Err(e) = side_effects(plan, succeeds) {
        problems.push(e);
    }
    if let Some(Fault::HugeStderr { bytes }) = &fault {
        huge_stderr(*bytes);
    }
    let mut stdout = render_chunks(&reply.stdout.chunks(), plan.captures);
    let stderr = render_chunks(&reply.stderr.chunks(), plan.captures);
    match &fault {
        Some(Fault::TruncatedJson { keep_bytes }) => stdout = truncated(&stdout, *keep_bytes, plan),
        Some(Fault::Garbage { bytes }) => {
            // The garbage replaces stdout and comes first, as a chunk at 0 ms
            // would; it is streamed, never held whole.
            stdout.clear();
            garbage(*bytes as u64, |block| crate::stdout::write(block).is_ok());
        }
        Some(Fault::StreamCut {}) => stdout = cut_stream(stdout, plan),
        _ => {}
    }
    write_timeline(&stdout, &stderr);
    for problem in problems {
        write_stream(2, format!("fake-runsc: {problem}\n").as_bytes());
    }
    if reply.hang {
        hang();
    }
    if let Some(spec) = killed_by {
        return die_by(&spec, plan.before_exit);
    }
    (plan.before_exit)(reply.exit);
    reply.exit
}

fn render_chunks(chunks: &[Chunk], captures: &Captures) -> Vec<(u64, Vec<u8>)> {
    chunks
        .iter()
        .map(|c| (c.after_ms, render_template(&c.data, captures).into_bytes()))
        .collect()
}

fn id_of(plan: &Plan<'_>) -> String {
    plan.invocation
        .command
        .id()
        .map(|id| id.as_str().to_owned())
        .unwrap_or_default()
}

fn truncated(
    stdout: &[(u64, Vec<u8>)],
    keep: Option<usize>,
    plan: &Plan<'_>,
) -> Vec<(u64, Vec<u8>)> {
    let mut all: Vec<u8> = stdout.iter().flat_map(|(_, d)| d.clone()).collect();
    if all.is_empty() {
        all = format!(
            "{{\"ociVersion\":\"1.0.0\",\"id\":\"{}\",\"status\":\"running\",\"pid\":4242,\"bundle\":\"/bundle\"}}\n",
            id_of(plan)
        )
        .into_bytes();
    }
    let keep = keep
        .unwrap_or(all.len() / 2)
        .min(all.len().saturating_sub(1));
    all.truncate(keep);
    vec![(stdout.first().map_or(0, |(after, _)| *after), all)]
}

/// Hands `bytes` of garbage to `sink` in blocks of at most [`HUGE_CHUNK`],
/// stopping early when `sink` says the reader went away.
fn garbage(bytes: u64, mut sink: impl FnMut(&[u8]) -> bool) {
    const PATTERN: &[u8] = b"\xff\xfe<garbage>\x00\x1b[31m}{\x80not json\xc3(";
    let block: Vec<u8> = PATTERN.iter().copied().cycle().take(HUGE_CHUNK).collect();
    // Blocks start where the pattern does, so the stream is one repetition.
    let step = HUGE_CHUNK - HUGE_CHUNK % PATTERN.len();
    let mut left = bytes;
    while left > 0 {
        let n = left.min(step as u64) as usize;
        if !sink(&block[..n]) {
            return;
        }
        left -= n as u64;
    }
}

fn cut_stream(mut stdout: Vec<(u64, Vec<u8>)>, plan: &Plan<'_>) -> Vec<(u64, Vec<u8>)> {
    if stdout.is_empty() {
        stdout.push((
            0,
            format!(
                "{{\"type\":\"stats\",\"id\":\"{}\",\"data\":{{\"cpu\":{{\"usage\":{{\"total\":1}}}},\"memory\":{{\"usage\":{{\"usage\":4096}}}}}}}}\n",
                id_of(plan)
            )
            .into_bytes(),
        ));
    }
    if let Some((_, last)) = stdout.last_mut() {
        let body_end = last.strip_suffix(b"\n").map_or(last.len(), <[u8]>::len);
        let line_start = last[..body_end]
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |p| p + 1);
        let cut = line_start + (body_end - line_start) / 2;
        last.truncate(cut.max(line_start + 1).min(last.len()));
    }
    stdout
}

fn write_stream(fd: i32, data: &[u8]) {
    let result = if fd == 1 {
        crate::stdout::write(data)
    } else {
        std::io::stderr().lock().write_all(data)
    };
    // A reader that went away is the caller's business, as with runsc.
    let _ = result;
}

/// Writes both streams' chunks in time order; `after_ms` counts from the
/// previous chunk of the same stream.
fn write_timeline(stdout: &[(u64, Vec<u8>)], stderr: &[(u64, Vec<u8>)]) {
    let mut events: Vec<(u64, i32, &[u8])> = Vec::new();
    for (fd, chunks) in [(1, stdout), (2, stderr)] {
        let mut at = 0u64;
        for (after, data) in chunks {
            at = at.saturating_add(*after);
            events.push((at, fd, data));
        }
    }
    events.sort_by_key(|(at, fd, _)| (*at, *fd));
    let start = Instant::now();
    for (at, fd, data) in events {
        let due = Duration::from_millis(at);
        let elapsed = start.elapsed();
        if due > elapsed {
            std::thread::sleep(due - elapsed);
        }
        write_stream(fd, data);
    }
}

fn huge_stderr(bytes: u64) {
    let line = b"fake-runsc: huge-stderr fault: this line repeats to fill stderr ........\n";
    let block: Vec<u8> = line.iter().copied().cycle().take(HUGE_CHUNK).collect();
    let mut err = std::io::stderr().lock();
    let mut left = bytes;
    while left > 0 {
        let n = left.min(HUGE_CHUNK as u64) as usize;
        if err.write_all(&block[..n]).is_err() {
            return;
        }
        left -= n as u64;
    }
}

fn hang() -> ! {
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

fn die_by(spec: &SignalSpec, before_exit: &dyn Fn(i32)) -> i32 {
    let Some(number) = spec.number() else {
        write_stream(
            2,
            format!("fake-runsc: {spec} is not a signal\n").as_bytes(),
        );
        before_exit(EXIT_CONFIG);
        return EXIT_CONFIG;
    };
    before_exit(signals::signaled(number));
    signals::die_of(number)
}

fn console_socket_of(invocation: &Invocation) -> Option<&PathBuf> {
    match &invocation.command {
        Subcommand::Create(o) => o.console_socket.as_ref(),
        Subcommand::Run(o) => o.console_socket.as_ref(),
        Subcommand::Exec(o) => o.console_socket.as_ref(),
        Subcommand::Restore(o) => o.console_socket.as_ref(),
        _ => None,
    }
}

fn side_effects(plan: &Plan<'_>, succeeds: bool) -> Result<(), String> {
    let reply = &plan.step.reply;
    if let Some(path) = plan.invocation.command.pid_file() {
        let pid = match reply.pid_file {
            PidFile::Word(PidFileWord::None) => None,
            PidFile::Word(PidFileWord::Auto) => succeeds.then(|| std::process::id() as i32),
            PidFile::Word(PidFileWord::Live) => Some(spawn_live(plan.session)?),
            PidFile::Fixed { pid } => Some(pid),
        };
        if let Some(pid) = pid {
            std::fs::write(path, pid.to_string())
                .map_err(|e| format!("cannot write the pid file {}: {e}", path.display()))?;
        }
    }
    if let Some(log) = &plan.invocation.global.log {
        append_log(log, &reply.log, plan.captures)?;
    }
    if let Some(socket) = console_socket_of(plan.invocation) {
        if reply.console.unwrap_or(succeeds) {
            send_console(
                socket,
                reply
                    .tty
                    .as_deref()
                    .map(|t| render_template(t, plan.captures)),
            )?;
        }
    }
    Ok(())
}

/// Appends the step's lines to `--log`. runsc creates its log on every call,
/// so the file is made even when there is nothing to write; a file that
/// cannot be made is then the step's own business (its stderr says so).
fn append_log(path: &Path, lines: &[Value], captures: &Captures) -> Result<(), String> {
    if lines.is_empty() {
        let _ = OpenOptions::new().create(true).append(true).open(path);
        return Ok(());
    }
    let mut text = String::new();
    for line in lines {
        match line {
            Value::String(s) => text.push_str(&render_template(s, captures)),
            other => text.push_str(&render_template(&other.to_string(), captures)),
        }
        text.push('\n');
    }
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| format!("cannot append to the --log file {}: {e}", path.display()))
}

fn send_console(socket: &Path, tty: Option<String>) -> Result<(), String> {
    let pty = nix::pty::openpty(None, None).map_err(|e| format!("cannot open a pty: {e}"))?;
    let stream = UnixStream::connect(socket).map_err(|e| {
        format!(
            "cannot connect to the console socket {}: {e}",
            socket.display()
        )
    })?;
    let fds = [pty.master.as_raw_fd()];
    let cmsg = [ControlMessage::ScmRights(&fds)];
    sendmsg::<()>(
        stream.as_raw_fd(),
        &[IoSlice::new(CONSOLE_PAYLOAD)],
        &cmsg,
        MsgFlags::empty(),
        None,
    )
    .map_err(|e| format!("cannot send the pty master over {}: {e}", socket.display()))?;
    if let Some(text) = tty {
        let mut terminal = std::fs::File::from(pty.slave);
        terminal
            .write_all(text.as_bytes())
            .map_err(|e| format!("cannot write to the pty: {e}"))?;
    }
    Ok(())
}

/// Starts a process that lives until killed, detached from the caller's
/// stdio so nobody waits on it for EOF; its pid goes to the session so the
/// test can kill it.
fn spawn_live(session: &Session) -> Result<i32, String> {
    let child = std::process::Command::new("sleep")
        .arg("infinity")
        .process_group(0)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start a live process for the pid file: {e}"))?;
    let pid = child.id() as i32;
    session.record_live_pid(pid).map_err(|e| e.to_string())?;
    Ok(pid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_streams_in_bounded_blocks_and_repeats_its_pattern() {
        let mut total = 0u64;
        let mut largest = 0usize;
        let mut first = Vec::new();
        garbage(1_000_003, |block| {
            if first.is_empty() {
                first = block[..64].to_vec();
            }
            total += block.len() as u64;
            largest = largest.max(block.len());
            true
        });
        assert_eq!(total, 1_000_003);
        assert!(largest <= HUGE_CHUNK);
        assert!(first.starts_with(b"\xff\xfe<garbage>"));
    }

    #[test]
    fn garbage_stops_when_the_reader_goes_away() {
        let mut calls = 0;
        garbage(u64::MAX, |_| {
            calls += 1;
            calls < 3
        });
        assert_eq!(calls, 3);
    }
}
