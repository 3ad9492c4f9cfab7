//! Rendering an [`Invocation`] to argv as the Go client (`pkg/shim/runsc`,
//! and `pkg/shim/v1/runsccmd` at release-20260817.0 for the options added
//! since) writes it: global flags joined (`--root=/r`), subcommand flags
//! with a value as two arguments (`--pid-file /p`) except the ones that
//! client joins (`--image-path=/i` of `checkpoint`, `fscheckpoint` and
//! `restore`, and every other valued flag of `checkpoint` and
//! `fscheckpoint`), in its order, then positionals. A value given as its own argument is still never read as a
//! flag: Go's flag package takes the next argument as the value of any
//! non-bool flag, whatever it looks like.
//!
//! Deliberate differences from the Go client: config flags sorted by name
//! (Go ranges over a map); `events --interval=N` in whole seconds (Go sends
//! `--interval=Ns`, which runsc refuses); `--` before a first positional that
//! begins with `-`; options the Go client lacks come after the ones it has.

use std::ffi::{OsStr, OsString};

use super::flags::FlagKind;
use super::model::*;

/// A flag [`Invocation::to_args`] renders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RenderedFlag {
    /// Whether it follows the subcommand (`false`: a global flag).
    pub after_command: bool,
    /// Its name, without dashes.
    pub name: String,
    /// The kind of flag the model means, where it is not the kind the
    /// newest release gives the name (20241021's numeric `wait --checkpoint`).
    pub meant: Option<FlagKind>,
}

struct Argv {
    args: Vec<OsString>,
    first_positional: Option<usize>,
    /// Where the subcommand's name is, once it has been pushed.
    command_at: Option<usize>,
    /// Every flag rendered.
    used: Vec<RenderedFlag>,
}

impl Argv {
    fn new() -> Self {
        Self {
            args: Vec::with_capacity(8),
            first_positional: None,
            command_at: None,
            used: Vec::new(),
        }
    }

    fn note(&mut self, name: &str) {
        self.used.push(RenderedFlag {
            after_command: self.command_at.is_some(),
            name: name.to_owned(),
            meant: None,
        });
    }

    fn flag(&mut self, name: &str, value: impl AsRef<OsStr>) {
        self.note(name);
        let mut arg = OsString::with_capacity(name.len() + 3 + value.as_ref().len());
        arg.push("--");
        arg.push(name);
        arg.push("=");
        arg.push(value);
        self.args.push(arg);
    }

    fn joined(&mut self, name: &str, value: &Option<impl AsRef<OsStr>>) {
        if let Some(v) = value {
            self.flag(name, v);
        }
    }

    /// `--name value`, as the Go client passes subcommand flags.
    fn pair(&mut self, name: &str, value: impl AsRef<OsStr>) {
        self.note(name);
        self.args.push(OsString::from(format!("--{name}")));
        self.args.push(value.as_ref().to_owned());
    }

    /// [`Argv::pair`] for a flag the model means as `kind`, whatever kind
    /// the newest release gives the name.
    fn pair_meant(&mut self, name: &str, value: impl AsRef<OsStr>, kind: FlagKind) {
        self.pair(name, value);
        if let Some(last) = self.used.last_mut() {
            last.meant = Some(kind);
        }
    }

    fn opt(&mut self, name: &str, value: &Option<impl AsRef<OsStr>>) {
        if let Some(v) = value {
            self.pair(name, v);
        }
    }

    fn switch(&mut self, name: &str, on: bool) {
        if on {
            self.note(name);
            self.args.push(OsString::from(format!("--{name}")));
        }
    }

    fn int(&mut self, name: &str, value: Option<i64>) {
        if let Some(v) = value {
            self.pair(name, v.to_string());
        }
    }

    fn positional(&mut self, value: impl Into<OsString>) {
        self.first_positional.get_or_insert(self.args.len());
        self.args.push(value.into());
    }

    /// Go's flag parsing stops at the first non-flag argument, so only a first
    /// positional that looks like a flag needs the `--` terminator before it.
    fn terminate_flags(mut self) -> Vec<OsString> {
        if let Some(at) = self.first_positional {
            let bytes = self.args[at].as_encoded_bytes();
            if bytes.len() > 1 && bytes[0] == b'-' {
                self.args.insert(at, OsString::from("--"));
            }
        }
        self.args
    }
}

