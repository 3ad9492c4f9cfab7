//! The simulator checks a call in runsc's order and leaves behind what
//! runsc leaves: the recorded cases `order-*`, `left-*` and `root-*` of
//! `scenarios/real-runsc/cases` (made by `capture-failures.sh`) are played
//! through the simulator in the order and from the state they were
//! recorded in, and each call must end with the recorded exit status and
//! stderr.

use std::io::{Read, Seek};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::common;

fn case_dir(name: &str) -> PathBuf {
    common::real_cases_dir().join(name)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}; re-record with SECTION=failures scenarios/real-runsc/capture.sh",
            path.display()
        )
    })
}

/// One scenario's scratch dir, laid out as `capture.sh`'s `scen`.
struct Place {
    dir: tempfile::TempDir,
    values: Vec<(&'static str, String)>,
    fake: PathBuf,
}

impl Place {
    fn new(tag: &str) -> Self {
        let dir = tempfile::tempdir().expect("a temp dir");
        let tmp = dir.path().to_path_buf();
        for sub in ["root", "bundle2", "bundle3"] {
            std::fs::create_dir_all(tmp.join(sub)).expect("a scratch dir");
        }
        fake_runsc::testing::write_host_bundle(&tmp.join("bundle"), &["sleep", "1000"])
            .expect("the bundle");
        let values = common::case_placeholders(&tmp, &format!("co-{tag}"));
        Self {
            dir,
            values,
            fake: common::binary(),
        }
    }

    fn fill(&self, text: &str) -> String {
        self.values
            .iter()
            .fold(text.to_owned(), |acc, (from, to)| acc.replace(from, to))
    }

    fn tmp(&self) -> &Path {
        self.dir.path()
    }

    /// A call that is part of the set-up, not compared; it must succeed.
    fn setup(&self, args: &[&str]) {
        let args: Vec<String> = args.iter().map(|a| self.fill(a)).collect();
        let (code, stderr) = self.run(&args, None);
        assert_eq!(code, Some(0), "set-up {args:?}: {stderr}");
    }

    fn run(&self, args: &[String], wrapper: Option<&[&str]>) -> (Option<i32>, String) {
        let stderr = tempfile::tempfile().expect("a temp file");
        let mut command = match wrapper {
            Some(wrapper) => {
                let mut c = Command::new(wrapper[0]);
                c.args(&wrapper[1..]).arg(&self.fake);
                c
            }
            None => Command::new(&self.fake),
        };
        // Output to files: a sandbox keeps runsc's stdio open.
        let status = command
            .args(args)
            .current_dir(self.tmp())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr.try_clone().expect("a second handle"))
            .env_remove("FAKE_RUNSC_SCENARIO")
            .env_remove("FAKE_RUNSC_SESSION")
            .env_remove("FAKE_RUNSC_RECORD")
            .status()
            .expect("the fake runs");
        let mut stderr = stderr;
        let mut text = String::new();
        stderr
            .seek(std::io::SeekFrom::Start(0))
            .and_then(|_| stderr.read_to_string(&mut text))
            .expect("stderr is readable");
        (status.code(), text)
    }

    /// Plays a recorded case and compares its exit status and stderr.
    fn expect(&self, name: &str) {
        self.expect_as(name, None);
    }

    fn expect_as(&self, name: &str, wrapper: Option<&[&str]>) {
        let dir = case_dir(name);
        let argv: Vec<String> =
            serde_json::from_str(&read(&dir.join("argv.json"))).expect("argv.json is a list");
        let args: Vec<String> = argv.iter().map(|a| self.fill(a)).collect();
        let meta: Value = serde_json::from_str(&read(&dir.join("meta.json"))).expect("meta");
        let (code, stderr) = self.run(&args, wrapper);
        assert_eq!(
            code.map(i64::from),
            meta["exit_code"].as_i64(),
            "{name}: {stderr}"
        );
        assert_eq!(stderr, self.fill(&read(&dir.join("stderr"))), "{name}");
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        for root in [
            "{root}",
            "{tmp}/no-such-root",
            "{tmp}/relroot",
            "{tmp}/ro-root",
        ] {
            let root = format!("--root={}", self.fill(root));
            for id in ["{id}", "{id2}", "{id3}"] {
                let _ = Command::new(&self.fake)
                    .args([
                        root.clone(),
                        "delete".into(),
                        "--force".into(),
                        self.fill(id),
                    ])
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
            }
        }
    }
}

