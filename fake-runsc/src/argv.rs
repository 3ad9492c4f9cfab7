//! Reading argv as a given runsc release reads it (20221219 unless told
//! otherwise), and refusing it with runsc's own words, usage text and exit
//! status when runsc would refuse it.
//!
//! The usage texts in `usage/` were captured byte for byte from runsc
//! 20221219 (`runsc <subcommand> -h` and `runsc nosuch`), except those of
//! the subcommands 20221219 lacks (`update`, `fscheckpoint`), which are
//! written from 20260817's source and no recording confirms. Newer releases
//! print the 20221219 texts for the subcommands both have (not confirmed).

use std::ffi::OsString;

use runsc::cli::goflag::{self, FlagValue};
use runsc::cli::{Invocation, ParseError, Release, Subcommand};

use crate::exit::EXIT_UNSUPPORTED;

/// runsc's top-level usage, printed for unknown subcommands and global flag errors.
pub const RUNSC_USAGE: &str = include_str!("usage/runsc.txt");

/// runsc's top-level usage as `release` prints it. 20260817's is built
/// from its source (its registered subcommands, groups and synopses, in
/// google/subcommands' layout) and no recording confirms it; 20241021 is
/// given 20221219's.
pub fn runsc_usage(release: Release) -> &'static str {
    match release {
        Release::R20260817 => include_str!("usage/runsc-20260817.txt"),
        Release::R20221219 | Release::R20241021 => RUNSC_USAGE,
    }
}

/// What `runsc --version` prints (on stdout): Debian's runsc 20221219.
pub const RUNSC_VERSION: &str = "runsc version 0.0~20221219.0\nspec: 1.0.2-dev\n";

/// The OCI runtime-spec version a release reports (`--version`, `state`,
/// `list`). 20221219: recorded. Newer: the runtime-spec module of the
/// release's `go.mod`, not confirmed by a recording.
pub fn spec_version(release: Release) -> &'static str {
    match release {
        Release::R20221219 => "1.0.2-dev",
        Release::R20241021 => "1.1.0-rc.1",
        Release::R20260817 => "1.2.1",
    }
}

/// What `runsc --version` prints for `release`. Newer releases are assumed
/// to be upstream builds, which name their release tag (not confirmed).
pub fn version_text(release: Release) -> String {
    match release {
        Release::R20221219 => RUNSC_VERSION.to_owned(),
        newer => format!(
            "runsc version release-{newer}.0\nspec: {}\n",
            spec_version(newer)
        ),
    }
}

/// What runsc prints when `exec` gets neither a command nor `--process`.
const EXEC_SPEC_REQUIRED: &str =
    "parsing process spec: both a container-id and command are required\n";

/// The subcommands the fake answers, in the CLI model's order: every
/// subcommand of the model's flag tables that runsc 20221219 registers.
/// `check`'s list of commands and the "does not implement" message come from
/// here, so a new subcommand needs no list of its own in the fake.
pub fn commands() -> impl Iterator<Item = &'static str> {
    commands_for(Release::RECORDED)
}

/// The subcommands the fake answers as `release`, in the model's order.
pub fn commands_for(release: Release) -> impl Iterator<Item = &'static str> {
    let table = runsc::cli::flags::table(release);
    table
        .commands
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| table.has_subcommand(name))
}

/// Whether the CLI model has `command` but runsc `release` does not.
pub fn missing_in(release: Release, command: &str) -> bool {
    use runsc::cli::flags::table;
    table(Release::NEWEST).command(command).is_some() && table(release).command(command).is_none()
}

/// Chooses the release to parse as from the value of `FAKE_RUNSC_RELEASE`
/// (unset or empty: the recorded release, 20221219).
pub fn release_from(value: Option<&std::ffi::OsStr>) -> Result<Release, String> {
    let Some(value) = value.filter(|v| !v.is_empty()) else {
        return Ok(Release::RECORDED);
    };
    value.to_str().and_then(|v| v.parse().ok()).ok_or_else(|| {
        let known: Vec<&str> = Release::ALL.iter().map(|r| r.as_str()).collect();
        format!(
            "fake-runsc: FAKE_RUNSC_RELEASE={} names no runsc release the fake knows; set it to one of {} or unset it (default {})",
            value.to_string_lossy(),
            known.join(", "),
            Release::RECORDED
        )
    })
}

/// "a, b and c": the subcommands the fake answers as `release`.
fn answered(release: Release) -> String {
    let all: Vec<&str> = commands_for(release).collect();
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
        "update" => include_str!("usage/update.txt"),
        "fscheckpoint" => include_str!("usage/fscheckpoint.txt"),
        _ => return None,
    })
}