impl Invocation {
    /// The arguments to pass after the program name.
    ///
    /// ```
    /// use runsc::cli::{ContainerId, IdOnly, Invocation, Subcommand};
    /// let mut inv = Invocation::new(Subcommand::State(IdOnly { id: ContainerId::new("c1")? }));
    /// inv.global.root = Some("/run/runsc".into());
    /// inv.global.config.insert("network", "none")?;
    /// assert_eq!(inv.to_args(), ["--root=/run/runsc", "--network=none", "state", "c1"]);
    /// # Ok::<(), runsc::Error>(())
    /// ```
    pub fn to_args(&self) -> Vec<OsString> {
        self.render().terminate_flags()
    }

    /// The flags [`Invocation::to_args`] renders.
    pub(crate) fn rendered_flags(&self) -> Vec<RenderedFlag> {
        self.render().used
    }

    fn render(&self) -> Argv {
        let mut a = Argv::new();
        let g = &self.global;
        a.joined("root", &g.root);
        a.joined("log", &g.log);
        if let Some(format) = &g.log_format {
            a.flag("log-format", format.as_str());
        }
        a.joined("panic-log", &g.panic_log);
        a.switch("debug", g.debug);
        a.joined("debug-log", &g.debug_log);
        for (key, value) in g.config.iter() {
            a.flag(key, value);
        }
        a.command_at = Some(a.args.len());
        a.args.push(OsString::from(self.command.name()));
        self.command.render_into(&mut a);
        a
    }
}

