//! How a step answers: its reply (output, exit status, signal, pid file)
//! and the named faults.

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// What the fake does when a step matches. The default is a silent success.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reply {
    /// Written to stdout; `{{name}}` is replaced by a capture.
    #[serde(default, skip_serializing_if = "Output::is_empty")]
    pub stdout: Output,
    /// Written to stderr; `{{name}}` is replaced by a capture.
    #[serde(default, skip_serializing_if = "Output::is_empty")]
    pub stderr: Output,
    /// The exit status (0-255).
    #[serde(default, skip_serializing_if = "is_zero_i32")]
    pub exit: i32,
    /// Die by this signal (name like `SIGKILL`/`KILL` or number) after the output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<SignalSpec>,
    /// After the output, hang until killed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hang: bool,
    /// Wait this long before doing anything.
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub delay_ms: u64,
    /// What to write to `--pid-file`, when the call has one.
    #[serde(default, skip_serializing_if = "PidFile::is_default")]
    pub pid_file: PidFile,
    /// Whether to send a pty master over `--console-socket` when the call has
    /// one (default: yes, unless the call fails).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub console: Option<bool>,
    /// Written to the pty's terminal side after the master was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tty: Option<String>,
    /// Lines appended to the global `--log` file when the call has one: a
    /// string is written as is, anything else as one line of JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub log: Vec<Value>,
}

fn is_zero_i32(n: &i32) -> bool {
    *n == 0
}

fn is_zero_u64(n: &u64) -> bool {
    *n == 0
}

impl Reply {
    pub(super) fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// Whether the call ends successfully (exit 0, no signal, no hang).
    pub fn succeeds(&self) -> bool {
        self.exit == 0 && self.signal.is_none() && !self.hang
    }
}

/// Output of one stream: a string written at once, or timed chunks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Output {
    /// Written at once.
    Text(String),
    /// Written chunk by chunk.
    Chunks(Vec<Chunk>),
}

impl Default for Output {
    fn default() -> Self {
        Self::Text(String::new())
    }
}

impl Output {
    /// Whether nothing is written.
    pub fn is_empty(&self) -> bool {
        match self {
            Self::Text(text) => text.is_empty(),
            Self::Chunks(chunks) => chunks.is_empty(),
        }
    }

    /// The chunks, a plain text being one chunk at once.
    pub fn chunks(&self) -> Vec<Chunk> {
        match self {
            Self::Text(text) if text.is_empty() => Vec::new(),
            Self::Text(text) => vec![Chunk {
                after_ms: 0,
                data: text.clone(),
            }],
            Self::Chunks(chunks) => chunks.clone(),
        }
    }
}

/// A piece of output written after a pause.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Chunk {
    /// Milliseconds after the previous chunk of the same stream (or after the start).
    #[serde(default)]
    pub after_ms: u64,
    /// The bytes, as text.
    pub data: String,
}

/// A signal by name (`SIGKILL`, `KILL`) or number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum SignalSpec {
    /// A number.
    Number(i32),
    /// A name, with or without `SIG`.
    Name(String),
}

impl std::fmt::Display for SignalSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Number(n) => write!(f, "{n}"),
            Self::Name(name) => write!(f, "{name:?}"),
        }
    }
}

impl SignalSpec {
    /// The signal number, if this names a signal.
    pub fn number(&self) -> Option<i32> {
        match self {
            Self::Number(n) if (1..=64).contains(n) => Some(*n),
            Self::Number(_) => None,
            Self::Name(name) => {
                let upper = name.to_ascii_uppercase();
                let bare = upper.strip_prefix("SIG").unwrap_or(&upper);
                runsc::cli::SIGNAL_NAMES
                    .iter()
                    .find(|(n, _)| *n == bare)
                    .map(|(_, number)| *number)
            }
        }
    }
}

/// What goes into the `--pid-file`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum PidFile {
    /// `auto`, `none` or `live`.
    Word(PidFileWord),
    /// This pid.
    Fixed {
        /// The pid written.
        pid: i32,
    },
}

/// The named pid-file behaviours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PidFileWord {
    /// The fake's own pid, when the call succeeds (runsc writes it on success).
    Auto,
    /// Write nothing.
    None,
    /// The pid of a process that lives until killed (the test's
    /// `FakeRuntime` kills it at the end), as a sandbox would.
    Live,
}

impl Default for PidFile {
    fn default() -> Self {
        Self::Word(PidFileWord::Auto)
    }
}

