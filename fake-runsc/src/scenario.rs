//! The scenario format: what the fake expects to be called with and how it
//! answers. These types are the format: `scenarios/schema.json` is generated
//! from them, and the builder methods here are what Rust tests use instead of
//! writing JSON by hand.
//!
//! ```
//! use fake_runsc::scenario::{Fault, Scenario, Step, Times, TimesWord, ValueMatch};
//!
//! let scenario = Scenario::new()
//!     .description("state fails the second time it is asked")
//!     .step(Step::command("create").id(ValueMatch::capture("id")))
//!     .step(
//!         Step::command("state")
//!             .id(ValueMatch::reference("id"))
//!             .times(Times::Word(TimesWord::Any))
//!             .stdout("{\"id\":\"{{id}}\",\"status\":\"created\"}\n")
//!             .fault(Fault::NthCallFails { n: 2, exit: 128, stderr: "EOF\n".into() }),
//!     );
//! // The same thing as JSON, ready to commit under scenarios/.
//! let json = scenario.to_json();
//! assert!(json.contains("\"nth-call-fails\""));
//! assert_eq!(Scenario::from_json(json.as_bytes()).unwrap(), scenario);
//! assert!(fake_runsc::check::check_scenario(&scenario).is_empty());
//! ```

use std::collections::BTreeMap;

use schemars::gen::SchemaGenerator;
use schemars::schema::{InstanceType, Schema, SchemaObject, SubschemaValidation};
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// The only scenario format version this fake reads.
pub const VERSION: u32 = 1;

/// A scenario: the calls a test expects, in order per container, and the answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Format version; must be 1.
    pub version: u32,
    /// One line saying what the scenario shows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The runsc release the scenario was recorded from or written for (e.g. `20221219`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runsc_version: Option<String>,
    /// The expected calls. Steps for one container id play in file order;
    /// steps for different ids may interleave.
    pub steps: Vec<Step>,
}

/// One expected call and its answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// A name used in diagnostics and the journal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What the call must look like: field paths of the parsed invocation
    /// (`command`, `id`, `bundle`, `global.root`, `global.config.network`,
    /// `args.0`, `process-spec.args`) mapped to value matchers. `command` is
    /// required and must be an exact subcommand name. Fields not named match anything.
    #[serde(rename = "match")]
    pub matches: BTreeMap<String, ValueMatch>,
    /// How many calls this step takes for each container id (default: exactly 1).
    #[serde(default, skip_serializing_if = "Times::is_default")]
    pub times: Times,
    /// The answer.
    #[serde(default, skip_serializing_if = "Reply::is_default")]
    pub reply: Reply,
    /// A named fault that changes the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<FaultSpec>,
}

/// How a field's value is matched.
///
/// Any JSON value other than an object matches exactly (a number and the
/// same number written as a string are equal, as argv does not tell them
/// apart). An object is an operator: `{"any": true}`, `{"eq": V}`,
/// `{"glob": "*/bundle"}`, `{"regex": "c[0-9]+"}` (anchored at both ends),
/// `{"ref": "name"}` (equal to an earlier capture), `{"absent": true}` (not
/// given), each optionally with `"capture": "name"` to remember the value.
/// `{"capture": "name"}` alone matches anything.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueMatch {
    /// Exactly this value.
    Exact(Value),
    /// An operator.
    Op(MatchOp),
}

/// The operator form of [`ValueMatch`]; set exactly one of `eq`, `any`,
/// `glob`, `regex`, `ref`, `absent`, or only `capture`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MatchOp {
    /// Equal to this value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eq: Option<Value>,
    /// Anything, including an absent value.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub any: bool,
    /// A shell-style pattern over the whole value: `*` any run of characters
    /// (including `/`), `?` one character, `\` escapes the next character.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub glob: Option<String>,
    /// A regular expression (Rust `regex` syntax) that must match the whole value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    /// Equal to the value captured under this name by an earlier call (for
    /// the same container id first, else by any call).
    #[serde(default, rename = "ref", skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Not given on the command line (null, or an empty list).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub absent: bool,
    /// Remember the matched value under this name for later `ref`s and for
    /// `{{name}}` in replies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capture: Option<String>,
}

impl MatchOp {
    /// How many of the mutually exclusive operators are set.
    pub fn operator_count(&self) -> usize {
        [
            self.eq.is_some(),
            self.any,
            self.glob.is_some(),
            self.regex.is_some(),
            self.reference.is_some(),
            self.absent,
        ]
        .iter()
        .filter(|set| **set)
        .count()
    }
}

impl ValueMatch {
    /// Matches exactly this value.
    pub fn exact(value: impl Into<Value>) -> Self {
        Self::Exact(value.into())
    }

