//! `cargo xtask demo`: a whole container lifecycle through the `runsc`
//! client, against the fake-runsc simulator (no root, no real runsc), with
//! each call's argv and its typed result or error printed as it happens.

use std::fmt::Debug;
use std::path::Path;

use runsc::cli::{self, ContainerId, Signal, Subcommand};
use runsc::{CreateOpts, DeleteOpts, ExecOpts, ExecOutcome, KillOpts, Runsc, WaitOpts};

use crate::cargo::{build_fake_runsc, FakeBuild};

/// Builds the fake, writes a bundle into a temp dir and drives the lifecycle.
pub fn run() -> Result<(), String> {
    let fake = build_fake_runsc(FakeBuild::Debug)?;
    let dir = tempfile::Builder::new()
        .prefix("xtask-demo-")
        .tempdir()
        .map_err(|e| format!("cannot create a temp dir: {e}"))?;
    let bundle = dir.path().join("bundle");
    // Root is the host `/`, read-only: real runsc would need no image; the
    // simulator runs `sleep 1000`.
    fake_runsc::testing::write_host_bundle(&bundle, &["sleep", "1000"])?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the tokio runtime: {e}"))?;
    runtime.block_on(lifecycle(&fake, &dir.path().join("root"), &bundle))
}

/// Prints the argv a call runs, then its outcome. Returns whether it succeeded.
fn show<T: Debug>(runsc: &Runsc, command: Subcommand, result: &Result<T, runsc::Error>) -> bool {
    let program = runsc.command();
    let name = program.file_name().unwrap_or(program.as_os_str());
    let args: Vec<String> = runsc
        .invocation(command)
        .to_args()
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    println!("$ {} {}", name.to_string_lossy(), args.join(" "));
    match result {
        Ok(value) => {
            println!("  -> {value:?}\n");
            true
        }
        Err(e) => {
            println!("  -> error: {e}\n");
            false
        }
    }
}

fn id_only(id: &ContainerId) -> cli::IdOnly {
    cli::IdOnly { id: id.clone() }
}

