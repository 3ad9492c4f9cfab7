//! Many fake invocations at once: replay hands each step out exactly once,
//! and the simulator keeps one root consistent under 64 concurrent
//! container lifecycles.

use std::collections::BTreeSet;
use std::time::Duration;

use fake_runsc::journal::CallResult;
use fake_runsc::scenario::{Scenario, Step, Times};
use runsc::cli::ContainerId;
use runsc::{CreateOpts, DeleteOpts, Runsc};
use tokio::task::JoinSet;

use crate::common::start;
use crate::reliability_support::{calls, client, state_json};

const N: usize = 64;

fn id(i: usize) -> ContainerId {
    ContainerId::new(format!("c{i}")).expect("id")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_calls_at_once_take_sixty_four_steps_once_each() {
    let scenario = (0..N).fold(Scenario::new(), |s, i| {
        s.step(
            Step::command("state")
                .id(format!("c{i}").as_str())
                .stdout(state_json(&format!("c{i}"))),
        )
    });
    let fake = start(&scenario);
    let runsc = client(&fake, Some(Duration::from_secs(120)));
    let mut set = JoinSet::new();
    for i in 0..N {
        let runsc = runsc.clone();
        set.spawn(async move { (i, runsc.state(&id(i)).await) });
    }
    while let Some(joined) = set.join_next().await {
        let (i, result) = joined.expect("the task ran");
        let state = result.unwrap_or_else(|e| panic!("call {i}: {e}"));
        assert_eq!(
            state.id,
            format!("c{i}"),
            "call {i} got another call's answer"
        );
    }
    let journal = calls(&fake);
    assert_eq!(journal.len(), N);
    let steps: BTreeSet<u64> = journal
        .iter()
        .filter_map(|e| e.step)
        .map(|s| s as u64)
        .collect();
    let seqs: BTreeSet<u64> = journal.iter().filter_map(|e| e.seq).collect();
    assert_eq!(
        steps,
        (0..N as u64).collect(),
        "each step answers exactly one call"
    );
    assert_eq!(
        seqs,
        (1..=N as u64).collect(),
        "each call has its own sequence number"
    );
    assert!(journal.iter().all(|e| e.result == CallResult::Matched));
    fake.verify().expect("every step came once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_calls_at_once_share_one_counted_step_without_losing_a_count() {
    let scenario = Scenario::new().step(
        Step::command("list")
            .stdout("null\n")
            .times(Times::Exactly(N as u32)),
    );
    let fake = start(&scenario);
    let runsc = client(&fake, Some(Duration::from_secs(120)));
    let mut set = JoinSet::new();
    for _ in 0..N {
        let runsc = runsc.clone();
        set.spawn(async move { runsc.list().await });
    }
    while let Some(joined) = set.join_next().await {
        let list = joined.expect("the task ran").expect("list");
        assert!(list.unwrap_or_default().is_empty());
    }
    let journal = calls(&fake);
    let nth: BTreeSet<u64> = journal
        .iter()
        .filter_map(|e| e.call_of_step)
        .map(u64::from)
        .collect();
    assert_eq!(journal.len(), N);
    assert_eq!(
        nth,
        (1..=N as u64).collect(),
        "every count from 1 to {N} handed out once"
    );
    fake.verify().expect("the step took exactly its calls");
    // The step is used up: one more call is not answered.
    let error = runsc.list().await.expect_err("a 65th call");
    assert_eq!(
        error.exit_code(),
        Some(fake_runsc::exit::EXIT_UNMATCHED),
        "{error:?}"
    );
}

async fn lifecycle(runsc: Runsc, bundle: std::path::PathBuf, i: usize) -> Result<(), String> {
    let c = id(i);
    let step = |what: &str, e: runsc::Error| format!("c{i}: {what}: {e}");
    runsc
        .create(&c, &bundle, &CreateOpts::default())
        .await
        .map_err(|e| step("create", e))?;
    runsc.start(&c, None).await.map_err(|e| step("start", e))?;
    let state = runsc.state(&c).await.map_err(|e| step("state", e))?;
    if state.status.as_str() != "running" {
        return Err(format!(
            "c{i}: running after start, got {}",
            state.status.as_str()
        ));
    }
    if i % 2 == 0 {
        runsc
            .delete(&c, &DeleteOpts::default().with_force(true))
            .await
            .map_err(|e| step("delete", e))?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_lifecycles_at_once_leave_one_root_consistent() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bundle = crate::common::sleep_bundle(dir.path());
    let root = dir.path().join("root");
    let runsc = Runsc::builder()
        .command(crate::common::binary())
        .root(&root)
        .timeout(Duration::from_secs(120))
        .build()
        .expect("client");
    let mut set = JoinSet::new();
    for i in 0..N {
        set.spawn(lifecycle(runsc.clone(), bundle.clone(), i));
    }
    let mut failures = Vec::new();
    while let Some(joined) = set.join_next().await {
        if let Err(e) = joined.expect("the task ran") {
            failures.push(e);
        }
    }
    let listed = runsc.list().await;
    // Clean up before asserting, so a failure leaves no sandbox behind.
    for i in (1..N).step_by(2) {
        let _ = runsc
            .delete(&id(i), &DeleteOpts::default().with_force(true))
            .await;
    }
    assert!(failures.is_empty(), "lifecycles failed: {failures:#?}");
    let listed = listed.expect("list").unwrap_or_default();
    let ids: Vec<String> = listed.iter().map(|c| c.id.clone()).collect();
    let mut expected: Vec<String> = (1..N).step_by(2).map(|i| format!("c{i}")).collect();
    expected.sort();
    assert_eq!(
        ids, expected,
        "list shows exactly the containers not deleted"
    );
    assert!(
        listed.iter().all(|c| c.status.as_str() == "running"),
        "{listed:?}"
    );
    let leftovers: Vec<_> = std::fs::read_dir(&root)
        .expect("the root")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".tmp"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "torn writes left behind: {leftovers:?}"
    );
    assert!(
        runsc
            .list()
            .await
            .expect("list")
            .unwrap_or_default()
            .is_empty(),
        "cleanup removed everything"
    );
}