    /// Matches anything.
    pub fn any() -> Self {
        Self::Op(MatchOp {
            any: true,
            ..MatchOp::default()
        })
    }

    /// Matches a glob pattern.
    pub fn glob(pattern: impl Into<String>) -> Self {
        Self::Op(MatchOp {
            glob: Some(pattern.into()),
            ..MatchOp::default()
        })
    }

    /// Matches an anchored regular expression.
    pub fn regex(pattern: impl Into<String>) -> Self {
        Self::Op(MatchOp {
            regex: Some(pattern.into()),
            ..MatchOp::default()
        })
    }

    /// Matches anything and captures it under `name`.
    pub fn capture(name: impl Into<String>) -> Self {
        Self::Op(MatchOp {
            capture: Some(name.into()),
            ..MatchOp::default()
        })
    }

    /// Matches the value captured earlier under `name`.
    pub fn reference(name: impl Into<String>) -> Self {
        Self::Op(MatchOp {
            reference: Some(name.into()),
            ..MatchOp::default()
        })
    }

    /// Matches a value that was not given.
    pub fn absent() -> Self {
        Self::Op(MatchOp {
            absent: true,
            ..MatchOp::default()
        })
    }

    /// Also captures the matched value under `name`.
    pub fn and_capture(self, name: impl Into<String>) -> Self {
        let mut op = match self {
            Self::Exact(value) => MatchOp {
                eq: Some(value),
                ..MatchOp::default()
            },
            Self::Op(op) => op,
        };
        op.capture = Some(name.into());
        Self::Op(op)
    }
}

impl From<&str> for ValueMatch {
    fn from(value: &str) -> Self {
        Self::Exact(Value::from(value))
    }
}

impl From<String> for ValueMatch {
    fn from(value: String) -> Self {
        Self::Exact(Value::from(value))
    }
}

impl From<bool> for ValueMatch {
    fn from(value: bool) -> Self {
        Self::Exact(Value::from(value))
    }
}

impl From<i64> for ValueMatch {
    fn from(value: i64) -> Self {
        Self::Exact(Value::from(value))
    }
}

impl Serialize for ValueMatch {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Exact(value) => value.serialize(serializer),
            Self::Op(op) => op.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for ValueMatch {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        if !value.is_object() {
            return Ok(Self::Exact(value));
        }
        let op = MatchOp::deserialize(value).map_err(serde::de::Error::custom)?;
        if op.operator_count() > 1 {
            return Err(serde::de::Error::custom(
                "a matcher takes one of eq, any, glob, regex, ref, absent (plus an optional capture)",
            ));
        }
        if op.operator_count() == 0 && op.capture.is_none() {
            return Err(serde::de::Error::custom(
                "an empty matcher object; use {\"any\": true} to match anything",
            ));
        }
        Ok(Self::Op(op))
    }
}

impl JsonSchema for ValueMatch {
    fn schema_name() -> String {
        "ValueMatch".to_owned()
    }

    fn json_schema(gen: &mut SchemaGenerator) -> Schema {
        let literal = SchemaObject {
            instance_type: Some(
                vec![
                    InstanceType::String,
                    InstanceType::Number,
                    InstanceType::Boolean,
                    InstanceType::Null,
                    InstanceType::Array,
                ]
                .into(),
            ),
            ..SchemaObject::default()
        };
        let mut schema = SchemaObject {
            subschemas: Some(Box::new(SubschemaValidation {
                any_of: Some(vec![literal.into(), gen.subschema_for::<MatchOp>()]),
                ..SubschemaValidation::default()
            })),
            ..SchemaObject::default()
        };
        schema.metadata().description = Some(
            "An exact value (any JSON value but an object), or an operator object.".to_owned(),
        );
        schema.into()
    }
}

/// How many calls a step takes: `3` (exactly), `"any"`, `"never"`,
/// `{"at_least": n}` or `{"at_most": n}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Times {
    /// Exactly this many.
    Exactly(u32),
    /// `any` or `never`.
    Word(TimesWord),
    /// At least this many.
    AtLeast {
        /// The minimum.
        at_least: u32,
    },
    /// At most this many.
    AtMost {
        /// The maximum.
        at_most: u32,
    },
}

/// The named repeat counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum TimesWord {
    /// Any number of calls, including none.
    Any,
    /// The call must not come; if it does, it fails and `verify` reports it.
    Never,
}

impl Default for Times {
    fn default() -> Self {
        Self::Exactly(1)
    }
}

impl Times {
    fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// The fewest calls that satisfy the step.
    pub fn min(&self) -> u32 {
        match *self {
            Self::Exactly(n) | Self::AtLeast { at_least: n } => n,
            Self::Word(_) | Self::AtMost { .. } => 0,
        }
    }

