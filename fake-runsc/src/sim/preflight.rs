//! What runsc 20221219 refuses after parsing argv and before any
//! subcommand runs (recorded in `scenarios/real-runsc/cases/hd-*`): an
//! overlay with shared file access (every subcommand loads the config: exit
//! 128, with a warning line in glog's format first), and `--rootless` for
//! `create` and `restore`. An unknown `--platform` is refused earlier, with
//! argv (`argv::parse`), since runsc refuses it for any subcommand.
use runsc::cli::{Invocation, Subcommand};

use super::log::early_fatal;
use super::wording::{fatal, Failure};

/// runsc's refusal of `invocation` before its subcommand runs, if any.
pub(super) fn refusal(invocation: &Invocation) -> Option<Failure> {
    let config = &invocation.global.config;
    let overlay = config.get("overlay").is_some_and(go_bool_true)
        || config
            .get("overlay2")
            .is_some_and(|medium| medium != "none");
    if overlay && config.get("file-access") == Some("shared") {
        return Some(early_fatal(
            "overlay flag is incompatible with shared file access".to_owned(),
        ));
    }
    let rootless = config.get("rootless").is_some_and(go_bool_true);
    match &invocation.command {
        Subcommand::Create(_) | Subcommand::Restore(_) if rootless => Some(fatal(format!(
            "Rootless mode not supported with \"{}\"",
            invocation.command.name()
        ))),
        _ => None,
    }
}

/// Go's `strconv.ParseBool` true values (what a bool flag takes).
fn go_bool_true(value: &str) -> bool {
    matches!(value, "1" | "t" | "T" | "true" | "TRUE" | "True")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(args: &[&str]) -> Option<Failure> {
        refusal(&Invocation::parse(args.iter().copied()).unwrap())
    }

    #[test]
    fn an_overlay_with_shared_file_access_is_refused() {
        let shared = ["--file-access=shared", "--overlay2=root:memory", "list"];
        let failure = refused(&shared).unwrap();
        assert!(failure
            .stderr
            .ends_with("\noverlay flag is incompatible with shared file access\n"));
        assert!(refused(&["--file-access=shared", "--overlay", "list"]).is_some());
        assert!(refused(&["--file-access=shared", "--overlay2=none", "list"]).is_none());
        assert!(refused(&["--file-access=shared", "list"]).is_none());
    }

    #[test]
    fn rootless_is_refused_for_create_and_restore_only() {
        let create = refused(&["--rootless", "create", "x"]).unwrap();
        assert_eq!(
            create.stderr,
            "Rootless mode not supported with \"create\"\n"
        );
        assert!(refused(&["--rootless", "restore", "x"]).is_some());
        assert!(refused(&["--rootless", "list"]).is_none());
        assert!(refused(&["--rootless=false", "create", "x"]).is_none());
    }
}
