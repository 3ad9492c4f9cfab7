//! Running cargo and other steps from xtask: where the workspace is, how a
//! step is announced and timed, and how the fake-runsc binary is built and found.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The workspace root: xtask always lives one level below it.
pub fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

/// A `cargo` command run from the workspace root. `CARGO` is what cargo itself
/// sets for the programs it runs, so the same toolchain is used throughout.
pub fn cargo<I, S>(args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let program = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(program);
    command.args(args).current_dir(workspace_root());
    command
}

/// How a command looks on a terminal, for step lines and error messages.
pub fn display(command: &Command) -> String {
    let program = Path::new(command.get_program());
    let name = program
        .file_name()
        .unwrap_or(program.as_os_str())
        .to_string_lossy();
    std::iter::once(name.into_owned())
        .chain(command.get_args().map(|a| a.to_string_lossy().into_owned()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// One named step of a task.
pub struct Step {
    /// Short name used in the step line and the summary.
    pub name: &'static str,
    /// What runs.
    pub command: Command,
    /// Shown next to the step line, e.g. why a fallback is used.
    pub note: Option<String>,
}

/// Runs the steps in order, printing a line per step and a summary, and
/// stops at the first failure, naming the step.
pub fn run_steps(task: &str, steps: Vec<Step>) -> Result<(), String> {
    let total = steps.len();
    let mut done: Vec<(&'static str, Duration)> = Vec::new();
    let started = Instant::now();
    for (index, mut step) in steps.into_iter().enumerate() {
        eprintln!(
            "xtask {task}: [{}/{total}] {}: {}",
            index + 1,
            step.name,
            display(&step.command)
        );
        if let Some(note) = &step.note {
            eprintln!("xtask {task}:        note: {note}");
        }
        let step_started = Instant::now();
        let status = step
            .command
            .status()
            .map_err(|e| format!("step `{}` could not start: {e}", step.name))?;
        let took = step_started.elapsed();
        if !status.success() {
            print_summary(task, &done, Some((step.name, took)), total);
            return Err(format!(
                "step `{}` failed ({status}); rerun it alone with `{}`",
                step.name,
                display(&step.command)
            ));
        }
        done.push((step.name, took));
    }
    print_summary(task, &done, None, total);
    eprintln!(
        "xtask {task}: all {total} steps passed in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn print_summary(
    task: &str,
    done: &[(&'static str, Duration)],
    failed: Option<(&'static str, Duration)>,
    total: usize,
) {
    eprintln!("xtask {task}: summary");
    for (name, took) in done {
        eprintln!("  ok      {name:<10} {:>7.1} s", took.as_secs_f64());
    }
    if let Some((name, took)) = failed {
        eprintln!("  FAILED  {name:<10} {:>7.1} s", took.as_secs_f64());
        let skipped = total - done.len() - 1;
        if skipped > 0 {
            eprintln!("  ({skipped} later step(s) not run)");
        }
    }
}

/// Whether `cargo <subcommand> --version` works, i.e. the plugin is installed.
pub fn has_cargo_plugin(subcommand: &str) -> bool {
    cargo([subcommand, "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// How `fake-runsc` is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FakeBuild {
    /// `cargo build`: what tests use.
    Debug,
    /// `cargo build --release`: optimised, linked as cargo links by default
    /// (a position-independent executable that loads glibc dynamically).
    Release,
    /// Optimised and statically linked at a fixed address: the fastest start
    /// (see [`STATIC_FLAGS`]). Built in a target directory of its own so it
    /// never replaces the `Release` binary.
    Static,
}

/// The flags of [`FakeBuild::Static`], given to the final link only (a
/// workspace-wide `+crt-static` would break proc-macros). Starting without
/// the dynamic loader and without relocating the executable takes about a
/// third off every call of the fake; the bench shows both builds side by side.
pub const STATIC_FLAGS: [&str; 4] = [
    "-C",
    "target-feature=+crt-static",
    "-C",
    "relocation-model=static",
];

/// Builds the `fake-runsc` binary and returns its path, as cargo reports it
/// (so `CARGO_TARGET_DIR` and config are honoured without guessing).
pub fn build_fake_runsc(build: FakeBuild) -> Result<PathBuf, String> {
    let mut command = cargo([
        if build == FakeBuild::Static {
            "rustc"
        } else {
            "build"
        },
        "--package",
        "fake-runsc",
        "--bin",
        "fake-runsc",
        "--message-format=json-render-diagnostics",
    ]);
    if build != FakeBuild::Debug {
        command.arg("--release");
    }
    if build == FakeBuild::Static {
        command
            .arg("--target-dir")
            .arg(target_directory()?.join("static-fake"))
            .arg("--")
            .args(STATIC_FLAGS);
    }
    eprintln!("xtask: {}", display(&command));
    let output = command
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run `{}`: {e}", display(&command)))?;
    if !output.status.success() {
        return Err(format!(
            "`{}` failed ({}); fix the build errors above",
            display(&command),
            output.status
        ));
    }
    executable_from_messages(&output.stdout, "fake-runsc").ok_or_else(|| {
        format!(
            "`{}` succeeded but reported no fake-runsc executable",
            display(&command)
        )
    })
}

/// The workspace's target directory, as cargo resolves it.
fn target_directory() -> Result<PathBuf, String> {
    let mut command = cargo(["metadata", "--no-deps", "--format-version", "1"]);
    let output = command
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run `{}`: {e}", display(&command)))?;
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("`{}` printed no metadata: {e}", display(&command)))?;
    metadata["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .ok_or_else(|| format!("`{}` named no target directory", display(&command)))
}

/// `cargo xtask fake [--dynamic]`: builds the optimised fake and prints its
/// path, for suites that point `FAKE_RUNSC_BIN` (or their runsc path) at it.
pub fn fake(args: &[String]) -> Result<(), String> {
    let build = match args {
        [] => FakeBuild::Static,
        [flag] if flag == "--dynamic" => FakeBuild::Release,
        _ => {
            return Err(format!(
                "unknown arguments {args:?}; usage: cargo xtask fake [--dynamic]"
            ))
        }
    };
    println!("{}", build_fake_runsc(build)?.display());
    Ok(())
}

/// Finds the executable of bin target `name` in cargo's JSON messages.
fn executable_from_messages(stdout: &[u8], name: &str) -> Option<PathBuf> {
    stdout
        .split(|&b| b == b'\n')
        .filter_map(|line| serde_json::from_slice::<serde_json::Value>(line).ok())
        .filter(|msg| msg["reason"] == "compiler-artifact" && msg["target"]["name"] == name)
        .find_map(|msg| msg["executable"].as_str().map(PathBuf::from))
}

/// `cargo xtask bench`: the benchmarks live in the `xtask-bench` package,
/// built with optimisations so the figures mean something. Every figure runs
/// the static fake; figure 1 also shows the default release build.
pub fn bench(args: &[String]) -> Result<(), String> {
    let fake = build_fake_runsc(FakeBuild::Static)?;
    let dynamic = build_fake_runsc(FakeBuild::Release)?;
    let mut command = cargo([
        "run",
        "--quiet",
        "--release",
        "--package",
        "xtask-bench",
        "--",
    ]);
    command
        .args(args)
        .env("FAKE_RUNSC_BIN", &fake)
        .env("FAKE_RUNSC_BIN_DYNAMIC", &dynamic);
    eprintln!("xtask bench: {}", display(&command));
    let status = command
        .status()
        .map_err(|e| format!("cannot run `{}`: {e}", display(&command)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("the benchmark run failed ({status})"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_named_executable_among_other_messages() {
        let messages =
            br#"{"reason":"compiler-artifact","target":{"name":"runsc"},"executable":null}
not json at all
{"reason":"compiler-artifact","target":{"name":"fake-runsc"},"executable":"/t/debug/fake-runsc"}
{"reason":"build-finished","success":true}"#;
        assert_eq!(
            executable_from_messages(messages, "fake-runsc"),
            Some(PathBuf::from("/t/debug/fake-runsc"))
        );
        assert_eq!(executable_from_messages(messages, "runsc"), None);
    }

    #[test]
    fn fake_refuses_unknown_arguments_before_building() {
        let err = fake(&["--static".to_owned()]).unwrap_err();
        assert!(err.contains("usage: cargo xtask fake [--dynamic]"), "{err}");
    }

    #[test]
    fn display_shows_program_name_and_args() {
        let mut command = Command::new("/usr/bin/cargo");
        command.args(["fmt", "--all", "--check"]);
        assert_eq!(display(&command), "cargo fmt --all --check");
    }
}
