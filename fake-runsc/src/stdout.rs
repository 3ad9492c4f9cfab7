//! Unbuffered writes to standard output.
//!
//! Rust's `stdout()` is line-buffered: a reply such as runsc's `state` JSON,
//! which ends in `}` without a newline, goes out as two writes (up to the
//! last newline, then the rest on flush). Readers see the same bytes either
//! way, but every call pays for the extra system call, so the fake writes
//! what it has in one go.

use std::io;
use std::os::fd::AsFd;

use nix::errno::Errno;

/// Writes all of `bytes` to standard output, bypassing Rust's buffer.
pub fn write(mut bytes: &[u8]) -> io::Result<()> {
    let stdout = io::stdout();
    while !bytes.is_empty() {
        match nix::unistd::write(stdout.as_fd(), bytes) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => bytes = &bytes[n..],
            Err(Errno::EINTR) => {}
            Err(errno) => return Err(errno.into()),
        }
    }
    Ok(())
}
