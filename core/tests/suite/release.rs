//! Release profiles: the flag tables equal the shared runsc-versions data,
//! every flag parses under its release and is refused where it does not
//! exist, and the client refuses what its release lacks before spawning.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::PathBuf;

use proptest::prelude::*;
use runsc::cli::flags::{self, FlagKind, FlagSpec};
use runsc::cli::{
    strategy, values, ContainerId, Invocation, ParseError, Release, Subcommand, WaitCheckpoint,
};
use runsc::Runsc;
use serde_json::Value;

/// `shared/runsc-versions` beside the checkout (`core/../../shared`), where
/// both the developers' machines and CI keep it.
fn shared_versions() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/runsc-versions");
    if dir.join("flags-20221219.json").is_file() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI is set but {} holds no runsc-versions data; CI must have shared/ beside the checkout",
        dir.display()
    );
    eprintln!(
        "SKIP: {} is missing, so the flag tables are not compared with the shared data",
        dir.display()
    );
    None
}

fn shared_table(dir: &std::path::Path, release: Release) -> Value {
    let path = dir.join(format!("flags-{release}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// name -> Go type, as the shared data lists a flag set.
fn shared_flags(set: &Value) -> BTreeMap<String, String> {
    set.as_object()
        .expect("a flag set is an object")
        .iter()
        .map(|(name, flag)| (name.clone(), flag["type"].as_str().unwrap().to_owned()))
        .collect()
}

fn own_flags(specs: &[FlagSpec]) -> BTreeMap<String, String> {
    specs
        .iter()
        .map(|f| (f.name.to_owned(), f.kind.go_type().to_owned()))
        .collect()
}

fn names(value: &Value) -> Vec<String> {
    value
        .as_array()
        .expect("an array of names")
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn tables_equal_the_shared_data() {
    let Some(dir) = shared_versions() else { return };
    for release in Release::ALL {
        let shared = shared_table(&dir, release);
        assert_eq!(
            shared["release"].as_str(),
            Some(format!("release-{release}.0").as_str())
        );
        let table = flags::table(release);
        assert_eq!(
            own_flags(&table.global),
            shared_flags(&shared["global"]),
            "{release}: global flags"
        );
        let mut compared = 0;
        for (command, specs) in &table.commands {
            assert_eq!(
                own_flags(specs),
                shared_flags(&shared["commands"][*command]),
                "{release}: flags of {command}"
            );
            compared += specs.len();
        }
        let modelled: Vec<&str> = table.commands.iter().map(|(c, _)| *c).collect();
        for command in shared["commands"].as_object().unwrap().keys() {
            let covered = modelled.contains(&command.as_str());
            let model_has_it = matches!(
                command.as_str(),
                "list"
                    | "state"
                    | "create"
                    | "start"
                    | "exec"
                    | "run"
                    | "delete"
                    | "kill"
                    | "events"
                    | "ps"
                    | "pause"
                    | "resume"
                    | "wait"
                    | "update"
                    | "checkpoint"
                    | "restore"
                    | "fscheckpoint"
            );
            assert_eq!(covered, model_has_it, "{release}: {command}");
        }
        assert_eq!(
            table.subcommands,
            names(&shared["subcommands"]),
            "{release}: subcommands"
        );
        assert_eq!(
            table.help_topics,
            names(&shared["help_topics"]),
            "{release}: help topics"
        );
        println!(
            "{release}: {} global flags, {compared} flags of {} modelled subcommands, {} subcommands: equal to the shared data",
            table.global.len(),
            table.commands.len(),
            table.subcommands.len()
        );
    }
}

/// A value the flag accepts under every release that has it.
fn value_for(command: Option<&str>, spec: &FlagSpec) -> Option<String> {
    Some(match spec.kind {
        FlagKind::Bool => return None,
        FlagKind::String if command == Some("list") && spec.name == "format" => "json".into(),
        FlagKind::String => "v".into(),
        FlagKind::Int | FlagKind::Int64 | FlagKind::Uint | FlagKind::Uint64 => "1".into(),
        FlagKind::Duration => "1s".into(),
        FlagKind::Value(kind) => values::sample(kind).into(),
    })
}

fn flag_args(command: Option<&str>, spec: &FlagSpec) -> Vec<String> {
    match value_for(command, spec) {
        None => vec![format!("--{}", spec.name)],
        Some(value) => vec![format!("--{}", spec.name), value],
    }
}

fn positionals(command: &str) -> &'static [&'static str] {
    match command {
        "list" => &[],
        "exec" => &["c1", "true"],
        _ => &["c1"],
    }
}

fn parse(release: Release, args: &[String]) -> Result<Invocation, ParseError> {
    Invocation::parse_for(release, args.iter().map(OsString::from))
}

/// Counts of one direction of the table-driven check.
#[derive(Default)]
struct Counts {
    accepted: usize,
    total: usize,
    refused: usize,
    absent_elsewhere: usize,
}

#[test]
fn every_flag_parses_under_its_release_and_is_refused_where_it_does_not_exist() {
    let pairs = [
        (Release::R20260817, Release::R20221219),
        (Release::R20221219, Release::R20260817),
    ];
    for (release, other) in pairs {
        let table = flags::table(release);
        let other_table = flags::table(other);

        let mut global = Counts::default();
        for spec in &table.global {
            global.total += 1;
            let mut args = flag_args(None, spec);
            args.push("list".into());
            match (spec.name, parse(release, &args)) {
                (_, Ok(_)) => global.accepted += 1,
                // Parsed, and then runsc prints its version or usage and exits 0.
                ("version", Err(ParseError::Version))
                | ("help" | "h", Err(ParseError::GlobalHelp)) => global.accepted += 1,
                (_, Err(e)) => panic!("{release}: {args:?}: {e}"),
            }
            if flags::lookup(&other_table.global, spec.name).is_none() {
                if matches!(spec.name, "help" | "h") {
                    // Not a flag there, but Go's flag package answers it
                    // with the usage and exit 0.
                    assert_eq!(parse(other, &args).unwrap_err(), ParseError::GlobalHelp);
                    continue;
                }
                global.absent_elsewhere += 1;
                let err = parse(other, &args).unwrap_err();
                assert_eq!(
                    (err.exit_code(), err.to_string()),
                    (2, format!("flag provided but not defined: -{}", spec.name)),
                    "{other}: {args:?}"
                );
                global.refused += 1;
            }
        }
        assert_eq!(global.accepted, global.total);
        assert_eq!(global.refused, global.absent_elsewhere);

        let mut lifecycle = Counts::default();
        for (command, specs) in &table.commands {
            for spec in specs {
                lifecycle.total += 1;
                let mut args = vec![command.to_string()];
                args.extend(flag_args(Some(command), spec));
                args.extend(positionals(command).iter().map(|s| s.to_string()));
                parse(release, &args).unwrap_or_else(|e| panic!("{release}: {args:?}: {e}"));
                lifecycle.accepted += 1;
                let other_flags = other_table.command(command).map(|(_, f)| f);
                if other_flags.is_some_and(|f| flags::lookup(f, spec.name).is_some()) {
                    continue;
                }
                lifecycle.absent_elsewhere += 1;
                let err = parse(other, &args).unwrap_err();
                assert_eq!(err.exit_code(), 128, "{other}: {args:?}");
                match (other_flags, &err) {
                    (None, ParseError::UnknownSubcommand(name)) => assert_eq!(name, command),
                    (Some(_), ParseError::SubcommandFlag { message, .. }) => assert_eq!(
                        message,
                        &format!("flag provided but not defined: -{}", spec.name)
                    ),
                    _ => panic!("{other}: {args:?}: {err:?}"),
                }
                lifecycle.refused += 1;
            }
        }
        assert_eq!(lifecycle.accepted, lifecycle.total);
        assert_eq!(lifecycle.refused, lifecycle.absent_elsewhere);
        println!(
            "{release}: global flags accepted {}/{}, refused by {other} {}/{} (the ones it lacks); \
             subcommand flags of the {} modelled subcommands accepted {}/{}, refused by {other} {}/{}",
            global.accepted,
            global.total,
            global.refused,
            global.absent_elsewhere,
            table.commands.len(),
            lifecycle.accepted,
            lifecycle.total,
            lifecycle.refused,
            lifecycle.absent_elsewhere,
        );
    }
    // The figures the project states for the newest release.
    let newest = flags::table(Release::R20260817);
    let lifecycle: usize = newest
        .commands
        .iter()
        .filter(|(c, _)| *c != "fscheckpoint")
        .map(|(_, f)| f.len())
        .sum();
    assert_eq!(
        lifecycle, 84,
        "flags of the 15 lifecycle commands and update"
    );
}

/// No flag a release accepts for a modelled subcommand is dropped on the way
/// into the model: each, given alone, is rendered again from the parsed
/// invocation, which parses back to itself and passes the release check.
#[test]
fn every_subcommand_flag_is_kept_in_the_model() {
    for release in Release::ALL {
        for (command, specs) in &flags::table(release).commands {
            for spec in specs {
                let mut args = vec![command.to_string()];
                args.extend(flag_args(Some(command), spec));
                args.extend(positionals(command).iter().map(|s| s.to_string()));
                let parsed = parse(release, &args).unwrap();
                let rendered: Vec<String> = parsed
                    .to_args()
                    .iter()
                    .map(|a| a.to_string_lossy().into_owned())
                    .collect();
                let flag = format!("--{}", spec.name);
                assert!(
                    rendered
                        .iter()
                        .any(|a| *a == flag || a.starts_with(&format!("{flag}="))),
                    "{release}: {args:?} lost {flag}: {parsed:?} renders {rendered:?}"
                );
                assert_eq!(parse(release, &rendered), Ok(parsed.clone()), "{release}");
                assert_eq!(parsed.check_release(release), Ok(()), "{release}: {args:?}");
            }
        }
    }
}

#[test]
fn typed_values_are_checked_per_release() {
    let refuse = |release, args: &[&str]| {
        let err = Invocation::parse_for(release, args.iter().copied()).unwrap_err();
        (err.exit_code(), err.to_string())
    };
    // As real runsc 20221219 answers `runsc --root=R --FLAG=VALUE list`.
    assert_eq!(
        refuse(Release::R20221219, &["--network=bogus", "list"]),
        (
            2,
            r#"invalid value "bogus" for flag -network: invalid network type "bogus""#.into()
        )
    );
    assert_eq!(
        refuse(Release::R20221219, &["--qdisc=tbf", "list"]),
        (
            2,
            r#"invalid value "tbf" for flag -qdisc: invalid qdisc "tbf""#.into()
        )
    );
    assert_eq!(
        refuse(Release::R20221219, &["exec", "--user=bogus", "c1", "true"]),
        (
            128,
            r#"invalid value "bogus" for flag -user: couldn't parse UID: bogus"#.into()
        )
    );
    assert!(Invocation::parse_for(Release::R20260817, ["--qdisc=tbf", "list"]).is_ok());
    // The platform is checked when runsc loads its config, not while parsing.
    assert!(Invocation::parse_for(Release::R20221219, ["--platform=systrap", "list"]).is_ok());
    assert!(!Release::R20221219.platforms().contains(&"systrap"));
    assert!(Release::R20260817.platforms().contains(&"systrap"));
    // `wait --pid=-1` is runsc's "not set".
    let inv = Invocation::parse_for(Release::R20221219, ["wait", "--pid=-1", "c1"]).unwrap();
    let Subcommand::Wait(wait) = inv.command else {
        panic!("{inv:?}")
    };
    assert_eq!((wait.pid, wait.rootpid), (None, None));
}

#[test]
fn releases_are_named_by_date_or_tag() {
    for release in Release::ALL {
        assert_eq!(release.as_str().parse::<Release>(), Ok(release));
        assert_eq!(
            format!("release-{release}.0").parse::<Release>(),
            Ok(release)
        );
    }
    let err = "20230101".parse::<Release>().unwrap_err();
    assert!(
        err.to_string().contains("20221219, 20241021, 20260817"),
        "{err}"
    );
    assert_eq!(Release::default(), Release::NEWEST);
    assert!(Release::R20260817.subcommands().contains(&"update"));
    assert!(!Release::R20221219.subcommands().contains(&"update"));
}

/// A client at the scripted stand-in, built for `release`.
fn client(release: Option<Release>, config: &[(&str, &str)]) -> (tempfile::TempDir, Runsc) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("body.sh"), "exit 0\n").unwrap();
    let mut builder = Runsc::builder()
        .command(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fake-runsc.sh"))
        .root(dir.path());
    for (key, value) in config {
        builder = builder.config(*key, *value);
    }
    if let Some(release) = release {
        builder = builder.release(release);
    }
    (dir, builder.build().unwrap())
}

#[tokio::test]
async fn the_client_refuses_what_its_release_lacks_before_spawning() {
    let id = ContainerId::new("c1").unwrap();
    let resources = oci_spec::runtime::LinuxResources::default();

    let (dir, old) = client(Some(Release::R20221219), &[]);
    let err = old.update(&id, &resources).await.unwrap_err();
    assert!(err.is_invalid_input(), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("`update`")
            && text.contains("runsc 20221219")
            && text.contains("added in runsc 20260817"),
        "{text}"
    );
    assert!(!dir.path().join("argv").exists(), "runsc was spawned");

    let (dir, old) = client(Some(Release::R20221219), &[("nvproxy", "true")]);
    let err = old.list().await.unwrap_err();
    let text = err.to_string();
    assert!(
        err.is_invalid_input()
            && text.contains("`--nvproxy`")
            && text.contains("added in runsc 20241021"),
        "{text}"
    );
    assert!(!dir.path().join("argv").exists(), "runsc was spawned");

    // A config key no release knows is runsc's to refuse, not the client's.
    let (dir, old) = client(Some(Release::R20221219), &[("no-such-flag", "1")]);
    let _ = old.list().await;
    assert!(dir.path().join("argv").exists());

    // The default is the newest release, which has `update`.
    let (dir, new) = client(None, &[]);
    new.update(&id, &resources).await.unwrap();
    let argv = std::fs::read_to_string(dir.path().join("argv")).unwrap();
    assert!(argv.ends_with("update\n--resources=-\nc1\n"), "{argv}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn parse_inverts_render_under_every_release(
        (release, inv) in proptest::sample::select(Release::ALL.to_vec())
            .prop_flat_map(|r| (Just(r), strategy::invocation_for(r)))
    ) {
        let args = inv.to_args();
        prop_assert_eq!(Invocation::parse_for(release, args.clone()), Ok(inv.clone()), "argv: {:?}", args);
        prop_assert_eq!(inv.check_release(release), Ok(()));
    }

    /// For the subcommands, `check_release` and the older release's parser
    /// agree: what the check lets through parses, what it refuses is refused.
    #[test]
    fn the_check_agrees_with_the_older_parser(
        global in strategy::global_options_for(Release::R20221219),
        command in strategy::subcommand_for(Release::R20260817),
    ) {
        let inv = Invocation { global, command };
        let args = inv.to_args();
        let parsed = Invocation::parse_for(Release::R20221219, args.clone());
        match inv.check_release(Release::R20221219) {
            Ok(()) => prop_assert!(parsed.is_ok(), "argv: {:?}: {:?}", args, parsed),
            Err(mismatch) => {
                prop_assert!(parsed.is_err(), "argv: {:?} parsed, but the check said {}", args, mismatch);
            }
        }
    }

    /// A global flag the check refuses, the older release refuses too.
    #[test]
    fn a_refused_global_flag_does_not_parse(inv in strategy::invocation_for(Release::R20260817)) {
        if inv.check_release(Release::R20221219).is_err() {
            prop_assert!(Invocation::parse_for(Release::R20221219, inv.to_args()).is_err());
        }
    }
}

#[tokio::test]
async fn update_with_flags_renders_them_and_refuses_stdin() {
    let id = ContainerId::new("c1").unwrap();
    let (dir, new) = client(None, &[]);
    let mut update = runsc::cli::Update::resources(id.clone(), "/run/c1/resources.json");
    update.pids_limit = Some(64);
    update.memory = Some("1g".into());
    new.update_with(update.clone()).await.unwrap();
    let argv = std::fs::read_to_string(dir.path().join("argv")).unwrap();
    assert!(
        argv.ends_with(
            "update\n--resources=/run/c1/resources.json\n--memory\n1g\n--pids-limit\n64\nc1\n"
        ),
        "{argv}"
    );

    let err = new
        .update_with(runsc::cli::Update::resources(id.clone(), "-"))
        .await
        .unwrap_err();
    assert!(
        err.is_invalid_input() && err.to_string().contains("Runsc::update"),
        "{err}"
    );

    let (dir, old) = client(Some(Release::R20221219), &[]);
    assert!(old
        .update_with(update)
        .await
        .unwrap_err()
        .is_invalid_input());
    assert!(!dir.path().join("argv").exists(), "runsc was spawned");
}

#[test]
fn argv_of_the_newer_options() {
    use runsc::cli::{Checkpoint, Create, Exec, FsCheckpoint, Kill, Restore, Run, Signal, Wait};
    let id = || ContainerId::new("c1").unwrap();
    let mut update = runsc::cli::Update::resources(id(), "-");
    update.cpu_quota = Some("50000".into());
    update.blkio_weight = Some(500);
    let wait = |checkpoint, restore, fscheckpoint, fsrestore| {
        Subcommand::Wait(Wait {
            id: id(),
            pid: None,
            rootpid: None,
            checkpoint,
            restore,
            fscheckpoint,
            fsrestore,
        })
    };
    // Each with the release it is parsed for (the first that has all of
    // its options).
    let cases = [
        (
            Release::R20260817,
            Subcommand::Create(Create {
                id: id(),
                bundle: Some("/b".into()),
                pid_file: None,
                console_socket: None,
                user_log: None,
                fs_restore_image_path: Some("/img/fs".into()),
                fs_restore_direct: true,
            }),
        ),
        (
            Release::R20260817,
            Subcommand::Run(Run {
                id: id(),
                bundle: Some("/b".into()),
                pid_file: None,
                console_socket: None,
                user_log: None,
                detach: false,
                fs_restore_image_path: Some("/img/fs".into()),
                fs_restore_direct: true,
                exec_fd: Some(3),
                pass_fd: vec!["4:5".into(), "6:7".into()],
            }),
        ),
        (
            Release::R20241021,
            Subcommand::Exec(Exec {
                id: id(),
                process: Some("/p.json".into()),
                pid_file: None,
                internal_pid_file: None,
                console_socket: None,
                detach: false,
                cwd: None,
                user: None,
                env: vec![],
                cap: vec![],
                additional_gids: vec![],
                exec_fd: Some(3),
                pass_fd: vec!["4:5".into()],
                args: vec![],
            }),
        ),
        (
            Release::R20260817,
            Subcommand::Kill(Kill {
                id: id(),
                signal: Some(Signal::Number(15)),
                all: false,
                pid: None,
                pgid: Some(7),
            }),
        ),
        (
            Release::R20260817,
            wait(Some(WaitCheckpoint::Next), false, false, false),
        ),
        (Release::R20260817, wait(None, true, false, false)),
        (Release::R20260817, wait(None, false, true, false)),
        (Release::R20260817, wait(None, false, false, true)),
        (
            Release::R20241021,
            wait(Some(WaitCheckpoint::Nth(2)), false, false, false),
        ),
        (
            Release::R20260817,
            Subcommand::Update(runsc::cli::Update::resources(id(), "-")),
        ),
        (Release::R20260817, Subcommand::Update(update)),
        (
            Release::R20260817,
            Subcommand::Checkpoint(Checkpoint {
                id: id(),
                image_path: Some("/img".into()),
                leave_running: true,
                direct: true,
                compression: Some("none".into()),
                exclude_committed_zero_pages: true,
                save_restore_exec_argv: Some("/bin/hook --save".into()),
                save_restore_exec_timeout: Some("90s".into()),
                cuda_checkpoint_path: Some("/usr/bin/cuda-checkpoint".into()),
                cuda_checkpoint_sequential: true,
                work_path: Some("/work".into()),
                fs_checkpoint_paths: Some("c1:/data".into()),
            }),
        ),
        (
            Release::R20260817,
            Subcommand::Restore(Restore {
                id: id(),
                bundle: Some("/b".into()),
                image_path: Some("/img".into()),
                pid_file: None,
                console_socket: None,
                user_log: None,
                detach: true,
                direct: true,
                background: true,
                no_subreaper: true,
                work_path: Some("/work".into()),
                fs_restore_image_path: Some("/img/fs".into()),
                fs_restore_direct: true,
                split_fsrestore: true,
            }),
        ),
        (
            Release::R20260817,
            Subcommand::FsCheckpoint(FsCheckpoint {
                id: id(),
                image_path: Some("/img/fs".into()),
                leave_running: true,
                direct: false,
                paths: vec!["/data".into(), "/etc".into()],
            }),
        ),
    ];
    let mut lines = Vec::new();
    for (release, command) in cases {
        let inv = Invocation::new(command);
        let args = inv.to_args();
        assert_eq!(
            Invocation::parse_for(release, args.clone()),
            Ok(inv.clone()),
            "{release}: {args:?}"
        );
        assert_eq!(inv.check_release(release), Ok(()), "{release}: {args:?}");
        lines.push(format!(
            "{release}: {}",
            args.iter()
                .map(|a| format!("{:?}", a.to_string_lossy()))
                .collect::<Vec<_>>()
                .join(" ")
        ));
        for other in Release::ALL.into_iter().filter(|r| *r != release) {
            if let Err(refused) = inv.check_release(other) {
                assert!(
                    Invocation::parse_for(other, args.clone()).is_err(),
                    "{other} parses {args:?}"
                );
                lines.push(format!("  {other}: {refused}"));
            }
        }
    }
    insta::with_settings!({snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/../snapshots"), prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("argv_20260817_options", lines.join("\n"));
    });
}

#[test]
fn a_flag_whose_meaning_changed_is_refused() {
    // 20241021's `wait --checkpoint` takes a checkpoint number, 20260817's
    // is a switch: each release refuses the other's form.
    let wait = |checkpoint| {
        Invocation::new(Subcommand::Wait(runsc::cli::Wait {
            id: ContainerId::new("c1").unwrap(),
            pid: None,
            rootpid: None,
            checkpoint: Some(checkpoint),
            restore: false,
            fscheckpoint: false,
            fsrestore: false,
        }))
    };
    let switch = wait(WaitCheckpoint::Next);
    let err = switch.check_release(Release::R20241021).unwrap_err();
    assert_eq!(err.option, "wait --checkpoint");
    assert_eq!(err.available_in, [Release::R20260817]);
    assert!(Invocation::parse_for(Release::R20241021, switch.to_args()).is_err());
    assert_eq!(switch.check_release(Release::R20260817), Ok(()));

    let number = wait(WaitCheckpoint::Nth(3));
    let args: Vec<String> = number
        .to_args()
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    assert_eq!(args, ["wait", "--checkpoint", "3", "c1"]);
    assert_eq!(
        Invocation::parse_for(Release::R20241021, number.to_args()),
        Ok(number.clone())
    );
    assert_eq!(number.check_release(Release::R20241021), Ok(()));
    let err = number.check_release(Release::R20260817).unwrap_err();
    assert_eq!(err.option, "wait --checkpoint N");
    assert_eq!(err.available_in, [Release::R20241021]);
    assert_eq!(
        err.to_string(),
        "runsc 20260817 has no `wait --checkpoint N`; runsc 20241021 was the last known \
         release to have it"
    );
    // 20260817 reads `--checkpoint` as its switch and `3` as the id, so the
    // id is a stray second positional.
    assert!(Invocation::parse_for(Release::R20260817, number.to_args()).is_err());
    let err = number.check_release(Release::R20221219).unwrap_err();
    assert!(err.to_string().contains("added in runsc 20241021"), "{err}");
    assert!(Invocation::parse_for(Release::R20221219, number.to_args()).is_err());

    // runsc reads `--checkpoint 0` as no checkpoint wait at all.
    let mut none = wait(WaitCheckpoint::Next);
    if let Subcommand::Wait(w) = &mut none.command {
        w.checkpoint = None;
    }
    assert_eq!(
        Invocation::parse_for(Release::R20241021, ["wait", "--checkpoint", "0", "c1"]),
        Ok(none)
    );
}
