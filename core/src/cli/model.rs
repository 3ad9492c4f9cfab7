//! The runsc command line as data: global options plus one subcommand.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{ContainerId, Signal};
use crate::Error;

/// One runsc command line: global options, then a subcommand with its options
/// and positionals. [`Invocation::to_args`] renders it; [`Invocation::parse`]
/// reads it back exactly as runsc 20221219 would, [`Invocation::parse_for`]
/// as a given [`Release`](super::Release) would.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invocation {
    /// Options that precede the subcommand.
    pub global: GlobalOptions,
    /// The subcommand and its own options.
    pub command: Subcommand,
}

/// runsc's `--log-format` and `--debug-log-format` values.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LogFormat {
    /// `text`, runsc's default.
    Text,
    /// `json`: one JSON object per line; the client reads runsc's last error from it.
    Json,
    /// `json-k8s`.
    JsonK8s,
    /// Any other value: runsc accepts it at parse time and falls back to text.
    Other(String),
}

impl LogFormat {
    /// The flag value.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Text => "text",
            Self::Json => "json",
            Self::JsonK8s => "json-k8s",
            Self::Other(s) => s,
        }
    }

    /// Reads a flag value.
    pub fn from_arg(s: &str) -> Self {
        match s {
            "text" => Self::Text,
            "json" => Self::Json,
            "json-k8s" => Self::JsonK8s,
            other => Self::Other(other.to_owned()),
        }
    }
}

/// Options placed before the subcommand.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct GlobalOptions {
    /// `--root`: where runsc keeps container state.
    pub root: Option<PathBuf>,
    /// `--log`: runsc's internal log file.
    pub log: Option<PathBuf>,
    /// `--log-format`.
    pub log_format: Option<LogFormat>,
    /// `--panic-log`.
    pub panic_log: Option<PathBuf>,
    /// `--debug`.
    pub debug: bool,
    /// `--debug-log`.
    pub debug_log: Option<PathBuf>,
    /// Every other global flag (`--network=none`, `--platform=ptrace`, ...).
    pub config: Config,
}

/// Global flags other than the first-class ones, rendered `--key=value` in
/// sorted key order so that argv is deterministic.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    try_from = "BTreeMap<String, String>",
    into = "BTreeMap<String, String>"
)]
pub struct Config(BTreeMap<String, String>);

/// Global options that have their own field in [`GlobalOptions`] and so may
/// not appear in [`Config`].
pub const FIRST_CLASS_GLOBALS: &[&str] = &[
    "root",
    "log",
    "log-format",
    "panic-log",
    "debug",
    "debug-log",
];

impl Config {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `--key=value`. Keys must be non-empty, hold no `=`, whitespace or
    /// NUL, not begin with `-`, and not name a first-class option.
    ///
    /// ```
    /// let mut config = runsc::cli::Config::new();
    /// config.insert("network", "none").unwrap();
    /// assert!(config.insert("--network", "none").is_err());
    /// assert!(config.insert("root", "/tmp").is_err());
    /// ```
    pub fn insert(
        &mut self,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> Result<Option<String>, Error> {
        let key = key.into();
        let value = value.into();
        validate_config_key(&key)?;
        if value.contains('\0') {
            return Err(Error::invalid(
                "config value",
                &format!("{key}={value}"),
                "it contains a NUL byte",
            ));
        }
        Ok(self.0.insert(key, value))
    }

    /// The value of `key`, if set.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// Entries in the order they are rendered.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Whether no flag is set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn validate_config_key(key: &str) -> Result<(), Error> {
    let why = if key.is_empty() {
        "it is empty"
    } else if key.starts_with('-') {
        "it begins with '-'; give the flag name without dashes"
    } else if key.contains('=') {
        "it contains '='"
    } else if key.chars().any(|c| c.is_whitespace() || c == '\0') {
        "it contains whitespace or NUL"
    } else if FIRST_CLASS_GLOBALS.contains(&key) {
        "it is a first-class option; use the builder's own setter"
    } else if matches!(key, "version" | "help" | "h") {
        "it makes runsc print information instead of running the subcommand"
    } else {
        return Ok(());
    };
    Err(Error::invalid("config key", key, why))
}

impl TryFrom<BTreeMap<String, String>> for Config {
    type Error = Error;
    fn try_from(map: BTreeMap<String, String>) -> Result<Self, Self::Error> {
        let mut config = Config::new();
        for (k, v) in map {
            config.insert(k, v)?;
        }
        Ok(config)
    }
}

impl From<Config> for BTreeMap<String, String> {
    fn from(config: Config) -> Self {
        config.0
    }
}

/// `list --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ListFormat {
    /// The table runsc prints by default.
    Text,
    /// A JSON array of container states (`null` when there are none).
    Json,
}

