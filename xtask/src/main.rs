//! The project's task runner: `cargo xtask <task>` (see `cargo xtask help`).
//!
//! Kept small on purpose: it is compiled for every `cargo xtask` call, so the
//! heavy lifting (benchmarks) lives in the separate `xtask-bench` package.

mod cargo;
mod clients;
mod conformance;
mod demo;
mod downstream;
mod fuzz;
mod record;
mod test;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <task> [options]

tasks:
  test           fmt check, clippy, all tests (nextest), the downstream crate and
                 doctests; needs no root. With CI set, the tests that need real runsc
                 must run instead of skipping.
  downstream     build the optimised fake and test xtask/downstream, a crate outside
                 the workspace that uses the client and the fake as a user's crate does
  demo           build fake-runsc and drive a whole container lifecycle through the
                 runsc client, printing each call's argv and result
  fake [--dynamic]
                 build the optimised fake-runsc and print its path: statically linked
                 for the fastest start, or as `cargo build --release` links it
  bench [--smoke] [--out FILE]
                 the performance figures as a markdown table
                 (default output target/bench/report.md; --smoke: tiny sizes)
  fuzz [--seconds N] [TARGET...]
                 run each cargo-fuzz target (fuzz/) for N seconds (default 60) and keep
                 crashing inputs in fuzz/regressions/, which `cargo test` replays
  record [--write] [NAME...]
                 record the corpus (scenarios/recorded) again from real runsc and show
                 the diff; --write keeps it. Needs root and runsc.
  conformance [NAME...]
                 real runsc vs simulator vs replay of the recording, and drift of the
                 committed corpus; skips without root/runsc unless CI is set
  clients [--runtime real|fake|both]
                 gVisor's Python bindings and containerd drive real runsc and the fake
                 through the same steps; results compared step by step (default both)
  help           this text
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((task, rest)) = args.split_first() else {
        eprint!("{USAGE}");
        return ExitCode::from(2);
    };
    let result = match task.as_str() {
        "test" => no_options("test", rest).and_then(|()| test::run()),
        "demo" => no_options("demo", rest).and_then(|()| demo::run()),
        "bench" => cargo::bench(rest),
        "fake" => cargo::fake(rest),
        "downstream" => no_options("downstream", rest).and_then(|()| downstream::run()),
        "record" => record::run(rest),
        "conformance" => conformance::run(rest),
        "fuzz" => fuzz::run(rest),
        "clients" => clients::run(rest),
        "help" | "-h" | "--help" => {
            print!("{USAGE}");
            Ok(())
        }
        other => Err(format!(
            "unknown task {other:?}; run `cargo xtask help` for the list"
        )),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask {task}: error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn no_options(task: &str, rest: &[String]) -> Result<(), String> {
    match rest.first() {
        None => Ok(()),
        Some(extra) => Err(format!(
            "`{task}` takes no options, got {extra:?}; run `cargo xtask help`"
        )),
    }
}
