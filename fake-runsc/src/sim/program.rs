//! What a simulated process does, derived from its argv (and, for a
//! container's init process, from annotations in `config.json`).
//!
//! Known commands: `echo ARGS...` prints its arguments; `true` and `false`
//! exit 0 and 1; `sleep N` lasts N seconds; `sh -c SCRIPT` (also `bash`,
//! `/bin/sh`) runs a script of those commands joined by `;`, `&&`, `||` or
//! newlines, plus `exit N` and `>&2` redirections. `sleep` reads its
//! operands as GNU sleep does (`infinity`, `1.5m`, `0x10`). Anything else
//! cannot be played: [`unplayable`] names it, and `start`/`exec` refuse it.
//!
//! Annotations override the argv for any command:
//! - [`ANNOTATION_STDOUT`] / [`ANNOTATION_STDERR`]: text written at start;
//! - [`ANNOTATION_DURATION_MS`]: simulated milliseconds before it exits
//!   (`forever` runs until killed);
//! - [`ANNOTATION_EXIT_CODE`]: its exit status (0 to 255).
//!
//! When any of them is present the argv is not interpreted at all; missing
//! ones default to no output, no delay and exit status 0.

use std::collections::BTreeMap;
use std::time::Duration;

/// Annotation: the exit status of the container's process.
pub const ANNOTATION_EXIT_CODE: &str = "dev.fake-runsc.exit-code";
/// Annotation: what the container's process writes to stdout when it starts.
pub const ANNOTATION_STDOUT: &str = "dev.fake-runsc.stdout";
/// Annotation: what the container's process writes to stderr when it starts.
pub const ANNOTATION_STDERR: &str = "dev.fake-runsc.stderr";
/// Annotation: how long (simulated milliseconds, or `forever`) the process runs.
pub const ANNOTATION_DURATION_MS: &str = "dev.fake-runsc.duration-ms";

/// Where output goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// One thing a simulated process does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Writes bytes.
    Write(Stream, Vec<u8>),
    /// Lets simulated time pass.
    Sleep(Duration),
    /// Sets the status the process exits with if nothing else follows.
    Status(i32),
    /// Exits now with a status.
    Exit(i32),
    /// Runs until killed.
    Forever,
}

/// The whole behaviour of one simulated process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    /// Steps in order; the process exits with the last status when they run out.
    pub steps: Vec<Step>,
}

impl Program {
    /// Builds the behaviour of `args`, letting `annotations` override it.
    pub fn from_spec(
        args: &[String],
        annotations: &BTreeMap<String, String>,
    ) -> Result<Self, String> {
        if has_annotations(annotations) {
            return from_annotations(annotations);
        }
        Ok(Self {
            steps: command(args),
        })
    }
}

/// Whether `annotations` hold any of the simulated-program annotations.
pub fn has_annotations(annotations: &BTreeMap<String, String>) -> bool {
    [
        ANNOTATION_EXIT_CODE,
        ANNOTATION_STDOUT,
        ANNOTATION_STDERR,
        ANNOTATION_DURATION_MS,
    ]
    .iter()
    .any(|k| annotations.contains_key(*k))
}

/// The command of `args` the simulator cannot play, if any: a program
/// outside its small language, or a shell script it cannot follow. Such a
/// process fails at `start`/`exec` instead of running until killed.
pub fn unplayable(args: &[String]) -> Option<String> {
    let first = args.first()?;
    match basename(first) {
        "echo" | "true" | ":" | "false" | "sleep" | "exit" => None,
        "sh" | "bash" | "dash" | "ash" if args.get(1).map(String::as_str) == Some("-c") => {
            let script = args.get(2)?;
            let Some(commands) = split_script(script) else {
                return Some(format!("{first} -c {script:?}"));
            };
            commands
                .into_iter()
                .find_map(|(_, words)| unplayable(&redirect(words).0))
        }
        _ => Some(first.clone()),
    }
}

/// The message for a command the simulator cannot play.
pub fn unplayable_message(command: &str) -> String {
    format!(
        "fake-runsc: simulated processes ({}=simulated, or a dev.fake-runsc.* annotation) \
         cannot play {command:?}; they know echo, true, false, sleep, exit and sh -c scripts \
         of those; run real processes instead (unset {} and the annotations)",
        super::real::PROCESSES_ENV,
        super::real::PROCESSES_ENV
    )
}

