//! Figure 2: one whole container lifecycle through the `runsc` client,
//! against the fake (replay, and the simulator playing simulated programs)
//! and against real runsc. The simulator with real host processes is
//! figure 6.

use std::cell::{Cell, RefCell};
use std::path::Path;
use std::time::{Duration, Instant};

use oci_spec::runtime::Process;
use runsc::cli::{ContainerId, Signal};
use runsc::types::Status;
use runsc::{CreateOpts, DeleteOpts, ExecOpts, KillOpts, Runsc, WaitOpts};

use crate::harness::{fmt_duration, interleaved, ratio, Samples, Variant};
use crate::report::{Report, Row, Verdict};
use crate::setup::{lifecycle_scenario, Fixture, Target};
use crate::Config;

/// The calls of one lifecycle, in order.
pub const CALLS: [&str; 10] = [
    "create", "start", "state", "ps", "exec", "pause", "resume", "kill", "wait", "delete",
];

/// A client for `program` with `root`, as the figures use it.
pub fn client(program: &Path, root: &Path) -> Result<Runsc, String> {
    Runsc::builder()
        .command(program)
        .root(root)
        .config("network", "none")
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| format!("cannot build the client: {e}"))
}

/// The process `exec` runs: `true`, which every runsc here can run.
pub fn exec_process() -> Process {
    let mut process = Process::default();
    process.set_args(Some(vec!["true".into()]));
    process.set_terminal(Some(false));
    process
}

/// When `wait` is called in a lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitAt {
    /// Right after `start`, awaited after `kill`: what real runsc (and the
    /// simulator) need, since runsc hands the exit status only to a wait
    /// that was already blocked when the container exited.
    BeforeKill,
    /// After `kill`, in sequence: what a replay scenario plays back, as its
    /// steps for one container come in file order.
    AfterKill,
}

/// What runsc says to a `wait` that began after the container had exited.
pub const LATE_WAIT: &str = "its exit status is unavailable";

/// One lifecycle's outcome.
#[derive(Debug, Clone, Copy)]
pub struct Lifecycle {
    /// Each call's duration, in [`CALLS`] order.
    pub times: [Duration; 10],
    /// `wait` began too late to get the exit status (see [`LATE_WAIT`]):
    /// possible when the machine is so busy that the wait process starts
    /// after the kill lands, with real runsc as with the simulator.
    pub late_wait: bool,
}

/// Runs one lifecycle of container `id` and returns each call's duration
/// (with [`WaitAt::BeforeKill`], `wait` counts from the end of `kill`). Every answer is checked, so a figure never counts a run
/// that went wrong.
pub async fn run_once(
    runsc: &Runsc,
    id: &ContainerId,
    bundle: &Path,
    process: &Process,
    wait_at: WaitAt,
) -> Result<Lifecycle, String> {
    let mut times = [Duration::ZERO; 10];
    timed(&mut times[0], "create", id, async {
        runsc.create(id, bundle, &CreateOpts::default()).await
    })
    .await?;
    timed(&mut times[1], "start", id, runsc.start(id, None)).await?;
    let waited = match wait_at {
        WaitAt::BeforeKill => {
            let waiter = {
                let (runsc, id) = (runsc.clone(), id.clone());
                tokio::spawn(async move { runsc.wait(&id, &WaitOpts::default()).await })
            };
            if let Err(e) = running_calls(runsc, id, process, &mut times).await {
                waiter.abort();
                return Err(e);
            }
            let t = Instant::now();
            let waited = waiter
                .await
                .map_err(|e| format!("wait {id}: the task died: {e}"))?;
            times[8] = t.elapsed();
            match waited {
                Ok(waited) => waited,
                // The wait process had not reached runsc's wait before the
                // container died: runsc's rule, not lost state. Counted apart.
                Err(e) if e.to_string().contains(LATE_WAIT) => {
                    let opts = DeleteOpts::default();
                    let delete = runsc.delete(id, &opts);
                    timed(&mut times[9], "delete", id, delete).await?;
                    return Ok(Lifecycle {
                        times,
                        late_wait: true,
                    });
                }
                Err(e) => return Err(format!("wait {id}: {e}")),
            }
        }
        WaitAt::AfterKill => {
            running_calls(runsc, id, process, &mut times).await?;
            timed(
                &mut times[8],
                "wait",
                id,
                runsc.wait(id, &WaitOpts::default()),
            )
            .await?
        }
    };
    if waited.exit_status != 137 {
        return Err(format!(
            "wait {id}: exit status {}, wanted 137 (SIGKILL)",
            waited.exit_status
        ));
    }
    let opts = DeleteOpts::default();
    let delete = runsc.delete(id, &opts);
    timed(&mut times[9], "delete", id, delete).await?;
    Ok(Lifecycle {
        times,
        late_wait: false,
    })
}

