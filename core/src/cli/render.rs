//! Rendering an [`Invocation`] to argv: global flags, the subcommand, its
//! flags, then positionals. Every value is joined to its flag with `=`, so no
//! value can be read as a flag of its own.

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;

use super::model::*;

struct Argv {
    args: Vec<OsString>,
    first_positional: Option<usize>,
}

impl Argv {
    fn flag(&mut self, name: &str, value: impl AsRef<OsStr>) {
        let mut arg = OsString::with_capacity(name.len() + 3 + value.as_ref().len());
        arg.push("--");
        arg.push(name);
        arg.push("=");
        arg.push(value);
        self.args.push(arg);
    }

    fn opt(&mut self, name: &str, value: &Option<PathBuf>) {
        if let Some(v) = value {
            self.flag(name, v);
        }
    }

    fn switch(&mut self, name: &str, on: bool) {
        if on {
            self.args.push(OsString::from(format!("--{name}")));
        }
    }

    fn int(&mut self, name: &str, value: Option<i64>) {
        if let Some(v) = value {
            self.flag(name, v.to_string());
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
        let mut a = Argv {
            args: Vec::with_capacity(8),
            first_positional: None,
        };
        let g = &self.global;
        a.opt("root", &g.root);
        a.opt("log", &g.log);
        if let Some(format) = &g.log_format {
            a.flag("log-format", format.as_str());
        }
        a.opt("panic-log", &g.panic_log);
        a.switch("debug", g.debug);
        a.opt("debug-log", &g.debug_log);
        for (key, value) in g.config.iter() {
            a.flag(key, value);
        }
        a.args.push(OsString::from(self.command.name()));
        self.command.render_into(&mut a);
        a.terminate_flags()
    }
}

impl Subcommand {
    fn render_into(&self, a: &mut Argv) {
        match self {
            Self::List(o) => {
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
                a.positional(o.id.as_str());
            }
            Self::Run(o) => {
                a.opt("bundle", &o.bundle);
                a.opt("pid-file", &o.pid_file);
                a.opt("console-socket", &o.console_socket);
                a.opt("user-log", &o.user_log);
                a.switch("detach", o.detach);
                a.positional(o.id.as_str());
            }
            Self::Exec(o) => {
                a.opt("process", &o.process);
                a.opt("pid-file", &o.pid_file);
                a.opt("internal-pid-file", &o.internal_pid_file);
                a.opt("console-socket", &o.console_socket);
                a.switch("detach", o.detach);
                a.opt("cwd", &o.cwd);
                if let Some(user) = &o.user {
                    a.flag("user", user);
                }
                for env in &o.env {
                    a.flag("env", env);
                }
                for cap in &o.cap {
                    a.flag("cap", cap);
                }
                for gid in &o.additional_gids {
                    a.flag("additional-gids", gid);
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
                a.positional(o.id.as_str());
                if let Some(signal) = &o.signal {
                    a.positional(signal.to_arg());
                }
            }
            Self::Events(o) => {
                a.switch("stats", o.stats);
                a.int("interval", o.interval);
                a.positional(o.id.as_str());
            }
            Self::Ps(o) => {
                if let Some(format) = &o.format {
                    a.flag("format", format.as_str());
                }
                a.positional(o.id.as_str());
            }
            Self::Wait(o) => {
                a.int("pid", o.pid);
                a.int("rootpid", o.rootpid);
                a.positional(o.id.as_str());
            }
            Self::Update(o) => {
                a.flag("resources", &o.resources);
                a.positional(o.id.as_str());
            }
            Self::Checkpoint(o) => {
                a.opt("image-path", &o.image_path);
                a.switch("leave-running", o.leave_running);
                a.positional(o.id.as_str());
            }
            Self::Restore(o) => {
                a.opt("bundle", &o.bundle);
                a.opt("image-path", &o.image_path);
                a.opt("pid-file", &o.pid_file);
                a.opt("console-socket", &o.console_socket);
                a.opt("user-log", &o.user_log);
                a.switch("detach", o.detach);
                a.positional(o.id.as_str());
            }
        }
    }
}