async fn lifecycle(fake: &Path, root: &Path, bundle: &Path) -> Result<(), String> {
    let runsc = Runsc::builder()
        .command(fake)
        .root(root)
        .config("network", "none")
        .build()
        .map_err(|e| format!("cannot build the client: {e}"))?;
    let id = ContainerId::new("demo-1").map_err(|e| e.to_string())?;
    let missing = ContainerId::new("no-such-container").map_err(|e| e.to_string())?;
    let kill_signal = Signal::name("KILL").map_err(|e| e.to_string())?;
    let mut process = oci_spec::runtime::Process::default();
    process.set_args(Some(vec!["echo".into(), "hello from exec".into()]));
    process.set_terminal(Some(false));

    println!(
        "fake-runsc: {}\nroot: {}\nbundle: {}\n",
        fake.display(),
        root.display(),
        bundle.display()
    );
    let mut failures = Vec::new();
    let mut check = |what: &'static str, ok: bool| {
        if !ok {
            failures.push(what);
        }
    };

    let r = runsc.create(&id, bundle, &CreateOpts::default()).await;
    check(
        "create",
        show(
            &runsc,
            Subcommand::Create(cli::Create {
                id: id.clone(),
                bundle: Some(bundle.to_owned()),
                pid_file: None,
                console_socket: None,
                user_log: None,
                fs_restore_image_path: None,
                fs_restore_direct: false,
            }),
            &r,
        ),
    );

    let r = runsc.start(&id, None).await;
    check("start", show(&runsc, Subcommand::Start(id_only(&id)), &r));

    println!("# `wait` begins now and stays blocked: runsc hands the exit status only to a wait");
    println!("# that was already waiting when the container exited, so a shim starts it early\n");
    let waiter = {
        let (runsc, id) = (runsc.clone(), id.clone());
        tokio::spawn(async move { runsc.wait(&id, &WaitOpts::default()).await })
    };
    // Nothing tells when runsc's wait has registered; a moment's head start
    // keeps a busy machine from turning the demo's kill into a late wait.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    let r = runsc.state(&id).await;
    check("state", show(&runsc, Subcommand::State(id_only(&id)), &r));

    let r = runsc.ps(&id).await;
    check(
        "ps",
        show(
            &runsc,
            Subcommand::Ps(cli::Ps {
                id: id.clone(),
                format: Some(cli::PsFormat::Json),
            }),
            &r,
        ),
    );

    let r = runsc.top(&id).await;
    check(
        "top",
        show(
            &runsc,
            Subcommand::Ps(cli::Ps {
                id: id.clone(),
                format: Some(cli::PsFormat::Table),
            }),
            &r,
        ),
    );

    let r = runsc
        .exec(&id, &process, &ExecOpts::default())
        .await
        .map(|outcome| match outcome {
            ExecOutcome::Exited(exit) => format!(
                "exited with code {}, stdout {:?}, stderr {:?}",
                exit.code,
                exit.stdout.to_text(),
                exit.stderr.to_text()
            ),
            detached => format!("{detached:?}"),
        });
    check(
        "exec",
        show(
            &runsc,
            Subcommand::Exec(cli::Exec {
                id: id.clone(),
                process: Some("<private temp file holding the process spec>".into()),
                pid_file: None,
                internal_pid_file: None,
                console_socket: None,
                detach: false,
                cwd: None,
                user: None,
                env: Vec::new(),
                cap: Vec::new(),
                additional_gids: Vec::new(),
                exec_fd: None,
                pass_fd: Vec::new(),
                args: Vec::new(),
            }),
            &r,
        ),
    );

    let r = runsc.stats(&id).await;
    check(
        "events --stats",
        show(
            &runsc,
            Subcommand::Events(cli::Events {
                id: id.clone(),
                stats: true,
                interval: None,
            }),
            &r,
        ),
    );

    let r = runsc.pause(&id).await;
    check("pause", show(&runsc, Subcommand::Pause(id_only(&id)), &r));

    let r = runsc.state(&id).await.map(|c| c.status);
    check(
        "state (paused)",
        show(&runsc, Subcommand::State(id_only(&id)), &r),
    );

    let r = runsc.resume(&id).await;
    check("resume", show(&runsc, Subcommand::Resume(id_only(&id)), &r));

    let r = runsc
        .kill(&id, kill_signal.clone(), &KillOpts::default())
        .await;
    check(
        "kill",
        show(
            &runsc,
            Subcommand::Kill(cli::Kill {
                id: id.clone(),
                signal: Some(kill_signal),
                all: false,
                pid: None,
                pgid: None,
            }),
            &r,
        ),
    );

    let r = waiter
        .await
        .map_err(|e| format!("the background wait died: {e}"))?;
    check(
        "wait",
        show(
            &runsc,
            Subcommand::Wait(cli::Wait {
                id: id.clone(),
                pid: None,
                rootpid: None,
                checkpoint: None,
                restore: false,
                fscheckpoint: false,
                fsrestore: false,
            }),
            &r,
        ),
    );

    let r = runsc.delete(&id, &DeleteOpts::default()).await;
    check(
        "delete",
        show(
            &runsc,
            Subcommand::Delete(cli::Delete {
                ids: vec![id.clone()],
                force: false,
            }),
            &r,
        ),
    );

    println!("# a call that fails on purpose: the state of a container that does not exist");
    let r = runsc.state(&missing).await;
    let not_found = r.as_ref().err().is_some_and(runsc::Error::is_not_found);
    show(&runsc, Subcommand::State(id_only(&missing)), &r);
    println!("  -> is_not_found(): {not_found}\n");
    check(
        "state of a missing container fails with is_not_found()",
        not_found,
    );

    if failures.is_empty() {
        println!("demo: the whole lifecycle ran through the client");
        Ok(())
    } else {
        Err(format!(
            "these calls did not do what a real runsc would: {}",
            failures.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fake-runsc binary that a workspace build puts next to this test's
    /// directory (`target/debug/fake-runsc` for `target/debug/deps/xtask-*`).
    fn fake_runsc() -> std::path::PathBuf {
        if let Some(path) = std::env::var_os("FAKE_RUNSC_BIN") {
            return path.into();
        }
        let exe = std::env::current_exe().expect("the test knows its own path");
        let candidate = exe
            .parent()
            .and_then(Path::parent)
            .map(|dir| dir.join("fake-runsc"))
            .filter(|path| path.is_file());
        candidate.unwrap_or_else(|| {
            panic!(
                "no fake-runsc next to {}: build the workspace (`cargo nextest run --workspace` \
                 does) or set FAKE_RUNSC_BIN",
                exe.display()
            )
        })
    }

    #[test]
    fn the_demo_lifecycle_runs_against_the_simulator() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let bundle = dir.path().join("bundle");
        fake_runsc::testing::write_host_bundle(&bundle, &["sleep", "1000"])
            .expect("the bundle is written");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let result = runtime.block_on(lifecycle(&fake_runsc(), &dir.path().join("root"), &bundle));
        assert_eq!(result, Ok(()));
    }
}
