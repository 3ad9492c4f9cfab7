//! The crate's one error type.

/// Everything that can go wrong when building or running a runsc command.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A value given by the caller cannot be placed safely in argv; nothing was spawned.
    #[error("invalid {what} {value:?}: {why}")]
    InvalidInput {
        /// What kind of value it was ("container id", "config key", ...).
        what: &'static str,
        /// The offending value, escaped for display.
        value: String,
        /// Why it was refused and what to do instead.
        why: String,
    },
}

impl Error {
    pub(crate) fn invalid(what: &'static str, value: &str, why: impl Into<String>) -> Self {
        Self::InvalidInput {
            what,
            value: value.escape_debug().to_string(),
            why: why.into(),
        }
    }

    /// Whether the caller's input was refused before anything ran.
    pub fn is_invalid_input(&self) -> bool {
        matches!(self, Self::InvalidInput { .. })
    }
}
