//! The crate's integration tests, one module per area.

mod go_argv;
mod real_values;
mod release;
