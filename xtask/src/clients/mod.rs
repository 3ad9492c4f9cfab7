//! `cargo xtask clients [--runtime real|fake|both]`: container tooling that
//! this project did not write drives the runtime, real runsc and the fake
//! through the same steps, and the results are compared step by step.
//!
//! The clients are gVisor's Python bindings (`gvisor.Sandbox`, installed
//! from PyPI into a venv under `target/clients/`) and containerd (a private
//! daemon whose runc shim drives the runtime through `ctr run
//! --runc-binary`). Every step's stdout, stderr where it is the runtime's
//! own wording, exit status and container state is checked against what
//! real runsc 20221219 gives, and between the runtimes when both run. The
//! argv of every runtime call is logged by a wrapper script and written,
//! normalised, to `target/clients/CLIENT-RUNTIME.argv`: the calls a fake
//! has to answer.
//!
//! Real runsc and containerd need root. Where a client cannot run, the task
//! prints SKIP and succeeds, unless `CI` is set: then it fails.
//!
//! The shims and sandboxes the clients start are reparented when their
//! parents exit, and this machine's PID 1 reaps slowly, so the work runs in
//! a child of a process that is a child subreaper and reaps at once.

mod containerd;
mod gvisor;
mod proc;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::cargo::{build_fake_runsc, workspace_root, FakeBuild};

const USAGE: &str = "usage: cargo xtask clients [--runtime real|fake|both]";
/// Set in the worker process started under the reaper.
const WORKER_ENV: &str = "XTASK_CLIENTS_WORKER";
/// The real runsc used unless `RUNSC` names another.
const DEFAULT_RUNSC: &str = "/usr/bin/runsc";

/// The runtime a client drives.
#[derive(Debug, Clone)]
pub enum Runtime {
    /// Real runsc at this path.
    Real(PathBuf),
    /// fake-runsc at this path.
    Fake(PathBuf),
}

impl Runtime {
    fn binary(&self) -> &Path {
        match self {
            Runtime::Real(p) | Runtime::Fake(p) => p,
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Runtime::Real(_) => "real runsc",
            Runtime::Fake(_) => "fake-runsc",
        }
    }

    fn file_tag(&self) -> &'static str {
        match self {
            Runtime::Real(_) => "real",
            Runtime::Fake(_) => "fake",
        }
    }
}

/// What one step showed. Fields a client cannot observe stay `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct StepResult {
    /// The step's name.
    pub step: String,
    /// What the command printed.
    pub stdout: Option<String>,
    /// The runtime's message, where it is part of the behaviour.
    pub stderr: Option<String>,
    /// The exit status the client saw; `None` when it saw none.
    pub exit: Option<i32>,
    /// How the client failed other than by an exit status (a timeout).
    pub error: Option<String>,
    /// The container's state after the step, as the client reports it.
    pub state: Option<String>,
}

impl StepResult {
    /// The same result with volatile values (paths, ids) normalised.
    fn normalised(mut self, replacements: &[(String, &str)]) -> Self {
        for text in [&mut self.stdout, &mut self.stderr, &mut self.error]
            .into_iter()
            .flatten()
        {
            *text = proc::normalise_text(text, replacements);
        }
        self
    }

    /// The result on one line, for tables and messages.
    fn summary(&self) -> String {
        let mut parts = Vec::new();
        if let Some(error) = &self.error {
            parts.push(format!("error: {error}"));
        }
        parts.push(match self.exit {
            Some(code) => format!("exit {code}"),
            None => "no exit".to_owned(),
        });
        if let Some(state) = &self.state {
            parts.push(state.clone());
        }
        if let Some(out) = self.stdout.as_deref().filter(|s| !s.is_empty()) {
            parts.push(format!("stdout {out:?}"));
        }
        if let Some(err) = self.stderr.as_deref().filter(|s| !s.is_empty()) {
            parts.push(format!("stderr {err:?}"));
        }
        parts.join(", ")
    }
}

