//! Which flags each runsc release defines, and of what Go type, read from
//! the per-release tables in `releases/*.flags` (one definition each; a test
//! checks them against the project's shared runsc-versions data).
//!
//! This module serves the parser and the fake; it is not part of the
//! client's documented API.

use std::sync::OnceLock;

use super::release::Release;

/// How a flag takes its value, following Go's `flag` package and the Go type
/// runsc registers it with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagKind {
    /// `flag.Bool`: `-f` or `-f=bool`; never takes the next argument.
    Bool,
    /// `flag.String`: any string.
    String,
    /// `flag.Int`: `strconv.ParseInt(s, 0, 64)` (Go's `int` is 64 bits here).
    Int,
    /// `flag.Int64`: `strconv.ParseInt(s, 0, 64)`.
    Int64,
    /// `flag.Uint`: `strconv.ParseUint(s, 0, 64)`.
    Uint,
    /// `flag.Uint64`: `strconv.ParseUint(s, 0, 64)`.
    Uint64,
    /// `flag.Duration`: `time.ParseDuration`.
    Duration,
    /// `flag.Var` with one of runsc's own `flag.Value` types.
    Value(ValueKind),
}

/// runsc's own `flag.Value` types: what their `Set` accepts is checked while
/// parsing, as Go's flag package does (see [`super::values`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// `--network` (`NetworkType`).
    Network,
    /// `--file-access`, `--file-access-mounts` (`FileAccessType`).
    FileAccess,
    /// `--host-fifo` (`HostFifo`).
    HostFifo,
    /// `--host-uds` (`HostUDS`).
    HostUds,
    /// `--overlay2` (`Overlay2`).
    Overlay2,
    /// `--qdisc` (`QueueingDiscipline`).
    Qdisc,
    /// `--ref-leak-mode` (`refs.LeakMode`).
    RefLeakMode,
    /// `--watchdog-action` (`watchdog.Action`).
    WatchdogAction,
    /// `--EXPERIMENTAL-xdp` (`XDP`).
    Xdp,
    /// `--host-settings` (`HostSettingsPolicy`).
    HostSettings,
    /// `--gofer-network-namespace` (`GoferNetworkNamespace`).
    GoferNetworkNamespace,
    /// `--restore-spec-validation` (`RestoreSpecValidationPolicy`).
    RestoreSpecValidation,
    /// `--sidecar-release-enforcement-policy` (`SidecarReleasePolicy`).
    SidecarPolicy,
    /// `checkpoint --compression`.
    Compression,
    /// `exec --user` (`UID[:GID]`).
    User,
    /// A list that each use of the flag appends to (`exec --env`, `--cap`, ...).
    List,
}

/// One flag: its name without dashes, and its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlagSpec {
    /// The name, e.g. `pid-file`.
    pub name: &'static str,
    /// How its value is read.
    pub kind: FlagKind,
}

/// One release's command line: global flags, the flags of each subcommand the
/// model covers, and every subcommand name runsc registers.
#[derive(Debug)]
pub struct FlagTable {
    /// Global flags, sorted by name.
    pub global: Vec<FlagSpec>,
    /// Flags of the modelled subcommands, in the model's order of subcommands.
    pub commands: Vec<(&'static str, Vec<FlagSpec>)>,
    /// Every subcommand runsc registers, modelled or not.
    pub subcommands: Vec<&'static str>,
    /// Names `runsc help` knows that are not subcommands (`platforms`, `syscalls`).
    pub help_topics: Vec<&'static str>,
}

impl FlagTable {
    /// The flags of a modelled subcommand, with its name as `&'static str`.
    pub fn command(&self, name: &str) -> Option<(&'static str, &[FlagSpec])> {
        self.commands
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(n, flags)| (*n, flags.as_slice()))
    }

    /// Whether runsc registers `name` as a subcommand.
    pub fn has_subcommand(&self, name: &str) -> bool {
        self.subcommands.contains(&name)
    }
}

/// The table of `release`.
pub fn table(release: Release) -> &'static FlagTable {
    // Only the array initialiser below copies this const; each copy is its
    // own cell, which is what the lint warns about and what is wanted here.
    #[allow(clippy::declare_interior_mutable_const)]
    const UNLOADED: OnceLock<FlagTable> = OnceLock::new();
    static TABLES: [OnceLock<FlagTable>; Release::ALL.len()] = [UNLOADED; Release::ALL.len()];
    TABLES[release.index()].get_or_init(|| load(release.flag_data()))
}

/// Reads a `releases/*.flags` file. The files are part of this crate and
/// checked by its tests, so a malformed line is a build defect, not input.
fn load(data: &'static str) -> FlagTable {
    let mut table = FlagTable {
        global: Vec::new(),
        commands: Vec::new(),
        subcommands: Vec::new(),
        help_topics: Vec::new(),
    };
    for line in data.lines() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let mut words = line.split(' ');
        let scope = words.next().unwrap_or_default();
        match scope {
            "subcommands" => table.subcommands.extend(words),
            "help-topics" => table.help_topics.extend(words),
            _ => {
                let flag = match (words.next(), words.next()) {
                    (Some(name), Some(kind)) => Some(FlagSpec {
                        name,
                        kind: parse_kind(kind)
                            .unwrap_or_else(|| panic!("unknown flag type in {line:?}")),
                    }),
                    _ => None,
                };
                if scope == "global" {
                    table.global.extend(flag);
                    continue;
                }
                match table.commands.iter_mut().find(|(n, _)| *n == scope) {
                    Some((_, flags)) => flags.extend(flag),
                    None => table.commands.push((scope, flag.into_iter().collect())),
                }
            }
        }
    }
    table
}

/// A type as the `releases/*.flags` files spell it.
pub fn parse_kind(word: &str) -> Option<FlagKind> {
    use ValueKind as V;
    Some(match word {
        "bool" => FlagKind::Bool,
        "string" => FlagKind::String,
        "int" => FlagKind::Int,
        "int64" => FlagKind::Int64,
        "uint" => FlagKind::Uint,
        "uint64" => FlagKind::Uint64,
        "duration" => FlagKind::Duration,
        value => FlagKind::Value(match value.strip_prefix("value:")? {
            "network" => V::Network,
            "file-access" => V::FileAccess,
            "host-fifo" => V::HostFifo,
            "host-uds" => V::HostUds,
            "overlay2" => V::Overlay2,
            "qdisc" => V::Qdisc,
            "ref-leak-mode" => V::RefLeakMode,
            "watchdog-action" => V::WatchdogAction,
            "xdp" => V::Xdp,
            "host-settings" => V::HostSettings,
            "gofer-network-namespace" => V::GoferNetworkNamespace,
            "restore-spec-validation" => V::RestoreSpecValidation,
            "sidecar-policy" => V::SidecarPolicy,
            "compression" => V::Compression,
            "user" => V::User,
            "list" => V::List,
            _ => return None,
        }),
    })
}

impl FlagKind {
    /// The Go type as the shared runsc-versions data names it (`value` for
    /// every `flag.Var`).
    pub fn go_type(self) -> &'static str {
        match self {
            Self::Bool => "bool",
            Self::String => "string",
            Self::Int => "int",
            Self::Int64 => "int64",
            Self::Uint => "uint",
            Self::Uint64 => "uint64",
            Self::Duration => "duration",
            Self::Value(_) => "value",
        }
    }
}

/// Looks a flag up in a table.
pub fn lookup<'t>(table: &'t [FlagSpec], name: &str) -> Option<&'t FlagSpec> {
    table.iter().find(|spec| spec.name == name)
}
