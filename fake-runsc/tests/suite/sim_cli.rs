//! Simulator behaviour that the client cannot reach, driven through the
//! binary's argv: values runsc accepts as flags and refuses only later.

use std::process::{Command, Stdio};

use assert_cmd::prelude::*;

fn fake(root: &std::path::Path) -> Command {
    let mut cmd = Command::new(crate::common::binary());
    cmd.env_remove("FAKE_RUNSC_SCENARIO")
        .env_remove("FAKE_RUNSC_SESSION")
        .arg(format!("--root={}", root.display()))
        .arg("--network=none");
    cmd
}

#[test]
fn ps_refuses_an_unknown_format_only_after_loading_the_container() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let bundle = crate::common::sleep_bundle(dir.path());

    // As runsc 20221219: a missing container is reported first...
    fake(&root)
        .args(["ps", "--format=yaml", "ps-missing"])
        .assert()
        .code(128)
        .stdout("")
        .stderr("loading sandbox: file does not exist\n");

    // The simulated sandbox inherits the stdio of `create`, as runsc's does:
    // give it /dev/null rather than pipes that would not see EOF.
    for args in [
        vec![
            "create".to_owned(),
            format!("--bundle={}", bundle.display()),
            "ps-c1".to_owned(),
        ],
        vec!["start".to_owned(), "ps-c1".to_owned()],
    ] {
        let status = fake(&root)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "{args:?}: {status}");
    }
    // ...and the format only once the processes are known.
    fake(&root)
        .args(["ps", "--format=yaml", "ps-c1"])
        .assert()
        .code(128)
        .stdout("")
        .stderr("unsupported format: yaml\n");
    fake(&root)
        .args(["delete", "--force", "ps-c1"])
        .assert()
        .success();
}
