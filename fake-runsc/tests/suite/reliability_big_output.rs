//! 100 MB on runsc's stderr or stdout: the call neither deadlocks nor grows
//! the client's memory with the output. The captured bytes stay within the
//! output limit, the rest is counted, and the process's peak resident size
//! (`VmHWM`) grows by far less than the output.
//!
//! One test function on purpose: `VmHWM` is the peak of the whole test
//! process, which other tests running in parallel threads would raise.

use std::future::poll_fn;
use std::pin::Pin;
use std::time::Duration;

use fake_runsc::scenario::{Fault, Scenario, Step};
use futures_core::Stream;
use runsc::cli::ContainerId;
use runsc::Error;

use crate::common::start;
use crate::reliability_support::state_json;

const HUNDRED_MB: u64 = 100_000_000;
/// A small limit, so that the bound is easy to tell from the output.
const LIMIT: usize = 1 << 20;
/// The most the peak resident size may grow over the whole test: several
/// times the limit (two streams, read buffers, the decoder's margin), and
/// an eighth of one stream's output.
const GROWTH_BOUND_KB: u64 = 12 * 1024;

/// The process's peak resident set size, in kB.
fn vm_hwm_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a VmHWM line")
}

fn client(fake: &fake_runsc::testing::FakeRuntime) -> runsc::Runsc {
    runsc::Runsc::builder()
        .command(fake.command_path())
        .root(fake.root())
        .output_limit(LIMIT)
        .timeout(Duration::from_secs(120))
        .build()
        .expect("client")
}

#[tokio::test]
async fn a_hundred_megabytes_of_output_stays_bounded() {
    let id = ContainerId::new("c1").expect("id");
    // Warm up the runtime, the spawn path and the allocator first, so the
    // baseline already holds what any call costs.
    let warm = start(&Scenario::new().step(Step::command("state").stdout(state_json("c1"))));
    client(&warm).state(&id).await.expect("a plain call works");
    let baseline = vm_hwm_kb();

    // stderr: a failing call that prints 100 MB first.
    let step = Step::command("state")
        .exit(1)
        .fault(Fault::HugeStderr { bytes: HUNDRED_MB });
    let fake = start(&Scenario::new().step(step));
    let error = client(&fake).state(&id).await.expect_err("runsc failed");
    let Error::Failed { stderr, .. } = &error else {
        panic!("expected runsc's failure, got {error:?}");
    };
    assert_eq!(error.exit_code(), Some(1));
    assert!(
        stderr.len() <= LIMIT + 200,
        "stderr kept {} bytes, over the {LIMIT}-byte limit",
        stderr.len()
    );
    let dropped = HUNDRED_MB - LIMIT as u64;
    assert!(
        stderr.ends_with(&format!(
            "... ({dropped} more bytes not kept; see RunscBuilder::output_limit)"
        )),
        "stderr does not say how much was dropped: ...{:?}",
        &stderr[stderr.len().saturating_sub(120)..]
    );

    // stdout: a successful call that prints 100 MB instead of a document.
    let step = Step::command("state").fault(Fault::Garbage {
        bytes: HUNDRED_MB as usize,
    });
    let fake = start(&Scenario::new().step(step));
    match client(&fake).state(&id).await {
        Err(Error::OutputLimit { total, limit, .. }) => {
            assert_eq!((total, limit), (HUNDRED_MB, LIMIT));
        }
        other => panic!("expected the output limit, got {other:?}"),
    }

    // An event stream with a 100 MB line: the stream stops runsc and ends
    // with the limit instead of buffering the line.
    let step = Step::command("events").fault(Fault::Garbage {
        bytes: HUNDRED_MB as usize,
    });
    let fake = start(&Scenario::new().step(step));
    let mut stream = client(&fake)
        .events(&id, Duration::from_secs(1))
        .await
        .expect("events starts");
    let mut items = Vec::new();
    while let Some(item) = poll_fn(|cx| Pin::new(&mut stream).poll_next(cx)).await {
        items.push(item);
        assert!(items.len() < 10, "the stream does not end: {items:?}");
    }
    assert!(
        matches!(items.as_slice(), [Err(Error::OutputLimit { .. })]),
        "expected one output-limit error, got {items:?}"
    );

    let growth = vm_hwm_kb().saturating_sub(baseline);
    assert!(
        growth < GROWTH_BOUND_KB,
        "the peak resident size grew by {growth} kB while 300 MB passed through; bound {GROWTH_BOUND_KB} kB"
    );
    eprintln!("reliability_big_output: VmHWM grew by {growth} kB over 3 x 100 MB of output (limit {LIMIT} bytes)");
}
