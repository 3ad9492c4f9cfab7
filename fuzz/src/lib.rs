//! The properties the fuzz targets check, one function per target, and the
//! one way the test suites replay `fuzz/regressions/`.
//!
//! The same files are compiled into the normal test suites
//! (`core/tests/suite/no_panic.rs`, `fake-runsc/tests/suite/reliability_fuzz.rs`),
//! which replay `fuzz/regressions/` (`regressions::replay`) and run the
//! properties under proptest, so a crash found by `cargo fuzz` is checked by
//! `cargo test` with exactly the same code.

pub mod core_checks;
pub mod fake_checks;
pub mod regressions;
