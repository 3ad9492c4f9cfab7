//! The runsc command line as a pure model: build an [`Invocation`], render it
//! with [`Invocation::to_args`], or parse argv with [`Invocation::parse`].
//! No I/O happens here; the client and the fake share this one definition.

pub mod flags;
pub mod goflag;
mod id;
mod model;
mod parse;
mod render;

pub use id::{ContainerId, Signal, SIGNAL_NAMES};
pub use model::*;
pub use parse::ParseError;
#[cfg(feature = "proptest")]
pub mod strategy;