    /// The most calls the step takes (`None`: no limit).
    pub fn max(&self) -> Option<u32> {
        match *self {
            Self::Exactly(n) | Self::AtMost { at_most: n } => Some(n),
            Self::Word(TimesWord::Never) => Some(0),
            Self::Word(TimesWord::Any) | Self::AtLeast { .. } => None,
        }
    }

    /// Whether this is `never`.
    pub fn is_never(&self) -> bool {
        matches!(self, Self::Word(TimesWord::Never))
    }
}

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
    fn is_default(&self) -> bool {
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
    fn is_default(&self) -> bool {
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

impl Scenario {
    /// An empty version-1 scenario.
    pub fn new() -> Self {
        Self {
            version: VERSION,
            description: None,
            runsc_version: None,
            steps: Vec::new(),
        }
    }

    /// Sets the one-line description.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = Some(text.into());
        self
    }

    /// Appends a step.
    pub fn step(mut self, step: Step) -> Self {
        self.steps.push(step);
        self
    }

    /// Reads a scenario from JSON text, rejecting unknown fields and other versions.
    pub fn from_json(text: &[u8]) -> Result<Self, String> {
        let scenario: Scenario = serde_json::from_slice(text).map_err(|e| e.to_string())?;
        if scenario.version != VERSION {
            return Err(format!(
                "unsupported scenario version {}; this fake reads version {VERSION}",
                scenario.version
            ));
        }
        Ok(scenario)
    }

    /// The scenario as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The JSON Schema of the format, as committed in `scenarios/schema.json`.
    pub fn json_schema() -> String {
        let schema = schemars::schema_for!(Scenario);
        let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
        text.push('\n');
        text
    }
}

impl Default for Scenario {
    fn default() -> Self {
        Self::new()
    }
}

impl Step {
    /// A step expecting one call of `command` (a runsc subcommand name).
    pub fn command(command: &str) -> Self {
        let mut matches = BTreeMap::new();
        matches.insert("command".to_owned(), ValueMatch::from(command));
        Self {
            name: None,
            matches,
            times: Times::default(),
            reply: Reply::default(),
            fault: None,
        }
    }

    /// Names the step for diagnostics.
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Adds a matcher on a field path (`bundle`, `global.root`, `args.0`, ...).
    pub fn field(mut self, path: impl Into<String>, matcher: impl Into<ValueMatch>) -> Self {
        self.matches.insert(path.into(), matcher.into());
        self
    }

    /// Matches the container id.
    pub fn id(self, matcher: impl Into<ValueMatch>) -> Self {
        self.field("id", matcher)
    }

    /// Sets the repeat count.
    pub fn times(mut self, times: Times) -> Self {
        self.times = times;
        self
    }

    /// Sets the whole reply.
    pub fn reply(mut self, reply: Reply) -> Self {
        self.reply = reply;
        self
    }

    /// Answers with this stdout.
    pub fn stdout(mut self, text: impl Into<String>) -> Self {
        self.reply.stdout = Output::Text(text.into());
        self
    }

    /// Answers with this stderr.
    pub fn stderr(mut self, text: impl Into<String>) -> Self {
        self.reply.stderr = Output::Text(text.into());
        self
    }

    /// Appends a stdout chunk written `after_ms` after the previous one.
    pub fn stdout_chunk(mut self, after_ms: u64, data: impl Into<String>) -> Self {
        let mut chunks = self.reply.stdout.chunks();
        chunks.push(Chunk {
            after_ms,
            data: data.into(),
        });
        self.reply.stdout = Output::Chunks(chunks);
        self
    }

    /// Exits with this status.
    pub fn exit(mut self, code: i32) -> Self {
        self.reply.exit = code;
        self
    }

    /// Dies by this signal after the output.
    pub fn signal(mut self, signal: impl Into<String>) -> Self {
        self.reply.signal = Some(SignalSpec::Name(signal.into()));
        self
    }

    /// Hangs after the output until killed.
    pub fn hang(mut self) -> Self {
        self.reply.hang = true;
        self
    }

    /// Applies a fault.
    pub fn fault(mut self, fault: Fault) -> Self {
        self.fault = Some(FaultSpec::Full(fault));
        self
    }

    /// The subcommand this step expects, when `command` is an exact string.
    pub fn command_name(&self) -> Option<&str> {
        match self.matches.get("command") {
            Some(ValueMatch::Exact(Value::String(name))) => Some(name),
            _ => None,
        }
    }

    /// How the step is named in diagnostics: `#3 "name"` or `#3`.
    pub fn label(&self, index: usize) -> String {
        match &self.name {
            Some(name) => format!("#{} {name:?}", index + 1),
            None => format!("#{}", index + 1),
        }
    }
}
