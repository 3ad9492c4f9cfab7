//! A measured program's peak memory is its own, not that of the big
//! process that asked for the measurement.

use std::path::Path;

#[test]
fn peak_rss_is_the_programs_own_however_big_the_measurer() {
    // Touched, so that it is resident: what a forked child would inherit.
    let ballast = vec![1u8; 256 << 20];
    let helper = Path::new(env!("CARGO_BIN_EXE_xtask-bench"));
    let (_, rss_kib) = xtask_bench::peak_rss::measure(helper, Path::new("/bin/true"), &[], &[])
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        (1..32 * 1024).contains(&rss_kib),
        "/bin/true's peak RSS was reported as {rss_kib} KiB while this test held {} MiB",
        ballast.len() >> 20
    );
    let failed = xtask_bench::peak_rss::measure(helper, Path::new("/bin/false"), &[], &[])
        .expect_err("a failing program is an error");
    assert!(failed.contains("/bin/false"), "{failed}");
}
