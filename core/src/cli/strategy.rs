//! proptest strategies for every [`Invocation`] the model can express, so
//! that the client, the fake and the fuzzers test the same space. The
//! strategies without a release draw what runsc 20221219 (the recorded
//! release) accepts; the `_for` ones draw for a given [`Release`].

use std::path::PathBuf;

use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;

use super::flags::{self, FlagKind};
use super::*;

/// Container ids the model accepts, including awkward but legal ones.
pub fn container_id() -> impl Strategy<Value = ContainerId> {
    prop_oneof![
        "[a-z0-9][a-z0-9_.+-]{0,15}",
        "[^-/\\s\\x00][^/\\s\\x00]{0,10}",
    ]
    .prop_filter_map("valid id", |s| ContainerId::new(s).ok())
}

/// Ids as argv or a file may carry them, unchecked: empty, with `/`,
/// whitespace, or a leading `-`.
pub fn parsed_container_id() -> impl Strategy<Value = ContainerId> {
    prop_oneof!["[^\\x00]{0,8}", "-{1,2}[a-z=]{0,6}"].prop_map(ContainerId::parsed)
}

/// Free-form values: they may begin with `-`, hold `=`, spaces or non-ASCII.
pub fn text() -> impl Strategy<Value = String> {
    prop_oneof!["[a-z0-9/._-]{0,12}", "-{1,2}[a-z=]{0,6}", "[^\\x00]{0,8}"]
}

fn path() -> impl Strategy<Value = PathBuf> {
    text().prop_map(PathBuf::from)
}

fn opt_path() -> impl Strategy<Value = Option<PathBuf>> {
    option::of(path())
}

/// Global options runsc 20221219 accepts.
pub fn global_options() -> impl Strategy<Value = GlobalOptions> {
    global_options_for(Release::RECORDED)
}

/// Global options, with config keys drawn from `release`'s own global flags
/// and values in the canonical form the parser produces for their kind.
pub fn global_options_for(release: Release) -> impl Strategy<Value = GlobalOptions> {
    let configurable: Vec<_> = flags::table(release)
        .global
        .iter()
        .filter(|f| {
            !FIRST_CLASS_GLOBALS.contains(&f.name) && !matches!(f.name, "version" | "help" | "h")
        })
        .copied()
        .collect();
    let entry = proptest::sample::select(configurable).prop_flat_map(|spec| {
        let value: BoxedStrategy<String> = match spec.kind {
            FlagKind::Bool => any::<bool>().prop_map(|b| b.to_string()).boxed(),
            FlagKind::Int | FlagKind::Int64 => any::<i64>().prop_map(|n| n.to_string()).boxed(),
            FlagKind::Uint | FlagKind::Uint64 => any::<u64>().prop_map(|n| n.to_string()).boxed(),
            FlagKind::Duration => prop_oneof![Just("0"), Just("1s"), Just("1.5h"), Just("20000ns")]
                .prop_map(str::to_owned)
                .boxed(),
            FlagKind::String => text().boxed(),
            FlagKind::Value(kind) => Just(values::sample(kind).to_owned()).boxed(),
        };
        (Just(spec.name.to_owned()), value)
    });
    let log_format = prop_oneof![
        Just(LogFormat::Text),
        Just(LogFormat::Json),
        Just(LogFormat::JsonK8s),
        "[a-z]{1,6}".prop_map(|s| LogFormat::from_arg(&s)),
    ];
    (
        opt_path(),
        opt_path(),
        option::of(log_format),
        opt_path(),
        any::<bool>(),
        opt_path(),
        btree_map(entry.prop_map(|(k, v)| (k, v)), Just(()), 0..4),
    )
        .prop_map(
            |(root, log, log_format, panic_log, debug, debug_log, entries)| {
                let mut config = Config::new();
                for (key, value) in entries.into_keys() {
                    config
                        .insert(key, value)
                        .expect("runsc's global flags are valid keys");
                }
                GlobalOptions {
                    root,
                    log,
                    log_format,
                    panic_log,
                    debug,
                    debug_log,
                    config,
                }
            },
        )
}

