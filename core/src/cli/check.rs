//! Whether a release's runsc has everything an invocation uses, checked
//! before anything is spawned.

use std::fmt;

use super::flags::{self, lookup, FlagKind};
use super::{Invocation, Release};

/// An option or subcommand the runsc release a client drives does not have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseMismatch {
    /// The release the invocation was checked for.
    pub release: Release,
    /// What is missing, as it appears in argv: `update`, `kill --pgid`,
    /// `--nvproxy`, or `wait --checkpoint N` for a flag that takes a value
    /// in this form and not in the newest release.
    pub option: String,
    /// The known releases that do have it, oldest first.
    pub available_in: Vec<Release>,
}

impl fmt::Display for ReleaseMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "runsc {} has no `{}`", self.release, self.option)?;
        match self.available_in.iter().find(|r| **r > self.release) {
            Some(added) => write!(
                f,
                "; it was added in runsc {added}: drive a newer runsc and build the client with \
                 .release(Release::R{added}), or leave the option out"
            ),
            None => match self.available_in.last() {
                Some(last) => write!(f, "; runsc {last} was the last known release to have it"),
                None => Ok(()),
            },
        }
    }
}

impl std::error::Error for ReleaseMismatch {}

impl Invocation {
    /// Whether runsc `release` has the subcommand and every option this
    /// invocation renders, with the meaning the model gives it: the newest
    /// release's, except where the model says otherwise. 20241021's `wait
    /// --checkpoint` is a checkpoint number and 20260817's a switch, so
    /// [`WaitCheckpoint::Next`](super::WaitCheckpoint::Next) is refused for
    /// 20241021 and [`WaitCheckpoint::Nth`](super::WaitCheckpoint::Nth) for
    /// every release but 20241021. A global
    /// config key that no known release defines is let through: runsc itself
    /// refuses it, and that is what a caller who set it wants to see.
    ///
    /// ```
    /// use runsc::cli::{ContainerId, Invocation, Kill, Release, Subcommand};
    /// let kill = Invocation::new(Subcommand::Kill(Kill {
    ///     id: ContainerId::new("c1")?,
    ///     signal: None,
    ///     all: false,
    ///     pid: None,
    ///     pgid: Some(42),
    /// }));
    /// assert!(kill.check_release(Release::R20260817).is_ok());
    /// let err = kill.check_release(Release::R20221219).unwrap_err();
    /// assert_eq!(err.option, "kill --pgid");
    /// assert!(err.to_string().contains("added in runsc 20260817"));
    /// # Ok::<(), runsc::Error>(())
    /// ```
    pub fn check_release(&self, release: Release) -> Result<(), ReleaseMismatch> {
        let name = self.command.name();
        let mismatch = |option: String, has: &dyn Fn(Release) -> bool| ReleaseMismatch {
            release,
            option,
            available_in: Release::ALL.into_iter().filter(|r| has(*r)).collect(),
        };
        let command_flags = |r: Release| flags::table(r).command(name).map(|(_, f)| f);
        let newest = command_flags(Release::NEWEST).unwrap_or_default();
        let kind = |table, flag: &str| lookup(table, flag).map(|spec| spec.kind);
        // The flag as the model means it: of the kind it names, or else of
        // its kind in the newest release.
        let has_flag = |r: Release, flag: &str, meant: Option<FlagKind>| {
            let meant = meant.or_else(|| kind(newest, flag));
            command_flags(r).is_some_and(|f| meant.is_some() && kind(f, flag) == meant)
        };
        if command_flags(release).is_none() {
            return Err(mismatch(name.to_owned(), &|r| command_flags(r).is_some()));
        }
        for rendered in self.rendered_flags() {
            let flag = rendered.name;
            if rendered.after_command {
                let meant = rendered.meant;
                if !has_flag(release, &flag, meant) {
                    // A flag meant as another kind than the newest release's
                    // is a value-taking one here, shown with its value.
                    let shown = match meant {
                        Some(_) => format!("{name} --{flag} N"),
                        None => format!("{name} --{flag}"),
                    };
                    return Err(mismatch(shown, &|r| has_flag(r, &flag, meant)));
                }
            } else if lookup(&flags::table(release).global, &flag).is_none() {
                let has = |r: Release| lookup(&flags::table(r).global, &flag).is_some();
                if Release::ALL.into_iter().any(has) {
                    return Err(mismatch(format!("--{flag}"), &has));
                }
            }
        }
        Ok(())
    }
}