/// `ps --format`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PsFormat {
    /// The `ps`-style table, runsc's default.
    Table,
    /// A JSON array of the container's pids.
    Json,
    /// Any other value: runsc accepts the flag and refuses the value only
    /// after it has loaded the container (`unsupported format: xml`).
    Other(String),
}

impl PsFormat {
    /// The flag value.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Table => "table",
            Self::Json => "json",
            Self::Other(s) => s,
        }
    }

    /// Reads a flag value.
    pub fn from_arg(s: &str) -> Self {
        match s {
            "table" => Self::Table,
            "json" => Self::Json,
            other => Self::Other(other.to_owned()),
        }
    }
}

/// A runsc subcommand with its options and positionals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "kebab-case")]
pub enum Subcommand {
    /// `list`.
    List(List),
    /// `state ID`.
    State(IdOnly),
    /// `create ID`.
    Create(Create),
    /// `start ID`.
    Start(IdOnly),
    /// `exec ID [ARGS...]`.
    Exec(Exec),
    /// `run ID`.
    Run(Run),
    /// `delete ID...`.
    Delete(Delete),
    /// `kill ID [SIGNAL]`.
    Kill(Kill),
    /// `events ID`.
    Events(Events),
    /// `ps ID`.
    Ps(Ps),
    /// `pause ID`.
    Pause(IdOnly),
    /// `resume ID`.
    Resume(IdOnly),
    /// `wait ID`.
    Wait(Wait),
    /// `update ID` (20260817; 20221219 has no such subcommand).
    Update(Update),
    /// `checkpoint ID`.
    Checkpoint(Checkpoint),
    /// `restore ID`.
    Restore(Restore),
    /// `fscheckpoint ID` (20260817).
    #[serde(rename = "fscheckpoint")]
    FsCheckpoint(FsCheckpoint),
}

/// Options of subcommands that take only a container id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct IdOnly {
    /// The container.
    pub id: ContainerId,
}

/// `list` options.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct List {
    /// `--format`.
    pub format: Option<ListFormat>,
    /// `--quiet`: ids only.
    #[serde(default)]
    pub quiet: bool,
    /// `--sandbox`: sandboxes only.
    #[serde(default)]
    pub sandbox: bool,
}

/// `create` options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Create {
    /// The container.
    pub id: ContainerId,
    /// `--bundle`: the OCI bundle directory (runsc defaults to the current directory).
    pub bundle: Option<PathBuf>,
    /// `--pid-file`.
    pub pid_file: Option<PathBuf>,
    /// `--console-socket`.
    pub console_socket: Option<PathBuf>,
    /// `--user-log`.
    pub user_log: Option<PathBuf>,
    /// `--fs-restore-image-path` (20260817): restore the root filesystem
    /// from an `fscheckpoint` image.
    #[serde(default)]
    pub fs_restore_image_path: Option<PathBuf>,
    /// `--fs-restore-direct` (20260817): read that image with O_DIRECT.
    #[serde(default)]
    pub fs_restore_direct: bool,
}

/// `run` options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Run {
    /// The container.
    pub id: ContainerId,
    /// `--bundle`.
    pub bundle: Option<PathBuf>,
    /// `--pid-file`.
    pub pid_file: Option<PathBuf>,
    /// `--console-socket`.
    pub console_socket: Option<PathBuf>,
    /// `--user-log`.
    pub user_log: Option<PathBuf>,
    /// `--detach`.
    #[serde(default)]
    pub detach: bool,
    /// `--fs-restore-image-path` (20260817): restore the root filesystem
    /// from an `fscheckpoint` image.
    #[serde(default)]
    pub fs_restore_image_path: Option<PathBuf>,
    /// `--fs-restore-direct` (20260817): read that image with O_DIRECT.
    #[serde(default)]
    pub fs_restore_direct: bool,
    /// `--exec-fd` (20241021 and later): a host fd the program is executed
    /// from (runsc's default, -1, means none).
    #[serde(default)]
    pub exec_fd: Option<i64>,
    /// `--pass-fd`, repeated (20241021 and later): `HOST:GUEST` fd pairs
    /// handed to the container.
    #[serde(default)]
    pub pass_fd: Vec<String>,
}

