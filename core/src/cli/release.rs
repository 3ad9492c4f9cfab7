//! runsc releases whose command line the model knows.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::flags;

/// A gVisor release of runsc, named by its date as the release tags are
/// (`release-20260817.0` is [`Release::R20260817`]).
///
/// Each release has its own flag tables ([`flags::table`]), so argv is parsed
/// as that release parses it ([`super::Invocation::parse_for`]) and the client can refuse
/// an option its runsc lacks before spawning anything
/// ([`super::Invocation::check_release`]).
///
/// ```
/// use runsc::cli::Release;
/// let release: Release = "20221219".parse().unwrap();
/// assert_eq!(release, Release::R20221219);
/// assert_eq!("release-20260817.0".parse::<Release>().unwrap(), Release::NEWEST);
/// assert!("2019".parse::<Release>().is_err());
/// ```
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub enum Release {
    /// `release-20221219.0`: Debian's runsc; the one the project's recordings
    /// come from and its flag tables were checked against (`runsc flags`,
    /// `runsc CMD --help`).
    R20221219,
    /// `release-20241021.0`, read from source only.
    R20241021,
    /// `release-20260817.0`, the newest release tag; read from source only.
    #[default]
    R20260817,
}

impl Release {
    /// Every known release, oldest first.
    pub const ALL: [Release; 3] = [Self::R20221219, Self::R20241021, Self::R20260817];

    /// The newest known release, the client's default.
    pub const NEWEST: Release = Self::R20260817;

    /// The release the project's recordings were made with.
    pub const RECORDED: Release = Self::R20221219;

    /// The date that names the release, e.g. `"20221219"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::R20221219 => "20221219",
            Self::R20241021 => "20241021",
            Self::R20260817 => "20260817",
        }
    }

    /// Every subcommand this release registers, modelled or not (the fake
    /// lists them in its usage text).
    pub fn subcommands(self) -> &'static [&'static str] {
        &flags::table(self).subcommands
    }

    /// Names `runsc help` accepts that are not subcommands (`platforms`,
    /// `syscalls`); run as subcommands they are unknown.
    pub fn help_topics(self) -> &'static [&'static str] {
        &flags::table(self).help_topics
    }

    /// The platforms `--platform` may name. runsc checks the name only when
    /// it loads the config (`unknown platform: NAME`, exit 128), not while
    /// parsing flags, so the parser leaves it to the fake.
    ///
    /// 20221219: checked against the real binary (`--platform=systrap` and
    /// `--platform=bogus` fail with exit 128, `kvm` and `ptrace` load).
    /// Newer releases: read from source, not confirmed by a recording
    /// (systrap is their default platform).
    pub fn platforms(self) -> &'static [&'static str] {
        match self {
            Self::R20221219 => &["kvm", "ptrace"],
            Self::R20241021 | Self::R20260817 => &["kvm", "ptrace", "systrap"],
        }
    }

    /// The default of `--platform`, as the release's flag table says.
    pub fn default_platform(self) -> &'static str {
        match self {
            Self::R20221219 => "ptrace",
            Self::R20241021 | Self::R20260817 => "systrap",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }

    pub(crate) fn flag_data(self) -> &'static str {
        match self {
            Self::R20221219 => include_str!("releases/20221219.flags"),
            Self::R20241021 => include_str!("releases/20241021.flags"),
            Self::R20260817 => include_str!("releases/20260817.flags"),
        }
    }
}

impl fmt::Display for Release {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A release name that is none of [`Release::ALL`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownRelease {
    /// What was given.
    pub given: String,
}

impl fmt::Display for UnknownRelease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown runsc release {:?}: expected one of ",
            self.given
        )?;
        for (i, release) in Release::ALL.iter().enumerate() {
            let sep = if i == 0 { "" } else { ", " };
            write!(f, "{sep}{release}")?;
        }
        f.write_str(" (or the tag, release-DATE.0)")
    }
}

impl std::error::Error for UnknownRelease {}

impl FromStr for Release {
    type Err = UnknownRelease;

    /// Accepts the date (`20260817`) or the tag (`release-20260817.0`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let date = s.strip_prefix("release-").unwrap_or(s);
        let date = date.strip_suffix(".0").unwrap_or(date);
        Release::ALL
            .into_iter()
            .find(|r| r.as_str() == date)
            .ok_or_else(|| UnknownRelease {
                given: s.to_owned(),
            })
    }
}

impl TryFrom<String> for Release {
    type Error = UnknownRelease;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Release> for String {
    fn from(release: Release) -> Self {
        release.as_str().to_owned()
    }
}
