//! Fuzz target: see `runsc_fuzz::fake_checks::scenario`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| runsc_fuzz::fake_checks::scenario(data));