/// `exec` options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Exec {
    /// The container.
    pub id: ContainerId,
    /// `--process`: a JSON OCI process spec.
    pub process: Option<PathBuf>,
    /// `--pid-file`.
    pub pid_file: Option<PathBuf>,
    /// `--internal-pid-file`.
    pub internal_pid_file: Option<PathBuf>,
    /// `--console-socket`.
    pub console_socket: Option<PathBuf>,
    /// `--detach`.
    #[serde(default)]
    pub detach: bool,
    /// `--cwd`.
    pub cwd: Option<PathBuf>,
    /// `--user` (`UID[:GID]`).
    pub user: Option<String>,
    /// `--env`, repeated.
    #[serde(default)]
    pub env: Vec<String>,
    /// `--cap`, repeated.
    #[serde(default)]
    pub cap: Vec<String>,
    /// `--additional-gids`, repeated.
    #[serde(default)]
    pub additional_gids: Vec<String>,
    /// `--exec-fd` (20241021 and later): a host fd the program is executed
    /// from (runsc's default, -1, means none).
    #[serde(default)]
    pub exec_fd: Option<i64>,
    /// `--pass-fd`, repeated (20241021 and later): `HOST:GUEST` fd pairs
    /// handed to the process.
    #[serde(default)]
    pub pass_fd: Vec<String>,
    /// The command and its arguments after the id (when `--process` is not used).
    #[serde(default)]
    pub args: Vec<String>,
}

/// `delete` options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Delete {
    /// The containers; runsc accepts several.
    pub ids: Vec<ContainerId>,
    /// `--force`: kill a running container first.
    #[serde(default)]
    pub force: bool,
}

/// `kill` options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Kill {
    /// The container.
    pub id: ContainerId,
    /// The signal; runsc sends SIGTERM when none is given.
    pub signal: Option<Signal>,
    /// `--all`: every process in the container.
    #[serde(default)]
    pub all: bool,
    /// `--pid`: one process, by its pid in the root pid namespace.
    pub pid: Option<i64>,
    /// `--pgid` (20260817): one process group.
    #[serde(default)]
    pub pgid: Option<i64>,
}

/// `events` options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Events {
    /// The container.
    pub id: ContainerId,
    /// `--stats`: print one stats event and exit.
    #[serde(default)]
    pub stats: bool,
    /// `--interval`: whole seconds between stats events (runsc's default is 5).
    pub interval: Option<i64>,
}

/// `ps` options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Ps {
    /// The container.
    pub id: ContainerId,
    /// `--format`.
    pub format: Option<PsFormat>,
}

/// `wait` options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Wait {
    /// The container.
    pub id: ContainerId,
    /// `--pid`: a pid in the container's pid namespace. runsc reads -1 as
    /// "not set", and so does the parser (`Some(-1)` reads back as `None`).
    pub pid: Option<i64>,
    /// `--rootpid`: a pid in the sandbox's root pid namespace (-1: not set).
    pub rootpid: Option<i64>,
    /// `--checkpoint`: wait for a checkpoint. The flag changed meaning
    /// between releases, and the variant says which one is meant.
    #[serde(default)]
    pub checkpoint: Option<WaitCheckpoint>,
    /// `--restore` (20260817): wait for a restore to finish.
    #[serde(default)]
    pub restore: bool,
    /// `--fscheckpoint` (20260817): wait for the next filesystem checkpoint.
    #[serde(default)]
    pub fscheckpoint: bool,
    /// `--fsrestore` (20260817): wait for a filesystem restore to finish.
    #[serde(default)]
    pub fsrestore: bool,
}

/// What `wait --checkpoint` waits for. runsc prints nothing and exits 0
/// once it happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WaitCheckpoint {
    /// 20260817's switch, `--checkpoint`: the next checkpoint to finish.
    Next,
    /// 20241021's number, `--checkpoint N`: the Nth checkpoint. runsc reads
    /// 0 as "not set", and so does the parser (`Nth(0)` reads back as no
    /// `--checkpoint`). 20260817 reads the same argv as its switch followed
    /// by a stray argument, so only 20241021 accepts it.
    Nth(u64),
}