/// A `kill` signal as a client would send it.
pub fn signal() -> impl Strategy<Value = Signal> {
    prop_oneof![
        (1..=31i32).prop_map(Signal::Number),
        proptest::sample::select(SIGNAL_NAMES).prop_flat_map(|(name, _)| prop_oneof![
            Just(Signal::Name(name.to_owned())),
            Just(Signal::Name(format!("SIG{name}"))),
        ]),
    ]
}

/// `exec --user` values runsc accepts (`UID[:GID]`).
fn user() -> impl Strategy<Value = String> {
    "-?[0-9]{1,6}(:[0-9]{1,6})?"
}

/// A pid flag's value: any but -1, which runsc reads as "not set".
fn pid() -> impl Strategy<Value = Option<i64>> {
    option::of(any::<i64>().prop_filter("-1 means unset", |n| *n != -1))
}

/// `--exec-fd` values: any but -1, which runsc reads as "not set".
fn exec_fd() -> impl Strategy<Value = i64> {
    any::<i64>().prop_filter("-1 means unset", |n| *n != -1)
}

/// `--pass-fd` values as runsc documents them (`HOST:GUEST`), and others:
/// runsc checks them only when it runs the container.
fn pass_fd() -> impl Strategy<Value = String> {
    prop_oneof!["[0-9]{1,3}:[0-9]{1,3}", text()]
}

/// Go durations in forms `time.ParseDuration` accepts.
fn duration() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("0".to_owned()),
        (0..100_000u32).prop_map(|n| format!("{n}s")),
        Just("1.5h".to_owned()),
        Just("10m0s".to_owned()),
    ]
}

/// `any::<bool>()` where the release has the flag, else `false`.
fn switch_if(has: bool) -> BoxedStrategy<bool> {
    if has {
        any::<bool>().boxed()
    } else {
        Just(false).boxed()
    }
}

/// `option::of(s)` where the release has the flag, else `None`.
fn opt_if<T: std::fmt::Debug + Clone + 'static>(
    has: bool,
    s: impl Strategy<Value = T> + 'static,
) -> BoxedStrategy<Option<T>> {
    if has {
        option::of(s).boxed()
    } else {
        Just(None).boxed()
    }
}

/// Every subcommand runsc 20221219 has, with every combination of its options.
pub fn subcommand() -> impl Strategy<Value = Subcommand> {
    subcommand_for(Release::RECORDED)
}

