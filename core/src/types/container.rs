//! The OCI state of one container, as `runsc state` and `runsc list
//! --format=json` print it.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::null_default;

/// One container's OCI state, in the shape runsc 20221219 prints it.
///
/// runsc prints the runtime-spec `State` struct: `ociVersion`, `id`,
/// `status`, `pid` (left out when 0), `bundle` and `annotations` (the
/// bundle's, sorted by key; left out when there are none). It prints no
/// `rootfs` or `created` (checked with `state` and `list --format=json`),
/// unlike runc, whose `list` the Go client's `Container` type follows;
/// [`Container::rootfs`] and [`Container::created`] are kept when a runsc
/// or a runc-compatible tool prints them, and are `None` for 20221219.
/// Serializing gives the same fields in the same order with the same
/// omissions; `types::encode` (feature `fake`) adds Go's string escaping
/// and runsc's framing for byte-identical output.
///
/// Decoding ignores unknown fields and accepts a missing or `null`
/// `annotations`; `id` and `status` are required, because an object
/// without them is not a container state at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Container {
    /// The runtime-spec version runsc implements ("1.0.2-dev" for 20221219).
    #[serde(rename = "ociVersion", default)]
    pub oci_version: String,
    /// The container id.
    pub id: String,
    /// The lifecycle status.
    pub status: Status,
    /// The sandbox process's pid on the host; runsc 20221219 prints -1 once
    /// the container has stopped.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub pid: i32,
    /// The bundle directory the container was created from.
    #[serde(default)]
    pub bundle: String,
    /// The annotations of the bundle's config.json, sorted by key as Go
    /// prints maps.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub annotations: BTreeMap<String, String>,
    /// The root filesystem's path, when printed (runc's `list` does; runsc
    /// 20221219 does not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rootfs: Option<String>,
    /// When the container was created, as printed (RFC 3339, e.g.
    /// `2022-12-19T10:00:00.123456789Z`), when printed (runc's `list`
    /// does; runsc 20221219 does not). Kept as text so that no time crate
    /// is imposed; parse it with the one you use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
}

fn is_zero(pid: &i32) -> bool {
    *pid == 0
}

/// A container's lifecycle status, as runsc spells it.
///
/// runsc prints lowercase words; a word this crate does not know (a later
/// runsc, a fake) is kept verbatim in [`Status::Unknown`] instead of failing
/// the whole decode, and serializes back unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Status {
    /// `creating`: runsc is still setting the container up.
    Creating,
    /// `created`: created, its process not yet started.
    Created,
    /// `running`: the process runs.
    Running,
    /// `paused`: the sandbox is frozen (`runsc pause`).
    Paused,
    /// `stopped`: the process has exited.
    Stopped,
    /// Any other word, kept as printed.
    Unknown(String),
}

impl Status {
    /// The word runsc prints for this status.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Creating => "creating",
            Self::Created => "created",
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Stopped => "stopped",
            Self::Unknown(word) => word,
        }
    }

    /// The status runsc means by `word`; never fails (see [`Status::Unknown`]).
    pub fn from_word(word: &str) -> Self {
        match word {
            "creating" => Self::Creating,
            "created" => Self::Created,
            "running" => Self::Running,
            "paused" => Self::Paused,
            "stopped" => Self::Stopped,
            other => Self::Unknown(other.to_owned()),
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Status {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Status {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Word;
        impl serde::de::Visitor<'_> for Word {
            type Value = Status;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a container status string")
            }
            fn visit_str<E: serde::de::Error>(self, word: &str) -> Result<Status, E> {
                Ok(Status::from_word(word))
            }
        }
        deserializer.deserialize_str(Word)
    }
}
