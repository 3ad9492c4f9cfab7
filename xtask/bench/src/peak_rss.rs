//! The peak memory of one process, measured from a small process.
//!
//! Linux counts, in a child's peak RSS, the memory of the process it was
//! forked from as it stood when the child called exec. A child of the
//! benchmark (which holds a 100 000-step scenario in memory) would report
//! the benchmark's size, not its own: every row of figure 7 once read
//! 452 MiB. So the benchmark binary runs itself as a helper
//! (`xtask-bench --peak-rss-of PROGRAM ARGS...`), a fresh process of a few
//! MiB, which spawns the program and reports its wall time and peak RSS.

use std::ffi::OsString;
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

/// The argument that makes the benchmark binary the helper.
pub const ARG: &str = "--peak-rss-of";

/// The helper: runs `args` (a program and its arguments, with stdio
/// closed), prints `WALL_NS PEAK_RSS_KIB` on stdout, and fails when the
/// program did not exit 0.
pub fn helper_main(args: &[OsString]) -> ExitCode {
    match spawn_and_wait(args) {
        Ok((wall, rss)) => {
            println!("{} {rss}", wall.as_nanos());
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

fn spawn_and_wait(args: &[OsString]) -> Result<(Duration, i64), String> {
    let (program, args) = args
        .split_first()
        .ok_or_else(|| format!("{ARG} needs a program to run"))?;
    let started = Instant::now();
    let child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot spawn {program:?}: {e}"))?;
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
            "{program:?} {args:?} failed (wait status {status})"
        ));
    }
    Ok((wall, usage.ru_maxrss))
}

/// Runs `program args` with `envs` through the helper `helper` (the
/// benchmark binary), returning the program's wall time and peak RSS in KiB.
pub fn measure(
    helper: &Path,
    program: &Path,
    args: &[String],
    envs: &[(OsString, OsString)],
) -> Result<(Duration, i64), String> {
    let output = Command::new(helper)
        .arg(ARG)
        .arg(program)
        .args(args)
        .envs(envs.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| {
            format!(
                "cannot run the peak-memory helper {}: {e}",
                helper.display()
            )
        })?;
    if !output.status.success() {
        return Err(format!(
            "the peak-memory helper {} failed: {}",
            helper.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let mut fields = text.split_whitespace().map(str::parse::<i64>);
    match (fields.next(), fields.next()) {
        (Some(Ok(nanos)), Some(Ok(rss))) => {
            Ok((Duration::from_nanos(u64::try_from(nanos).unwrap_or(0)), rss))
        }
        _ => Err(format!(
            "the peak-memory helper {} printed {text:?}, not `WALL_NS PEAK_RSS_KIB`",
            helper.display()
        )),
    }
}
