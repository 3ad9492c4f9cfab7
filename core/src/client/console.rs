//! [`ConsoleSocket`]: receives the pty master that runsc sends for a
//! container with `"terminal": true`.

use std::fs::File;
use std::io::{self, IoSliceMut};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};

use nix::sys::socket::{recvmsg, ControlMessageOwned, MsgFlags};
use tempfile::TempDir;
use tokio::io::Interest;
use tokio::net::UnixListener;

use crate::Error;

/// A unix socket in a private temporary directory, to pass as
/// `--console-socket`. runsc connects to it and sends the pty master with
/// `SCM_RIGHTS` (and the pty's name as the message body), as runc does.
/// The directory and the socket are removed when this value is dropped.
#[derive(Debug)]
pub struct ConsoleSocket {
    listener: UnixListener,
    path: PathBuf,
    _dir: TempDir,
}

/// The pty master runsc sent.
#[derive(Debug)]
pub struct Console {
    /// The master end: read the container's output, write its input.
    pub master: File,
    /// The name runsc sent with it (runc sends the pty's path; may be empty).
    pub name: String,
}

impl ConsoleSocket {
    /// Listens on `pty.sock` in a new temporary directory (mode 0700).
    /// Must be called within a tokio runtime.
    pub fn new() -> Result<Self, Error> {
        let dir = tempfile::Builder::new()
            .prefix("runsc-console-")
            .tempdir()
            .map_err(|source| Error::Io {
                context: "creating a directory for the console socket".to_owned(),
                source,
            })?;
        let path = dir.path().join("pty.sock");
        let listener = UnixListener::bind(&path).map_err(|source| Error::Io {
            context: format!("listening on console socket {}", path.display()),
            source,
        })?;
        Ok(Self {
            listener,
            path,
            _dir: dir,
        })
    }

    /// The socket's path, for `console_socket` in the call options.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Waits for runsc to connect and send the pty master. Await it
    /// concurrently with the `create`/`exec`/`run` call that uses the socket
    /// (runsc sends the master before that call returns); wrap it in a
    /// timeout if the call may fail before connecting.
    pub async fn receive(&self) -> Result<Console, Error> {
        let (stream, _) = self.listener.accept().await.map_err(|source| Error::Io {
            context: format!("accepting on console socket {}", self.path.display()),
            source,
        })?;
        loop {
            stream.readable().await.map_err(|source| Error::Io {
                context: "waiting for the pty master on the console socket".to_owned(),
                source,
            })?;
            let received = stream.try_io(Interest::READABLE, || {
                receive_fd(stream.as_raw_fd()).map_err(io::Error::from)
            });
            match received {
                Ok(Some((fd, name))) => {
                    return Ok(Console {
                        master: File::from(fd),
                        name,
                    })
                }
                Ok(None) => return Err(Error::Io {
                    context: "reading the console socket".to_owned(),
                    source: io::Error::new(
                        io::ErrorKind::InvalidData,
                        "the peer sent no file descriptor (expected the pty master via SCM_RIGHTS)",
                    ),
                }),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(source) => {
                    return Err(Error::Io {
                        context: "reading the pty master from the console socket".to_owned(),
                        source,
                    })
                }
            }
        }
    }
}

/// One `recvmsg`: the first descriptor received (others are closed) and the
/// message body as text.
fn receive_fd(socket: RawFd) -> nix::Result<Option<(OwnedFd, String)>> {
    let mut body = [0u8; 4096];
    let mut iov = [IoSliceMut::new(&mut body)];
    let mut space = nix::cmsg_space!([RawFd; 4]);
    let msg = recvmsg::<()>(
        socket,
        &mut iov,
        Some(&mut space),
        MsgFlags::MSG_CMSG_CLOEXEC,
    )?;
    let mut fds = Vec::new();
    for cmsg in msg.cmsgs()? {
        if let ControlMessageOwned::ScmRights(received) = cmsg {
            // SAFETY: the kernel just installed these descriptors in this
            // process for us; nothing else owns them.
            fds.extend(
                received
                    .into_iter()
                    .map(|fd| unsafe { OwnedFd::from_raw_fd(fd) }),
            );
        }
    }
    let len = msg.bytes;
    let name = String::from_utf8_lossy(&body[..len])
        .trim_end_matches('\0')
        .to_owned();
    Ok(fds.into_iter().next().map(|fd| (fd, name)))
}
