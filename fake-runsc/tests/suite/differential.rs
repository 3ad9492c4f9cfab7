//! Differential fuzz: a few hundred random argv from a small grammar of
//! runsc 20221219's global flags, subcommands and ids, run in the same order
//! through real runsc and through the simulator (each with its own root),
//! compared on exit status and stderr (and `list -quiet`'s stdout). Any
//! difference fails the test unless an entry of
//! `tests/data/differential-allow.json` matches its argv and says why.
//!
//! Needs root and `/usr/bin/runsc`; prints SKIP without them, and fails
//! instead when `CI` is set. `DIFFERENTIAL_SEED=N` replays one run (the seed
//! is printed), `DIFFERENTIAL_CALLS=N` changes how many calls it makes, and
//! `DIFFERENTIAL_TRACE=1` prints every call with both answers.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use regex::Regex;

use crate::common::{binary, sleep_bundle};

const DEFAULT_CALLS: usize = 300;

/// The largest allow list this test accepts: differences are fixed, not
/// collected.
const MAX_ALLOWED: usize = 8;

fn real_runsc() -> Option<PathBuf> {
    let runsc = PathBuf::from("/usr/bin/runsc");
    let why = if !nix::unistd::geteuid().is_root() {
        "not root"
    } else if !runsc.is_file() {
        "/usr/bin/runsc is missing"
    } else {
        return Some(runsc);
    };
    if std::env::var_os("CI").is_some() {
        panic!("the differential fuzz needs real runsc as root, and CI is set: {why}");
    }
    eprintln!(
        "SKIP: the differential fuzz against real runsc needs root and /usr/bin/runsc: {why}"
    );
    None
}

/// xorshift64*: small, seedable, and enough to pick grammar branches.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// Global flags with typed values, good and bad. Network modes other than
/// `none` are left out: whether runsc can set up a sandbox's network
/// depends on the host and the bundle, which the simulator does not model.
const GLOBALS: &[&str] = &[
    "--network=none",
    "--network=bogus",
    "--platform=ptrace",
    "--platform=bogus",
    "--overlay2=none",
    "--overlay2=root:memory",
    "--overlay2=bogus",
    "--file-access=exclusive",
    "--file-access=shared",
    "--file-access=bogus",
    "--watchdog-action=log",
    "--watchdog-action=panic",
    "--watchdog-action=bogus",
    "--host-uds=none",
    "--host-uds=all",
    "--host-uds=bogus",
    "--rootless",
    "--rootless=false",
    "--debug",
];

/// Ids that no create may take: a sandbox's socket is named after its id
/// in one namespace for every root, and `.` or 92 characters would be
/// shared with anything else on the machine that used them.
const BAD_IDS: &[&str] = &["a:b", "café", "x@y", "a*", "..", ""];

struct Grammar {
    ids: [String; 2],
    bundle: String,
}

impl Grammar {
    fn id(&self, rng: &mut Rng) -> String {
        match rng.below(10) {
            0..=5 => self.ids[rng.below(2)].clone(),
            6 => self.ids[0][..self.ids[0].len() - 2].to_owned(),
            7 => "y".repeat(if rng.chance(50) { 93 } else { 121 }),
            _ => rng.pick(BAD_IDS).to_owned(),
        }
    }

    /// One argv (after the program name and `--root`).
    fn argv(&self, rng: &mut Rng) -> Vec<String> {
        let mut argv = vec!["--network=none".to_owned()];
        for _ in 0..rng.below(3) {
            argv.push(rng.pick(GLOBALS).to_owned());
        }
        let id = self.id(rng);
        let sub: Vec<String> = match rng.below(10) {
            0 => {
                let mut list = vec!["list".to_owned()];
                if rng.chance(50) {
                    list.push(
                        rng.pick(&["-quiet", "--format=json", "--format=bogus"])
                            .to_owned(),
                    );
                }
                list
            }
            1 => vec!["state".into(), id],
            2 | 3 => {
                // `.` and socket-length ids are never created (see BAD_IDS),
                // nor an id that is a prefix of the other ids: runsc 20221219
                // then calls that id ambiguous although it names a container
                // exactly, which the simulator does not model yet.
                let prefix_of_pool = self
                    .ids
                    .iter()
                    .any(|pool| pool != &id && pool.starts_with(&id));
                let id = if id == "." || id.len() == 92 || prefix_of_pool {
                    "a:b".into()
                } else {
                    id
                };
                vec!["create".into(), format!("--bundle={}", self.bundle), id]
            }
            4 => vec!["start".into(), id],
            5 => {
                let mut kill = vec!["kill".into(), id];
                if rng.chance(50) {
                    kill.push(rng.pick(&["KILL", "9", "TERM", "BOGUS", "0"]).to_owned());
                }
                kill
            }
            6 => vec!["ps".into(), id],
            7 => {
                let mut delete = vec!["delete".into()];
                if rng.chance(70) {
                    delete.push("--force".into());
                }
                delete.push(id);
                delete
            }
            8 => vec!["events".into(), "--stats".into(), id],
            _ => vec!["state".into(), ".".into()],
        };
        argv.extend(sub);
        argv
    }
}

