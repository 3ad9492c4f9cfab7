//! The fake speaks the runsc release it is told to: every flag of the shared
//! runsc-versions tables (`shared/runsc-versions` beside the checkout),
//! passed once with a valid value to the command it belongs to, gets past
//! parsing under its release and is refused with runsc's status and words
//! under the other release where it does not exist. The release comes from
//! the scenario's header (`FakeRuntime::start_for`) for the accepting run and
//! from `FAKE_RUNSC_RELEASE` (which wins) for the refusing one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use fake_runsc::argv::runsc_usage;
use fake_runsc::journal::CallResult;
use fake_runsc::scenario::{Scenario, Step, Times};
use fake_runsc::testing::FakeRuntime;
use runsc::cli::flags::{self, FlagKind};
use runsc::cli::{values, Release};
use serde_json::Value;

/// The subcommands a container's life goes through: the ones runsc 20221219
/// has, and `update`. `fscheckpoint` is counted on its own.
const LIFECYCLE: [&str; 16] = [
    "list",
    "state",
    "create",
    "start",
    "exec",
    "run",
    "delete",
    "kill",
    "events",
    "ps",
    "pause",
    "resume",
    "wait",
    "checkpoint",
    "restore",
    "update",
];

fn shared_versions() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/runsc-versions");
    if dir.join("flags-20260817.json").is_file() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI is set but {} holds no runsc-versions data; CI must have shared/ beside the checkout",
        dir.display()
    );
    eprintln!(
        "SKIP: {} is missing, so the fake is not checked flag by flag against it",
        dir.display()
    );
    None
}

/// name -> Go type, of one flag set of the shared data.
fn flag_set(value: &Value) -> BTreeMap<String, String> {
    value
        .as_object()
        .map(|set| {
            set.iter()
                .map(|(name, flag)| {
                    let kind = flag["type"].as_str().unwrap_or_default().to_owned();
                    (name.clone(), kind)
                })
                .collect()
        })
        .unwrap_or_default()
}

struct Shared {
    global: BTreeMap<String, String>,
    commands: BTreeMap<String, BTreeMap<String, String>>,
}

