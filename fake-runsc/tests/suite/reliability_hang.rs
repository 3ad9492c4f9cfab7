//! A runsc that hangs: the call's deadline (or dropping the call) kills
//! runsc's whole process group and reaps runsc, leaving no child of the
//! test process, zombie or not, and nothing alive in the killed group.
//!
//! One test function on purpose: it inspects every child of this test
//! process in `/proc`, which other tests running in parallel threads would
//! disturb.
//!
//! A grandchild in the group is killed too, but only its parent can reap
//! it: once runsc is gone it belongs to PID 1 (or a subreaper), so for it
//! the test checks that it is dead and not a child of the test.

use std::future::poll_fn;
use std::os::unix::fs::PermissionsExt;
use std::pin::Pin;
use std::time::Duration;

use fake_runsc::scenario::{Fault, Scenario, Step};
use futures_core::Stream;
use runsc::cli::ContainerId;

use crate::common::{start, stat};
use crate::reliability_support::{
    calls, children_of_this_process, client, group_members, journalled_pid, wait_for,
};

const SETTLE: Duration = Duration::from_secs(10);
/// Long enough for a fake to start and journal its call on a loaded
/// machine; the call hangs, so the deadline always passes.
const DEADLINE: Duration = Duration::from_secs(3);

fn assert_no_children(when: &str) {
    let children = children_of_this_process();
    assert!(
        children.is_empty(),
        "{when}: the test process still has children: {children:?}"
    );
}

/// Nothing in group `pgid` is alive; zombies left there are not ours.
fn assert_group_dead(pgid: i32, when: &str) {
    wait_for(
        &format!("{when}: every process of group {pgid} dies"),
        SETTLE,
        || {
            let alive: Vec<_> = group_members(pgid)
                .into_iter()
                .filter(|p| p.state != 'Z')
                .collect();
            (alive.is_empty(), alive)
        },
    );
    let me = std::process::id() as i32;
    let ours: Vec<_> = group_members(pgid)
        .into_iter()
        .filter(|p| p.ppid == me)
        .collect();
    assert!(
        ours.is_empty(),
        "{when}: zombies of the test process remain: {ours:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_runsc_is_killed_with_its_group_and_reaped() {
    let id = ContainerId::new("c1").expect("id");
    assert_no_children("before anything ran");

    // 1. The fake hangs; the deadline passes.
    let fake = start(&Scenario::new().step(Step::command("state").fault(Fault::Hang {})));
    let error = client(&fake, Some(DEADLINE))
        .state(&id)
        .await
        .expect_err("the deadline passes");
    assert!(error.is_timeout(), "{error:?}");
    let pid = journalled_pid(&fake, 0).expect("the fake journalled the call before hanging");
    assert_eq!(
        stat(pid),
        None,
        "the timed-out runsc (pid {pid}) is not reaped"
    );
    assert_group_dead(pid, "after the deadline");
    assert_no_children("after the deadline");

    // 2. A runsc that started a child of its own in its group, then hangs.
    let dir = tempfile::tempdir().expect("temp dir");
    let pids = dir.path().join("pids");
    let script = dir.path().join("hanging-runsc");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nsleep 600 &\necho \"$$ $!\" > '{}'\nwait\n",
            pids.display()
        ),
    )
    .expect("script");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let runsc = runsc::Runsc::builder()
        .command(&script)
        .timeout(DEADLINE)
        .build()
        .expect("client");
    let error = runsc.state(&id).await.expect_err("the deadline passes");
    assert!(error.is_timeout(), "{error:?}");
    let text = std::fs::read_to_string(&pids).expect("the script wrote its pids");
    let mut fields = text
        .split_whitespace()
        .map(|p| p.parse::<i32>().expect("a pid"));
    let (runsc_pid, grandchild) = (
        fields.next().expect("runsc pid"),
        fields.next().expect("child pid"),
    );
    assert_eq!(
        stat(runsc_pid),
        None,
        "the timed-out runsc (pid {runsc_pid}) is not reaped"
    );
    assert_group_dead(runsc_pid, "after the deadline, with a grandchild");
    assert!(
        stat(grandchild).is_none_or(|s| s.state == 'Z' && s.ppid != std::process::id() as i32),
        "the grandchild {grandchild} survived: {:?}",
        stat(grandchild)
    );
    assert_no_children("after the deadline, with a grandchild");

    // 3. The caller drops the call while runsc hangs (cancellation).
    let fake = start(&Scenario::new().step(Step::command("state").fault(Fault::Hang {})));
    let runsc = client(&fake, None);
    let call = tokio::spawn({
        let id = id.clone();
        async move { runsc.state(&id).await }
    });
    wait_for("the hanging call to reach the fake", SETTLE, || {
        let n = calls(&fake).len();
        (n == 1, n)
    });
    let pid = journalled_pid(&fake, 0).expect("journalled pid");
    call.abort();
    assert!(call.await.expect_err("aborted").is_cancelled());
    wait_for("the dropped call's runsc to be reaped", SETTLE, || {
        let seen = stat(pid);
        (seen.is_none(), seen)
    });
    assert_group_dead(pid, "after dropping the call");
    assert_no_children("after dropping the call");

    // 4. The caller drops an event stream whose runsc hangs after an event.
    let step = Step::command("events")
        .stdout_chunk(0, "{\"type\":\"stats\",\"id\":\"c1\"}\n")
        .hang();
    let fake = start(&Scenario::new().step(step));
    let mut stream = client(&fake, None)
        .events(&id, Duration::from_secs(1))
        .await
        .expect("events starts");
    let first = poll_fn(|cx| Pin::new(&mut stream).poll_next(cx)).await;
    assert!(matches!(first, Some(Ok(_))), "{first:?}");
    let pid = journalled_pid(&fake, 0).expect("journalled pid");
    drop(stream);
    wait_for("the dropped stream's runsc to be reaped", SETTLE, || {
        let seen = stat(pid);
        (seen.is_none(), seen)
    });
    assert_group_dead(pid, "after dropping the event stream");
    assert_no_children("after dropping the event stream");
}