/// The calls made while the container runs, up to and including `kill`.
async fn running_calls(
    runsc: &Runsc,
    id: &ContainerId,
    process: &Process,
    times: &mut [Duration; 10],
) -> Result<(), String> {
    let state = timed(&mut times[2], "state", id, runsc.state(id)).await?;
    if state.id != id.as_str() || state.status != Status::Running {
        return Err(format!(
            "state {id}: got id {:?} status {:?}, wanted {id} running",
            state.id, state.status
        ));
    }
    let pids = timed(&mut times[3], "ps", id, runsc.ps(id)).await?;
    if pids.is_empty() {
        return Err(format!("ps {id}: no processes in a running container"));
    }
    let outcome = timed(&mut times[4], "exec", id, async {
        runsc.exec(id, process, &ExecOpts::default()).await
    })
    .await?;
    if outcome.code() != Some(0) {
        return Err(format!("exec {id}: `true` ended with {outcome:?}"));
    }
    timed(&mut times[5], "pause", id, runsc.pause(id)).await?;
    timed(&mut times[6], "resume", id, runsc.resume(id)).await?;
    let kill = Signal::name("KILL").map_err(|e| e.to_string())?;
    timed(&mut times[7], "kill", id, async {
        runsc.kill(id, kill, &KillOpts::default()).await
    })
    .await
}

/// Awaits `call`, storing how long it took in `slot`; errors name the call.
async fn timed<T>(
    slot: &mut Duration,
    call: &str,
    id: &ContainerId,
    future: impl std::future::Future<Output = Result<T, runsc::Error>>,
) -> Result<T, String> {
    let started = Instant::now();
    let result = future.await;
    *slot = started.elapsed();
    result.map_err(|e| format!("{call} {id}: {e}"))
}

/// A current-thread runtime: each measured call is driven to its end before
/// the next starts, as in a test.
pub fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a tokio runtime: {e}"))
}