#[test]
fn conflicting_flags_are_refused_before_the_container_is_loaded() {
    let p = Place::new("fo");
    let process = p.tmp().join("process.json");
    std::fs::write(
        &process,
        r#"{"terminal": false, "user": {"uid": 0, "gid": 0}, "args": ["true"],
            "env": ["PATH=/usr/bin:/bin"], "cwd": "/"}"#,
    )
    .expect("process.json");
    p.setup(&["--root={root}", "create", "--bundle", "{bundle}", "{id}"]);
    p.setup(&["--root={root}", "start", "{id}"]);
    for target in ["missing", "running"] {
        for case in [
            "order-kill-all-pid",
            "order-kill-bad-signal",
            "order-wait-pid-rootpid",
            "order-exec-process-and-args",
            "order-exec-process-missing",
            "order-checkpoint-no-image",
            "order-ps-bad-format",
            "order-restore-existing-no-image",
        ] {
            p.expect(&format!("{case}-{target}"));
        }
    }
    // A restore onto a running container's id fails and takes the
    // container's state with it, as a create onto it does.
    p.expect("order-restore-missing-image-running");
    p.expect("order-delete-running-noforce");
    p.expect("order-delete-after-state");
}

#[test]
fn a_failed_create_or_run_leaves_what_runsc_leaves() {
    let p = Place::new("lo");
    fake_runsc::testing::write_host_bundle(&p.tmp().join("bundle2"), &["/no/such/binary"])
        .expect("the bundle");
    std::fs::write(
        p.tmp().join("bundle3/config.json"),
        r#"{"ociVersion": "1.0.2-dev", "process": {"#,
    )
    .expect("the bad bundle");
    let delete = ["--root={root}", "delete", "--force", "{id}"];
    p.expect("left-create-bad-json");
    p.expect("left-create-bad-json-again");
    p.setup(&delete);
    // A pid file that cannot be written undoes the create: the id is free.
    p.expect("left-create-pidfile-missing-dir");
    p.expect("left-create-pidfile-missing-dir-state");
    p.expect("left-create-pidfile-missing-dir-again");
    p.setup(&delete);
    p.expect("left-run-detach-pidfile-missing-dir");
    p.expect("left-run-detach-pidfile-missing-dir-state");
    p.expect("left-create-bad-id");
}

#[test]
fn odd_roots_are_answered_as_runsc_answers_them() {
    let commands = [
        "list",
        "list-json",
        "state",
        "create",
        "delete-force",
        "run",
    ];
    for command in commands {
        let p = Place::new("rt");
        std::fs::write(p.tmp().join("rootfile"), "").expect("a plain file");
        p.expect(&format!("root-missing-{command}"));
        p.expect(&format!("root-file-{command}"));
        p.expect(&format!("root-relative-{command}"));
    }
    if !nix::unistd::geteuid().is_root() {
        assert!(
            std::env::var_os("CI").is_none(),
            "an unwritable --root is checked as uid 65534, which needs root, and CI is set"
        );
        eprintln!("SKIP: an unwritable --root is checked as uid 65534 (setpriv), which needs root");
        return;
    }
    let nobody: &[&str] = &[
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
    ];
    for command in commands {
        let p = Place::new("ru");
        let ro = p.tmp().join("ro-root");
        std::fs::create_dir_all(&ro).expect("the root");
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).expect("chmod");
        std::fs::set_permissions(p.tmp(), std::fs::Permissions::from_mode(0o711)).expect("chmod");
        p.expect_as(&format!("root-unwritable-{command}"), Some(nobody));
    }
}
