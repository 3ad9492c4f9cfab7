//! Figure 5: many concurrent lifecycles against the simulator in one root:
//! throughput, per-call p50/p99, and a check that no state was lost or mixed up.

use std::sync::Arc;
use std::time::Instant;

use runsc::cli::ContainerId;

use crate::harness::{fmt_duration, Samples};
use crate::lifecycle::{client, exec_process, run_once, WaitAt, CALLS};
use crate::report::{Row, Verdict};
use crate::setup::Fixture;
use crate::Config;

/// Measures figure 5 and returns its row.
pub fn figure(config: &Config) -> Result<Vec<Row>, String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a tokio runtime: {e}"))?;
    let fixture = Fixture::new()?;
    let sim = fixture.simulator("scale")?;
    let runsc = client(&config.fake, &sim.root)?;
    let bundle = Arc::new(fixture.bundle().to_owned());
    let process = Arc::new(exec_process());
    let count = config.scale_containers;

    let started = Instant::now();
    let results = rt.block_on(async {
        let mut tasks = Vec::with_capacity(count);
        for n in 0..count {
            let runsc = runsc.clone();
            let bundle = Arc::clone(&bundle);
            let process = Arc::clone(&process);
            tasks.push(tokio::spawn(async move {
                let id = ContainerId::new(format!("scale-{n}")).map_err(|e| e.to_string())?;
                run_once(&runsc, &id, &bundle, &process, WaitAt::BeforeKill).await
            }));
        }
        let mut results = Vec::with_capacity(count);
        for task in tasks {
            results.push(
                task.await
                    .map_err(|e| format!("a lifecycle task died: {e}"))?,
            );
        }
        Ok::<_, String>(results)
    })?;
    let wall = started.elapsed();

    let mut per_call = Samples::default();
    let mut failures = Vec::new();
    let mut late_waits = 0;
    for result in results {
        match result {
            Ok(lifecycle) => {
                lifecycle.times.iter().for_each(|t| per_call.push(*t));
                late_waits += usize::from(lifecycle.late_wait);
            }
            Err(e) => failures.push(e),
        }
    }
    let leftover = rt
        .block_on(runsc.list())
        .map_err(|e| format!("list after the lifecycles: {e}"))?
        .unwrap_or_default();
    if !failures.is_empty() {
        return Err(format!(
            "{} of {count} concurrent lifecycles failed; first: {}",
            failures.len(),
            failures[0]
        ));
    }
    if !leftover.is_empty() {
        return Err(format!(
            "{} container(s) left in the root after every lifecycle deleted its own: {:?}",
            leftover.len(),
            leftover.iter().map(|c| c.id.as_str()).collect::<Vec<_>>()
        ));
    }
    let calls = count * CALLS.len();
    let throughput = calls as f64 / wall.as_secs_f64();
    Ok(vec![Row {
        figure: 5,
        what: format!("{count} concurrent lifecycles in one simulator root ({calls} calls)"),
        value: format!(
            "{throughput:.0} calls/s; per call p50 {} p99 {}",
            fmt_duration(per_call.median()),
            fmt_duration(per_call.percentile(99.0))
        ),
        baseline: if late_waits == 0 {
            format!("wall time {}", fmt_duration(wall))
        } else {
            format!(
                "wall time {}; {late_waits} wait(s) began after their container exited \
                 (runsc's \"exit status is unavailable\")",
                fmt_duration(wall)
            )
        },
        ratio: "–".into(),
        target: "no lost or corrupted state".into(),
        verdict: Verdict::Met,
    }])
}