fn shared(dir: &Path, release: Release) -> Shared {
    let path = dir.join(format!("flags-{release}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let data: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let commands = data["commands"]
        .as_object()
        .expect("commands is an object")
        .iter()
        .map(|(name, set)| (name.clone(), flag_set(set)))
        .collect();
    Shared {
        global: flag_set(&data["global"]),
        commands,
    }
}

/// A value runsc `release` accepts for the flag, as argv words.
fn flag_args(release: Release, command: Option<&str>, name: &str, go_type: &str) -> Vec<String> {
    let flag = format!("--{name}");
    let value = match go_type {
        // Asking for help or the version would end the call before the
        // subcommand; `false` is as valid and lets it run.
        "bool" if matches!(name, "help" | "h" | "version") => return vec![format!("{flag}=false")],
        "bool" => return vec![format!("{flag}=true")],
        "string" if command == Some("list") && name == "format" => "json".to_owned(),
        "string" if command.is_none() && name == "platform" => {
            release.default_platform().to_owned()
        }
        "string" => "v".to_owned(),
        "int" | "int64" | "uint" | "uint64" => "1".to_owned(),
        "duration" => "1s".to_owned(),
        _ => {
            let table = flags::table(release);
            let specs = match command {
                None => table.global.as_slice(),
                Some(command) => table.command(command).map(|(_, f)| f).unwrap_or_default(),
            };
            match flags::lookup(specs, name).map(|s| s.kind) {
                Some(FlagKind::Value(kind)) => values::sample(kind).to_owned(),
                other => panic!(
                    "{release}: {name} is {go_type} in the shared data but {other:?} in the model"
                ),
            }
        }
    };
    vec![flag, value]
}

/// The arguments after the flags; each call names a container of its own
/// (steps for one container play in order).
fn positionals(command: &str, call: usize) -> Vec<String> {
    let id = format!("c{call}");
    match command {
        "list" => vec![],
        "exec" => vec![id, "true".to_owned()],
        _ => vec![id],
    }
}

/// A session that answers every call of the commands checked, whatever it
/// is. The refusals are unexpected calls on purpose, which the test checks in
/// the journal itself, so the session is not verified when dropped.
fn session(release: Release) -> FakeRuntime {
    let mut scenario = Scenario::new().description("every call answers");
    let answered: Vec<&str> = fake_runsc::argv::commands_for(release).collect();
    for command in LIFECYCLE.iter().chain(["fscheckpoint"].iter()) {
        // A step for a subcommand the release lacks could never answer, and
        // the session's start refuses such a scenario.
        if answered.contains(command) {
            scenario = scenario.step(Step::command(command).times(Times::any()));
        }
    }
    let fake = FakeRuntime::start_for(release, &scenario).expect("fake session starts");
    fake.skip_verify_on_drop();
    fake
}

struct Answer {
    code: Option<i32>,
    stderr: String,
}

fn call(fake: &FakeRuntime, cwd: &Path, release: Option<Release>, args: &[String]) -> Answer {
    let mut cmd = Command::new(fake.command_path());
    cmd.args(args)
        .envs(fake.envs())
        .env_remove("FAKE_RUNSC_RELEASE")
        .current_dir(cwd)
        .stdin(Stdio::null());
    if let Some(release) = release {
        cmd.env("FAKE_RUNSC_RELEASE", release.as_str());
    }
    let output = cmd.output().expect("fake runs");
    Answer {
        code: output.status.code(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[derive(Default, Debug)]
struct Counts {
    total: usize,
    accepted: usize,
    absent_elsewhere: usize,
    refused: usize,
}

/// Runs every flag of `release` on the fake; the ones `other` lacks run
/// again under `other`. Returns the counts: global, lifecycle, fscheckpoint.
fn check(dir: &Path, release: Release, other: Release) -> [Counts; 3] {
    let mine = shared(dir, release);
    let theirs = shared(dir, other);
    let fake = session(release);
    let cwd = tempfile::tempdir().unwrap();
    let top = runsc_usage(other);
    let usage_of =
        |command: &str| fake_runsc::argv::subcommand_usage_for(other, command).unwrap_or(top);
    let mut counts: [Counts; 3] = Default::default();
    let mut calls = 0;

    for (name, go_type) in &mine.global {
        let counts = &mut counts[0];
        counts.total += 1;
        let mut args = flag_args(release, None, name, go_type);
        args.push("list".into());
        let answer = call(&fake, cwd.path(), None, &args);
        assert_eq!(
            answer.code,
            Some(0),
            "{release}: {args:?}: {}",
            answer.stderr
        );
        counts.accepted += 1;
        if theirs.global.contains_key(name) || matches!(name.as_str(), "help" | "h") {
            // Where `-h`/`-help` are no flags, Go's flag package still
            // answers them (with the usage), so they are never refused.
            continue;
        }
        counts.absent_elsewhere += 1;
        let answer = call(&fake, cwd.path(), Some(other), &args);
        assert_eq!(
            (answer.code, answer.stderr),
            (
                Some(2),
                format!("flag provided but not defined: -{name}\n{top}")
            ),
            "{other}: {args:?}"
        );
        counts.refused += 1;
    }

    for (command, set) in &mine.commands {
        let slot = match command.as_str() {
            "fscheckpoint" => 2,
            c if LIFECYCLE.contains(&c) => 1,
            _ => continue,
        };
        let counts = &mut counts[slot];
        for (name, go_type) in set {
            counts.total += 1;
            let mut args = vec![command.clone()];
            args.extend(flag_args(release, Some(command), name, go_type));
            calls += 1;
            args.extend(positionals(command, calls));
            let answer = call(&fake, cwd.path(), None, &args);
            assert_eq!(
                answer.code,
                Some(0),
                "{release}: {args:?}: {}",
                answer.stderr
            );
            counts.accepted += 1;
            let their_set = theirs.commands.get(command);
            if their_set.is_some_and(|s| s.contains_key(name)) {
                continue;
            }
            counts.absent_elsewhere += 1;
            let answer = call(&fake, cwd.path(), Some(other), &args);
            let message = format!("flag provided but not defined: -{name}");
            let expected = match their_set {
                // runsc without the subcommand: its usage, as for any unknown one.
                None => top.to_owned(),
                Some(_) if other >= Release::R20260817 => format!(
                    "{message}\n{}failed to parse flags for {command:?}: {message}\n",
                    usage_of(command)
                ),
                Some(_) => format!("{message}\n{}", usage_of(command)),
            };
            assert_eq!(
                (answer.code, answer.stderr),
                (Some(128), expected),
                "{other}: {args:?}"
            );
            counts.refused += 1;
        }
    }
    let refusals = fake
        .calls()
        .unwrap()
        .iter()
        .filter(|c| c.result == CallResult::ArgvError)
        .count();
    let refused: usize = counts.iter().map(|c| c.refused).sum();
    assert_eq!(
        refusals, refused,
        "every refusal is journalled, nothing else is refused"
    );
    counts
}

#[test]
fn every_flag_gets_past_parsing_under_its_release_and_is_refused_under_the_other() {
    let Some(dir) = shared_versions() else { return };
    let pairs = [
        (Release::R20260817, Release::R20221219),
        (Release::R20221219, Release::R20260817),
    ];
    for (release, other) in pairs {
        let [global, lifecycle, fscheckpoint] = check(&dir, release, other);
        for counts in [&global, &lifecycle, &fscheckpoint] {
            assert_eq!(counts.accepted, counts.total, "{release}: {counts:?}");
            assert_eq!(
                counts.refused, counts.absent_elsewhere,
                "{release}: {counts:?}"
            );
        }
        println!(
            "fake under {release}: global flags accepted {}/{} (refused by {other} {}/{} it lacks); \
             flags of the {} lifecycle commands accepted {}/{} (refused by {other} {}/{}); \
             fscheckpoint {}/{} (refused by {other} {}/{})",
            global.accepted,
            global.total,
            global.refused,
            global.absent_elsewhere,
            LIFECYCLE.len(),
            lifecycle.accepted,
            lifecycle.total,
            lifecycle.refused,
            lifecycle.absent_elsewhere,
            fscheckpoint.accepted,
            fscheckpoint.total,
            fscheckpoint.refused,
            fscheckpoint.absent_elsewhere,
        );
        if release == Release::R20260817 {
            let shared = shared(&dir, release);
            assert_eq!(global.total, shared.global.len());
            assert_eq!(
                lifecycle.total, 84,
                "the lifecycle commands' flags, update's included"
            );
        }
    }
}