struct Answer {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs one call with its output in files: a created sandbox inherits
/// them, and a pipe would not see EOF until it ends.
fn call(program: &Path, root: &Path, argv: &[String], sim: bool) -> Answer {
    let out = tempfile::tempfile().unwrap();
    let err = tempfile::tempfile().unwrap();
    let mut cmd = Command::new(program);
    cmd.arg(format!("--root={}", root.display()))
        .args(argv)
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(err.try_clone().unwrap());
    if sim {
        cmd.env_remove("FAKE_RUNSC_SCENARIO")
            .env_remove("FAKE_RUNSC_SESSION")
            .env_remove("FAKE_RUNSC_RECORD");
    }
    let mut child = cmd.spawn().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    let text = |mut file: std::fs::File| {
        use std::io::{Read, Seek};
        let mut bytes = Vec::new();
        file.rewind().unwrap();
        file.read_to_end(&mut bytes).unwrap();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    Answer {
        code: status.and_then(|s| s.code()),
        stdout: text(out),
        stderr: text(err),
    }
}

/// What may differ between two runs of the same program: the root, glog's
/// time and pid, and a Go panic's goroutine dump (only its first line is
/// kept).
fn normalise(text: &str, root: &Path) -> String {
    let text = text.replace(&root.display().to_string(), "{root}");
    let text = Regex::new(r"(?m)^W\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ ")
        .unwrap()
        .replace_all(&text, "W{header} ")
        .into_owned();
    match text.strip_prefix("panic: ") {
        Some(rest) => format!("panic: {}", rest.lines().next().unwrap_or_default()),
        None => text,
    }
}

#[derive(serde::Deserialize)]
struct Allowed {
    /// A regex over the argv, joined with spaces.
    argv: String,
    /// Why this difference is accepted.
    why: String,
}

fn allow_list() -> Vec<(Regex, String)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/differential-allow.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let entries: Vec<Allowed> =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        entries.len() <= MAX_ALLOWED,
        "{}: the allow list is for a few explained differences",
        path.display()
    );
    entries
        .into_iter()
        .map(|e| {
            assert!(
                !e.why.trim().is_empty(),
                "allow entry {:?} says no why",
                e.argv
            );
            (Regex::new(&e.argv).unwrap(), e.why)
        })
        .collect()
}

/// Deletes whatever real runsc still has under `root`, also when the test
/// failed, and ends the sandboxes a failed duplicate create orphaned (they
/// have no metadata left; their command line names this test's own root).
struct Cleanup<'a> {
    runsc: &'a Path,
    root: &'a Path,
}

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        let list = call(
            self.runsc,
            self.root,
            &["list".into(), "-quiet".into()],
            false,
        );
        for id in list.stdout.lines().filter(|l| !l.is_empty()) {
            call(
                self.runsc,
                self.root,
                &["delete".into(), "--force".into(), id.into()],
                false,
            );
        }
        let flag = format!("--root={}", self.root.display());
        for pid in processes_with_arg(&flag) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
}

/// Pids whose command line has `arg` as one of its arguments.
fn processes_with_arg(arg: &str) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|cmdline| cmdline.split(|b| *b == 0).any(|a| a == arg.as_bytes()))
        })
        .collect()
}

fn unique_nanos() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos().into())
}

#[test]
fn random_argv_get_the_same_answer_from_real_runsc_and_the_simulator() {
    let allowed = allow_list();
    let Some(runsc) = real_runsc() else {
        return;
    };
    let seed = std::env::var("DIFFERENTIAL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
                | 1
        });
    let calls = std::env::var("DIFFERENTIAL_CALLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_CALLS);
    eprintln!("differential fuzz: DIFFERENTIAL_SEED={seed}, {calls} calls");
    let dir = tempfile::tempdir().unwrap();
    let real_root = dir.path().join("real");
    let fake_root = dir.path().join("fake");
    let bundle = sleep_bundle(dir.path());
    // Sandbox sockets share one namespace across roots and runs: the ids
    // differ on every run, whatever the seed.
    let tag = format!(
        "{:06x}",
        (std::process::id() as u64 ^ unique_nanos()) % 0xff_ffff
    );
    let grammar = Grammar {
        ids: [format!("df-{tag}-a0"), format!("df-{tag}-b1")],
        bundle: bundle.display().to_string(),
    };
    let _cleanup = Cleanup {
        runsc: &runsc,
        root: &real_root,
    };
    let trace = std::env::var_os("DIFFERENTIAL_TRACE").is_some();
    let mut rng = Rng(seed);
    let mut differences = Vec::new();
    for n in 0..calls {
        let argv = grammar.argv(&mut rng);
        let real = call(&runsc, &real_root, &argv, false);
        let fake = call(&binary(), &fake_root, &argv, true);
        if trace {
            eprintln!(
                "call {n}: {}\n  runsc: {:?} {:?}\n  fake:  {:?} {:?}",
                argv.join(" "),
                real.code,
                real.stderr,
                fake.code,
                fake.stderr
            );
        }
        let quiet_list = argv.last().is_some_and(|a| a == "-quiet");
        let same = real.code == fake.code
            && normalise(&real.stderr, &real_root) == normalise(&fake.stderr, &fake_root)
            && (!quiet_list || real.stdout == fake.stdout);
        if same {
            continue;
        }
        let joined = argv.join(" ");
        if allowed.iter().any(|(re, _)| re.is_match(&joined)) {
            continue;
        }
        differences.push(format!(
            "call {n}: {joined}\n  runsc: exit {:?}, stderr {:?}, stdout {:?}\n  fake:  exit {:?}, stderr {:?}, stdout {:?}",
            real.code,
            normalise(&real.stderr, &real_root),
            real.stdout,
            fake.code,
            normalise(&fake.stderr, &fake_root),
            fake.stdout,
        ));
    }
    assert!(
        differences.is_empty(),
        "DIFFERENTIAL_SEED={seed}: {} of {calls} calls differ:\n{}",
        differences.len(),
        differences.join("\n")
    );
}
