//! The scenario format: what the fake expects to be called with and how it
//! answers. These types are the format: `scenarios/schema.json` is generated
//! from them, and the builder methods here are what Rust tests use instead of
//! writing JSON by hand.
//!
//! ```
//! use fake_runsc::scenario::{Fault, Scenario, Step, Times, ValueMatch};
//!
//! let scenario = Scenario::new()
//!     .description("state fails the second time it is asked")
//!     .step(Step::command("create").id(ValueMatch::capture("id")))
//!     .step(
//!         Step::command("state")
//!             .id(ValueMatch::reference("id"))
//!             .times(Times::any())
//!             .stdout("{\"id\":\"{{id}}\",\"status\":\"created\"}\n")
//!             .fault(Fault::NthCallFails { n: 2, exit: 128, stderr: "EOF\n".into() }),
//!     );
//! // The same thing as JSON, ready to commit under scenarios/.
//! let json = scenario.to_json();
//! assert!(json.contains("\"nth-call-fails\""));
//! assert_eq!(Scenario::from_json(json.as_bytes()).unwrap(), scenario);
//! assert!(fake_runsc::check::check_scenario(&scenario).is_empty());
//! ```

mod answer;
mod matchers;

pub use self::answer::{
    Chunk, Fault, FaultName, FaultSpec, Output, PidFile, PidFileWord, Reply, SignalSpec,
};
pub use self::matchers::{MatchOp, Times, TimesWord, ValueMatch};

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Subcommands whose steps are unordered unless a step says otherwise: a
/// client runs them in the background, so they reach runsc before or after
/// the calls around them.
pub const UNORDERED_BY_DEFAULT: &[&str] = &["wait"];

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
    /// The runsc release the scenario was recorded from or written for:
    /// `20221219`, `20241021` or `20260817` (or its tag,
    /// `release-20260817.0`). Replay parses argv as that release does
    /// (absent: 20221219); `FAKE_RUNSC_RELEASE` overrides it.
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
    /// Whether the step stands outside its container's order: it answers
    /// whenever it matches and has calls left, once the ordered steps before
    /// it have had the calls they need, and it neither blocks nor closes
    /// other steps. For calls a client makes concurrently (a background
    /// `wait`). Default: true for `wait`, false for every other subcommand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unordered: Option<bool>,
    /// The answer.
    #[serde(default, skip_serializing_if = "Reply::is_default")]
    pub reply: Reply,
    /// A named fault that changes the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<FaultSpec>,
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

    /// Names the runsc release the scenario is written for (its
    /// `runsc_version`), so replay parses argv as that release does.
    pub fn release(mut self, release: runsc::cli::Release) -> Self {
        self.runsc_version = Some(release.as_str().to_owned());
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
            unordered: None,
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

    /// Matches the container id, wherever the subcommand takes it: `id` for
    /// most, the first of `ids` for `delete`.
    pub fn id(self, matcher: impl Into<ValueMatch>) -> Self {
        let path = if self.command_name() == Some("delete") {
            "ids.0"
        } else {
            "id"
        };
        self.field(path, matcher)
    }

    /// Marks the step as unordered (see [`Step::unordered`](Step#structfield.unordered)):
    /// it answers in any interleaving with its container's other calls.
    pub fn unordered(mut self) -> Self {
        self.unordered = Some(true);
        self
    }

    /// Keeps the step in its container's order, even for `wait`.
    pub fn ordered(mut self) -> Self {
        self.unordered = Some(false);
        self
    }

    /// Whether the step stands outside its container's order: as set, else
    /// true for `wait`.
    pub fn is_unordered(&self) -> bool {
        self.unordered
            .unwrap_or_else(|| UNORDERED_BY_DEFAULT.contains(&self.command_name().unwrap_or("")))
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