/// `update` options (20260817). The containerd shim sends
/// `update --resources=- ID` with the JSON on stdin; the other flags set
/// single limits as runc's `update` does, and runsc keeps them as strings
/// until it applies them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Update {
    /// The container.
    pub id: ContainerId,
    /// `--resources`: a file with a JSON `LinuxResources`, or `-` for stdin.
    #[serde(default)]
    pub resources: Option<PathBuf>,
    /// `--blkio-weight`.
    #[serde(default)]
    pub blkio_weight: Option<i64>,
    /// `--cpu-burst`.
    #[serde(default)]
    pub cpu_burst: Option<String>,
    /// `--cpu-idle`.
    #[serde(default)]
    pub cpu_idle: Option<String>,
    /// `--cpu-period`.
    #[serde(default)]
    pub cpu_period: Option<String>,
    /// `--cpu-quota`.
    #[serde(default)]
    pub cpu_quota: Option<String>,
    /// `--cpu-rt-period`.
    #[serde(default)]
    pub cpu_rt_period: Option<String>,
    /// `--cpu-rt-runtime`.
    #[serde(default)]
    pub cpu_rt_runtime: Option<String>,
    /// `--cpu-share`.
    #[serde(default)]
    pub cpu_share: Option<String>,
    /// `--cpuset-cpus`.
    #[serde(default)]
    pub cpuset_cpus: Option<String>,
    /// `--cpuset-mems`.
    #[serde(default)]
    pub cpuset_mems: Option<String>,
    /// `--l3-cache-schema`.
    #[serde(default)]
    pub l3_cache_schema: Option<String>,
    /// `--mem-bw-schema`.
    #[serde(default)]
    pub mem_bw_schema: Option<String>,
    /// `--memory`.
    #[serde(default)]
    pub memory: Option<String>,
    /// `--memory-reservation`.
    #[serde(default)]
    pub memory_reservation: Option<String>,
    /// `--memory-swap`.
    #[serde(default)]
    pub memory_swap: Option<String>,
    /// `--pids-limit`.
    #[serde(default)]
    pub pids_limit: Option<i64>,
}

impl Update {
    /// `update --resources=PATH ID` with no other flag (`-` reads stdin).
    pub fn resources(id: ContainerId, path: impl Into<PathBuf>) -> Self {
        Self {
            id,
            resources: Some(path.into()),
            blkio_weight: None,
            cpu_burst: None,
            cpu_idle: None,
            cpu_period: None,
            cpu_quota: None,
            cpu_rt_period: None,
            cpu_rt_runtime: None,
            cpu_share: None,
            cpuset_cpus: None,
            cpuset_mems: None,
            l3_cache_schema: None,
            mem_bw_schema: None,
            memory: None,
            memory_reservation: None,
            memory_swap: None,
            pids_limit: None,
        }
    }
}

/// `checkpoint` options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Checkpoint {
    /// The container.
    pub id: ContainerId,
    /// `--image-path`.
    pub image_path: Option<PathBuf>,
    /// `--leave-running`.
    #[serde(default)]
    pub leave_running: bool,
    /// `--direct` (20241021 and later): write the image with O_DIRECT.
    #[serde(default)]
    pub direct: bool,
    /// `--compression` (20241021 and later): the image's compression level.
    #[serde(default)]
    pub compression: Option<String>,
    /// `--exclude-committed-zero-pages` (20241021 and later).
    #[serde(default)]
    pub exclude_committed_zero_pages: bool,
    /// `--save-restore-exec-argv` (20260817): a command line (split at
    /// spaces) runsc runs in the sandbox before saving and after restoring.
    #[serde(default)]
    pub save_restore_exec_argv: Option<String>,
    /// `--save-restore-exec-timeout` (20260817): a Go duration (`90s`,
    /// `10m0s`) bounding that command.
    #[serde(default)]
    pub save_restore_exec_timeout: Option<String>,
    /// `--cuda-checkpoint-path` (20260817): the `cuda-checkpoint` binary.
    #[serde(default)]
    pub cuda_checkpoint_path: Option<PathBuf>,
    /// `--cuda-checkpoint-sequential` (20260817).
    #[serde(default)]
    pub cuda_checkpoint_sequential: bool,
    /// `--work-path`: accepted for Docker's sake and ignored by runsc.
    #[serde(default)]
    pub work_path: Option<PathBuf>,
    /// `--fs-checkpoint-paths` (20260817): comma-separated `container:path`
    /// targets saved as separate filesystem checkpoints (`all-tmpfs` for
    /// every tmpfs).
    #[serde(default)]
    pub fs_checkpoint_paths: Option<String>,
}

