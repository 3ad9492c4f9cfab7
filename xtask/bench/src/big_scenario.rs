//! Figure 7: one call against a scenario of 100 000 steps (one `state` step
//! per container id), the call matching the last one: the fake loads the
//! scenario, decides and answers in time and memory linear in the steps.
//! Also `fake-runsc check` over the same file.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::harness::{fmt_duration, Samples};
use crate::report::{Row, Verdict};
use crate::setup::Fixture;
use crate::Config;

/// The target for one call: time.
const CALL_TARGET: Duration = Duration::from_millis(5);
/// The target for one call: peak resident memory, in KiB.
const RSS_TARGET_KIB: i64 = 50 * 1024;

/// `steps` `state` steps, one per container `c0`, `c1`, ...
pub fn scenario(steps: usize) -> Value {
    let steps: Vec<Value> = (0..steps)
        .map(|i| {
            json!({"match": {"command": "state", "id": format!("c{i}")},
                   "times": "any",
                   "reply": {"stdout": "{\"status\":\"running\"}\n"}})
        })
        .collect();
    json!({"version": 1, "steps": steps})
}

/// Runs `program args` with `envs`, returning its wall time and peak RSS
/// (KiB, from wait4's rusage of this very child).
fn measured(
    program: &Path,
    args: &[String],
    envs: &[(std::ffi::OsString, std::ffi::OsString)],
) -> Result<(Duration, i64), String> {
    let started = Instant::now();
    let child = Command::new(program)
        .args(args)
        .envs(envs.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot spawn {}: {e}", program.display()))?;
    let pid = i32::try_from(child.id()).map_err(|e| e.to_string())?;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
    let mut usage: nix::libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our unwaited child; both pointers are to live locals.
    let waited = unsafe { nix::libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    if waited != pid {
        return Err(format!("wait4 failed: {}", std::io::Error::last_os_error()));
    }
    if !nix::libc::WIFEXITED(status) || nix::libc::WEXITSTATUS(status) != 0 {
        return Err(format!(
            "{} {args:?} failed (wait status {status})",
            program.display()
        ));
    }
    Ok((wall, usage.ru_maxrss))
}

/// Measures figure 7.
pub fn figure(config: &Config) -> Result<Vec<Row>, String> {
    let steps = config.big_scenario_steps;
    let fixture = Fixture::new()?;
    let scenario = scenario(steps);
    let replay = fixture.replay_session("big", &scenario)?;
    let last = format!("c{}", steps.saturating_sub(1));
    let args: Vec<String> = replay
        .args(&["state", &last])
        .into_iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let mut times = Samples::default();
    let mut peak = 0;
    for _ in 0..config.big_scenario_rounds.max(1) {
        let (wall, rss) = measured(&config.fake, &args, &replay.envs)?;
        times.push(wall);
        peak = peak.max(rss);
    }
    let file = fixture.subdir("big")?.join("scenario.json");
    let (check_wall, check_rss) = measured(
        &config.fake,
        &["check".to_owned(), file.display().to_string()],
        &[],
    )?;
    let median = times.median();
    Ok(vec![
        Row {
            figure: 7,
            what: format!(
                "one replay call against a {steps}-step scenario (matching the last step)"
            ),
            value: format!("{} (peak RSS {} MiB)", fmt_duration(median), peak / 1024),
            baseline: "–".into(),
            ratio: "–".into(),
            target: "< 5 ms, < 50 MiB".into(),
            verdict: Verdict::from_bool(median < CALL_TARGET && peak < RSS_TARGET_KIB),
        },
        Row {
            figure: 7,
            what: format!("`fake-runsc check` of the same {steps}-step scenario"),
            value: format!(
                "{} (peak RSS {} MiB)",
                fmt_duration(check_wall),
                check_rss / 1024
            ),
            baseline: "–".into(),
            ratio: "–".into(),
            target: "— (linear in the steps)".into(),
            verdict: Verdict::NotApplicable,
        },
    ])
}