/// The usage text runsc `release` prints for a subcommand. 20260817's texts
/// for the subcommands whose flags or usage line changed are built from its
/// source (`Usage()` and `SetFlags`, in Go's `PrintDefaults` layout) and no
/// recording confirms them; every other text is 20221219's.
pub fn subcommand_usage_for(release: Release, command: &str) -> Option<&'static str> {
    if release < Release::R20260817 {
        return subcommand_usage(command);
    }
    Some(match command {
        "checkpoint" => include_str!("usage/20260817/checkpoint.txt"),
        "create" => include_str!("usage/20260817/create.txt"),
        "exec" => include_str!("usage/20260817/exec.txt"),
        "kill" => include_str!("usage/20260817/kill.txt"),
        "restore" => include_str!("usage/20260817/restore.txt"),
        "run" => include_str!("usage/20260817/run.txt"),
        "wait" => include_str!("usage/20260817/wait.txt"),
        other => return subcommand_usage(other),
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
    parse_for(Release::RECORDED, args)
}

/// Parses argv (without the program name) as runsc `release` does, or says
/// how it would refuse it. Never panics, whatever the bytes.
pub fn parse_for(release: Release, args: &[OsString]) -> Result<Invocation, Refusal> {
    // Up to 20241021 runsc checks the platform's name after the global
    // flags, `--help` and `--version`, before it looks at the subcommand:
    // even `list` and an unknown subcommand fail on it (20221219: checked on
    // the real binary). 20260817 looks the platform up only when it starts
    // a sandbox (from source), which the simulator does not model.
    let globals = (release < Release::R20260817)
        .then(|| goflag::parse_flags(args, &runsc::cli::flags::table(release).global, release));
    if let Some(Ok((globals, _))) = globals {
        let asked = |name| matches!(globals.get(name), Some(FlagValue::Bool(true)));
        if let (Some(FlagValue::Str(platform)), false) = (
            globals.get("platform"),
            ["version", "help", "h"].into_iter().any(asked),
        ) {
            let platform = platform.to_string_lossy();
            if !release.platforms().contains(&platform.as_ref()) {
                return Err(unknown_platform(&platform));
            }
        }
    }
    let invocation =
        Invocation::parse_for(release, args.iter().cloned()).map_err(|e| refusal(release, &e))?;
    match &invocation.command {
        Subcommand::Exec(exec) if exec.args.is_empty() && exec.process.is_none() => Err(Refusal {
            stdout: String::new(),
            stderr: format!(
                "{}{EXEC_SPEC_REQUIRED}",
                subcommand_usage_for(release, "exec").unwrap_or_default()
            ),
            exit_code: 128,
            reason: "exec without a command or --process".to_owned(),
        }),
        _ => Ok(invocation),
    }
}

/// runsc's `util.Fatalf` before its log is set up: a glog warning line and
/// the message, both on stderr, exit 128 (checked on real 20221219).
fn unknown_platform(platform: &str) -> Refusal {
    let message = format!("unknown platform: {platform}");
    Refusal {
        stdout: String::new(),
        stderr: crate::glog::fatal(&message),
        exit_code: 128,
        reason: message,
    }
}

fn refusal(release: Release, error: &ParseError) -> Refusal {
    let top = runsc_usage(release);
    let usage = |command: &str| subcommand_usage_for(release, command).unwrap_or(top);
    let stderr = match error {
        ParseError::GlobalFlag(message) => format!("{message}\n{top}"),
        ParseError::Version => {
            return Refusal {
                stdout: version_text(release),
                stderr: String::new(),
                exit_code: error.exit_code(),
                reason: error.to_string(),
            }
        }
        ParseError::GlobalHelp | ParseError::NoSubcommand | ParseError::UnknownSubcommand(_) => {
            top.to_owned()
        }
        ParseError::Unsupported(name) => {
            return Refusal {
                stdout: String::new(),
                stderr: format!(
                    "fake-runsc does not implement `runsc {name}`; it answers {}\n",
                    answered(release)
                ),
                exit_code: EXIT_UNSUPPORTED,
                reason: format!("subcommand {name:?} is not implemented by fake-runsc"),
            }
        }
        // 20260817 adds a last line (from its source; no recording confirms it).
        ParseError::SubcommandFlag { command, message } if release >= Release::R20260817 => {
            format!(
                "{message}\n{}failed to parse flags for {command:?}: {message}\n",
                usage(command)
            )
        }
        ParseError::SubcommandFlag { command, message } => {
            format!("{message}\n{}", usage(command))
        }
        // 20260817 parses subcommand flags with ContinueOnError and then
        // fails on Go's ErrHelp (from source).
        ParseError::SubcommandHelp(command) if release >= Release::R20260817 => format!(
            "{}failed to parse flags for {command:?}: flag: help requested\n",
            usage(command)
        ),
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
        let recorded = answered(Release::RECORDED);
        assert!(!recorded.contains("update"));
        assert!(
            missing_in(Release::RECORDED, "update")
                && missing_in(Release::RECORDED, "fscheckpoint")
        );
        assert!(recorded.ends_with(" and restore"), "{recorded}");
        let newest = answered(Release::R20260817);
        assert!(
            newest.contains(", update, ") && newest.contains("fscheckpoint"),
            "{newest}"
        );
        for command in runsc::cli::flags::table(Release::R20260817)
            .commands
            .iter()
            .map(|(c, _)| *c)
        {
            assert!(subcommand_usage(command).is_some(), "usage/{command}.txt");
        }
    }
}
