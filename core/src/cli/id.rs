//! Validated values that end up as positional arguments.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Error;

/// A container id.
///
/// [`ContainerId::new`], which the client uses, refuses ids that are empty,
/// begin with `-` (they would be read as a flag), or hold `/`, NUL or
/// whitespace, so that a bad id is reported before anything is spawned. runsc
/// applies its own rules when the command runs (it also accepts a unique
/// prefix of an existing id, even an empty one). Ids read from argv or from
/// files are kept as given ([`ContainerId::parsed`]); rendering stays safe for
/// them because a positional that begins with `-` is preceded by `--`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub struct ContainerId(String);

impl ContainerId {
    /// Validates `id` and wraps it.
    ///
    /// ```
    /// use runsc::cli::ContainerId;
    /// assert!(ContainerId::new("web-1").is_ok());
    /// assert!(ContainerId::new("--all").is_err());
    /// ```
    pub fn new(id: impl Into<String>) -> Result<Self, Error> {
        let id = id.into();
        let problem = if id.is_empty() {
            Some("it is empty")
        } else if id.starts_with('-') {
            Some("it begins with '-' and would be read as a flag")
        } else if id.contains('/') {
            Some("it contains '/'")
        } else if id.contains('\0') {
            Some("it contains a NUL byte")
        } else if id.chars().any(char::is_whitespace) {
            Some("it contains whitespace")
        } else {
            None
        };
        match problem {
            Some(why) => Err(Error::invalid("container id", &id, why)),
            None => Ok(Self(id)),
        }
    }

    /// An id exactly as runsc received it, unchecked: for parsers and
    /// simulators that must see what runsc would see.
    pub fn parsed(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// Whether [`ContainerId::new`] would accept this id.
    pub fn is_valid(&self) -> bool {
        Self::new(self.0.as_str()).is_ok()
    }

    /// The id as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ContainerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<String> for ContainerId {
    fn from(value: String) -> Self {
        Self::parsed(value)
    }
}

impl TryFrom<&str> for ContainerId {
    type Error = Error;
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<ContainerId> for String {
    fn from(id: ContainerId) -> Self {
        id.0
    }
}

impl AsRef<str> for ContainerId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// The signal argument of `runsc kill`: a number or a name such as `TERM` or
/// `SIGTERM`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Signal {
    /// A signal number, rendered in decimal.
    Number(i32),
    /// A signal name, with or without the `SIG` prefix.
    Name(String),
}

/// Signal names runsc 20221219 accepts, in any case and with or without a `SIG` prefix.
pub const SIGNAL_NAMES: &[(&str, i32)] = &[
    ("HUP", 1),
    ("INT", 2),
    ("QUIT", 3),
    ("ILL", 4),
    ("TRAP", 5),
    ("ABRT", 6),
    ("IOT", 6),
    ("BUS", 7),
    ("FPE", 8),
    ("KILL", 9),
    ("USR1", 10),
    ("SEGV", 11),
    ("USR2", 12),
    ("PIPE", 13),
    ("ALRM", 14),
    ("TERM", 15),
    ("STKFLT", 16),
    ("CHLD", 17),
    ("CLD", 17),
    ("CONT", 18),
    ("STOP", 19),
    ("TSTP", 20),
    ("TTIN", 21),
    ("TTOU", 22),
    ("URG", 23),
    ("XCPU", 24),
    ("XFSZ", 25),
    ("VTALRM", 26),
    ("PROF", 27),
    ("WINCH", 28),
    ("IO", 29),
    ("POLL", 29),
    ("PWR", 30),
    ("SYS", 31),
];

impl Signal {
    /// A signal by number; numbers runsc does not know (outside 1..=31) are refused.
    pub fn number(n: i32) -> Result<Self, Error> {
        if (1..=31).contains(&n) {
            Ok(Self::Number(n))
        } else {
            Err(Error::invalid(
                "signal",
                &n.to_string(),
                "runsc knows signals 1 to 31 only",
            ))
        }
    }

    /// A signal by name (`"TERM"`, `"SIGTERM"`); unknown names are refused.
    pub fn name(name: &str) -> Result<Self, Error> {
        let sig = Self::Name(name.to_owned());
        match sig.to_number() {
            Some(_) => Ok(sig),
            None => Err(Error::invalid(
                "signal",
                name,
                "not a signal name runsc knows (e.g. TERM, SIGKILL)",
            )),
        }
    }

    /// Reads a `kill` argument as runsc does: a decimal number, else a name.
    /// Unknown names are kept, so that the caller can report them as runsc would.
    pub fn from_arg(arg: &str) -> Self {
        match arg.parse::<i32>() {
            Ok(n) => Self::Number(n),
            Err(_) => Self::Name(arg.to_owned()),
        }
    }

    /// The signal's number, if runsc would understand this signal.
    pub fn to_number(&self) -> Option<i32> {
        match self {
            Self::Number(n) => (1..=31).contains(n).then_some(*n),
            Self::Name(name) => {
                let upper = name.to_ascii_uppercase();
                let bare = upper.strip_prefix("SIG").unwrap_or(&upper);
                SIGNAL_NAMES
                    .iter()
                    .find(|(n, _)| *n == bare)
                    .map(|(_, num)| *num)
            }
        }
    }

    /// The text placed in argv.
    pub fn to_arg(&self) -> String {
        match self {
            Self::Number(n) => n.to_string(),
            Self::Name(name) => name.clone(),
        }
    }
}

impl From<nix::sys::signal::Signal> for Signal {
    fn from(sig: nix::sys::signal::Signal) -> Self {
        Self::Number(sig as i32)
    }
}
