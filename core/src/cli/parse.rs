//! Reading argv back into an [`Invocation`], as a given runsc release reads it.

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;

use super::flags;
use super::goflag::{parse_flags, FlagError, FlagValue, ParsedFlags};
use super::model::*;
use super::{ContainerId, Release, Signal};

/// Why argv is not a command runsc would run, with what runsc prints and the
/// exit status it uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// A global flag failed to parse (`flag provided but not defined: -x`);
    /// runsc prints the message and its usage and exits 2.
    GlobalFlag(String),
    /// `-h`/`-help` among the global flags: runsc prints its usage and exits 0
    /// (20260817 registers them as bool flags; older releases get Go's
    /// built-in help).
    GlobalHelp,
    /// `--version`: runsc prints its version and exits 0, whatever follows.
    Version,
    /// No subcommand at all: runsc prints its usage and exits 128.
    NoSubcommand,
    /// A subcommand runsc does not have: usage, exit 128.
    UnknownSubcommand(String),
    /// A subcommand runsc has but this model does not cover (`spec`, `do`, ...).
    Unsupported(String),
    /// A subcommand flag failed to parse: the message, the subcommand's usage, exit 128.
    SubcommandFlag {
        /// The subcommand.
        command: &'static str,
        /// Go's message.
        message: String,
    },
    /// `-h`/`-help` after the subcommand: its usage, exit 128.
    SubcommandHelp(&'static str),
    /// Wrong number of positional arguments: the subcommand's usage, exit 128.
    Usage(&'static str),
    /// Flags parsed, but runsc refuses a value before it does anything else
    /// (`unknown list format "xml"`): the message, exit 128.
    Rejected {
        /// The subcommand.
        command: &'static str,
        /// What runsc says.
        message: String,
    },
}

impl ParseError {
    /// The exit status runsc uses for this failure (the same in every known
    /// release).
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::GlobalFlag(_) => 2,
            Self::GlobalHelp | Self::Version => 0,
            _ => 128,
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::GlobalFlag(m) => f.write_str(m),
            Self::GlobalHelp => f.write_str("help requested"),
            Self::Version => f.write_str("version requested"),
            Self::NoSubcommand => f.write_str("no subcommand given"),
            Self::UnknownSubcommand(name) => write!(f, "unknown subcommand {name:?}"),
            Self::Unsupported(name) => write!(f, "subcommand {name:?} is not modelled"),
            Self::SubcommandFlag { message, .. } => f.write_str(message),
            Self::SubcommandHelp(command) => write!(f, "help requested for {command}"),
            Self::Usage(command) => write!(f, "wrong number of arguments for {command}"),
            Self::Rejected { message, .. } => f.write_str(message),
        }
    }
}

impl std::error::Error for ParseError {}

struct Flags<'p> {
    parsed: &'p ParsedFlags,
}

impl Flags<'_> {
    fn path(&self, name: &str) -> Option<PathBuf> {
        match self.parsed.get(name) {
            Some(FlagValue::Str(v)) => Some(PathBuf::from(v)),
            _ => None,
        }
    }

    fn string(&self, name: &str) -> Option<String> {
        self.path(name)
            .map(|p| p.into_os_string().to_string_lossy().into_owned())
    }

    fn switch(&self, name: &str) -> bool {
        matches!(self.parsed.get(name), Some(FlagValue::Bool(true)))
    }

    fn int(&self, name: &str) -> Option<i64> {
        match self.parsed.get(name) {
            Some(FlagValue::Int(n)) => Some(*n),
            _ => None,
        }
    }

    fn uint(&self, name: &str) -> Option<u64> {
        match self.parsed.get(name) {
            Some(FlagValue::Uint(n)) => Some(*n),
            _ => None,
        }
    }

    /// A Go duration flag, as it was written.
    fn duration(&self, name: &str) -> Option<String> {
        match self.parsed.get(name) {
            Some(FlagValue::Duration(d)) => Some(d.clone()),
            _ => None,
        }
    }

    /// An int flag whose default, -1, means "not set" to runsc (`wait
    /// --pid=-1` waits for the container; checked on real 20221219).
    fn int_unless_minus_one(&self, name: &str) -> Option<i64> {
        self.int(name).filter(|n| *n != -1)
    }

    fn repeated(&self, name: &str) -> Vec<String> {
        match self.parsed.get(name) {
            Some(FlagValue::Repeated(all)) => all
                .iter()
                .map(|v| v.to_string_lossy().into_owned())
                .collect(),
            _ => Vec::new(),
        }
    }
}

