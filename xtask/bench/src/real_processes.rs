//! Figure 6: containers that run real processes. A create, start, exec of
//! `echo`, kill, wait, delete lifecycle on the fake (real processes) against
//! the same on real runsc; and one real `exec` of `/bin/true` on the fake
//! against spawning `/bin/true` bare.

use std::ffi::OsString;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{fmt_duration, interleaved, ratio, Samples, Variant};
use crate::report::{Report, Row, Verdict};
use crate::setup::{Fixture, Target};
use crate::Config;

fn command(program: &Path, target: &Target, rest: &[&str]) -> Command {
    let mut cmd = Command::new(program);
    cmd.args(target.args(rest))
        .envs(target.envs.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null());
    cmd
}

/// Runs a call that leaves no process holding its stdio (its output is
/// captured and checked by the caller).
fn output(program: &Path, target: &Target, rest: &[&str]) -> Result<String, String> {
    let out = command(program, target, rest)
        .output()
        .map_err(|e| format!("cannot spawn {}: {e}", program.display()))?;
    if !out.status.success() {
        return Err(format!(
            "`{}` failed ({}): {}",
            rest.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim_end()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Runs a call whose container may inherit its stdio: no pipes.
fn quiet(program: &Path, target: &Target, rest: &[&str]) -> Result<Child, String> {
    command(program, target, rest)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot spawn {}: {e}", program.display()))
}

fn finish(child: Child, what: &str) -> Result<(), String> {
    let out = child
        .wait_with_output()
        .map_err(|e| format!("{what}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({})", out.status))
    }
}

/// One lifecycle of container `id`; checks every answer.
fn lifecycle(program: &Path, target: &Target, id: &str) -> Result<(), String> {
    let bundle = target.bundle.to_string_lossy().into_owned();
    finish(
        quiet(program, target, &["create", "--bundle", &bundle, id])?,
        "create",
    )?;
    finish(quiet(program, target, &["start", id])?, "start")?;
    // runsc hands the exit status only to a wait already blocked when the
    // container exits: start it before the kill.
    let waiter = command(program, target, &["wait", id])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot spawn wait: {e}"))?;
    let echoed = output(program, target, &["exec", id, "echo", "hello"])?;
    if echoed != "hello\n" {
        return Err(format!("exec echo hello printed {echoed:?}"));
    }
    // Give the wait time to reach the container before it dies.
    std::thread::sleep(Duration::from_millis(20));
    finish(quiet(program, target, &["kill", id, "KILL"])?, "kill")?;
    let waited = waiter
        .wait_with_output()
        .map_err(|e| format!("wait: {e}"))?;
    let text = String::from_utf8_lossy(&waited.stdout);
    if !text.contains("\"exitStatus\":137") {
        return Err(format!("wait printed {text:?}, wanted exit status 137"));
    }
    finish(quiet(program, target, &["delete", id])?, "delete")
}

fn lifecycles(
    program: &Path,
    target: &Target,
    tag: &str,
    rounds: usize,
) -> Result<Samples, String> {
    let mut samples = Samples::default();
    for round in 0..rounds {
        let id = format!("bench-real-{tag}-{}-{round}", std::process::id());
        let started = Instant::now();
        let result = lifecycle(program, target, &id);
        let took = started.elapsed();
        if let Err(e) = result {
            let _ = output(program, target, &["delete", "--force", &id]);
            return Err(format!("{tag} lifecycle {id}: {e}"));
        }
        samples.push(took);
    }
    Ok(samples)
}

/// Measures figure 6 and adds its rows to `report`.
pub fn figure(config: &Config, report: &mut Report) -> Result<(), String> {
    let fixture = Fixture::new()?;
    let fake_target = fixture.simulator("real-processes")?;
    let fake = lifecycles(&config.fake, &fake_target, "fake", config.lifecycle_rounds)?;
    match (&config.real_runsc, config.real_rounds) {
        (Some(runsc), rounds) if rounds > 0 => {
            let runsc_target = fixture.simulator("real-processes-runsc")?;
            let real = lifecycles(runsc, &runsc_target, "runsc", rounds)?;
            let r = ratio(real.median(), fake.median());
            report.row(Row {
                figure: 6,
                what: "create/start/exec `echo`/kill/wait/delete, real processes on the fake"
                    .into(),
                value: fmt_duration(fake.median()),
                baseline: format!("real runsc: {}", fmt_duration(real.median())),
                ratio: format!("{r:.1}× faster"),
                target: "≥ 30× faster".into(),
                verdict: Verdict::from_bool(r >= 30.0),
            });
        }
        _ => report.note(
            "Figure 6's lifecycle was measured on the fake only (real runsc not driven): \
             no ratio."
                .to_owned(),
        ),
    }

    let id = "bench-real-exec";
    let started = fake_target.start_container(&config.fake, id)?;
    let exec_args = fake_target.args(&["exec", id, "/bin/true"]);
    let no_args: Vec<OsString> = Vec::new();
    let true_bin = Path::new("/bin/true");
    let run = |program: &Path, args: &[OsString], envs: &[(OsString, OsString)]| {
        let status = Command::new(program)
            .args(args)
            .envs(envs.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(|e| format!("cannot spawn {}: {e}", program.display()))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("{} failed ({status})", program.display()))
        }
    };
    let mut variants = vec![
        Variant::new("/bin/true", || run(true_bin, &no_args, &[])),
        Variant::new("fake-runsc exec /bin/true", || {
            run(&config.fake, &exec_args, &fake_target.envs)
        }),
    ];
    let samples = interleaved(config.spawn_warmup, config.spawn_rounds, &mut variants);
    drop(variants);
    fake_target.delete_container(&config.fake, &started)?;
    let samples = samples?;
    let (bare, exec) = (samples[0].median(), samples[1].median());
    let r = ratio(exec, bare);
    report.row(Row {
        figure: 6,
        what: "one real `exec` of `/bin/true` on the fake".into(),
        value: format!(
            "{} (p99 {})",
            fmt_duration(exec),
            fmt_duration(samples[1].percentile(99.0))
        ),
        baseline: format!("/bin/true spawned bare: {}", fmt_duration(bare)),
        ratio: format!("{r:.2}×"),
        target: "≤ 5×".into(),
        verdict: Verdict::from_bool(r <= 5.0),
    });
    Ok(())
}
