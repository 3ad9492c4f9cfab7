//! The client's options that newer runsc releases added: a client built for
//! an older release refuses each before spawning, naming the option and the
//! release that added it; a client for 20260817 renders each as gVisor's Go
//! client (`pkg/shim/v1/runsccmd` at release-20260817.0, which the
//! containerd shim drives) writes it. The expected lines are written from
//! that source; options the Go client lacks follow the ones it has.

use std::time::Duration;

use nix::sys::signal::Signal::SIGTERM;
use runsc::cli::{Release, WaitCheckpoint};
use runsc::{
    CheckpointOpts, CreateOpts, Error, FsCheckpointOpts, KillOpts, RestoreOpts, RunOpts, WaitOpts,
};

use crate::support::{id, Fake};

/// One client call with the options under test.
enum Call {
    Create(fn() -> CreateOpts),
    Run(fn() -> RunOpts),
    Restore(fn() -> RestoreOpts),
    Checkpoint(CheckpointOpts),
    FsCheckpoint(FsCheckpointOpts),
    Kill(KillOpts),
    WaitEvent(WaitOpts),
}

impl Call {
    async fn on(&self, fake: &Fake) -> Result<(), Error> {
        let (r, c1) = (&fake.runsc, &id("c1"));
        match self {
            Self::Create(opts) => r.create(c1, "/b", &opts()).await,
            Self::Run(opts) => r.run(c1, "/b", &opts()).await.map(drop),
            Self::Restore(opts) => r.restore(c1, "/b", &opts()).await.map(drop),
            Self::Checkpoint(opts) => r.checkpoint(c1, opts).await,
            Self::FsCheckpoint(opts) => r.fscheckpoint(c1, opts).await,
            Self::Kill(opts) => r.kill(c1, SIGTERM, opts).await,
            Self::WaitEvent(opts) => r.wait_event(c1, opts).await,
        }
    }
}

fn client(release: Release) -> Fake {
    Fake::with("exit 0\n", |b, _| b.release(release))
}

/// Each newer option alone, with what a client for an older release must
/// name and the release that added it.
fn one_option_each() -> Vec<(Call, &'static str, Release)> {
    use Release::{R20241021 as MID, R20260817 as NEW};
    let ckpt = CheckpointOpts::default;
    let wait = WaitOpts::default;
    vec![
        (
            Call::Create(|| CreateOpts::default().with_fs_restore_image_path("/img/fs")),
            "create --fs-restore-image-path",
            NEW,
        ),
        (
            Call::Create(|| CreateOpts::default().with_fs_restore_direct(true)),
            "create --fs-restore-direct",
            NEW,
        ),
        (
            Call::Run(|| RunOpts::default().with_fs_restore_image_path("/img/fs")),
            "run --fs-restore-image-path",
            NEW,
        ),
        (
            Call::Run(|| RunOpts::default().with_fs_restore_direct(true)),
            "run --fs-restore-direct",
            NEW,
        ),
        (
            Call::Restore(|| RestoreOpts::default().with_direct(true)),
            "restore --direct",
            MID,
        ),
        (
            Call::Restore(|| RestoreOpts::default().with_background(true)),
            "restore --background",
            MID,
        ),
        (
            Call::Restore(|| RestoreOpts::default().with_fs_restore_image_path("/img/fs")),
            "restore --fs-restore-image-path",
            NEW,
        ),
        (
            Call::Restore(|| RestoreOpts::default().with_fs_restore_direct(true)),
            "restore --fs-restore-direct",
            NEW,
        ),
        (
            Call::Restore(|| RestoreOpts::default().with_split_fsrestore(true)),
            "restore --split-fsrestore",
            NEW,
        ),
        (
            Call::Checkpoint(ckpt().with_direct(true)),
            "checkpoint --direct",
            MID,
        ),
        (
            Call::Checkpoint(ckpt().with_compression("none")),
            "checkpoint --compression",
            MID,
        ),
        (
            Call::Checkpoint(ckpt().with_exclude_committed_zero_pages(true)),
            "checkpoint --exclude-committed-zero-pages",
            MID,
        ),
        (
            Call::Checkpoint(ckpt().with_save_restore_exec_argv("/bin/hook")),
            "checkpoint --save-restore-exec-argv",
            NEW,
        ),
        (
            Call::Checkpoint(ckpt().with_save_restore_exec_timeout(Duration::from_secs(90))),
            "checkpoint --save-restore-exec-timeout",
            NEW,
        ),
        (
            Call::Checkpoint(ckpt().with_cuda_checkpoint_path("/usr/bin/cuda-checkpoint")),
            "checkpoint --cuda-checkpoint-path",
            NEW,
        ),
        (
            Call::Checkpoint(ckpt().with_cuda_checkpoint_sequential(true)),
            "checkpoint --cuda-checkpoint-sequential",
            NEW,
        ),
        (
            Call::Checkpoint(ckpt().with_fs_checkpoint_paths("c1:/data")),
            "checkpoint --fs-checkpoint-paths",
            NEW,
        ),
        (
            Call::FsCheckpoint(FsCheckpointOpts::default().with_image_path("/img/fs")),
            "fscheckpoint",
            NEW,
        ),
        (
            Call::Kill(KillOpts::default().with_pgid(7)),
            "kill --pgid",
            NEW,
        ),
        (
            Call::WaitEvent(wait().with_checkpoint(true)),
            "wait --checkpoint",
            NEW,
        ),
        (
            Call::WaitEvent(wait().with_checkpoint_number(2)),
            "wait --checkpoint N",
            MID,
        ),
        (
            Call::WaitEvent(wait().with_restore(true)),
            "wait --restore",
            NEW,
        ),
        (
            Call::WaitEvent(wait().with_fscheckpoint(true)),
            "wait --fscheckpoint",
            NEW,
        ),
        (
            Call::WaitEvent(wait().with_fsrestore(true)),
            "wait --fsrestore",
            NEW,
        ),
    ]
}

