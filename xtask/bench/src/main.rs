//! `cargo xtask bench [--smoke] [--out FILE]`: measures the performance
//! figures and writes them as a markdown table to stdout and to a file.

use std::path::PathBuf;
use std::process::ExitCode;

use xtask_bench::{run, Config};

const USAGE: &str =
    "usage: xtask-bench [--smoke] [--out FILE]   (normally run as `cargo xtask bench`)";

fn main() -> ExitCode {
    let args: Vec<_> = std::env::args_os().skip(1).collect();
    if args
        .first()
        .is_some_and(|a| a == xtask_bench::peak_rss::ARG)
    {
        return xtask_bench::peak_rss::helper_main(&args[1..]);
    }
    match main_inner() {
        Ok(code) => code,
        Err(message) => {
            eprintln!("bench: error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn main_inner() -> Result<ExitCode, String> {
    let mut smoke = false;
    let mut out: Option<PathBuf> = None;
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        match arg.to_str() {
            Some("--smoke") => smoke = true,
            Some("--out") => {
                out = Some(
                    args.next()
                        .map(PathBuf::from)
                        .ok_or_else(|| format!("--out needs a file name; {USAGE}"))?,
                )
            }
            Some("-h" | "--help") => {
                println!("{USAGE}");
                return Ok(ExitCode::SUCCESS);
            }
            _ => return Err(format!("unknown argument {arg:?}; {USAGE}")),
        }
    }
    let fake = xtask_bench::setup::locate_fake()?;
    let mut config = if smoke {
        Config::smoke(fake)
    } else {
        Config::full(fake)
    };
    config.fake_dynamic = std::env::var_os("FAKE_RUNSC_BIN_DYNAMIC").map(PathBuf::from);
    if !smoke && config.real_runsc.is_none() {
        eprintln!("bench: real runsc is not available (needs root and /usr/bin/runsc): figure 2 is measured on the fake only");
    }
    let outcome = run(&config);
    let title = if smoke {
        "cargo xtask bench --smoke (tiny sizes: the numbers mean nothing)"
    } else {
        "cargo xtask bench"
    };
    let markdown = outcome.report.to_markdown(title);
    print!("{markdown}");
    let out = match out {
        Some(out) => out,
        None => default_report_path()?,
    };
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(&out, &markdown).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    eprintln!("bench: report written to {}", out.display());
    if outcome.failures.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "bench: {} figure(s) could not be measured",
            outcome.failures.len()
        );
        Ok(ExitCode::FAILURE)
    }
}

/// `bench/report.md` in the target directory this binary was built into
/// (`<target>/release/xtask-bench`), wherever cargo's configuration put it.
fn default_report_path() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this executable: {e}"))?;
    let target = exe.ancestors().nth(2).ok_or_else(|| {
        format!(
            "{} is not in a cargo target directory; pass --out FILE",
            exe.display()
        )
    })?;
    Ok(target.join("bench").join("report.md"))
}
