//! The CLI model: argv snapshots for every subcommand and option, and the
//! properties every rendered command line must have.

use std::ffi::OsString;
use std::path::PathBuf;

use proptest::prelude::*;
use runsc::cli::strategy;
use runsc::cli::*;

use crate::support::id;

fn p(s: &str) -> Option<PathBuf> {
    Some(PathBuf::from(s))
}

fn line(inv: &Invocation) -> String {
    inv.to_args()
        .iter()
        .map(|a| format!("{:?}", a.to_string_lossy()))
        .collect::<Vec<_>>()
        .join(" ")
}

fn snapshot(name: &str, cases: &[Subcommand]) {
    let text = cases
        .iter()
        .map(|c| line(&Invocation::new(c.clone())))
        .collect::<Vec<_>>()
        .join("\n");
    insta::with_settings!({snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/../snapshots"), prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!(name, text);
    });
}

#[test]
fn global_options_render_first_in_fixed_order() {
    let mut global = GlobalOptions {
        root: p("/run/runsc"),
        log: p("/var/log/runsc.json"),
        log_format: Some(LogFormat::Json),
        panic_log: p("/var/log/panic"),
        debug: true,
        debug_log: p("/var/log/debug/"),
        config: Config::new(),
    };
    global.config.insert("platform", "ptrace").unwrap();
    global.config.insert("network", "none").unwrap();
    global
        .config
        .insert("debug-command", "create,!boot")
        .unwrap();
    let inv = Invocation {
        global,
        command: Subcommand::State(IdOnly { id: id("c1") }),
    };
    insta::with_settings!({snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/../snapshots"), prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("argv_globals", line(&inv));
    });
}

