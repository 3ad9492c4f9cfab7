//! Fuzz target: see `runsc_fuzz::core_checks::ps_table`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| runsc_fuzz::core_checks::ps_table(data));
