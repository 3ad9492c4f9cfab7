//! An async client for gVisor's `runsc` command line.

pub mod cli;
mod error;

pub use error::Error;