/// Every subcommand `release` has, with every combination of the options
/// it has.
pub fn subcommand_for(release: Release) -> impl Strategy<Value = Subcommand> {
    let id = container_id;
    let new = release >= Release::R20260817;
    let mid = release >= Release::R20241021;
    let mut newer: Vec<BoxedStrategy<Subcommand>> = Vec::new();
    if new {
        newer.push(update().boxed());
        newer.push(
            (
                id(),
                opt_path(),
                any::<bool>(),
                any::<bool>(),
                vec(text(), 0..3),
            )
                .prop_map(|(id, image_path, leave_running, direct, paths)| {
                    Subcommand::FsCheckpoint(FsCheckpoint {
                        id,
                        image_path,
                        leave_running,
                        direct,
                        paths,
                    })
                })
                .boxed(),
        );
    }
    let common = prop_oneof![
        (
            option::of(prop_oneof![Just(ListFormat::Text), Just(ListFormat::Json)]),
            any::<bool>(),
            any::<bool>()
        )
            .prop_map(|(format, quiet, sandbox)| Subcommand::List(List {
                format,
                quiet,
                sandbox
            })),
        id().prop_map(|id| Subcommand::State(IdOnly { id })),
        id().prop_map(|id| Subcommand::Start(IdOnly { id })),
        id().prop_map(|id| Subcommand::Pause(IdOnly { id })),
        id().prop_map(|id| Subcommand::Resume(IdOnly { id })),
        (
            id(),
            opt_path(),
            opt_path(),
            opt_path(),
            opt_path(),
            (opt_if(new, path()), switch_if(new))
        )
            .prop_map(
                |(
                    id,
                    bundle,
                    pid_file,
                    console_socket,
                    user_log,
                    (fs_restore_image_path, fs_restore_direct),
                )| {
                    Subcommand::Create(Create {
                        id,
                        bundle,
                        pid_file,
                        console_socket,
                        user_log,
                        fs_restore_image_path,
                        fs_restore_direct,
                    })
                }
            ),
        (
            (
                id(),
                opt_path(),
                opt_path(),
                opt_path(),
                opt_path(),
                any::<bool>()
            ),
            (
                opt_if(new, path()),
                switch_if(new),
                opt_if(mid, exec_fd()),
                list_if(mid, pass_fd())
            )
        )
            .prop_map(
                |(
                    (id, bundle, pid_file, console_socket, user_log, detach),
                    (fs_restore_image_path, fs_restore_direct, exec_fd, pass_fd),
                )| {
                    Subcommand::Run(Run {
                        id,
                        bundle,
                        pid_file,
                        console_socket,
                        user_log,
                        detach,
                        fs_restore_image_path,
                        fs_restore_direct,
                        exec_fd,
                        pass_fd,
                    })
                }
            ),
        (
            (
                id(),
                opt_path(),
                opt_path(),
                opt_path(),
                opt_path(),
                any::<bool>()
            ),
            (
                opt_path(),
                option::of(user()),
                vec(text(), 0..3),
                vec(text(), 0..2),
                vec(text(), 0..2),
                vec(text(), 0..4)
            ),
            (opt_if(mid, exec_fd()), list_if(mid, pass_fd()))
        )
            .prop_map(
                |(
                    (id, process, pid_file, internal_pid_file, console_socket, detach),
                    (cwd, user, env, cap, additional_gids, args),
                    (exec_fd, pass_fd),
                )| Subcommand::Exec(Exec {
                    id,
                    process,
                    pid_file,
                    internal_pid_file,
                    console_socket,
                    detach,
                    cwd,
                    user,
                    env,
                    cap,
                    additional_gids,
                    exec_fd,
                    pass_fd,
                    args,
                })
            ),
        (vec(id(), 1..4), any::<bool>())
            .prop_map(|(ids, force)| Subcommand::Delete(Delete { ids, force })),
        (
            id(),
            option::of(signal()),
            any::<bool>(),
            option::of(any::<i64>()),
            opt_if(new, any::<i64>())
        )
            .prop_map(|(id, signal, all, pid, pgid)| Subcommand::Kill(Kill {
                id,
                signal,
                all,
                pid,
                pgid
            })),
        (id(), any::<bool>(), option::of(any::<i64>())).prop_map(|(id, stats, interval)| {
            Subcommand::Events(Events {
                id,
                stats,
                interval,
            })
        }),
        (
            id(),
            option::of(prop_oneof![
                Just(PsFormat::Table),
                Just(PsFormat::Json),
                "[a-z]{1,5}".prop_map(|s| PsFormat::from_arg(&s)),
            ])
        )
            .prop_map(|(id, format)| Subcommand::Ps(Ps { id, format })),
        (
            id(),
            pid(),
            pid(),
            wait_checkpoint(release),
            [switch_if(new), switch_if(new), switch_if(new)]
        )
            .prop_map(
                |(id, pid, rootpid, checkpoint, [restore, fscheckpoint, fsrestore])| {
                    Subcommand::Wait(Wait {
                        id,
                        pid,
                        rootpid,
                        checkpoint,
                        restore,
                        fscheckpoint,
                        fsrestore,
                    })
                }
            ),
        (
            (
                id(),
                opt_path(),
                any::<bool>(),
                switch_if(mid),
                opt_if(mid, text()),
                switch_if(mid),
                opt_path()
            ),
            (
                opt_if(new, text()),
                opt_if(new, duration()),
                opt_if(new, path()),
                switch_if(new),
                opt_if(new, text())
            )
        )
            .prop_map(
                |(
                    (id, image_path, leave_running, direct, compression, exclude, work_path),
                    (argv, timeout, cuda_path, cuda_sequential, fs_checkpoint_paths),
                )| {
                    Subcommand::Checkpoint(Checkpoint {
                        id,
                        image_path,
                        leave_running,
                        direct,
                        compression,
                        exclude_committed_zero_pages: exclude,
                        save_restore_exec_argv: argv,
                        save_restore_exec_timeout: timeout,
                        cuda_checkpoint_path: cuda_path,
                        cuda_checkpoint_sequential: cuda_sequential,
                        work_path,
                        fs_checkpoint_paths,
                    })
                }
            ),
        (
            id(),
            opt_path(),
            opt_path(),
            opt_path(),
            opt_path(),
            opt_path(),
            (any::<bool>(), switch_if(mid), switch_if(mid), any::<bool>()),
            (
                opt_path(),
                opt_if(new, path()),
                switch_if(new),
                switch_if(new)
            )
        )
            .prop_map(
                |(
                    id,
                    bundle,
                    image_path,
                    pid_file,
                    console_socket,
                    user_log,
                    (detach, direct, background, no_subreaper),
                    (work_path, fs_restore_image_path, fs_restore_direct, split_fsrestore),
                )| {
                    Subcommand::Restore(Restore {
                        id,
                        bundle,
                        image_path,
                        pid_file,
                        console_socket,
                        user_log,
                        detach,
                        direct,
                        background,
                        no_subreaper,
                        work_path,
                        fs_restore_image_path,
                        fs_restore_direct,
                        split_fsrestore,
                    })
                }
            ),
    ];
    if newer.is_empty() {
        common.boxed()
    } else {
        newer.push(common.boxed());
        proptest::strategy::Union::new(newer).boxed()
    }
}

