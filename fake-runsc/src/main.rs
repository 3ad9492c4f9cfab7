//! The `fake-runsc` binary: see the crate documentation and README.md.

fn main() {
    std::process::exit(fake_runsc::entry(std::env::args_os().skip(1).collect()))
}