/// Measures figure 2 and adds its rows to `report`.
pub fn figure(config: &Config, report: &mut Report) -> Result<(), String> {
    let rt = runtime()?;
    let fixture = Fixture::new()?;
    let process = exec_process();
    let rounds = config.lifecycle_rounds;
    // Replay steps are consumed, so every lifecycle gets a fresh session.
    let replays: Vec<Target> = (0..rounds + 1)
        .map(|n| fixture.replay_session(&format!("replay-{n}"), &lifecycle_scenario()))
        .collect::<Result<_, _>>()?;
    let sim = fixture.simulator("sim")?;
    // Figure 6 measures real host processes; this one keeps measuring the
    // simulator's own cost, with the programs it plays.
    let sim_client = Runsc::builder()
        .command(&config.fake)
        .root(&sim.root)
        .config("network", "none")
        .env("FAKE_RUNSC_PROCESSES", "simulated")
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| format!("cannot build the client: {e}"))?;
    let replay_calls = RefCell::new(Vec::new());
    let sim_calls = RefCell::new(Vec::new());
    let replay_round = Cell::new(0usize);
    let sim_round = Cell::new(0usize);
    let mut variants = [
        Variant::new("replay lifecycle", || {
            let n = replay_round.replace(replay_round.get() + 1);
            let target = replays
                .get(n)
                .ok_or_else(|| "more rounds than prepared sessions".to_owned())?;
            let runsc = client(&config.fake, &target.root)?;
            let id = ContainerId::new(format!("replay-{n}")).map_err(|e| e.to_string())?;
            let lifecycle = rt.block_on(run_once(
                &runsc,
                &id,
                fixture.bundle(),
                &process,
                WaitAt::AfterKill,
            ))?;
            replay_calls.borrow_mut().push(lifecycle);
            Ok(())
        }),
        Variant::new("simulator lifecycle", || {
            let n = sim_round.replace(sim_round.get() + 1);
            let id = ContainerId::new(format!("sim-{n}")).map_err(|e| e.to_string())?;
            let lifecycle = rt.block_on(run_once(
                &sim_client,
                &id,
                fixture.bundle(),
                &process,
                WaitAt::BeforeKill,
            ))?;
            sim_calls.borrow_mut().push(lifecycle);
            Ok(())
        }),
    ];
    let samples = interleaved(1, rounds, &mut variants)?;
    drop(variants);
    let (replay, simulated) = (&samples[0], &samples[1]);
    report.note(per_call_note("fake replay", &replay_calls.into_inner()));
    report.note(per_call_note("fake simulator", &sim_calls.into_inner()));

    let real = match &config.real_runsc {
        Some(runsc) if config.real_rounds > 0 => {
            let (samples, calls) = real_lifecycles(config, runsc, &fixture, &process, &rt)?;
            report.note(per_call_note("real runsc", &calls));
            Some(samples)
        }
        Some(_) => {
            report.note(
                "figure 2: real runsc is available but was not driven in this run (smoke sizes)",
            );
            None
        }
        None => {
            report.note(
                "figure 2: real runsc is not available here (it needs root and /usr/bin/runsc), \
                 so the fake's lifecycles are reported without the ratio",
            );
            None
        }
    };

    for (what, samples) in [
        ("lifecycle through the client, fake replay", replay),
        (
            "lifecycle through the client, fake simulator (simulated programs)",
            simulated,
        ),
    ] {
        let value = format!(
            "{} (10 calls, {} runs)",
            fmt_duration(samples.median()),
            samples.len()
        );
        let row = match &real {
            Some(real) => {
                let r = ratio(real.median(), samples.median());
                Row {
                    figure: 2,
                    what: what.into(),
                    value,
                    baseline: format!(
                        "real runsc: {} ({} runs)",
                        fmt_duration(real.median()),
                        real.len()
                    ),
                    ratio: format!("{r:.0}× faster"),
                    target: "≥ 50× faster".into(),
                    verdict: Verdict::from_bool(r >= 50.0),
                }
            }
            None => Row {
                figure: 2,
                what: what.into(),
                value,
                baseline: "real runsc: not available".into(),
                ratio: "–".into(),
                target: "≥ 50× faster".into(),
                verdict: Verdict::NotApplicable,
            },
        };
        report.row(row);
    }
    Ok(())
}

/// Lifecycles against real runsc, each in its own root, force-deleting the
/// container if a run fails part-way so no sandbox is left behind.
fn real_lifecycles(
    config: &Config,
    runsc_path: &Path,
    fixture: &Fixture,
    process: &Process,
    rt: &tokio::runtime::Runtime,
) -> Result<(Samples, Vec<Lifecycle>), String> {
    let mut samples = Samples::default();
    let mut calls = Vec::new();
    for n in 0..config.real_rounds {
        let root = fixture.subdir(&format!("real-{n}"))?;
        let runsc = client(runsc_path, &root)?;
        let id = ContainerId::new(format!("xtask-bench-{}-{n}", std::process::id()))
            .map_err(|e| e.to_string())?;
        let started = Instant::now();
        let result = rt.block_on(run_once(
            &runsc,
            &id,
            fixture.bundle(),
            process,
            WaitAt::BeforeKill,
        ));
        let took = started.elapsed();
        match result {
            Ok(lifecycle) => calls.push(lifecycle),
            Err(e) => {
                let _ = rt.block_on(runsc.delete(&id, &DeleteOpts::default().with_force(true)));
                return Err(format!("real runsc: {e}"));
            }
        }
        samples.push(took);
    }
    Ok((samples, calls))
}

/// A note with each call's median over `lifecycles`, to show where a
/// lifecycle's time goes, and how many waits came too late.
pub fn per_call_note(label: &str, lifecycles: &[Lifecycle]) -> String {
    let medians: Vec<String> = CALLS
        .iter()
        .enumerate()
        .map(|(index, call)| {
            let samples =
                Samples::from_durations(lifecycles.iter().map(|l| l.times[index]).collect());
            format!("{call} {}", fmt_duration(samples.median()))
        })
        .collect();
    let late = lifecycles.iter().filter(|l| l.late_wait).count();
    let late = if late == 0 {
        String::new()
    } else {
        format!("; {late} wait(s) began after the container exited and got runsc's \"exit status is unavailable\"")
    };
    format!(
        "figure 2, per-call medians, {label} ({} lifecycles): {}{late}",
        lifecycles.len(),
        medians.join(", ")
    )
}