impl Invocation {
    /// Parses the arguments after the program name exactly as runsc 20221219
    /// (the release the project's recordings come from) would, or says how
    /// runsc would refuse them. [`Invocation::parse_for`] takes the release.
    ///
    /// ```
    /// use runsc::cli::{Invocation, Subcommand};
    /// let inv = Invocation::parse(["-root", "/r", "events", "-interval", "0x2", "c1"]).unwrap();
    /// match inv.command {
    ///     Subcommand::Events(e) => assert_eq!(e.interval, Some(2)),
    ///     other => panic!("{other:?}"),
    /// }
    /// let err = Invocation::parse(["events", "--interval=1s", "c1"]).unwrap_err();
    /// assert_eq!(err.to_string(), r#"invalid value "1s" for flag -interval: parse error"#);
    /// assert_eq!(err.exit_code(), 128);
    /// ```
    pub fn parse<I, S>(args: I) -> Result<Self, ParseError>
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        Self::parse_for(Release::RECORDED, args)
    }

    /// Parses the arguments after the program name as runsc `release` would:
    /// its flags, its subcommands, its checks of typed values.
    ///
    /// ```
    /// use runsc::cli::{Invocation, Release};
    /// let args = ["--nvproxy", "--qdisc=tbf", "update", "--resources=-", "c1"];
    /// assert!(Invocation::parse_for(Release::R20260817, args).is_ok());
    /// let err = Invocation::parse_for(Release::R20221219, args).unwrap_err();
    /// assert_eq!(err.to_string(), "flag provided but not defined: -nvproxy");
    /// assert_eq!(err.exit_code(), 2);
    /// ```
    pub fn parse_for<I, S>(release: Release, args: I) -> Result<Self, ParseError>
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
        let table = flags::table(release);
        let (globals, rest) = parse_flags(&args, &table.global, release).map_err(|e| match e {
            FlagError::Help => ParseError::GlobalHelp,
            FlagError::Message(m) => ParseError::GlobalFlag(m),
        })?;
        if matches!(globals.get("version"), Some(FlagValue::Bool(true))) {
            return Err(ParseError::Version);
        }
        if ["h", "help"]
            .iter()
            .any(|name| matches!(globals.get(name), Some(FlagValue::Bool(true))))
        {
            return Err(ParseError::GlobalHelp);
        }
        let global = global_options(&globals);
        let Some((name, rest)) = rest.split_first() else {
            return Err(ParseError::NoSubcommand);
        };
        let name_lossy = name.to_string_lossy();
        let Some((command, flag_table)) = table.command(&name_lossy) else {
            return Err(if table.has_subcommand(&name_lossy) {
                ParseError::Unsupported(name_lossy.into_owned())
            } else {
                ParseError::UnknownSubcommand(name_lossy.into_owned())
            });
        };
        let (parsed, positionals) =
            parse_flags(rest, flag_table, release).map_err(|e| match e {
                FlagError::Help => ParseError::SubcommandHelp(command),
                FlagError::Message(message) => ParseError::SubcommandFlag { command, message },
            })?;
        let command = subcommand(command, &Flags { parsed: &parsed }, positionals)?;
        Ok(Invocation { global, command })
    }
}