#[tokio::test]
async fn an_older_release_refuses_each_newer_option_before_spawning() {
    for (call, option, added) in one_option_each() {
        for release in Release::ALL.into_iter().filter(|r| *r < added) {
            let fake = client(release);
            let err = call.on(&fake).await.unwrap_err();
            let text = err.to_string();
            assert!(err.is_invalid_input(), "{option} on {release}: {text}");
            assert!(
                text.contains(&format!("runsc {release} has no `{option}`"))
                    && text.contains(&format!("added in runsc {added}")),
                "{option} on {release}: {text}"
            );
            assert!(
                !fake.dir.path().join("argv").exists(),
                "{option} on {release}: runsc was spawned"
            );
        }
        // The release that added it passes the option to runsc.
        let fake = client(added);
        call.on(&fake).await.unwrap();
        let flag = option.split(' ').nth(1).unwrap_or(option);
        assert!(
            fake.argv().iter().any(|a| a.starts_with(flag)),
            "{option} on {added}: {:?}",
            fake.argv()
        );
    }
}

#[tokio::test]
async fn the_newest_release_renders_them_as_the_go_client_does() {
    let fake = client(Release::R20260817);
    let r = &fake.runsc;
    let c1 = id("c1");
    let cwd = std::env::current_dir().unwrap();
    let pid_file = cwd.join("c1.pid").display().to_string();

    // CreateOpts.args(): --pid-file ABS --console-socket S --user-log L
    // --fs-restore-image-path P --fs-restore-direct.
    let create = || {
        CreateOpts::default()
            .with_pid_file("c1.pid")
            .with_fs_restore_image_path("/img/fs")
            .with_fs_restore_direct(true)
    };
    r.create(&c1, "/b", &create()).await.unwrap();
    let tail = [
        "--bundle",
        "/b",
        "--pid-file",
        &pid_file,
        "--fs-restore-image-path",
        "/img/fs",
        "--fs-restore-direct",
        "c1",
    ];
    let mut expected = vec!["create"];
    expected.extend(tail);
    assert_eq!(fake.argv(), expected);

    // Run takes the same CreateOpts.
    let run = RunOpts::default()
        .with_pid_file("c1.pid")
        .with_fs_restore_image_path("/img/fs")
        .with_fs_restore_direct(true);
    r.run(&c1, "/b", &run).await.unwrap();
    let mut expected = vec!["run"];
    expected.extend(tail);
    assert_eq!(fake.argv(), expected);

    // RestoreOpts.args(): --image-path=I --detach --direct --background; the
    // Go client passes no --bundle, the client does, after them.
    let restore = RestoreOpts::default()
        .with_image_path("/img")
        .with_detach(true)
        .with_direct(true)
        .with_background(true)
        .with_fs_restore_image_path("/img/fs")
        .with_split_fsrestore(true);
    r.restore(&c1, "/b", &restore).await.unwrap();
    assert_eq!(
        fake.argv(),
        [
            "restore",
            "--image-path=/img",
            "--detach",
            "--direct",
            "--background",
            "--bundle",
            "/b",
            "--fs-restore-image-path",
            "/img/fs",
            "--split-fsrestore",
            "c1",
        ]
    );

    // CheckpointOpts.checkpointArgs(), every option in its order, then the
    // one it lacks.
    let checkpoint = CheckpointOpts::default()
        .with_image_path("/img")
        .with_leave_running(true)
        .with_direct(true)
        .with_compression("flate-best-speed")
        .with_exclude_committed_zero_pages(true)
        .with_save_restore_exec_argv("/bin/hook --save")
        .with_save_restore_exec_timeout(Duration::from_secs(90))
        .with_cuda_checkpoint_path("/usr/bin/cuda-checkpoint")
        .with_cuda_checkpoint_sequential(true)
        .with_work_path("/work")
        .with_fs_checkpoint_paths("c1:/data");
    r.checkpoint(&c1, &checkpoint).await.unwrap();
    assert_eq!(
        fake.argv(),
        [
            "checkpoint",
            "--image-path=/img",
            "--leave-running",
            "--direct",
            "--compression=flate-best-speed",
            "--exclude-committed-zero-pages",
            "--save-restore-exec-argv=/bin/hook --save",
            "--save-restore-exec-timeout=90s",
            "--cuda-checkpoint-path=/usr/bin/cuda-checkpoint",
            "--cuda-checkpoint-sequential",
            "--work-path=/work",
            "--fs-checkpoint-paths=c1:/data",
            "c1",
        ]
    );
    let fine =
        CheckpointOpts::default().with_save_restore_exec_timeout(Duration::from_millis(1500));
    r.checkpoint(&c1, &fine).await.unwrap();
    assert_eq!(
        fake.argv(),
        [
            "checkpoint",
            "--save-restore-exec-timeout=1500000000ns",
            "c1"
        ]
    );

    // CheckpointOpts.fsCheckpointArgs(): one --path=P per path.
    let fs = FsCheckpointOpts::default()
        .with_image_path("/img/fs")
        .with_leave_running(true)
        .with_direct(true)
        .with_path("/data")
        .with_path("/etc");
    r.fscheckpoint(&c1, &fs).await.unwrap();
    assert_eq!(
        fake.argv(),
        [
            "fscheckpoint",
            "--image-path=/img/fs",
            "--leave-running",
            "--direct",
            "--path=/data",
            "--path=/etc",
            "c1",
        ]
    );

    // WaitOpts.args(): the event switch, then --pid N.
    for (opts, flag) in [
        (WaitOpts::default().with_checkpoint(true), "--checkpoint"),
        (WaitOpts::default().with_restore(true), "--restore"),
        (
            WaitOpts::default().with_fscheckpoint(true),
            "--fscheckpoint",
        ),
        (WaitOpts::default().with_fsrestore(true), "--fsrestore"),
    ] {
        r.wait_event(&c1, &opts.with_pid(3)).await.unwrap();
        assert_eq!(fake.argv(), ["wait", flag, "--pid", "3", "c1"]);
    }

    // The Go client has no --pgid; it follows --all and --pid.
    r.kill(&c1, SIGTERM, &KillOpts::default().with_pgid(7))
        .await
        .unwrap();
    assert_eq!(fake.argv(), ["kill", "--pgid", "7", "c1", "15"]);
}

