//! Files that many fake processes share: an exclusive lock, and replacing
//! a small state file atomically, cheaply enough to do on every call.
//!
//! Readers (other fake processes, some without a lock) must see the old or
//! the new content, never a mix, so the new content is written to a private
//! temporary file that then takes the old one's place. A plain `rename` over
//! an existing file makes ext4 (with its default `auto_da_alloc`) start
//! writing the new file's blocks out first: 0.07–0.4 ms per call measured
//! here, a third of the fake's whole per-call budget. Exchanging the two
//! names (`RENAME_EXCHANGE`) is just as atomic for readers and skips that
//! flush; the old content, now under the temporary name, is then unlinked.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};

/// Takes an exclusive `flock` on `path` (created if missing), waiting for
/// other processes; it is released when the returned value is dropped.
pub fn lock(path: &Path) -> io::Result<Flock<File>> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)?;
    Flock::lock(file, FlockArg::LockExclusive).map_err(|(_, errno)| errno.into())
}

/// Atomically replaces `path` with `bytes`, staging them in `tmp` (a name in
/// the same directory that no other process uses).
pub fn replace(path: &Path, tmp: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = File::create(tmp)?;
    file.write_all(bytes)?;
    drop(file);
    match exchange(tmp, path) {
        Ok(()) => fs::remove_file(tmp),
        // Nothing to exchange with yet, or a file system without exchange.
        Err(Errno::ENOENT | Errno::EINVAL | Errno::ENOSYS) => fs::rename(tmp, path),
        Err(errno) => {
            let _ = fs::remove_file(tmp);
            Err(io::Error::from(errno))
        }
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn exchange(a: &Path, b: &Path) -> nix::Result<()> {
    use nix::fcntl::{renameat2, RenameFlags};
    renameat2(None, a, None, b, RenameFlags::RENAME_EXCHANGE)
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn exchange(_: &Path, _: &Path) -> nix::Result<()> {
    Err(Errno::ENOSYS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_then_replaces_without_leaving_the_staging_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let tmp = dir.path().join("state.json.tmp");
        replace(&path, &tmp, b"first").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"first");
        replace(&path, &tmp, b"second, longer").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second, longer");
        replace(&path, &tmp, b"3").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"3");
        assert!(!tmp.exists(), "the old content must not stay behind");
    }

    #[test]
    fn a_reader_holding_the_old_file_keeps_the_old_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let tmp = dir.path().join("state.json.tmp");
        replace(&path, &tmp, b"old").unwrap();
        let mut reader = File::open(&path).unwrap();
        replace(&path, &tmp, b"new").unwrap();
        let mut seen = String::new();
        io::Read::read_to_string(&mut reader, &mut seen).unwrap();
        assert_eq!(seen, "old");
        assert_eq!(fs::read(&path).unwrap(), b"new");
    }

    #[test]
    fn the_lock_excludes_others_until_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.lock");
        let try_other = || {
            let file = File::options().write(true).open(&path).unwrap();
            Flock::lock(file, FlockArg::LockExclusiveNonblock).map_err(|(_, errno)| errno)
        };
        let held = lock(&path).unwrap();
        assert_eq!(try_other().unwrap_err(), Errno::EWOULDBLOCK);
        drop(held);
        assert!(try_other().is_ok());
    }

    #[test]
    fn a_missing_directory_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let gone = dir.path().join("gone");
        let err = replace(&gone.join("state.json"), &gone.join("tmp"), b"x").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }
}