#[test]
fn argv_of_every_subcommand() {
    snapshot(
        "argv_list",
        &[
            Subcommand::List(List::default()),
            Subcommand::List(List {
                format: Some(ListFormat::Json),
                quiet: false,
                sandbox: false,
            }),
            Subcommand::List(List {
                format: Some(ListFormat::Text),
                quiet: true,
                sandbox: true,
            }),
        ],
    );
    snapshot(
        "argv_id_only",
        &[
            Subcommand::State(IdOnly { id: id("c1") }),
            Subcommand::Start(IdOnly { id: id("c1") }),
            Subcommand::Pause(IdOnly { id: id("c1") }),
            Subcommand::Resume(IdOnly { id: id("c1") }),
        ],
    );
    let create = Create {
        id: id("c1"),
        bundle: p("/b"),
        pid_file: None,
        console_socket: None,
        user_log: None,
        fs_restore_image_path: None,
        fs_restore_direct: false,
    };
    snapshot(
        "argv_create",
        &[
            Subcommand::Create(create.clone()),
            Subcommand::Create(Create {
                bundle: None,
                ..create.clone()
            }),
            Subcommand::Create(Create {
                pid_file: p("/run/c1.pid"),
                console_socket: p("/tmp/console.sock"),
                user_log: p("/var/log/user.log"),
                ..create.clone()
            }),
            Subcommand::Create(Create {
                bundle: p("-looks like a flag=yes"),
                ..create
            }),
        ],
    );
    let run = Run {
        id: id("c1"),
        bundle: p("/b"),
        pid_file: None,
        console_socket: None,
        user_log: None,
        detach: false,
        fs_restore_image_path: None,
        fs_restore_direct: false,
        exec_fd: None,
        pass_fd: vec![],
    };
    snapshot(
        "argv_run",
        &[
            Subcommand::Run(run.clone()),
            Subcommand::Run(Run {
                detach: true,
                pid_file: p("/p"),
                ..run.clone()
            }),
            Subcommand::Run(Run {
                console_socket: p("/s"),
                user_log: p("/u"),
                ..run
            }),
        ],
    );
    let exec = Exec {
        id: id("c1"),
        process: p("/tmp/process.json"),
        pid_file: None,
        internal_pid_file: None,
        console_socket: None,
        detach: false,
        cwd: None,
        user: None,
        env: vec![],
        cap: vec![],
        additional_gids: vec![],
        exec_fd: None,
        pass_fd: vec![],
        args: vec![],
    };
    snapshot(
        "argv_exec",
        &[
            Subcommand::Exec(exec.clone()),
            Subcommand::Exec(Exec {
                detach: true,
                pid_file: p("/p"),
                internal_pid_file: p("/ip"),
                console_socket: p("/s"),
                ..exec.clone()
            }),
            Subcommand::Exec(Exec {
                process: None,
                cwd: p("/work"),
                user: Some("1000:1000".into()),
                env: vec!["A=1".into(), "B=2".into()],
                cap: vec!["CAP_NET_RAW".into()],
                additional_gids: vec!["10".into()],
                args: vec!["ls".into(), "-l".into(), "--all".into()],
                ..exec
            }),
        ],
    );
    snapshot(
        "argv_delete",
        &[
            Subcommand::Delete(Delete {
                ids: vec![id("c1")],
                force: false,
            }),
            Subcommand::Delete(Delete {
                ids: vec![id("c1")],
                force: true,
            }),
            Subcommand::Delete(Delete {
                ids: vec![id("c1"), id("c2")],
                force: true,
            }),
        ],
    );
    let kill = Kill {
        id: id("c1"),
        signal: None,
        all: false,
        pid: None,
        pgid: None,
    };
    snapshot(
        "argv_kill",
        &[
            Subcommand::Kill(kill.clone()),
            Subcommand::Kill(Kill {
                signal: Some(Signal::number(9).unwrap()),
                ..kill.clone()
            }),
            Subcommand::Kill(Kill {
                signal: Some(Signal::name("SIGTERM").unwrap()),
                all: true,
                ..kill.clone()
            }),
            Subcommand::Kill(Kill {
                signal: Some(Signal::name("USR1").unwrap()),
                pid: Some(42),
                ..kill
            }),
        ],
    );
    snapshot(
        "argv_events",
        &[
            Subcommand::Events(Events {
                id: id("c1"),
                stats: false,
                interval: None,
            }),
            Subcommand::Events(Events {
                id: id("c1"),
                stats: true,
                interval: None,
            }),
            Subcommand::Events(Events {
                id: id("c1"),
                stats: false,
                interval: Some(1),
            }),
        ],
    );
    snapshot(
        "argv_ps",
        &[
            Subcommand::Ps(Ps {
                id: id("c1"),
                format: None,
            }),
            Subcommand::Ps(Ps {
                id: id("c1"),
                format: Some(PsFormat::Json),
            }),
            Subcommand::Ps(Ps {
                id: id("c1"),
                format: Some(PsFormat::Table),
            }),
        ],
    );
    snapshot(
        "argv_wait",
        &[
            Subcommand::Wait(Wait {
                id: id("c1"),
                pid: None,
                rootpid: None,
                checkpoint: None,
                restore: false,
                fscheckpoint: false,
                fsrestore: false,
            }),
            Subcommand::Wait(Wait {
                id: id("c1"),
                pid: Some(7),
                rootpid: None,
                checkpoint: None,
                restore: false,
                fscheckpoint: false,
                fsrestore: false,
            }),
            Subcommand::Wait(Wait {
                id: id("c1"),
                pid: None,
                rootpid: Some(1234),
                checkpoint: None,
                restore: false,
                fscheckpoint: false,
                fsrestore: false,
            }),
        ],
    );
    snapshot(
        "argv_update_checkpoint_restore",
        &[
            Subcommand::Update(Update::resources(id("c1"), "-")),
            Subcommand::Checkpoint(Checkpoint {
                id: id("c1"),
                image_path: p("/img"),
                leave_running: false,
                direct: false,
                compression: None,
                exclude_committed_zero_pages: false,
                save_restore_exec_argv: None,
                save_restore_exec_timeout: None,
                cuda_checkpoint_path: None,
                cuda_checkpoint_sequential: false,
                work_path: None,
                fs_checkpoint_paths: None,
            }),
            Subcommand::Checkpoint(Checkpoint {
                id: id("c1"),
                image_path: p("/img"),
                leave_running: true,
                direct: false,
                compression: None,
                exclude_committed_zero_pages: false,
                save_restore_exec_argv: None,
                save_restore_exec_timeout: None,
                cuda_checkpoint_path: None,
                cuda_checkpoint_sequential: false,
                work_path: None,
                fs_checkpoint_paths: None,
            }),
            Subcommand::Restore(Restore {
                id: id("c1"),
                bundle: p("/b"),
                image_path: p("/img"),
                pid_file: None,
                console_socket: None,
                user_log: None,
                detach: false,
                direct: false,
                background: false,
                no_subreaper: false,
                work_path: None,
                fs_restore_image_path: None,
                fs_restore_direct: false,
                split_fsrestore: false,
            }),
            Subcommand::Restore(Restore {
                id: id("c1"),
                bundle: p("/b"),
                image_path: p("/img"),
                pid_file: p("/p"),
                console_socket: p("/s"),
                user_log: p("/u"),
                detach: true,
                direct: false,
                background: false,
                no_subreaper: false,
                work_path: None,
                fs_restore_image_path: None,
                fs_restore_direct: false,
                split_fsrestore: false,
            }),
        ],
    );
}

