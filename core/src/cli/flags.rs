//! Which flags runsc 20221219 defines, and of what type, as `runsc flags` and
//! `runsc help <subcommand>` list them.

/// How a flag takes its value, following Go's `flag` package.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagKind {
    /// `-f` or `-f=bool`; never takes the next argument.
    Bool,
    /// Any string.
    String,
    /// `strconv.ParseInt(s, 0, 64)`.
    Int,
    /// `strconv.ParseUint(s, 0, 64)`.
    Uint,
    /// `time.ParseDuration`.
    Duration,
    /// A string that may be given several times, each adding a value.
    Repeated,
}

/// One flag: its name without dashes, and its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlagSpec {
    /// The name, e.g. `pid-file`.
    pub name: &'static str,
    /// How its value is read.
    pub kind: FlagKind,
}

const fn f(name: &'static str, kind: FlagKind) -> FlagSpec {
    FlagSpec { name, kind }
}

use FlagKind::{Bool, Duration, Int, Repeated, String as Str, Uint};

/// runsc 20221219's global flags. Custom `flag.Value` types (network,
/// file-access, overlay2, ...) are read as strings: runsc checks their values,
/// the parser does not.
pub const GLOBAL_FLAGS: &[FlagSpec] = &[
    f("EXPERIMENTAL-afxdp", Bool),
    f("TESTONLY-allow-packet-endpoint-write", Bool),
    f("TESTONLY-test-name-env", Str),
    f("TESTONLY-unsafe-nonroot", Bool),
    f("allow-flag-override", Bool),
    f("alsologtostderr", Bool),
    f("buffer-pooling", Bool),
    f("cgroupfs", Bool),
    f("coverage-fd", Int),
    f("coverage-report", Str),
    f("cpu-num-from-quota", Bool),
    f("dcache", Int),
    f("debug", Bool),
    f("debug-command", Str),
    f("debug-log", Str),
    f("debug-log-fd", Int),
    f("debug-log-format", Str),
    f("enable-core-tags", Bool),
    f("fdlimit", Int),
    f("file-access", Str),
    f("file-access-mounts", Str),
    f("fsgofer-host-uds", Bool),
    f("fuse", Bool),
    f("gso", Bool),
    f("gvisor-gro", Duration),
    f("host-fifo", Str),
    f("host-uds", Str),
    f("ignore-cgroups", Bool),
    f("lisafs", Bool),
    f("log", Str),
    f("log-fd", Int),
    f("log-format", Str),
    f("log-packets", Bool),
    f("net-raw", Bool),
    f("network", Str),
    f("num-network-channels", Int),
    f("oci-seccomp", Bool),
    f("overlay", Bool),
    f("overlay2", Str),
    f("panic-log", Str),
    f("panic-log-fd", Int),
    f("panic-signal", Int),
    f("pcap-log", Str),
    f("platform", Str),
    f("platform_device_path", Str),
    f("pod-init-config", Str),
    f("profile", Bool),
    f("profile-block", Str),
    f("profile-cpu", Str),
    f("profile-heap", Str),
    f("profile-mutex", Str),
    f("qdisc", Str),
    f("ref-leak-mode", Str),
    f("root", Str),
    f("rootless", Bool),
    f("rx-checksum-offload", Bool),
    f("software-gso", Bool),
    f("strace", Bool),
    f("strace-event", Bool),
    f("strace-log-size", Uint),
    f("strace-syscalls", Str),
    f("systemd-cgroup", Bool),
    f("trace", Str),
    f("traceback", Str),
    f("tx-checksum-offload", Bool),
    f("version", Bool),
    f("vfs2", Bool),
    f("watchdog-action", Str),
];

/// Flags of the subcommands this crate models, by subcommand.
pub const SUBCOMMAND_FLAGS: &[(&str, &[FlagSpec])] = &[
    (
        "list",
        &[f("format", Str), f("quiet", Bool), f("sandbox", Bool)],
    ),
    ("state", &[]),
    ("start", &[]),
    ("pause", &[]),
    ("resume", &[]),
    (
        "create",
        &[
            f("bundle", Str),
            f("console-socket", Str),
            f("pid-file", Str),
            f("user-log", Str),
        ],
    ),
    (
        "run",
        &[
            f("bundle", Str),
            f("console-socket", Str),
            f("detach", Bool),
            f("pid-file", Str),
            f("user-log", Str),
        ],
    ),
    (
        "exec",
        &[
            f("additional-gids", Repeated),
            f("cap", Repeated),
            f("console-socket", Str),
            f("cwd", Str),
            f("detach", Bool),
            f("env", Repeated),
            f("internal-pid-file", Str),
            f("pid-file", Str),
            f("process", Str),
            f("user", Str),
        ],
    ),
    ("delete", &[f("force", Bool)]),
    ("kill", &[f("all", Bool), f("pid", Int)]),
    ("events", &[f("interval", Int), f("stats", Bool)]),
    ("ps", &[f("format", Str)]),
    ("wait", &[f("pid", Int), f("rootpid", Int)]),
    ("update", &[f("resources", Str)]),
    (
        "checkpoint",
        &[
            f("image-path", Str),
            f("leave-running", Bool),
            f("work-path", Str),
        ],
    ),
    (
        "restore",
        &[
            f("bundle", Str),
            f("console-socket", Str),
            f("detach", Bool),
            f("image-path", Str),
            f("no-subreaper", Bool),
            f("pid-file", Str),
            f("user-log", Str),
            f("work-path", Str),
        ],
    ),
];

/// The flag table of a modelled subcommand, with the name as `&'static str`.
pub fn subcommand_flags(name: &str) -> Option<(&'static str, &'static [FlagSpec])> {
    SUBCOMMAND_FLAGS.iter().copied().find(|(n, _)| *n == name)
}

/// Subcommands runsc 20221219 has that this crate does not model.
pub const OTHER_SUBCOMMANDS: &[&str] = &[
    "boot",
    "debug",
    "do",
    "flags",
    "gofer",
    "help",
    "install",
    "mitigate",
    "platforms",
    "read-control",
    "spec",
    "symbolize",
    "syscalls",
    "trace",
    "umount",
    "uninstall",
    "usage",
    "write-control",
];

/// Looks a flag up in a table.
pub fn lookup(table: &'static [FlagSpec], name: &str) -> Option<&'static FlagSpec> {
    table.iter().find(|spec| spec.name == name)
}
