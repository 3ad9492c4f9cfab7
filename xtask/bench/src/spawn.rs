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

/// Measures figure 1 and returns its rows: the static build against the
/// target, then the default release build (when given) for comparison.
pub fn figure(config: &Config) -> Result<Vec<Row>, String> {
    let fixture = Fixture::new()?;
    let replay = fixture.replay_session("state-forever", &crate::setup::state_scenario())?;
    let sim = fixture.simulator("spawn")?;
    let id = sim.start_container(&config.fake, "spawn-1")?;
    let sim_args = sim.args(&["state", id.as_str()]);
    let replay_args = replay.args(&["state", "replayed-1"]);
    let true_bin = Path::new("/bin/true");

    let mut builds = vec![(config.fake.as_path(), "static build (`cargo xtask fake`)")];
    if let Some(dynamic) = &config.fake_dynamic {
        builds.push((dynamic, "default release build (`cargo build --release`)"));
    }
    let mut variants = vec![Variant::new("/bin/true", || {
        spawn(true_bin, &sim_args, &[])
    })];
    for (fake, _) in &builds {
        variants.push(Variant::new("fake-runsc replay state", || {
            spawn(fake, &replay_args, &replay.envs)
        }));
        variants.push(Variant::new("fake-runsc simulator state", || {
            spawn(fake, &sim_args, &sim.envs)
        }));
    }
    let samples = interleaved(config.spawn_warmup, config.spawn_rounds, &mut variants);
    drop(variants);
    sim.delete_container(&config.fake, &id)?;
    let samples = samples?;
    let floor = samples[0].median();
    let mut rows = Vec::new();
    // Samples hold /bin/true, then replay and simulator per build in order.
    let modes = ["replay (`state`)", "simulator `state`"];
    for (b, (_, build)) in builds.iter().enumerate() {
        for (m, mode) in modes.iter().enumerate() {
            let index = 1 + b * modes.len() + m;
            let median = samples[index].median();
            let r = ratio(median, floor);
            // The static build is the one `cargo xtask fake` gives users.
            let judged = b == 0;
            rows.push(Row {
                figure: 1,
                what: format!("one fake-runsc call, {mode}, {build}"),
                value: format!(
                    "{} (p99 {})",
                    fmt_duration(median),
                    fmt_duration(samples[index].percentile(99.0))
                ),
                baseline: format!("/bin/true spawned the same way: {}", fmt_duration(floor)),
                ratio: format!("{r:.2}×"),
                target: if judged {
                    "≤ 1.5×"
                } else {
                    "— (comparison)"
                }
                .into(),
                verdict: if judged {
                    Verdict::from_bool(r <= 1.5)
                } else {
                    Verdict::NotApplicable
                },
            });
        }
    }
    Ok(rows)
}