impl PidFile {
    pub(super) fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// A named fault: its name alone (`"fault": "hang"`), or an object with
/// the name as key and its parameters (`"fault": {"huge-stderr": {"bytes": 1000}}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum FaultSpec {
    /// A fault with its default parameters.
    Name(FaultName),
    /// A fault with parameters.
    Full(Fault),
}

/// The fault names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum FaultName {
    /// See [`Fault::Hang`].
    Hang,
    /// See [`Fault::Killed`].
    Killed,
    /// See [`Fault::TruncatedJson`].
    TruncatedJson,
    /// See [`Fault::Garbage`].
    Garbage,
    /// See [`Fault::HugeStderr`].
    HugeStderr,
    /// See [`Fault::SlowStart`].
    SlowStart,
    /// See [`Fault::StreamCut`].
    StreamCut,
    /// See [`Fault::NthCallFails`].
    NthCallFails,
}

/// A fault with its parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum Fault {
    /// Print nothing and hang until killed.
    Hang {},
    /// Write the reply's output, then die by a signal (default SIGKILL).
    Killed {
        /// The signal.
        #[serde(default = "sigkill")]
        signal: SignalSpec,
    },
    /// Write only the first part of the reply's stdout (default: half of it;
    /// a made-up JSON object when the reply has no stdout), no newline, and exit as the reply says.
    TruncatedJson {
        /// How many bytes to keep.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        keep_bytes: Option<usize>,
    },
    /// Write bytes that are neither JSON nor UTF-8 instead of the reply's stdout.
    Garbage {
        /// How many bytes.
        #[serde(default = "default_garbage_bytes")]
        bytes: usize,
    },
    /// Write this many bytes to stderr (in 64 KiB writes) before the reply.
    HugeStderr {
        /// How many bytes (default 16 MiB).
        #[serde(default = "default_huge_bytes")]
        bytes: u64,
    },
    /// Wait before doing anything.
    SlowStart {
        /// How long (default 2000 ms).
        #[serde(default = "default_slow_ms")]
        delay_ms: u64,
    },
    /// Write the reply's stdout chunks but cut the last one in the middle,
    /// then end as the reply says (a made-up stats event when there is no stdout).
    StreamCut {},
    /// The nth call that this step takes fails; the others answer normally.
    NthCallFails {
        /// Which call, counting from 1.
        #[serde(default = "one")]
        n: u32,
        /// Its exit status.
        #[serde(default = "one_i32")]
        exit: i32,
        /// Its stderr.
        #[serde(default = "default_nth_stderr")]
        stderr: String,
    },
}

fn sigkill() -> SignalSpec {
    SignalSpec::Name("SIGKILL".to_owned())
}

fn default_garbage_bytes() -> usize {
    256
}

fn default_huge_bytes() -> u64 {
    16 << 20
}

fn default_slow_ms() -> u64 {
    2000
}

fn one() -> u32 {
    1
}

fn one_i32() -> i32 {
    1
}

fn default_nth_stderr() -> String {
    "fake-runsc: injected failure (nth-call-fails)\n".to_owned()
}

impl<'de> Deserialize<'de> for FaultSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Decided by shape, so a misspelt fault gets serde's list of the names.
        let value = Value::deserialize(deserializer)?;
        if value.is_string() {
            FaultName::deserialize(value)
                .map(Self::Name)
                .map_err(serde::de::Error::custom)
        } else {
            Fault::deserialize(value)
                .map(Self::Full)
                .map_err(serde::de::Error::custom)
        }
    }
}

impl FaultSpec {
    /// The fault with its parameters filled in.
    pub fn resolve(&self) -> Fault {
        match self {
            Self::Full(fault) => fault.clone(),
            Self::Name(name) => match name {
                FaultName::Hang => Fault::Hang {},
                FaultName::Killed => Fault::Killed { signal: sigkill() },
                FaultName::TruncatedJson => Fault::TruncatedJson { keep_bytes: None },
                FaultName::Garbage => Fault::Garbage {
                    bytes: default_garbage_bytes(),
                },
                FaultName::HugeStderr => Fault::HugeStderr {
                    bytes: default_huge_bytes(),
                },
                FaultName::SlowStart => Fault::SlowStart {
                    delay_ms: default_slow_ms(),
                },
                FaultName::StreamCut => Fault::StreamCut {},
                FaultName::NthCallFails => Fault::NthCallFails {
                    n: one(),
                    exit: one_i32(),
                    stderr: default_nth_stderr(),
                },
            },
        }
    }
}
