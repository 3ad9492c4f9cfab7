//! The performance figures of `cargo xtask bench`, as a library so
//! that a smoke run with tiny sizes can run in the test suite and the bench
//! code cannot rot. Nothing here asserts a time: the report states whether
//! each target was met, and the numbers are for people to read.

#![warn(missing_docs)]

pub mod alloc;
pub mod big_scenario;
pub mod decode;
pub mod harness;
pub mod lifecycle;
pub mod overhead;
pub mod peak_rss;
pub mod real_processes;
pub mod report;
pub mod scale;
pub mod setup;
pub mod spawn;

use std::path::{Path, PathBuf};

use report::Report;

#[global_allocator]
static ALLOCATOR: alloc::Counting = alloc::Counting;

/// Sizes and repetitions of one benchmark run.
#[derive(Debug, Clone)]
pub struct Config {
    /// The fake-runsc binary (the static release build for real figures).
    pub fake: PathBuf,
    /// The fake as `cargo build --release` links it, shown beside `fake` in
    /// figure 1 when given.
    pub fake_dynamic: Option<PathBuf>,
    /// Real runsc, when it can run here (root and the binary present).
    pub real_runsc: Option<PathBuf>,
    /// Unmeasured rounds before the spawn figures.
    pub spawn_warmup: usize,
    /// Measured rounds of the spawn figures (each variant once per round).
    pub spawn_rounds: usize,
    /// Lifecycles against each fake mode in figure 2.
    pub lifecycle_rounds: usize,
    /// Lifecycles against real runsc in figure 2 (each takes seconds).
    pub real_rounds: usize,
    /// Rounds of the client-overhead comparison (figure 3).
    pub overhead_rounds: usize,
    /// Rounds of each decoding comparison (figure 4).
    pub decode_rounds: usize,
    /// Events in the generated stream (figure 4).
    pub event_count: usize,
    /// Rows of the generated ps table (figure 4).
    pub ps_rows: usize,
    /// Concurrent lifecycles in one root (figure 5).
    pub scale_containers: usize,
    /// Steps of the large scenario (figure 7).
    pub big_scenario_steps: usize,
    /// Calls measured against it once it is indexed (figure 7).
    pub big_scenario_rounds: usize,
    /// Fresh sessions whose first, indexing, call is measured (figure 7).
    pub big_scenario_cold_rounds: usize,
    /// The benchmark binary, which measures a call's peak memory from a
    /// small process of its own ([`peak_rss`]); this executable by default.
    pub peak_rss_helper: PathBuf,
}

impl Config {
    /// The sizes used for the figures that are reported.
    pub fn full(fake: PathBuf) -> Self {
        Self {
            fake,
            fake_dynamic: None,
            real_runsc: real_runsc(),
            spawn_warmup: 20,
            spawn_rounds: 300,
            lifecycle_rounds: 30,
            real_rounds: 3,
            overhead_rounds: 300,
            decode_rounds: 15,
            event_count: 50_000,
            ps_rows: 100_000,
            scale_containers: 64,
            big_scenario_steps: 100_000,
            big_scenario_rounds: 31,
            big_scenario_cold_rounds: 3,
            peak_rss_helper: this_executable(),
        }
    }

    /// Tiny sizes, so that every code path runs in seconds; real runsc is
    /// not driven because one lifecycle there takes several seconds.
    pub fn smoke(fake: PathBuf) -> Self {
        Self {
            fake,
            fake_dynamic: None,
            real_runsc: real_runsc(),
            spawn_warmup: 1,
            spawn_rounds: 3,
            lifecycle_rounds: 2,
            real_rounds: 0,
            overhead_rounds: 3,
            decode_rounds: 2,
            event_count: 200,
            ps_rows: 200,
            scale_containers: 4,
            big_scenario_steps: 200,
            big_scenario_rounds: 1,
            big_scenario_cold_rounds: 1,
            peak_rss_helper: this_executable(),
        }
    }
}

/// This executable (empty when it cannot be told, so that running it fails
/// with a message naming it).
fn this_executable() -> PathBuf {
    std::env::current_exe().unwrap_or_default()
}

/// Real runsc at `/usr/bin/runsc`, when this process is root (runsc needs it).
pub fn real_runsc() -> Option<PathBuf> {
    use std::os::unix::fs::MetadataExt;
    let runsc = Path::new("/usr/bin/runsc");
    let root = std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0);
    (root && runsc.is_file()).then(|| runsc.to_path_buf())
}

/// The outcome of a run: the report, and the figures that could not be measured.
pub struct Outcome {
    /// The table and notes.
    pub report: Report,
    /// One message per figure that failed; their rows are missing from the table.
    pub failures: Vec<String>,
}

/// Measures every figure in order. A figure that fails is named in the
/// outcome and the report, and the others still run.
pub fn run(config: &Config) -> Outcome {
    type Figure = fn(&Config, &mut Report) -> Result<(), String>;
    let figures: [(&str, Figure); 7] = [
        ("1 (fake start-up)", |c, r| push_rows(r, spawn::figure(c))),
        ("2 (lifecycle)", lifecycle::figure),
        ("3 (client overhead)", overhead::figure),
        ("4 (decoding)", |c, r| push_rows(r, decode::figure(c))),
        ("5 (scale)", |c, r| push_rows(r, scale::figure(c))),
        ("6 (real processes)", real_processes::figure),
        ("7 (a 100k-step scenario)", |c, r| {
            push_rows(r, big_scenario::figure(c))
        }),
    ];
    let mut report = Report::default();
    let mut failures = Vec::new();
    for (name, figure) in figures {
        eprintln!("bench: figure {name}");
        if let Err(e) = figure(config, &mut report) {
            let message = format!("figure {name} could not be measured: {e}");
            eprintln!("bench: {message}");
            report.note(message.clone());
            failures.push(message);
        }
    }
    report.note(
        "Medians over repeated runs; compared variants are interleaved round by round and \
         each ratio comes from one run. Times are never asserted: `met` is information only.",
    );
    Outcome { report, failures }
}

fn push_rows(report: &mut Report, rows: Result<Vec<report::Row>, String>) -> Result<(), String> {
    for row in rows? {
        report.row(row);
    }
    Ok(())
}

/// The README's Rust examples, compiled as doctests so they keep matching the
/// code (they are `no_run`: they need runsc or the fake binary at run time).
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