#[test]
fn an_id_that_looks_like_a_flag_is_preceded_by_the_terminator() {
    let inv = Invocation::new(Subcommand::Delete(Delete {
        ids: vec![ContainerId::parsed("--all"), ContainerId::parsed("-x")],
        force: true,
    }));
    assert_eq!(inv.to_args(), ["delete", "--force", "--", "--all", "-x"]);
}

#[test]
fn bad_ids_are_refused() {
    for bad in [
        "", "-rf", "--all", "a/b", "../x", "a b", "a\tb", "a\nb", "a\0b",
    ] {
        let err = ContainerId::new(bad).unwrap_err();
        assert!(err.is_invalid_input(), "{bad:?}: {err}");
        assert!(err.to_string().contains("container id"), "{err}");
    }
    for good in ["c1", "a.b+c_d-e", "x-", "ü"] {
        ContainerId::new(good).unwrap();
    }
}

#[test]
fn bad_config_keys_are_refused() {
    let mut config = Config::new();
    for bad in [
        "",
        "-network",
        "--network",
        "net=work",
        "root",
        "log",
        "debug",
        "a b",
        "version",
    ] {
        let err = config.insert(bad, "x").unwrap_err();
        assert!(err.is_invalid_input(), "{bad:?}");
    }
    assert!(config.insert("network", "a\0b").is_err());
    assert!(config.is_empty());
}

#[test]
fn signals_by_number_and_name() {
    assert_eq!(Signal::name("term").unwrap().to_number(), Some(15));
    assert_eq!(Signal::name("SIGKILL").unwrap().to_number(), Some(9));
    assert!(Signal::name("BOGUS").is_err());
    assert!(Signal::number(0).is_err());
    assert!(Signal::number(65).is_err());
    assert_eq!(Signal::from(nix::sys::signal::Signal::SIGHUP).to_arg(), "1");
}