/// `fscheckpoint` options (20260817): save the container's root filesystem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct FsCheckpoint {
    /// The container.
    pub id: ContainerId,
    /// `--image-path`.
    pub image_path: Option<PathBuf>,
    /// `--leave-running`.
    #[serde(default)]
    pub leave_running: bool,
    /// `--direct`.
    #[serde(default)]
    pub direct: bool,
    /// `--path`, repeated: the paths to save.
    #[serde(default)]
    pub paths: Vec<String>,
}

/// `restore` options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Restore {
    /// The container.
    pub id: ContainerId,
    /// `--bundle`.
    pub bundle: Option<PathBuf>,
    /// `--image-path`.
    pub image_path: Option<PathBuf>,
    /// `--pid-file`.
    pub pid_file: Option<PathBuf>,
    /// `--console-socket`.
    pub console_socket: Option<PathBuf>,
    /// `--user-log`.
    pub user_log: Option<PathBuf>,
    /// `--detach`.
    #[serde(default)]
    pub detach: bool,
    /// `--direct` (20241021 and later): read the image with O_DIRECT.
    #[serde(default)]
    pub direct: bool,
    /// `--background` (20241021 and later): restore in the background.
    #[serde(default)]
    pub background: bool,
    /// `--no-subreaper`: accepted for Docker's sake and ignored by runsc.
    #[serde(default)]
    pub no_subreaper: bool,
    /// `--work-path`: accepted for Docker's sake and ignored by runsc.
    #[serde(default)]
    pub work_path: Option<PathBuf>,
    /// `--fs-restore-image-path` (20260817): restore the root filesystem
    /// from an `fscheckpoint` image.
    #[serde(default)]
    pub fs_restore_image_path: Option<PathBuf>,
    /// `--fs-restore-direct` (20260817): read that image with O_DIRECT.
    #[serde(default)]
    pub fs_restore_direct: bool,
    /// `--split-fsrestore` (20260817): the checkpoint keeps filesystem
    /// snapshots in files apart from the sandbox state.
    #[serde(default)]
    pub split_fsrestore: bool,
}

impl Subcommand {
    /// The subcommand's name as runsc spells it.
    pub fn name(&self) -> &'static str {
        match self {
            Self::List(_) => "list",
            Self::State(_) => "state",
            Self::Create(_) => "create",
            Self::Start(_) => "start",
            Self::Exec(_) => "exec",
            Self::Run(_) => "run",
            Self::Delete(_) => "delete",
            Self::Kill(_) => "kill",
            Self::Events(_) => "events",
            Self::Ps(_) => "ps",
            Self::Pause(_) => "pause",
            Self::Resume(_) => "resume",
            Self::Wait(_) => "wait",
            Self::Update(_) => "update",
            Self::Checkpoint(_) => "checkpoint",
            Self::Restore(_) => "restore",
            Self::FsCheckpoint(_) => "fscheckpoint",
        }
    }

    /// The container the subcommand addresses (the first, for `delete`).
    pub fn id(&self) -> Option<&ContainerId> {
        match self {
            Self::List(_) => None,
            Self::State(o) | Self::Start(o) | Self::Pause(o) | Self::Resume(o) => Some(&o.id),
            Self::Create(o) => Some(&o.id),
            Self::Exec(o) => Some(&o.id),
            Self::Run(o) => Some(&o.id),
            Self::Delete(o) => o.ids.first(),
            Self::Kill(o) => Some(&o.id),
            Self::Events(o) => Some(&o.id),
            Self::Ps(o) => Some(&o.id),
            Self::Wait(o) => Some(&o.id),
            Self::Update(o) => Some(&o.id),
            Self::Checkpoint(o) => Some(&o.id),
            Self::Restore(o) => Some(&o.id),
            Self::FsCheckpoint(o) => Some(&o.id),
        }
    }

    /// The `--pid-file` given, for the subcommands that take one.
    pub fn pid_file(&self) -> Option<&Path> {
        match self {
            Self::Create(o) => o.pid_file.as_deref(),
            Self::Run(o) => o.pid_file.as_deref(),
            Self::Exec(o) => o.pid_file.as_deref(),
            Self::Restore(o) => o.pid_file.as_deref(),
            _ => None,
        }
    }
}

impl Invocation {
    /// An invocation with default global options.
    pub fn new(command: Subcommand) -> Self {
        Self {
            global: GlobalOptions::default(),
            command,
        }
    }
}