fn from_annotations(annotations: &BTreeMap<String, String>) -> Result<Program, String> {
    let mut steps = Vec::new();
    if let Some(text) = annotations.get(ANNOTATION_STDOUT) {
        steps.push(Step::Write(Stream::Stdout, text.as_bytes().to_vec()));
    }
    if let Some(text) = annotations.get(ANNOTATION_STDERR) {
        steps.push(Step::Write(Stream::Stderr, text.as_bytes().to_vec()));
    }
    match annotations.get(ANNOTATION_DURATION_MS).map(|s| s.trim()) {
        None => {}
        Some("forever") => steps.push(Step::Forever),
        Some(ms) => match ms.parse::<u64>() {
            Ok(ms) => steps.push(Step::Sleep(Duration::from_millis(ms))),
            Err(_) => {
                return Err(format!(
                    "annotation {ANNOTATION_DURATION_MS}={ms:?} is not a number of milliseconds or \"forever\""
                ))
            }
        },
    }
    if let Some(code) = annotations.get(ANNOTATION_EXIT_CODE) {
        match code.trim().parse::<u8>() {
            Ok(code) => steps.push(Step::Exit(i32::from(code))),
            Err(_) => {
                return Err(format!(
                    "annotation {ANNOTATION_EXIT_CODE}={code:?} is not an exit status from 0 to 255"
                ))
            }
        }
    }
    Ok(Program { steps })
}

/// How many child processes a process forks while it runs: a shell running
/// more than one command forks one for each external command (`sleep`);
/// a lone command is executed in place of the shell.
pub fn forked_children(args: &[String]) -> Vec<String> {
    let is_shell = matches!(
        args.first().map(|a| basename(a)),
        Some("sh" | "bash" | "dash" | "ash")
    ) && args.get(1).map(String::as_str) == Some("-c");
    let Some(commands) = args
        .get(2)
        .filter(|_| is_shell)
        .and_then(|s| split_script(s))
    else {
        return Vec::new();
    };
    if commands.len() < 2 {
        return Vec::new();
    }
    commands
        .iter()
        .filter_map(|(_, words)| words.first())
        .filter(|w| !matches!(basename(w), "echo" | "true" | "false" | ":" | "exit"))
        .map(|w| basename(w).to_owned())
        .collect()
}

fn basename(arg: &str) -> &str {
    arg.rsplit('/').next().unwrap_or(arg)
}

/// Steps for one command with its arguments.
fn command(args: &[String]) -> Vec<Step> {
    let Some(first) = args.first() else {
        return vec![Step::Forever];
    };
    let rest = &args[1..];
    match basename(first) {
        "echo" => echo(rest),
        "true" | ":" => vec![Step::Status(0)],
        "false" => vec![Step::Status(1)],
        "sleep" => sleep(rest),
        "exit" => {
            let code = rest
                .first()
                .and_then(|c| c.parse::<i64>().ok())
                .unwrap_or(0);
            vec![Step::Exit(code.rem_euclid(256) as i32)]
        }
        "sh" | "bash" | "dash" | "ash" if rest.first().map(String::as_str) == Some("-c") => {
            match rest.get(1) {
                Some(script) => shell(script),
                None => vec![
                    Step::Write(
                        Stream::Stderr,
                        format!("{first}: 0: -c requires an argument\n").into_bytes(),
                    ),
                    Step::Status(2),
                ],
            }
        }
        _ => vec![Step::Forever],
    }
}

fn echo(args: &[String]) -> Vec<Step> {
    let (newline, words) = match args.first().map(String::as_str) {
        Some("-n") => (false, &args[1..]),
        _ => (true, args),
    };
    let mut text = words.join(" ");
    if newline {
        text.push('\n');
    }
    vec![
        Step::Write(Stream::Stdout, text.into_bytes()),
        Step::Status(0),
    ]
}

/// GNU `sleep`: the sum of its operands, each a number with an optional
/// `s`, `m`, `h` or `d` suffix.
fn sleep(args: &[String]) -> Vec<Step> {
    let fail = |message: String| {
        vec![
            Step::Write(
                Stream::Stderr,
                format!("{message}\nTry 'sleep --help' for more information.\n").into_bytes(),
            ),
            Step::Status(1),
        ]
    };
    if args.is_empty() {
        return fail("sleep: missing operand".to_owned());
    }
    let mut total = 0.0_f64;
    for arg in args {
        if arg.starts_with("--") {
            return fail(format!("sleep: unrecognized option '{arg}'"));
        }
        let (number, unit) = match arg.char_indices().last() {
            Some((i, 's')) => (&arg[..i], 1.0),
            Some((i, 'm')) => (&arg[..i], 60.0),
            Some((i, 'h')) => (&arg[..i], 3600.0),
            Some((i, 'd')) => (&arg[..i], 86_400.0),
            _ => (arg.as_str(), 1.0),
        };
        // GNU sleep reads its operands with strtod: `inf`, `infinity`, `1e3`,
        // `.5` and hexadecimal floats are numbers too.
        match parse_strtod(number) {
            Some(v) if !v.is_nan() && v >= 0.0 => total += v * unit,
            _ => return fail(format!("sleep: invalid time interval '{arg}'")),
        }
    }
    if !total.is_finite() || total > 1e9 {
        return vec![Step::Forever];
    }
    vec![Step::Sleep(Duration::from_secs_f64(total)), Step::Status(0)]
}