fn positionals_after_command(args: &[OsString]) -> (usize, &[OsString]) {
    // Everything the renderer emits before the subcommand name starts with "--".
    let at = args
        .iter()
        .position(|a| !a.to_string_lossy().starts_with("--"))
        .expect("a subcommand name");
    let name = args[at].to_string_lossy();
    let (_, table) = flags::table(Release::R20221219)
        .command(&name)
        .expect("a modelled subcommand");
    // Subcommand flags with a value are rendered `--name value`.
    let mut rest = &args[at + 1..];
    while let Some(flag) = rest.first().map(|a| a.to_string_lossy()) {
        let Some(flag) = flag.strip_prefix("--").filter(|f| !f.is_empty()) else {
            break;
        };
        let joined = flag.contains('=');
        let spec = flags::lookup(table, flag.split('=').next().unwrap()).expect("a known flag");
        rest = if spec.kind == flags::FlagKind::Bool || joined {
            &rest[1..]
        } else {
            &rest[2..]
        };
    }
    if rest.first().is_some_and(|a| a == "--") {
        rest = &rest[1..];
    }
    (at, rest)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parse_inverts_render(inv in strategy::invocation()) {
        let args = inv.to_args();
        let back = Invocation::parse(args.clone());
        prop_assert_eq!(back.as_ref(), Ok(&inv), "argv: {:?}", args);
    }

    #[test]
    fn rendering_is_deterministic(inv in strategy::invocation()) {
        prop_assert_eq!(inv.to_args(), inv.clone().to_args());
    }

    #[test]
    fn globals_precede_the_subcommand_and_flags_precede_positionals(inv in strategy::invocation()) {
        let args = inv.to_args();
        let (at, positionals) = positionals_after_command(&args);
        prop_assert_eq!(args[at].to_str(), Some(inv.command.name()));
        // Every global option was rendered before the subcommand name.
        let globals = Invocation { global: inv.global.clone(), command: Subcommand::List(List::default()) }.to_args();
        prop_assert_eq!(&args[..at], &globals[..globals.len() - 1]);
        // The id is the last positional, except where runsc takes more after it.
        if let Some(id) = inv.command.id() {
            let last = positionals.last().map(|a| a.to_string_lossy().into_owned());
            match &inv.command {
                Subcommand::Kill(k) if k.signal.is_some() => {
                    prop_assert_eq!(positionals[0].to_str(), Some(id.as_str()));
                }
                Subcommand::Exec(e) if !e.args.is_empty() => {
                    prop_assert_eq!(positionals[0].to_str(), Some(id.as_str()));
                }
                Subcommand::Delete(d) => {
                    prop_assert_eq!(last.as_deref(), d.ids.last().map(ContainerId::as_str));
                }
                _ => prop_assert_eq!(last.as_deref(), Some(id.as_str())),
            }
        }
    }

    #[test]
    fn no_user_value_becomes_a_flag(inv in strategy::invocation()) {
        // Parsing with Go's rules recovers every value in its own field (the
        // round trip above); here we check the stronger textual rule: every
        // argument before the first positional is a flag we rendered, in
        // `--name` or `--name=value` form, with a name runsc defines.
        let args = inv.to_args();
        let (at, _) = positionals_after_command(&args);
        for arg in &args[..at] {
            let text = arg.to_string_lossy();
            let name = text.trim_start_matches("--").split('=').next().unwrap().to_owned();
            prop_assert!(flags::lookup(&flags::table(Release::R20221219).global, &name).is_some(), "{}", text);
        }
    }

    #[test]
    fn unchecked_ids_survive_the_round_trip(
        id in strategy::parsed_container_id(),
        more in strategy::parsed_container_id(),
        signal in proptest::option::of(strategy::signal()),
    ) {
        for command in [
            Subcommand::State(IdOnly { id: id.clone() }),
            Subcommand::Delete(Delete { ids: vec![id.clone(), more.clone()], force: true }),
            Subcommand::Kill(Kill { id: id.clone(), signal: signal.clone(), all: false, pid: None, pgid: None }),
        ] {
            let inv = Invocation::new(command);
            let args = inv.to_args();
            prop_assert_eq!(Invocation::parse(args.clone()), Ok(inv), "argv: {:?}", args);
        }
    }

    #[test]
    fn parse_never_panics(args in proptest::collection::vec("[-=a-z0-9]{0,8}|--[a-z-]{1,12}(=[a-z0-9]{0,4})?", 0..8)) {
        let _ = Invocation::parse(args);
    }
}

