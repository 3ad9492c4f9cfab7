//! How a step matches a call: per-field value matchers and how many calls
//! a step takes.

use schemars::gen::SchemaGenerator;
use schemars::schema::{InstanceType, Schema, SchemaObject, SubschemaValidation};
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

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

impl From<Vec<&str>> for ValueMatch {
    fn from(items: Vec<&str>) -> Self {
        Self::Exact(Value::from(items))
    }
}

impl From<Vec<String>> for ValueMatch {
    fn from(items: Vec<String>) -> Self {
        Self::Exact(Value::from(items))
    }
}

impl From<&[&str]> for ValueMatch {
    fn from(items: &[&str]) -> Self {
        Self::Exact(Value::from(items.to_vec()))
    }
}

impl<const N: usize> From<[&str; N]> for ValueMatch {
    fn from(items: [&str; N]) -> Self {
        Self::Exact(Value::from(items.to_vec()))
    }
}

impl From<Value> for ValueMatch {
    fn from(value: Value) -> Self {
        Self::Exact(value)
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
    /// Exactly `n` calls.
    pub fn exactly(n: u32) -> Self {
        Self::Exactly(n)
    }

    /// Any number of calls, including none.
    pub fn any() -> Self {
        Self::Word(TimesWord::Any)
    }

    /// The call must not come.
    pub fn never() -> Self {
        Self::Word(TimesWord::Never)
    }

    /// At least `n` calls.
    pub fn at_least(n: u32) -> Self {
        Self::AtLeast { at_least: n }
    }

    /// At most `n` calls.
    pub fn at_most(n: u32) -> Self {
        Self::AtMost { at_most: n }
    }

    pub(super) fn is_default(&self) -> bool {
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
