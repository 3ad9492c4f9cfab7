//! What runsc 20221219 refuses after parsing argv and before any
//! subcommand runs (recorded in `scenarios/real-runsc/cases/hd-*`): an
//! overlay with shared file access and a `--platform` it does not know
//! (every subcommand loads the config: exit 128, with a warning line in
//! glog's format first), and `--rootless` for `create` and `restore`.
use runsc::cli::{Invocation, Release, Subcommand};

use super::clock;
use super::wording::{fatal, Failure};

/// runsc's refusal of `invocation` before its subcommand runs, if any.
pub(super) fn refusal(invocation: &Invocation) -> Option<Failure> {
    let config = &invocation.global.config;
    let overlay = config.get("overlay").is_some_and(go_bool_true)
        || config
            .get("overlay2")
            .is_some_and(|medium| medium != "none");
    if overlay && config.get("file-access") == Some("shared") {
        return Some(fatal_with_warning(
            "overlay flag is incompatible with shared file access",
        ));
    }
    if let Some(platform) = config.get("platform") {
        if !Release::RECORDED.platforms().contains(&platform) {
            return Some(fatal_with_warning(&format!("unknown platform: {platform}")));
        }
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

/// runsc's `util.Fatalf` while loading the config: glog's warning line,
/// then the message alone.
fn fatal_with_warning(message: &str) -> Failure {
    fatal(format!(
        "{} FATAL ERROR: {message}\n{message}",
        glog_warning_header()
    ))
}

/// Go's `strconv.ParseBool` true values (what a bool flag takes).
fn go_bool_true(value: &str) -> bool {
    matches!(value, "1" | "t" | "T" | "true" | "TRUE" | "True")
}

/// `W1202 08:02:44.240757    5308 util.go:64]`: glog's prefix for the
/// warning runsc's `util.Fatalf` logs before printing the message alone.
fn glog_warning_header() -> String {
    let nanos = clock::now_nanos();
    let whole = clock::rfc3339_nano(nanos / 1_000_000_000 * 1_000_000_000);
    let month_day = format!("{}{}", &whole[5..7], &whole[8..10]);
    let time = &whole[11..19];
    let micros = (nanos % 1_000_000_000) / 1000;
    format!(
        "W{month_day} {time}.{micros:06} {:>7} util.go:64]",
        std::process::id()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(args: &[&str]) -> Option<Failure> {
        refusal(&Invocation::parse(args.iter().copied()).unwrap())
    }

    #[test]
    fn unknown_platforms_are_refused_with_runsc_words() {
        let failure = refused(&["--platform=bogus", "list"]).unwrap();
        assert_eq!(failure.code, 128);
        let lines: Vec<&str> = failure.stderr.lines().collect();
        assert_eq!(lines[1], "unknown platform: bogus");
        assert!(lines[0].starts_with('W'), "{}", lines[0]);
        assert!(lines[0].ends_with("util.go:64] FATAL ERROR: unknown platform: bogus"));
        assert!(refused(&["--platform=ptrace", "list"]).is_none());
        assert!(refused(&["--platform=kvm", "state", "x"]).is_none());
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
