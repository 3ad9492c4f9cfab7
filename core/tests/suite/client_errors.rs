//! `Error` helpers checked against failures recorded from real runsc
//! 20221219 (`scenarios/real-runsc/cases`).

use std::ffi::OsString;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::ExitStatus;

use runsc::Error;

fn case_dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios/real-runsc/cases")
        .join(name)
}

/// The error the client builds for a recorded failing call.
fn recorded_failure(name: &str) -> Error {
    let dir = case_dir(name);
    let read = |file: &str| {
        std::fs::read_to_string(dir.join(file))
            .unwrap_or_else(|e| panic!("{}: {e}", dir.join(file).display()))
    };
    let meta: serde_json::Value = serde_json::from_str(&read("meta.json")).unwrap();
    let code = meta["exit_code"]
        .as_i64()
        .unwrap_or_else(|| panic!("{name}: no exit code"));
    let args: Vec<String> = serde_json::from_str(&read("argv.json")).unwrap();
    let argv = std::iter::once(OsString::from("runsc"))
        .chain(args.into_iter().map(OsString::from))
        .collect();
    Error::Failed {
        argv,
        status: ExitStatus::from_raw((code as i32) << 8),
        stderr: read("stderr"),
        runsc_error: None,
    }
}

#[test]
fn a_missing_container_is_not_found_whatever_the_command() {
    for name in [
        "fail-missing-state",
        "fail-missing-start",
        "fail-missing-kill",
        "fail-missing-pause",
        "fail-missing-resume",
        "fail-missing-wait",
        "fail-missing-checkpoint",
        "fail-missing-delete",
        "fail-missing-ps",
        "fail-missing-events",
        "fail-missing-events-stats",
        "fail-missing-exec",
        "fail-nonexistent-root-state",
        "lc-46-state-after-delete",
        "run-echo-hello-state-after",
    ] {
        let err = recorded_failure(name);
        assert!(err.is_not_found(), "{name}: {err}");
        assert_eq!(err.exit_code(), Some(128), "{name}");
    }
}

#[test]
fn other_failures_are_not_not_found() {
    for name in [
        "fail-bundle-no-config",
        "fail-bundle-nonexistent",
        "fail-run-bad-binary",
        "lc-28-exec-missing-binary",
        "lc-33-wait-pid-nonexistent",
        "lc-40-exec-paused",
        "lc-44-delete-running-noforce",
        "cr-10-restore-missing-image",
        "argv-exec-process-missing-file",
        "kill-bad-name",
        "fail-create-existing-id",
    ] {
        let err = recorded_failure(name);
        assert!(!err.is_not_found(), "{name}: {err}");
    }
}

#[test]
fn display_reads_like_the_go_client() {
    let err = recorded_failure("lc-44-delete-running-noforce");
    assert_eq!(
        err.to_string(),
        "runsc did not terminate successfully: exit status: 128: \
         cannot delete container that is not stopped without --force flag"
    );
    // Some failures print nothing on stderr (exec --detach without a pid file).
    let err = recorded_failure("lc-28b-exec-detach-no-pidfile-sleep");
    assert!(
        err.to_string()
            .starts_with("runsc did not terminate successfully: exit status: 128"),
        "{err}"
    );
}

#[test]
fn a_logged_error_is_added_unless_stderr_says_it() {
    let with_log = |stderr: &str, logged: &str| Error::Failed {
        argv: vec!["runsc".into(), "state".into(), "c1".into()],
        status: ExitStatus::from_raw(128 << 8),
        stderr: stderr.to_owned(),
        runsc_error: Some(logged.to_owned()),
    };
    let same = with_log(
        "loading container: file does not exist\n",
        "loading container: file does not exist",
    );
    assert_eq!(
        same.to_string(),
        "runsc did not terminate successfully: exit status: 128: loading container: file does not exist"
    );
    let only_logged = with_log("", "loading container: file does not exist");
    assert!(only_logged.is_not_found());
    assert_eq!(
        only_logged.to_string(),
        "runsc did not terminate successfully: exit status: 128; runsc logged: loading container: file does not exist"
    );
}

#[test]
fn helpers_on_errors_that_are_not_failures() {
    let err = runsc::cli::ContainerId::new("-x").unwrap_err();
    assert!(err.is_invalid_input());
    assert!(!err.is_not_found());
    assert_eq!(err.exit_code(), None);
    assert_eq!(err.signal(), None);
    assert_eq!(err.argv(), None);
    assert_eq!(err.stderr(), None);
    assert_eq!(err.runsc_error(), None);
}

#[test]
fn invalid_input_shows_the_value_escaped_once() {
    let err = runsc::cli::ContainerId::new("a\0b").unwrap_err();
    match &err {
        Error::InvalidInput { value, .. } => assert_eq!(value, "a\0b"),
        other => panic!("expected invalid input, got {other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.starts_with(r#"invalid container id "a\0b": "#),
        "{text}"
    );
    assert!(!text.contains(r"\\0"), "escaped twice: {text}");
}

#[test]
fn a_huge_stderr_is_cut_in_the_message_and_kept_whole_on_the_error() {
    let noise = "container output line\n".repeat(4 * 1024 * 1024 / 22);
    let stderr = format!("{noise}loading sandbox: file does not exist\n");
    let err = Error::Failed {
        argv: vec!["runsc".into(), "exec".into(), "c1".into()],
        status: ExitStatus::from_raw(128 << 8),
        stderr: stderr.clone(),
        runsc_error: None,
    };
    let text = err.to_string();
    let bound = runsc::DISPLAY_STDERR_LIMIT + 200;
    assert!(text.len() < bound, "{} bytes", text.len());
    // The head, the tail (where runsc's own error is) and how much was cut.
    assert!(text.contains(": container output line\n"), "{text}");
    assert!(
        text.ends_with("loading sandbox: file does not exist"),
        "{text}"
    );
    let cut = stderr.trim_end().len() - runsc::DISPLAY_STDERR_LIMIT;
    assert!(
        text.contains(&format!(
            "[{cut} bytes of stderr cut; Error::stderr has all {} bytes]",
            stderr.trim_end().len()
        )),
        "{text}"
    );
    assert_eq!(err.stderr(), Some(stderr.as_str()));
    assert!(err.is_not_found());

    // At the limit nothing is cut; multi-byte text is cut on char boundaries.
    let fits = "é".repeat(runsc::DISPLAY_STDERR_LIMIT / 2);
    let err = Error::Failed {
        argv: vec!["runsc".into()],
        status: ExitStatus::from_raw(1 << 8),
        stderr: fits.clone(),
        runsc_error: None,
    };
    assert!(err.to_string().ends_with(&fits));
    let over = Error::Failed {
        argv: vec!["runsc".into()],
        status: ExitStatus::from_raw(1 << 8),
        stderr: format!("{fits}x{fits}"),
        runsc_error: None,
    };
    assert!(over.to_string().contains("bytes of stderr cut"));
}
