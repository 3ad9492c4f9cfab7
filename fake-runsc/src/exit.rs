//! The fake's own exit statuses. runsc uses 0, 1, 2 and 128 for its own
//! failures, and `exec`/`run` forward the container's status (which a
//! scenario chooses), so the fake's own failures use numbers runsc does not.

/// A call no scenario step answers (or that a `never` step forbids).
pub const EXIT_UNMATCHED: i32 = 86;
/// The fake's configuration or scenario is unusable.
pub const EXIT_CONFIG: i32 = 87;
/// A subcommand runsc has but the fake does not implement.
pub const EXIT_UNSUPPORTED: i32 = 88;
