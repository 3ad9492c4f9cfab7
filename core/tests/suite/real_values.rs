//! The parser's checks of typed flag values against real runsc 20221219:
//! for each argv, the parser must refuse exactly what runsc refuses while
//! parsing, with its message and exit status. Needs root and real runsc;
//! without them it prints SKIP, except under `CI`, where it fails.

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

use runsc::cli::{Invocation, ParseError, Release, Subcommand};

/// Real runsc, or why it cannot run here.
fn real_runsc() -> Result<PathBuf, String> {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let euid = status
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .and_then(|l| l.split_whitespace().nth(2).map(str::to_owned));
    if euid.as_deref() != Some("0") {
        return Err("not running as root".to_owned());
    }
    let path = std::env::var_os("RUNSC")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/runsc"));
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!("{} not found (set RUNSC)", path.display()))
    }
}

fn runsc_or_skip(test: &str) -> Option<PathBuf> {
    match real_runsc() {
        Ok(path) => Some(path),
        Err(why) if std::env::var_os("CI").is_some() => {
            panic!("{test}: real runsc is required in CI but cannot run: {why}")
        }
        Err(why) => {
            let _ = writeln!(
                std::io::stderr(),
                "SKIP {test}: needs root and real runsc: {why}"
            );
            None
        }
    }
}

/// Argv after `--root`. None of them creates a container: `list` reads an
/// empty root, the others name containers that do not exist.
const CASES: &[&[&str]] = &[
    &["--network=bogus", "list"],
    &["--network=HOST", "list"],
    &["--network=host", "list"],
    &["--network=", "list"],
    &["--file-access=bogus", "list"],
    &["--file-access=shared", "list"],
    &["--file-access-mounts=bogus", "list"],
    &["--file-access-mounts=exclusive", "list"],
    &["--overlay2=bogus", "list"],
    &["--overlay2=none", "list"],
    &["--overlay2=root:memory", "list"],
    &["--overlay2=all:self", "list"],
    &["--overlay2=root:bogus", "list"],
    &["--overlay2=sub:memory", "list"],
    &["--overlay2=all:memory:x", "list"],
    &["--overlay2=:memory", "list"],
    &["--watchdog-action=bogus", "list"],
    &["--watchdog-action=panic", "list"],
    &["--watchdog-action=LOG", "list"],
    &["--host-uds=bogus", "list"],
    &["--host-uds=", "list"],
    &["--host-uds=create", "list"],
    &["--host-fifo=bogus", "list"],
    &["--host-fifo=open", "list"],
    &["--qdisc=tbf", "list"],
    &["--qdisc=none", "list"],
    &["--qdisc=", "list"],
    &["--ref-leak-mode=log-names", "list"],
    &["--ref-leak-mode=log-traces", "list"],
    &["exec", "--user=bogus", "nosuch", "true"],
    &["exec", "--user=1:abc", "nosuch", "true"],
    &["exec", "--user=0x1", "nosuch", "true"],
    &["exec", "--user=1:2:3", "nosuch", "true"],
    &["exec", "--user=-1", "nosuch", "true"],
    &["exec", "--user=+1:0", "nosuch", "true"],
    &["exec", "--additional-gids=abc", "nosuch", "true"],
    &["wait", "--pid=-1", "--rootpid=4", "nosuch"],
    &["wait", "--pid=0", "--rootpid=4", "nosuch"],
];

#[test]
fn typed_values_are_refused_as_real_runsc_refuses_them() {
    let Some(runsc) = runsc_or_skip("typed_values_are_refused_as_real_runsc_refuses_them") else {
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let root_flag = format!("--root={}", root.path().display());
    let mut mismatches = Vec::new();
    for case in CASES {
        let out = Command::new(&runsc)
            .arg(&root_flag)
            .args(*case)
            .output()
            .unwrap();
        let code = out.status.code().unwrap_or(-1);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let first = stderr.lines().next().unwrap_or("").to_owned();
        let parsed = Invocation::parse_for(Release::R20221219, case.iter().copied());
        let agrees = match &parsed {
            Err(
                e @ (ParseError::GlobalFlag(m) | ParseError::SubcommandFlag { message: m, .. }),
            ) => code == e.exit_code() && first == *m,
            Err(other) => panic!("{case:?}: unexpected {other:?}"),
            // Past parsing: runsc either ran (list) or failed on something
            // other than its flags.
            Ok(_) => !first.starts_with("invalid value ") && (code == 0 || code == 128),
        };
        if !agrees {
            mismatches.push(format!(
                "{case:?}: runsc exited {code} with {first:?}; the parser said {parsed:?}"
            ));
        }
        // `--pid=-1` is "not set" for runsc and for the parser alike: runsc
        // does not complain that both --pid and --rootpid are set.
        if case[0] == "wait" {
            let Ok(Invocation {
                command: Subcommand::Wait(wait),
                ..
            }) = &parsed
            else {
                panic!("{case:?}: {parsed:?}")
            };
            let both = first.starts_with("only one of -pid and -rootPid");
            assert_eq!(
                wait.pid.is_some() && wait.rootpid.is_some(),
                both,
                "{case:?}: {first}"
            );
        }
    }
    println!("{} argv checked against {}", CASES.len(), runsc.display());
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
