//! Fuzz target: see `runsc_fuzz::core_checks::events_decoder`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| runsc_fuzz::core_checks::events_decoder(data));