/// `vec(s, 0..3)` where the release has the flag, else empty.
fn list_if<T: std::fmt::Debug + Clone + 'static>(
    has: bool,
    s: impl Strategy<Value = T> + 'static,
) -> BoxedStrategy<Vec<T>> {
    if has {
        vec(s, 0..3).boxed()
    } else {
        Just(Vec::new()).boxed()
    }
}

/// `wait --checkpoint` as `release` has it: 20241021's number (0 reads
/// back as not set, so it is left out), 20260817's switch, or nothing.
fn wait_checkpoint(release: Release) -> BoxedStrategy<Option<WaitCheckpoint>> {
    match release {
        Release::R20221219 => Just(None).boxed(),
        Release::R20241021 => option::of((1..=u64::MAX).prop_map(WaitCheckpoint::Nth)).boxed(),
        Release::R20260817 => option::of(Just(WaitCheckpoint::Next)).boxed(),
    }
}

/// `update` with any combination of its flags.
fn update() -> impl Strategy<Value = Subcommand> {
    let s = || option::of(text());
    (
        (container_id(), opt_path(), option::of(any::<i64>()), option::of(any::<i64>())),
        [s(), s(), s(), s(), s(), s(), s(), s(), s(), s(), s(), s(), s(), s()],
    )
        .prop_map(|((id, resources, blkio_weight, pids_limit), strings)| {
            let [cpu_burst, cpu_idle, cpu_period, cpu_quota, cpu_rt_period, cpu_rt_runtime, cpu_share, cpuset_cpus, cpuset_mems, l3_cache_schema, mem_bw_schema, memory, memory_reservation, memory_swap] =
                strings;
            Subcommand::Update(Update {
                id,
                resources,
                blkio_weight,
                cpu_burst,
                cpu_idle,
                cpu_period,
                cpu_quota,
                cpu_rt_period,
                cpu_rt_runtime,
                cpu_share,
                cpuset_cpus,
                cpuset_mems,
                l3_cache_schema,
                mem_bw_schema,
                memory,
                memory_reservation,
                memory_swap,
                pids_limit,
            })
        })
}

/// Any invocation runsc 20221219 accepts.
pub fn invocation() -> impl Strategy<Value = Invocation> {
    invocation_for(Release::RECORDED)
}

/// Any invocation `release` accepts.
pub fn invocation_for(release: Release) -> impl Strategy<Value = Invocation> {
    (global_options_for(release), subcommand_for(release))
        .prop_map(|(global, command)| Invocation { global, command })
}