/// What real runsc gives for a step; unset fields are not checked.
#[derive(Debug, Clone, Copy, Default)]
pub struct Expect {
    stdout: Option<&'static str>,
    stderr: Option<&'static str>,
    /// `Some(None)`: the client must see no exit status (a timeout).
    exit: Option<Option<i32>>,
    error: Option<&'static str>,
    state: Option<&'static str>,
}

impl Expect {
    fn exit(code: i32) -> Self {
        Expect {
            exit: Some(Some(code)),
            ..Expect::default()
        }
    }

    /// How `got` differs from this expectation.
    fn mismatches(&self, got: &StepResult) -> Vec<String> {
        let mut out = Vec::new();
        let mut check = |what: &str, want: Option<String>, have: Option<String>| {
            if let Some(want) = want {
                if have.as_ref() != Some(&want) {
                    out.push(format!("{what}: want {want:?}, got {have:?}"));
                }
            }
        };
        check("stdout", self.stdout.map(str::to_owned), got.stdout.clone());
        check("stderr", self.stderr.map(str::to_owned), got.stderr.clone());
        let exit_text = |e: Option<i32>| e.map_or_else(|| "none".to_owned(), |c| c.to_string());
        check("exit", self.exit.map(exit_text), Some(exit_text(got.exit)));
        check("state", self.state.map(str::to_owned), got.state.clone());
        if let Some(want) = self.error {
            if got.error.as_deref() != Some(want) {
                out.push(format!("error: want {want:?}, got {:?}", got.error));
            }
        } else if let Some(error) = &got.error {
            out.push(format!("error: want none, got {error:?}"));
        }
        out
    }
}

/// One client's run against one runtime.
#[derive(Debug, Default)]
pub struct Trial {
    /// Each step's result, in order.
    pub steps: Vec<StepResult>,
    /// Every runtime call's argv, normalised, in call order.
    pub argv: Vec<String>,
    /// Sandboxes or processes that were still there after the client closed.
    pub leftovers: usize,
}

/// Deletes, with `--force`, every container `runtime` lists under `root`;
/// returns how many there were.
fn delete_all(runtime: &Path, root: &Path, scratch: &Path) -> usize {
    if !root.exists() {
        return 0;
    }
    let timeout = Duration::from_secs(20);
    let listed = proc::run_bounded(
        Command::new(runtime)
            .arg("--root")
            .arg(root)
            .args(["list", "--quiet"]),
        scratch,
        timeout,
    );
    let Ok(listed) = listed else { return 0 };
    let ids: Vec<String> = listed
        .stdout
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    for id in &ids {
        let _ = proc::run_bounded(
            Command::new(runtime)
                .arg("--root")
                .arg(root)
                .args(["delete", "--force", id]),
            scratch,
            timeout,
        );
    }
    ids.len()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Client {
    Gvisor,
    Containerd,
}

impl Client {
    fn name(self) -> &'static str {
        match self {
            Client::Gvisor => "gvisor-python",
            Client::Containerd => "containerd",
        }
    }

    fn cannot_run(self) -> Option<String> {
        match self {
            Client::Gvisor => gvisor::cannot_run(),
            Client::Containerd => gvisor::cannot_run().or_else(containerd::cannot_run),
        }
    }

    fn expectations(self) -> Vec<(&'static str, Expect)> {
        match self {
            Client::Gvisor => gvisor::expectations(),
            Client::Containerd => containerd::expectations(),
        }
    }

    fn run(self, runtime: &Runtime, scratch: &Path) -> Result<Trial, String> {
        match self {
            Client::Gvisor => {
                let python = gvisor::venv(scratch)?;
                gvisor::run(&python, runtime, scratch)
            }
            Client::Containerd => containerd::run(&gvisor::system_python(), runtime, scratch),
        }
    }
}

fn cannot_run_real(real: &Path) -> Option<String> {
    if !nix::unistd::geteuid().is_root() {
        return Some("real runsc needs root".to_owned());
    }
    if !real.is_file() {
        return Some(format!(
            "runsc is not installed at {} (apt-get install runsc, or set RUNSC)",
            real.display()
        ));
    }
    None
}