#[tokio::test]
async fn release_20241021_waits_for_a_checkpoint_by_number() {
    let fake = client(Release::R20241021);
    let opts = WaitOpts::default().with_checkpoint_number(2);
    assert_eq!(opts.checkpoint, Some(WaitCheckpoint::Nth(2)));
    fake.runsc.wait_event(&id("c1"), &opts).await.unwrap();
    assert_eq!(fake.argv(), ["wait", "--checkpoint", "2", "c1"]);
}

#[tokio::test]
async fn wait_and_wait_event_take_their_own_options() {
    // runsc prints nothing after a checkpoint or restore wait.
    let fake = client(Release::R20260817);
    let c1 = id("c1");
    let event = WaitOpts::default().with_checkpoint(true);
    let err = fake.runsc.wait(&c1, &event).await.unwrap_err();
    assert!(
        err.is_invalid_input() && err.to_string().contains("Runsc::wait_event"),
        "{err}"
    );
    let err = fake
        .runsc
        .wait_event(&c1, &WaitOpts::default())
        .await
        .unwrap_err();
    assert!(
        err.is_invalid_input() && err.to_string().contains("Runsc::wait"),
        "{err}"
    );
    let two = WaitOpts::default().with_restore(true).with_fsrestore(true);
    let err = fake.runsc.wait_event(&c1, &two).await.unwrap_err();
    assert!(
        err.is_invalid_input() && err.to_string().contains("exactly one"),
        "{err}"
    );
    assert!(!fake.dir.path().join("argv").exists(), "runsc was spawned");

    // runsc's own failure of the wait is reported.
    let failing = Fake::with(
        "echo 'waiting for checkpoint to complete: boom' >&2; exit 128\n",
        |b, _| b,
    );
    let err = failing.runsc.wait_event(&c1, &event).await.unwrap_err();
    assert!(err.to_string().contains("boom"), "{err}");
}

#[test]
fn a_duration_longer_than_go_holds_is_refused() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let fake = client(Release::R20260817);
    let opts = CheckpointOpts::default().with_save_restore_exec_timeout(Duration::MAX);
    let err = runtime
        .block_on(fake.runsc.checkpoint(&id("c1"), &opts))
        .unwrap_err();
    assert!(
        err.is_invalid_input() && err.to_string().contains("Go's durations"),
        "{err}"
    );
}