#[test]
fn go_flag_rules() {
    let ok = |args: &[&str]| Invocation::parse(args.iter().copied()).unwrap();
    let err = |args: &[&str]| Invocation::parse(args.iter().copied()).unwrap_err();

    // Single and double dashes, `-f v` and `-f=v`, last value wins.
    let a = ok(&[
        "-root",
        "/a",
        "--root=/b",
        "create",
        "-bundle",
        "/x",
        "--bundle=/y",
        "c",
    ]);
    assert_eq!(a.global.root, p("/b"));
    let Subcommand::Create(c) = a.command else {
        panic!()
    };
    assert_eq!(c.bundle, p("/y"));

    // A boolean never takes the next argument.
    let Subcommand::Delete(d) = ok(&["delete", "-force", "c"]).command else {
        panic!()
    };
    assert!(d.force);
    assert_eq!(
        err(&["delete", "--force=maybe", "c"]).to_string(),
        "invalid boolean value \"maybe\" for -force: parse error"
    );
    let Subcommand::Delete(d) = ok(&["delete", "--force=0", "c"]).command else {
        panic!()
    };
    assert!(!d.force);

    // Parsing stops at the first positional and after `--`.
    assert!(matches!(
        err(&["state", "c", "--bogus"]),
        ParseError::Usage("state")
    ));
    let Subcommand::Exec(e) = ok(&["exec", "c", "ls", "-l"]).command else {
        panic!()
    };
    assert_eq!(e.args, ["ls", "-l"]);
    let Subcommand::Delete(d) = ok(&["delete", "--", "c"]).command else {
        panic!()
    };
    assert_eq!(d.ids, [id("c")]);

    // Base-0 integers.
    let Subcommand::Wait(w) = ok(&["wait", "--pid=0x10", "--rootpid", "010", "c"]).command else {
        panic!()
    };
    assert_eq!((w.pid, w.rootpid), (Some(16), Some(8)));

    // Exit codes: global flag errors are 2, the rest 128.
    let e = err(&["--bogus", "list"]);
    assert_eq!(
        (e.exit_code(), e.to_string().as_str()),
        (2, "flag provided but not defined: -bogus")
    );
    let e = err(&["list", "--bogus"]);
    assert_eq!(
        (e.exit_code(), e.to_string().as_str()),
        (128, "flag provided but not defined: -bogus")
    );
    assert_eq!(
        err(&["create", "--bundle"]).to_string(),
        "flag needs an argument: -bundle"
    );
    assert_eq!(err(&["---x", "list"]).to_string(), "bad flag syntax: ---x");
    assert_eq!(
        err(&["wait", "--pid=abc", "c"]).to_string(),
        "invalid value \"abc\" for flag -pid: parse error"
    );
    assert_eq!(
        err(&["wait", "--pid=99999999999999999999", "c"]).to_string(),
        "invalid value \"99999999999999999999\" for flag -pid: value out of range"
    );
    assert_eq!(
        err(&["--strace-log-size=-1", "list"]).to_string(),
        "invalid value \"-1\" for flag -strace-log-size: parse error"
    );
    assert!(matches!(err(&[]), ParseError::NoSubcommand));
    assert!(matches!(err(&["frob"]), ParseError::UnknownSubcommand(_)));
    assert!(matches!(err(&["spec"]), ParseError::Unsupported(_)));
    assert!(matches!(err(&["list", "x"]), ParseError::Usage("list")));
    assert!(matches!(
        err(&["kill", "a", "b", "c"]),
        ParseError::Usage("kill")
    ));
    assert!(matches!(
        err(&["list", "-h"]),
        ParseError::SubcommandHelp("list")
    ));
    assert!(matches!(err(&["-help"]), ParseError::GlobalHelp));
    assert_eq!(
        err(&["list", "--format=xml"]).to_string(),
        "unknown list format \"xml\""
    );

    // Unknown global flags are errors; known ones land in the config map.
    let g = ok(&[
        "--network=none",
        "--debug",
        "--strace-log-size=0x10",
        "-gso=false",
        "list",
    ])
    .global;
    assert!(g.debug);
    assert_eq!(g.config.get("network"), Some("none"));
    assert_eq!(g.config.get("strace-log-size"), Some("16"));
    assert_eq!(g.config.get("gso"), Some("false"));
}

#[test]
fn events_interval_that_the_seed_sends_is_refused_like_runsc() {
    let e = Invocation::parse(["events", "--interval=1s", "c1"]).unwrap_err();
    assert_eq!(e.exit_code(), 128);
    assert_eq!(
        e.to_string(),
        "invalid value \"1s\" for flag -interval: parse error"
    );
}

#[test]
fn pid_file_is_read_from_the_subcommands_that_take_one() {
    let cases: [(&[&str], Option<&str>); 6] = [
        (&["create", "--pid-file=/p", "--bundle=/b", "c"], Some("/p")),
        (&["run", "-pid-file", "/p", "c"], Some("/p")),
        (&["exec", "--pid-file", "/p", "c", "true"], Some("/p")),
        (
            &["restore", "--image-path=/i", "--pid-file=/p", "c"],
            Some("/p"),
        ),
        (&["run", "c"], None),
        (&["start", "c"], None),
    ];
    for (argv, want) in cases {
        let inv = Invocation::parse(argv).unwrap();
        assert_eq!(
            inv.command.pid_file(),
            want.map(std::path::Path::new),
            "{argv:?}"
        );
    }
}