/// Checks counted one by one, for the closing `N passed, N failed` line,
/// with the message of every failure.
#[derive(Debug, Default)]
struct Checks {
    passed: usize,
    failed: usize,
    messages: Vec<String>,
}

impl Checks {
    /// One check: it passed when it produced no message.
    fn record(&mut self, messages: Vec<String>) {
        if messages.is_empty() {
            self.passed += 1;
        } else {
            self.failed += 1;
            self.messages.extend(messages);
        }
    }
}

/// Checks that nothing outlived the client and, with `steps`, every step
/// of `trial` against real runsc's recorded results.
fn check_trial(client: Client, runtime: &Runtime, trial: &Trial, steps: bool, checks: &mut Checks) {
    let at = format!("{} on {}", client.name(), runtime.name());
    let expectations = if steps {
        client.expectations()
    } else {
        Vec::new()
    };
    for (i, (name, expect)) in expectations.iter().enumerate() {
        let n = i + 1;
        checks.record(match trial.steps.get(i) {
            Some(got) if got.step == *name => expect
                .mismatches(got)
                .into_iter()
                .map(|m| format!("{at}, step {n} `{name}`: {m}"))
                .collect(),
            Some(got) => vec![format!(
                "{at}, step {n}: expected `{name}`, the client reported `{}` ({})",
                got.step,
                got.summary()
            )],
            None => vec![format!("{at}, step {n} `{name}`: never ran")],
        });
    }
    for extra in trial
        .steps
        .iter()
        .skip(expectations.len())
        .filter(|_| steps)
    {
        checks.record(vec![format!("{at}: `{}` {}", extra.step, extra.summary())]);
    }
    checks.record(check_calls(client, &at, &trial.argv));
    checks.record(if trial.leftovers > 0 {
        vec![format!(
            "{at}: {} sandbox(es) or process(es) outlived the client and were removed by the harness",
            trial.leftovers
        )]
    } else {
        Vec::new()
    });
}

/// Where the calls each client makes to real runsc are kept: the contract a
/// fake has to answer, reviewed like a snapshot when a client changes.
fn calls_file(client: Client) -> PathBuf {
    workspace_root().join(format!("xtask/clients/calls/{}.argv", client.name()))
}

/// Checks that the client made the committed sequence of runtime calls.
fn check_calls(client: Client, at: &str, argv: &[String]) -> Vec<String> {
    let file = calls_file(client);
    let expected = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(e) => return vec![format!("{at}: cannot read {}: {e}", file.display())],
    };
    let mut actual = argv.join("\n");
    actual.push('\n');
    if actual == expected {
        return Vec::new();
    }
    let diff = similar::TextDiff::from_lines(&expected, &actual)
        .unified_diff()
        .header("committed", "this run")
        .to_string();
    vec![format!(
        "{at}: the client's runtime calls differ from {} (when the client changed on purpose, review and copy target/clients/{}-real.argv there):\n{diff}",
        file.display(),
        client.name()
    )]
}

/// Compares two runtimes' results step by step.
fn compare(client: Client, a: (&Runtime, &Trial), b: (&Runtime, &Trial), checks: &mut Checks) {
    let (ra, ta) = a;
    let (rb, tb) = b;
    for i in 0..ta.steps.len().max(tb.steps.len()) {
        let (x, y) = (ta.steps.get(i), tb.steps.get(i));
        if x == y {
            checks.record(Vec::new());
            continue;
        }
        let name = x.or(y).map_or("", |s| s.step.as_str());
        let show =
            |s: Option<&StepResult>| s.map_or_else(|| "(no step)".to_owned(), StepResult::summary);
        checks.record(vec![format!(
            "{} step {} `{name}` differs:\n    - {}: {}\n    + {}: {}",
            client.name(),
            i + 1,
            ra.name(),
            show(x),
            rb.name(),
            show(y)
        )]);
    }
}