fn global_options(parsed: &ParsedFlags) -> GlobalOptions {
    let mut global = GlobalOptions::default();
    for (name, value) in parsed.iter() {
        let text = match value {
            FlagValue::Bool(b) => b.to_string(),
            FlagValue::Str(s) => s.to_string_lossy().into_owned(),
            FlagValue::Int(n) => n.to_string(),
            FlagValue::Uint(n) => n.to_string(),
            FlagValue::Duration(d) => d.clone(),
            FlagValue::Repeated(all) => all
                .last()
                .map(|v| v.to_string_lossy().into_owned())
                .unwrap_or_default(),
        };
        let path = || match value {
            FlagValue::Str(s) => Some(PathBuf::from(s)),
            _ => None,
        };
        match name {
            "root" => global.root = path(),
            "log" => global.log = path(),
            "log-format" => global.log_format = Some(LogFormat::from_arg(&text)),
            "panic-log" => global.panic_log = path(),
            "debug" => global.debug = matches!(value, FlagValue::Bool(true)),
            "debug-log" => global.debug_log = path(),
            _ => {
                // Every global flag is a valid config key except `version`,
                // `help` and `h`, which can only be false here and so change
                // nothing.
                let _ = global.config.insert(name, text);
            }
        }
    }
    global
}

fn subcommand(
    command: &'static str,
    flags: &Flags<'_>,
    positionals: &[OsString],
) -> Result<Subcommand, ParseError> {
    let arity_ok = match command {
        "list" => positionals.is_empty(),
        "exec" | "delete" => !positionals.is_empty(),
        "kill" => matches!(positionals.len(), 1 | 2),
        _ => positionals.len() == 1,
    };
    if !arity_ok {
        return Err(ParseError::Usage(command));
    }
    let id = |arg: &OsString| -> Result<ContainerId, ParseError> {
        Ok(ContainerId::parsed(arg.to_string_lossy().into_owned()))
    };
    let rejected = |message: String| ParseError::Rejected { command, message };
    Ok(match command {
        "list" => Subcommand::List(List {
            format: match flags.string("format").as_deref() {
                None => None,
                Some("text") => Some(ListFormat::Text),
                Some("json") => Some(ListFormat::Json),
                Some(other) => return Err(rejected(format!("unknown list format {other:?}"))),
            },
            quiet: flags.switch("quiet"),
            sandbox: flags.switch("sandbox"),
        }),
        "state" => Subcommand::State(IdOnly {
            id: id(&positionals[0])?,
        }),
        "start" => Subcommand::Start(IdOnly {
            id: id(&positionals[0])?,
        }),
        "pause" => Subcommand::Pause(IdOnly {
            id: id(&positionals[0])?,
        }),
        "resume" => Subcommand::Resume(IdOnly {
            id: id(&positionals[0])?,
        }),
        "create" => Subcommand::Create(Create {
            id: id(&positionals[0])?,
            bundle: flags.path("bundle"),
            pid_file: flags.path("pid-file"),
            console_socket: flags.path("console-socket"),
            user_log: flags.path("user-log"),
            fs_restore_image_path: flags.path("fs-restore-image-path"),
            fs_restore_direct: flags.switch("fs-restore-direct"),
        }),
        "run" => Subcommand::Run(Run {
            id: id(&positionals[0])?,
            bundle: flags.path("bundle"),
            pid_file: flags.path("pid-file"),
            console_socket: flags.path("console-socket"),
            user_log: flags.path("user-log"),
            detach: flags.switch("detach"),
            fs_restore_image_path: flags.path("fs-restore-image-path"),
            fs_restore_direct: flags.switch("fs-restore-direct"),
            exec_fd: flags.int_unless_minus_one("exec-fd"),
            pass_fd: flags.repeated("pass-fd"),
        }),
        "exec" => Subcommand::Exec(Exec {
            id: id(&positionals[0])?,
            process: flags.path("process"),
            pid_file: flags.path("pid-file"),
            internal_pid_file: flags.path("internal-pid-file"),
            console_socket: flags.path("console-socket"),
            detach: flags.switch("detach"),
            cwd: flags.path("cwd"),
            user: flags.string("user"),
            env: flags.repeated("env"),
            cap: flags.repeated("cap"),
            additional_gids: flags.repeated("additional-gids"),
            exec_fd: flags.int_unless_minus_one("exec-fd"),
            pass_fd: flags.repeated("pass-fd"),
            args: positionals[1..]
                .iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect(),
        }),
        "delete" => Subcommand::Delete(Delete {
            ids: positionals.iter().map(id).collect::<Result<_, _>>()?,
            force: flags.switch("force"),
        }),
        "kill" => Subcommand::Kill(Kill {
            id: id(&positionals[0])?,
            signal: positionals
                .get(1)
                .map(|s| Signal::from_arg(&s.to_string_lossy())),
            all: flags.switch("all"),
            pid: flags.int("pid"),
            pgid: flags.int("pgid"),
        }),
        "events" => Subcommand::Events(Events {
            id: id(&positionals[0])?,
            stats: flags.switch("stats"),
            interval: flags.int("interval"),
        }),
        "ps" => Subcommand::Ps(Ps {
            id: id(&positionals[0])?,
            format: flags.string("format").as_deref().map(PsFormat::from_arg),
        }),
        "wait" => Subcommand::Wait(Wait {
            id: id(&positionals[0])?,
            pid: flags.int_unless_minus_one("pid"),
            rootpid: flags.int_unless_minus_one("rootpid"),
            // A switch in 20260817, a checkpoint number in 20241021, where
            // runsc reads 0 as "not set".
            checkpoint: if flags.switch("checkpoint") {
                Some(WaitCheckpoint::Next)
            } else {
                flags
                    .uint("checkpoint")
                    .filter(|n| *n != 0)
                    .map(WaitCheckpoint::Nth)
            },
            restore: flags.switch("restore"),
            fscheckpoint: flags.switch("fscheckpoint"),
            fsrestore: flags.switch("fsrestore"),
        }),
        "update" => Subcommand::Update(Update {
            id: id(&positionals[0])?,
            resources: flags.path("resources"),
            blkio_weight: flags.int("blkio-weight"),
            cpu_burst: flags.string("cpu-burst"),
            cpu_idle: flags.string("cpu-idle"),
            cpu_period: flags.string("cpu-period"),
            cpu_quota: flags.string("cpu-quota"),
            cpu_rt_period: flags.string("cpu-rt-period"),
            cpu_rt_runtime: flags.string("cpu-rt-runtime"),
            cpu_share: flags.string("cpu-share"),
            cpuset_cpus: flags.string("cpuset-cpus"),
            cpuset_mems: flags.string("cpuset-mems"),
            l3_cache_schema: flags.string("l3-cache-schema"),
            mem_bw_schema: flags.string("mem-bw-schema"),
            memory: flags.string("memory"),
            memory_reservation: flags.string("memory-reservation"),
            memory_swap: flags.string("memory-swap"),
            pids_limit: flags.int("pids-limit"),
        }),
        "checkpoint" => Subcommand::Checkpoint(Checkpoint {
            id: id(&positionals[0])?,
            image_path: flags.path("image-path"),
            leave_running: flags.switch("leave-running"),
            direct: flags.switch("direct"),
            compression: flags.string("compression"),
            exclude_committed_zero_pages: flags.switch("exclude-committed-zero-pages"),
            save_restore_exec_argv: flags.string("save-restore-exec-argv"),
            save_restore_exec_timeout: flags.duration("save-restore-exec-timeout"),
            cuda_checkpoint_path: flags.path("cuda-checkpoint-path"),
            cuda_checkpoint_sequential: flags.switch("cuda-checkpoint-sequential"),
            work_path: flags.path("work-path"),
            fs_checkpoint_paths: flags.string("fs-checkpoint-paths"),
        }),
        "fscheckpoint" => Subcommand::FsCheckpoint(FsCheckpoint {
            id: id(&positionals[0])?,
            image_path: flags.path("image-path"),
            leave_running: flags.switch("leave-running"),
            direct: flags.switch("direct"),
            paths: flags.repeated("path"),
        }),
        "restore" => Subcommand::Restore(Restore {
            id: id(&positionals[0])?,
            bundle: flags.path("bundle"),
            image_path: flags.path("image-path"),
            pid_file: flags.path("pid-file"),
            console_socket: flags.path("console-socket"),
            user_log: flags.path("user-log"),
            detach: flags.switch("detach"),
            direct: flags.switch("direct"),
            background: flags.switch("background"),
            no_subreaper: flags.switch("no-subreaper"),
            work_path: flags.path("work-path"),
            fs_restore_image_path: flags.path("fs-restore-image-path"),
            fs_restore_direct: flags.switch("fs-restore-direct"),
            split_fsrestore: flags.switch("split-fsrestore"),
        }),
        other => return Err(ParseError::Unsupported(other.to_owned())),
    })
}
