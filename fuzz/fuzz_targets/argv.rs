//! Fuzz target: argv as runsc reads it (`runsc_fuzz::core_checks::argv`) and
//! as the fake applies it (`runsc_fuzz::fake_checks::fake_argv`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    runsc_fuzz::core_checks::argv(data);
    runsc_fuzz::fake_checks::fake_argv(data);
});