fn print_table(client: Client, trials: &[(Runtime, Trial)]) {
    println!("\n## {}\n", client.name());
    let header: Vec<&str> = trials.iter().map(|(r, _)| r.name()).collect();
    println!("| step | {} |", header.join(" | "));
    println!("|---|{}", "---|".repeat(header.len()));
    let rows = trials.iter().map(|(_, t)| t.steps.len()).max().unwrap_or(0);
    for i in 0..rows {
        let name = trials
            .iter()
            .find_map(|(_, t)| t.steps.get(i))
            .map_or("", |s| s.step.as_str());
        let cells: Vec<String> = trials
            .iter()
            .map(|(_, t)| {
                t.steps
                    .get(i)
                    .map_or_else(|| "(not reached)".to_owned(), StepResult::summary)
                    .replace('|', "\\|")
            })
            .collect();
        println!("| {name} | {} |", cells.join(" | "));
    }
}

fn write_logs(client: Client, runtime: &Runtime, trial: &Trial) -> Result<PathBuf, String> {
    let dir = workspace_root().join("target/clients");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let base = dir.join(format!("{}-{}", client.name(), runtime.file_tag()));
    let argv = base.with_extension("argv");
    let mut text = trial.argv.join("\n");
    text.push('\n');
    std::fs::write(&argv, text).map_err(|e| format!("cannot write {}: {e}", argv.display()))?;
    let results = base.with_extension("json");
    let json = serde_json::to_string_pretty(&trial.steps)
        .map_err(|e| format!("cannot encode the results: {e}"))?;
    std::fs::write(&results, json)
        .map_err(|e| format!("cannot write {}: {e}", results.display()))?;
    Ok(argv)
}

fn parse(args: &[String]) -> Result<(bool, bool), String> {
    match args {
        [] => Ok((true, true)),
        [flag, value] if flag == "--runtime" => match value.as_str() {
            "real" => Ok((true, false)),
            "fake" => Ok((false, true)),
            "both" => Ok((true, true)),
            other => Err(format!(
                "--runtime takes real, fake or both, not {other:?}; {USAGE}"
            )),
        },
        [flag] if flag.starts_with("--runtime=") => parse(&[
            "--runtime".to_owned(),
            flag["--runtime=".len()..].to_owned(),
        ]),
        _ => Err(format!("unexpected arguments {args:?}; {USAGE}")),
    }
}

fn worker(args: &[String]) -> Result<(), String> {
    let (want_real, want_fake) = parse(args)?;
    let ci = std::env::var_os("CI").is_some();
    let real = std::env::var_os("RUNSC")
        .filter(|v| !v.is_empty())
        .map_or_else(|| PathBuf::from(DEFAULT_RUNSC), PathBuf::from);
    let mut runtimes = Vec::new();
    let mut skipped = Vec::new();
    if want_real {
        match cannot_run_real(&real) {
            None => runtimes.push(Runtime::Real(real)),
            Some(why) => skipped.push(format!("every client on real runsc: {why}")),
        }
    }
    if want_fake {
        runtimes.push(Runtime::Fake(build_fake_runsc(FakeBuild::Debug)?));
    }
    let mut checks = Checks::default();
    for client in [Client::Gvisor, Client::Containerd] {
        if let Some(why) = client.cannot_run() {
            skipped.push(format!("{}: {why}", client.name()));
            continue;
        }
        let mut trials: Vec<(Runtime, Trial)> = Vec::new();
        for runtime in &runtimes {
            eprintln!("clients: {} on {}", client.name(), runtime.name());
            let scratch = tempfile::Builder::new()
                .prefix("xtask-clients-")
                .tempdir()
                .map_err(|e| format!("cannot make a scratch directory: {e}"))?;
            let trial = match client.run(runtime, scratch.path()) {
                Ok(trial) => trial,
                Err(e) => {
                    checks.record(vec![format!(
                        "{} on {}: {e}",
                        client.name(),
                        runtime.name()
                    )]);
                    Trial::default()
                }
            };
            let argv_file = write_logs(client, runtime, &trial)?;
            eprintln!(
                "clients: {} runtime call(s) logged in {}",
                trial.argv.len(),
                argv_file.display()
            );
            trials.push((runtime.clone(), trial));
        }
        // With both runtimes, the fake is judged against what real runsc
        // did in this very run; the recorded expectations judge real runsc
        // (and the fake when it runs alone).
        let real_ran = trials.iter().any(|(r, _)| matches!(r, Runtime::Real(_)));
        for (runtime, trial) in &trials {
            let against_real = real_ran && matches!(runtime, Runtime::Fake(_));
            check_trial(client, runtime, trial, !against_real, &mut checks);
        }
        if let [a, b] = trials.as_slice() {
            compare(client, (&a.0, &a.1), (&b.0, &b.1), &mut checks);
        }
        if !trials.is_empty() {
            print_table(client, &trials);
        }
    }
    for why in &skipped {
        if ci {
            checks.record(vec![format!("CI is set, so this must run: {why}")]);
        } else {
            eprintln!("clients: SKIP {why}; it runs as root with runsc, containerd, busybox-static and python3-venv installed (CI fails instead of skipping)");
        }
    }
    println!();
    for message in &checks.messages {
        eprintln!("FAIL {message}");
    }
    println!(
        "clients: {} passed, {} failed",
        checks.passed, checks.failed
    );
    if checks.failed == 0 {
        Ok(())
    } else {
        Err(format!("{} check(s) failed; see above", checks.failed))
    }
}

