//! Reading argv as runsc 20221219 reads it, and refusing it with runsc's own
//! words, usage text and exit status when runsc would refuse it.
//!
//! The usage texts in `usage/` were captured byte for byte from runsc
//! 20221219 (`runsc <subcommand> -h` and `runsc nosuch`).

use std::ffi::OsString;

use runsc::cli::{Invocation, ParseError, Release, Subcommand};

use crate::exit::EXIT_UNSUPPORTED;

/// runsc's top-level usage, printed for unknown subcommands and global flag errors.
pub const RUNSC_USAGE: &str = include_str!("usage/runsc.txt");

/// What `runsc --version` prints (on stdout).
pub const RUNSC_VERSION: &str = "runsc version 0.0~20221219.0\nspec: 1.0.2-dev\n";

/// What runsc prints when `exec` gets neither a command nor `--process`.
const EXEC_SPEC_REQUIRED: &str =
    "parsing process spec: both a container-id and command are required\n";

/// The subcommands the fake answers, in the CLI model's order: every
/// subcommand of the model's flag tables that runsc 20221219 registers.
/// `check`'s list of commands and the "does not implement" message come from
/// here, so a new subcommand needs no list of its own in the fake.
pub fn commands() -> impl Iterator<Item = &'static str> {
    let table = runsc::cli::flags::table(Release::RECORDED);
    table
        .commands
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| table.has_subcommand(name))
}

/// Whether the CLI model has `command` but runsc 20221219 does not (a newer
/// release's subcommand, such as `update`).
pub fn missing_in_runsc(command: &str) -> bool {
    use runsc::cli::flags::table;
    table(Release::NEWEST).command(command).is_some()
        && table(Release::RECORDED).command(command).is_none()
}

/// "a, b and c".
fn answered() -> String {
    let all: Vec<&str> = commands().collect();
    match all.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// The usage text runsc prints for a subcommand's flag errors and `-h`.
pub fn subcommand_usage(command: &str) -> Option<&'static str> {
    Some(match command {
        "list" => include_str!("usage/list.txt"),
        "state" => include_str!("usage/state.txt"),
        "create" => include_str!("usage/create.txt"),
        "start" => include_str!("usage/start.txt"),
        "exec" => include_str!("usage/exec.txt"),
        "run" => include_str!("usage/run.txt"),
        "delete" => include_str!("usage/delete.txt"),
        "kill" => include_str!("usage/kill.txt"),
        "events" => include_str!("usage/events.txt"),
        "ps" => include_str!("usage/ps.txt"),
        "pause" => include_str!("usage/pause.txt"),
        "resume" => include_str!("usage/resume.txt"),
        "wait" => include_str!("usage/wait.txt"),
        "checkpoint" => include_str!("usage/checkpoint.txt"),
        "restore" => include_str!("usage/restore.txt"),
        _ => return None,
    })
}

/// Why the fake will not go on with an argv: what to print and how to exit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Exactly what goes to stdout (only `--version` prints there).
    pub stdout: String,
    /// Exactly what goes to stderr.
    pub stderr: String,
    /// The exit status.
    pub exit_code: i32,
    /// A short machine-readable reason for the journal.
    pub reason: String,
}

/// Parses argv (without the program name) as runsc 20221219 does, or says
/// how runsc would refuse it. Never panics, whatever the bytes.
pub fn parse(args: &[OsString]) -> Result<Invocation, Refusal> {
    let invocation = Invocation::parse(args.iter().cloned()).map_err(|e| refusal(&e))?;
    match &invocation.command {
        // runsc 20221219 has no `update`; it answers as for any unknown subcommand.
        Subcommand::Update(_) => Err(Refusal {
            stdout: String::new(),
            stderr: RUNSC_USAGE.to_owned(),
            exit_code: 128,
            reason: "unknown subcommand \"update\" (runsc 20221219 has none)".to_owned(),
        }),
        Subcommand::Exec(exec) if exec.args.is_empty() && exec.process.is_none() => Err(Refusal {
            stdout: String::new(),
            stderr: format!("{}{EXEC_SPEC_REQUIRED}", include_str!("usage/exec.txt")),
            exit_code: 128,
            reason: "exec without a command or --process".to_owned(),
        }),
        _ => Ok(invocation),
    }
}

fn refusal(error: &ParseError) -> Refusal {
    let usage = |command: &str| subcommand_usage(command).unwrap_or(RUNSC_USAGE);
    let stderr = match error {
        ParseError::GlobalFlag(message) => format!("{message}\n{RUNSC_USAGE}"),
        ParseError::Version => {
            return Refusal {
                stdout: RUNSC_VERSION.to_owned(),
                stderr: String::new(),
                exit_code: error.exit_code(),
                reason: error.to_string(),
            }
        }
        ParseError::GlobalHelp | ParseError::NoSubcommand | ParseError::UnknownSubcommand(_) => {
            RUNSC_USAGE.to_owned()
        }
        ParseError::Unsupported(name) => {
            return Refusal {
                stdout: String::new(),
                stderr: format!(
                    "fake-runsc does not implement `runsc {name}`; it answers {}\n",
                    answered()
                ),
                exit_code: EXIT_UNSUPPORTED,
                reason: format!("subcommand {name:?} is not implemented by fake-runsc"),
            }
        }
        ParseError::SubcommandFlag { command, message } => {
            format!("{message}\n{}", usage(command))
        }
        ParseError::SubcommandHelp(command) => usage(command).to_owned(),
        ParseError::Usage("exec") => format!("{}{EXEC_SPEC_REQUIRED}", usage("exec")),
        ParseError::Usage(command) => usage(command).to_owned(),
        ParseError::Rejected { message, .. } => format!("{message}\n"),
    };
    Refusal {
        stdout: String::new(),
        stderr,
        exit_code: error.exit_code(),
        reason: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_answered_subcommand_has_runscs_usage_text() {
        let all: Vec<&str> = commands().collect();
        assert_eq!(all.len(), 15, "{all:?}");
        for command in all {
            assert!(
                subcommand_usage(command).is_some(),
                "add usage/{command}.txt (runsc {command} -h) and its line in subcommand_usage"
            );
        }
        assert!(!answered().contains("update"));
        assert!(missing_in_runsc("update") && missing_in_runsc("fscheckpoint"));
        assert!(answered().ends_with(" and restore"), "{}", answered());
    }
}