impl Subcommand {
    fn render_into(&self, a: &mut Argv) {
        match self {
            Self::List(o) => {
                // The Go client joins this one: `list --format=json`.
                if let Some(format) = o.format {
                    a.flag(
                        "format",
                        match format {
                            ListFormat::Text => "text",
                            ListFormat::Json => "json",
                        },
                    );
                }
                a.switch("quiet", o.quiet);
                a.switch("sandbox", o.sandbox);
            }
            Self::State(o) | Self::Start(o) | Self::Pause(o) | Self::Resume(o) => {
                a.positional(o.id.as_str());
            }
            Self::Create(o) => {
                a.opt("bundle", &o.bundle);
                a.opt("pid-file", &o.pid_file);
                a.opt("console-socket", &o.console_socket);
                a.opt("user-log", &o.user_log);
                a.opt("fs-restore-image-path", &o.fs_restore_image_path);
                a.switch("fs-restore-direct", o.fs_restore_direct);
                a.positional(o.id.as_str());
            }
            Self::Run(o) => {
                a.opt("bundle", &o.bundle);
                a.opt("pid-file", &o.pid_file);
                a.opt("console-socket", &o.console_socket);
                a.opt("user-log", &o.user_log);
                a.opt("fs-restore-image-path", &o.fs_restore_image_path);
                a.switch("fs-restore-direct", o.fs_restore_direct);
                a.switch("detach", o.detach);
                a.int("exec-fd", o.exec_fd);
                for fd in &o.pass_fd {
                    a.pair("pass-fd", fd);
                }
                a.positional(o.id.as_str());
            }
            Self::Exec(o) => {
                a.opt("process", &o.process);
                a.opt("console-socket", &o.console_socket);
                a.switch("detach", o.detach);
                a.opt("pid-file", &o.pid_file);
                a.opt("internal-pid-file", &o.internal_pid_file);
                a.opt("cwd", &o.cwd);
                a.opt("user", &o.user);
                for env in &o.env {
                    a.pair("env", env);
                }
                for cap in &o.cap {
                    a.pair("cap", cap);
                }
                for gid in &o.additional_gids {
                    a.pair("additional-gids", gid);
                }
                a.int("exec-fd", o.exec_fd);
                for fd in &o.pass_fd {
                    a.pair("pass-fd", fd);
                }
                a.positional(o.id.as_str());
                for arg in &o.args {
                    a.positional(arg.as_str());
                }
            }
            Self::Delete(o) => {
                a.switch("force", o.force);
                for id in &o.ids {
                    a.positional(id.as_str());
                }
            }
            Self::Kill(o) => {
                a.switch("all", o.all);
                a.int("pid", o.pid);
                a.int("pgid", o.pgid);
                a.positional(o.id.as_str());
                if let Some(signal) = &o.signal {
                    a.positional(signal.to_arg());
                }
            }
            Self::Events(o) => {
                a.switch("stats", o.stats);
                if let Some(seconds) = o.interval {
                    a.flag("interval", seconds.to_string());
                }
                a.positional(o.id.as_str());
            }
            Self::Ps(o) => {
                if let Some(format) = &o.format {
                    a.pair("format", format.as_str());
                }
                a.positional(o.id.as_str());
            }
            Self::Wait(o) => {
                match o.checkpoint {
                    Some(WaitCheckpoint::Next) => a.switch("checkpoint", true),
                    Some(WaitCheckpoint::Nth(n)) => {
                        a.pair_meant("checkpoint", n.to_string(), FlagKind::Uint);
                    }
                    None => {}
                }
                a.switch("restore", o.restore);
                a.switch("fscheckpoint", o.fscheckpoint);
                a.switch("fsrestore", o.fsrestore);
                a.int("pid", o.pid);
                a.int("rootpid", o.rootpid);
                a.positional(o.id.as_str());
            }
            Self::Update(o) => {
                // The containerd shim's form: `update --resources=- ID`.
                if let Some(resources) = &o.resources {
                    a.flag("resources", resources);
                }
                a.int("blkio-weight", o.blkio_weight);
                a.opt("cpu-burst", &o.cpu_burst);
                a.opt("cpu-idle", &o.cpu_idle);
                a.opt("cpu-period", &o.cpu_period);
                a.opt("cpu-quota", &o.cpu_quota);
                a.opt("cpu-rt-period", &o.cpu_rt_period);
                a.opt("cpu-rt-runtime", &o.cpu_rt_runtime);
                a.opt("cpu-share", &o.cpu_share);
                a.opt("cpuset-cpus", &o.cpuset_cpus);
                a.opt("cpuset-mems", &o.cpuset_mems);
                a.opt("l3-cache-schema", &o.l3_cache_schema);
                a.opt("mem-bw-schema", &o.mem_bw_schema);
                a.opt("memory", &o.memory);
                a.opt("memory-reservation", &o.memory_reservation);
                a.opt("memory-swap", &o.memory_swap);
                a.int("pids-limit", o.pids_limit);
                a.positional(o.id.as_str());
            }
            Self::Checkpoint(o) => {
                a.joined("image-path", &o.image_path);
                a.switch("leave-running", o.leave_running);
                a.switch("direct", o.direct);
                a.joined("compression", &o.compression);
                a.switch(
                    "exclude-committed-zero-pages",
                    o.exclude_committed_zero_pages,
                );
                a.joined("save-restore-exec-argv", &o.save_restore_exec_argv);
                a.joined("save-restore-exec-timeout", &o.save_restore_exec_timeout);
                a.joined("cuda-checkpoint-path", &o.cuda_checkpoint_path);
                a.switch("cuda-checkpoint-sequential", o.cuda_checkpoint_sequential);
                a.joined("work-path", &o.work_path);
                a.joined("fs-checkpoint-paths", &o.fs_checkpoint_paths);
                a.positional(o.id.as_str());
            }
            Self::FsCheckpoint(o) => {
                a.joined("image-path", &o.image_path);
                a.switch("leave-running", o.leave_running);
                a.switch("direct", o.direct);
                for path in &o.paths {
                    a.flag("path", path);
                }
                a.positional(o.id.as_str());
            }
            Self::Restore(o) => {
                a.joined("image-path", &o.image_path);
                a.switch("detach", o.detach);
                a.switch("direct", o.direct);
                a.switch("background", o.background);
                a.opt("bundle", &o.bundle);
                a.opt("pid-file", &o.pid_file);
                a.opt("console-socket", &o.console_socket);
                a.opt("user-log", &o.user_log);
                a.opt("fs-restore-image-path", &o.fs_restore_image_path);
                a.switch("fs-restore-direct", o.fs_restore_direct);
                a.switch("split-fsrestore", o.split_fsrestore);
                a.switch("no-subreaper", o.no_subreaper);
                a.opt("work-path", &o.work_path);
                a.positional(o.id.as_str());
            }
        }
    }
}