/// Runs the worker in a child process while this one reaps every orphan at once.
fn under_reaper(args: &[String]) -> Result<(), String> {
    use nix::sys::wait::{waitpid, WaitStatus};
    use nix::unistd::Pid;
    nix::sys::prctl::set_child_subreaper(true)
        .map_err(|e| format!("cannot become a child subreaper: {e}"))?;
    let exe =
        std::env::current_exe().map_err(|e| format!("cannot find the xtask executable: {e}"))?;
    let child = Command::new(exe)
        .arg("clients")
        .args(args)
        .env(WORKER_ENV, "1")
        .spawn()
        .map_err(|e| format!("cannot start the clients worker: {e}"))?;
    let worker = Pid::from_raw(child.id() as i32);
    let outcome = loop {
        match waitpid(None, None) {
            Ok(WaitStatus::Exited(pid, code)) if pid == worker => {
                break if code == 0 {
                    Ok(())
                } else {
                    Err(format!("the client tests failed (exit status {code})"))
                };
            }
            Ok(WaitStatus::Signaled(pid, signal, _)) if pid == worker => {
                break Err(format!("the clients worker was killed by {signal:?}"));
            }
            Ok(_) | Err(nix::errno::Errno::EINTR) => {}
            Err(e) => break Err(format!("waiting for the clients worker failed: {e}")),
        }
    };
    // Whatever the worker started and left running (a daemon or shim after
    // a crash) was reparented here: end it, by pid, and reap it.
    let orphans = proc::children_of(std::process::id() as i32);
    for pid in &orphans {
        let _ = nix::sys::signal::kill(Pid::from_raw(*pid), nix::sys::signal::Signal::SIGKILL);
    }
    for pid in &orphans {
        let _ = waitpid(Pid::from_raw(*pid), None);
    }
    if !orphans.is_empty() {
        eprintln!(
            "clients: ended {} process(es) the worker left behind: {orphans:?}",
            orphans.len()
        );
    }
    outcome
}

