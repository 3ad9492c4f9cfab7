//! The runsc command line as a pure model: build an [`Invocation`], render
//! it with [`Invocation::to_args`], parse argv with [`Invocation::parse`]
//! (or [`Invocation::parse_for`] a given [`Release`]), and check that a
//! release has what an invocation uses with [`Invocation::check_release`].
//! No I/O happens here; the client and the fake share this one definition.

mod check;
#[doc(hidden)]
pub mod flags;
#[doc(hidden)]
pub mod goflag;
mod id;
mod model;
mod parse;
mod release;
mod render;
#[doc(hidden)]
pub mod values;

pub use check::ReleaseMismatch;
pub use id::{ContainerId, Signal, SIGNAL_NAMES};
pub use model::*;
pub use parse::ParseError;
pub use release::{Release, UnknownRelease};
#[cfg(feature = "proptest")]
pub mod strategy;