/// A number as C's `strtod` reads a whole operand.
fn parse_strtod(text: &str) -> Option<f64> {
    let unsigned = text.strip_prefix('+').unwrap_or(text);
    let hex = unsigned
        .strip_prefix("0x")
        .or_else(|| unsigned.strip_prefix("0X"));
    match hex {
        Some(digits) if !digits.is_empty() => {
            let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
            let mut value = 0.0_f64;
            for c in int.chars() {
                value = value * 16.0 + f64::from(c.to_digit(16)?);
            }
            let mut scale = 1.0 / 16.0;
            for c in frac.chars() {
                value += f64::from(c.to_digit(16)?) * scale;
                scale /= 16.0;
            }
            Some(value)
        }
        _ => unsigned.parse::<f64>().ok(),
    }
}

/// How one command of a script is joined to the next.
#[derive(Clone, Copy, PartialEq)]
enum Join {
    Always,
    IfOk,
    IfFailed,
}

/// A small `sh -c` interpreter. A script it cannot follow (loops, traps,
/// pipes, unknown commands) runs until killed, which is what a long-running
/// service script looks like from outside.
fn shell(script: &str) -> Vec<Step> {
    let Some(commands) = split_script(script) else {
        return vec![Step::Forever];
    };
    let mut steps = Vec::new();
    let mut status_known = true;
    for (join, words) in commands {
        if join != Join::Always {
            // Conditional chains need the previous status at run time; only
            // statically known ones are followed.
            let Some(Step::Status(last)) = steps.last() else {
                return vec![Step::Forever];
            };
            let ok = *last == 0;
            if (join == Join::IfOk && !ok) || (join == Join::IfFailed && ok) {
                continue;
            }
        }
        let (words, to_stderr) = redirect(words);
        let mut cmd = command(&words);
        if to_stderr {
            for step in &mut cmd {
                if let Step::Write(stream, _) = step {
                    *stream = Stream::Stderr;
                }
            }
        }
        let ends = cmd
            .iter()
            .any(|s| matches!(s, Step::Exit(_) | Step::Forever));
        status_known &= cmd.iter().any(|s| matches!(s, Step::Status(_))) || ends;
        steps.extend(cmd);
        if ends {
            break;
        }
    }
    if !status_known {
        return vec![Step::Forever];
    }
    steps
}

fn redirect(words: Vec<String>) -> (Vec<String>, bool) {
    let mut to_stderr = false;
    let kept = words
        .into_iter()
        .filter(|w| {
            if w == ">&2" || w == "1>&2" {
                to_stderr = true;
                false
            } else {
                true
            }
        })
        .collect();
    (kept, to_stderr)
}

/// Splits a script into simple commands and their joins; `None` when it uses
/// syntax beyond simple commands.
fn split_script(script: &str) -> Option<Vec<(Join, Vec<String>)>> {
    let mut out = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut join = Join::Always;
    let mut chars = script.chars().peekable();
    let finish = |words: &mut Vec<String>, join: Join, out: &mut Vec<(Join, Vec<String>)>| {
        if !words.is_empty() {
            out.push((join, std::mem::take(words)));
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '\'' => break,
                        ch => word.push(ch),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '"' => break,
                        '$' | '`' => return None,
                        '\\' => word.push(chars.next()?),
                        ch => word.push(ch),
                    }
                }
            }
            ' ' | '\t' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            ';' | '\n' | '&' | '|' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
                let next = match c {
                    '&' if chars.peek() == Some(&'&') => {
                        chars.next();
                        Join::IfOk
                    }
                    '|' if chars.peek() == Some(&'|') => {
                        chars.next();
                        Join::IfFailed
                    }
                    '&' | '|' => return None,
                    _ => Join::Always,
                };
                finish(&mut words, join, &mut out);
                join = next;
            }
            '>' if !in_word && chars.peek() == Some(&'&') => {
                chars.next();
                let target = chars.next()?;
                if target != '2' {
                    return None;
                }
                words.push(">&2".to_owned());
            }
            '$' | '`' | '(' | ')' | '{' | '}' | '<' | '>' | '*' | '?' | '\\' | '#' => return None,
            ch => {
                in_word = true;
                word.push(ch);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    finish(&mut words, join, &mut out);
    Some(out)
}

#[cfg(test)]
#[path = "program_tests.rs"]
mod tests;
