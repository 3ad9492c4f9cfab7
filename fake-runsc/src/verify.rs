//! `fake-runsc verify SESSION_DIR`: after a test, did every expected call
//! come and no unexpected one? The same check as `FakeRuntime::verify`, for
//! tests written in other languages.

use std::ffi::OsString;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::config::ENV_SCENARIO;
use crate::journal::{self, CallResult};
use crate::scenario::Scenario;
use crate::session;

const USAGE: &str = "\
usage: fake-runsc verify [--scenario SCENARIO.json] SESSION_DIR

Checks a replay session after a test: prints every call no step answered
(with the nearest steps and how they differ) and every step that did not
get the calls it needs. Exit status 0 when the session went as the scenario
expects, 1 when it did not, 2 on bad usage or an unreadable scenario.

The scenario is --scenario, else $FAKE_RUNSC_SCENARIO, else the one the
session's calls replayed (named in SESSION_DIR/scenario-path).
";

/// What `verify` found wrong.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifyError {
    /// Steps that did not get the calls they need, described.
    pub missing: Vec<String>,
    /// Calls no step answered, or that a `never` step forbids, described
    /// with the fake's diagnostic (the nearest steps and how they differ).
    pub unexpected: Vec<String>,
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "the fake runsc session did not go as the scenario expects:"
        )?;
        for line in &self.missing {
            writeln!(f, "  missing: {line}")?;
        }
        for text in &self.unexpected {
            let mut lines = text.lines();
            if let Some(first) = lines.next() {
                writeln!(f, "  unexpected: {first}")?;
            }
            for line in lines {
                writeln!(f, "    {line}")?;
            }
        }
        Ok(())
    }
}

// A test that returns `Result` or calls `unwrap` prints the Debug form:
// make it the readable one, line breaks and all.
impl fmt::Debug for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for VerifyError {}

/// Verifies a session directory against its scenario: the check behind
/// `FakeRuntime::verify` and `fake-runsc verify`.
pub fn verify_session(scenario: &Scenario, session_dir: &Path) -> Result<(), VerifyError> {
    let mut missing = Vec::new();
    let mut unexpected = Vec::new();
    match session::read_state(session_dir) {
        Ok(state) => missing.extend(crate::decide::missing_calls(scenario, &state)),
        Err(e) => unexpected.push(format!("the replay state cannot be read: {e}")),
    }
    match journal::read(session_dir) {
        Ok(entries) => {
            for entry in entries {
                let journal::Entry::Call(call) = entry else {
                    continue;
                };
                let message = call.message.as_deref();
                let why = match call.result {
                    CallResult::Matched => continue,
                    CallResult::Never => {
                        let index = call.step.unwrap_or(0);
                        let label = scenario
                            .steps
                            .get(index)
                            .map_or_else(|| format!("#{}", index + 1), |s| s.label(index));
                        format!("matches step {label}, which says it must never come")
                    }
                    CallResult::ArgvError => {
                        format!("runsc would refuse it: {}", message.unwrap_or(""))
                    }
                    CallResult::Unmatched => match message {
                        Some(diagnostic) => format!("no step answers it\n{diagnostic}"),
                        None => "no step answers it".to_owned(),
                    },
                    CallResult::Error => message.unwrap_or("failed").to_owned(),
                };
                unexpected.push(format!("`runsc {}`: {why}", call.argv.join(" ")));
            }
        }
        Err(e) => unexpected.push(format!("the journal cannot be read: {e}")),
    }
    if missing.is_empty() && unexpected.is_empty() {
        Ok(())
    } else {
        Err(VerifyError {
            missing,
            unexpected,
        })
    }
}

/// Runs `fake-runsc verify`; returns the exit status.
pub fn main(args: &[OsString]) -> i32 {
    let mut scenario: Option<PathBuf> = None;
    let mut session = None;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.to_str() {
            Some("-h" | "-help" | "--help") => {
                let _ = std::io::stdout().write_all(USAGE.as_bytes());
                return 0;
            }
            Some("--scenario" | "-scenario") => scenario = iter.next().map(PathBuf::from),
            Some(text) if text.starts_with("--scenario=") => {
                scenario = Some(PathBuf::from(&text["--scenario=".len()..]));
            }
            _ if session.is_none() => session = Some(PathBuf::from(arg)),
            _ => return usage_error("one session directory, please"),
        }
    }
    let Some(session) = session else {
        return usage_error("which session directory?");
    };
    if !session.is_dir() {
        return usage_error(&format!("{} is not a directory", session.display()));
    }
    let scenario = scenario
        .or_else(|| std::env::var_os(ENV_SCENARIO).map(PathBuf::from))
        .or_else(|| {
            let bytes = std::fs::read(session.join(session::SCENARIO_NAME)).ok()?;
            Some(PathBuf::from(String::from_utf8_lossy(&bytes).into_owned()))
        });
    let Some(scenario_path) = scenario else {
        return usage_error(&format!(
            "no call reached the session {} yet, so it does not name its scenario; pass --scenario",
            session.display()
        ));
    };
    let scenario = match crate::replay::load_scenario(&scenario_path) {
        Ok(scenario) => scenario,
        Err(e) => return usage_error(&e),
    };
    match verify_session(&scenario, &session) {
        Ok(()) => {
            let _ = writeln!(
                std::io::stdout(),
                "{}: every expected call came, and no other",
                session.display()
            );
            0
        }
        Err(e) => {
            let _ = write!(std::io::stdout(), "{e}");
            1
        }
    }
}

fn usage_error(message: &str) -> i32 {
    let _ = writeln!(std::io::stderr(), "fake-runsc verify: {message}\n\n{USAGE}");
    2
}
