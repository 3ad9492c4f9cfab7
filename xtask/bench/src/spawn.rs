//! Figure 1: the cost of one fake-runsc call (replay, and simulator `state`)
//! against `/bin/true` spawned the same way.

use std::ffi::OsString;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::harness::{fmt_duration, interleaved, ratio, Variant};
use crate::report::{Row, Verdict};
use crate::setup::Fixture;
use crate::Config;

/// Spawns `program` with `args` and `envs` the way the client does (stdin
/// null, stdout and stderr captured) and checks that it succeeded.
fn spawn(program: &Path, args: &[OsString], envs: &[(OsString, OsString)]) -> Result<(), String> {
    let output = Command::new(program)
        .args(args)
        .envs(envs.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot spawn {}: {e}", program.display()))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{} {:?} failed ({}): {}",
            program.display(),
            args,
            output.status,
            String::from_utf8_lossy(&output.stderr).trim_end()
        ))
    }
}

/// Measures figure 1 and returns its rows.
pub fn figure(config: &Config) -> Result<Vec<Row>, String> {
    let fixture = Fixture::new()?;
    let replay = fixture.replay_session("state-forever", &crate::setup::state_scenario())?;
    let sim = fixture.simulator("spawn")?;
    let id = sim.start_container(&config.fake, "spawn-1")?;
    let sim_args = sim.args(&["state", id.as_str()]);
    let replay_args = replay.args(&["state", "replayed-1"]);
    let true_bin = Path::new("/bin/true");

    let mut variants = [
        Variant::new("/bin/true", || spawn(true_bin, &sim_args, &[])),
        Variant::new("fake-runsc replay state", || {
            spawn(&config.fake, &replay_args, &replay.envs)
        }),
        Variant::new("fake-runsc simulator state", || {
            spawn(&config.fake, &sim_args, &sim.envs)
        }),
    ];
    let samples = interleaved(config.spawn_warmup, config.spawn_rounds, &mut variants);
    drop(variants);
    sim.delete_container(&config.fake, &id)?;
    let samples = samples?;
    let floor = samples[0].median();
    let mut rows = Vec::new();
    for (index, what) in [
        (1, "one fake-runsc call, replay (`state`)"),
        (2, "one fake-runsc call, simulator `state`"),
    ] {
        let median = samples[index].median();
        let r = ratio(median, floor);
        rows.push(Row {
            figure: 1,
            what: what.into(),
            value: format!(
                "{} (p99 {})",
                fmt_duration(median),
                fmt_duration(samples[index].percentile(99.0))
            ),
            baseline: format!("/bin/true spawned the same way: {}", fmt_duration(floor)),
            ratio: format!("{r:.2}×"),
            target: "≤ 1.5×".into(),
            verdict: Verdict::from_bool(r <= 1.5),
        });
    }
    Ok(rows)
}