/// `cargo xtask clients [--runtime real|fake|both]`.
pub fn run(args: &[String]) -> Result<(), String> {
    parse(args)?;
    if std::env::var_os(WORKER_ENV).is_some() {
        return worker(args);
    }
    under_reaper(args)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(name: &str, stdout: &str, exit: Option<i32>) -> StepResult {
        StepResult {
            step: name.to_owned(),
            stdout: Some(stdout.to_owned()),
            exit,
            ..StepResult::default()
        }
    }

    #[test]
    fn an_expectation_checks_only_what_it_sets() {
        let expect = Expect {
            stdout: Some("bar\n"),
            ..Expect::exit(0)
        };
        assert!(expect.mismatches(&step("s", "bar\n", Some(0))).is_empty());
        let wrong = expect.mismatches(&step("s", "baz\n", Some(1)));
        assert_eq!(wrong.len(), 2, "{wrong:?}");
        assert!(wrong[0].contains("want \"bar\\n\""));
        let timed_out = StepResult {
            error: Some("timed out".to_owned()),
            ..step("s", "bar\n", None)
        };
        assert_eq!(expect.mismatches(&timed_out).len(), 2);
    }

    #[test]
    fn a_difference_between_runtimes_names_the_step_and_both_results() {
        let real = Runtime::Real("/usr/bin/runsc".into());
        let fake = Runtime::Fake("fake-runsc".into());
        let a = Trial {
            steps: vec![step("open", "", Some(0)), step("pwd", "/usr\n", Some(0))],
            ..Trial::default()
        };
        let b = Trial {
            steps: vec![step("open", "", Some(0)), step("pwd", "/\n", Some(0))],
            ..Trial::default()
        };
        let mut checks = Checks::default();
        compare(Client::Gvisor, (&real, &a), (&fake, &b), &mut checks);
        assert_eq!((checks.passed, checks.failed), (1, 1));
        let diffs = checks.messages;
        assert!(diffs[0].contains("step 2 `pwd`"), "{}", diffs[0]);
        assert!(diffs[0].contains("- real runsc: exit 0, stdout \"/usr\\n\""));
        assert!(diffs[0].contains("+ fake-runsc: exit 0, stdout \"/\\n\""));
        let mut checks = Checks::default();
        compare(Client::Gvisor, (&real, &a), (&fake, &a), &mut checks);
        assert_eq!((checks.passed, checks.failed), (2, 0));
    }

    #[test]
    fn runtime_option_is_parsed_strictly() {
        assert_eq!(parse(&[]).unwrap(), (true, true));
        assert_eq!(
            parse(&["--runtime".into(), "real".into()]).unwrap(),
            (true, false)
        );
        assert_eq!(parse(&["--runtime=fake".into()]).unwrap(), (false, true));
        assert!(parse(&["--runtime".into(), "runc".into()])
            .unwrap_err()
            .contains("real, fake or both"));
        assert!(parse(&["--fast".into()]).is_err());
    }

    #[test]
    fn the_committed_calls_are_compared_line_by_line() {
        let committed = std::fs::read_to_string(calls_file(Client::Gvisor)).unwrap();
        let argv: Vec<String> = committed.lines().map(str::to_owned).collect();
        assert!(check_calls(Client::Gvisor, "here", &argv).is_empty());
        let mut changed = argv.clone();
        changed.insert(1, "--root $TMP/sandbox/state state $ID".to_owned());
        let failures = check_calls(Client::Gvisor, "here", &changed);
        assert_eq!(failures.len(), 1);
        assert!(
            failures[0].contains("+--root $TMP/sandbox/state state $ID"),
            "{}",
            failures[0]
        );
    }

    #[test]
    fn a_missing_step_and_leftovers_are_failures() {
        let real = Runtime::Real("/usr/bin/runsc".into());
        let trial = Trial {
            steps: vec![step("open", "", Some(0))],
            leftovers: 1,
            ..Trial::default()
        };
        let mut checks = Checks::default();
        check_trial(Client::Gvisor, &real, &trial, true, &mut checks);
        let failures = checks.messages;
        assert!(failures
            .iter()
            .any(|f| f.contains("`pwd (sandbox working_dir)`: never ran")));
        assert!(failures.iter().any(|f| f.contains("outlived the client")));
        let mut checks = Checks::default();
        check_trial(Client::Gvisor, &real, &trial, false, &mut checks);
        // The calls (none were logged) and the leftovers.
        assert_eq!(
            (checks.passed, checks.failed),
            (0, 2),
            "{:?}",
            checks.messages
        );
    }
}
