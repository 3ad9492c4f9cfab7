//! Messages between a runsc call and the sandbox supervisor: a 4-byte length
//! and a JSON body on a unix stream socket, with file descriptors (an
//! `exec`'s stdio) attached to a message as SCM_RIGHTS.

use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;

use nix::sys::socket::{recvmsg, sendmsg, ControlMessage, ControlMessageOwned, MsgFlags};
use serde::{Deserialize, Serialize};

use super::launch::Launch;
use super::StartFailure;

/// Largest message accepted; a launch with a huge environment still fits.
const MAX_MESSAGE: usize = 16 << 20;

/// What a call asks the supervisor.
#[derive(Debug, Serialize, Deserialize)]
pub(super) enum Request {
    /// Let the init process exec its program.
    Start,
    /// Run a process in the container (stdio attached when `fds` is 3).
    Exec(Launch),
    /// Answer with `Exited` once process `pid` has exited.
    Wait(i32),
}

/// What the supervisor answers.
#[derive(Debug, Serialize, Deserialize)]
pub(super) enum Reply {
    /// Done.
    Ok,
    /// The process runs, with this host pid.
    Started(i32),
    /// The process exited with this wait status.
    Exited(i32),
    /// The process could not be started.
    Failed(StartFailure),
    /// The request does not fit the container's state.
    Refused(String),
}

/// Sends one message with `fds` attached.
pub(super) fn send<T: Serialize>(sock: &UnixStream, msg: &T, fds: &[RawFd]) -> io::Result<()> {
    let body = serde_json::to_vec(msg).map_err(io::Error::other)?;
    let mut frame = (body.len() as u32).to_le_bytes().to_vec();
    frame.extend_from_slice(&body);
    let rights = [ControlMessage::ScmRights(fds)];
    let cmsgs: &[ControlMessage] = if fds.is_empty() { &[] } else { &rights };
    let sent = loop {
        match sendmsg::<()>(
            sock.as_raw_fd(),
            &[IoSlice::new(&frame)],
            cmsgs,
            MsgFlags::empty(),
            None,
        ) {
            Err(nix::errno::Errno::EINTR) => continue,
            other => break other?,
        }
    };
    let mut writer = sock;
    writer.write_all(&frame[sent..])
}

/// Receives one message and the fds attached to it; `None` at end of file.
pub(super) fn recv<T: for<'de> Deserialize<'de>>(
    sock: &UnixStream,
) -> io::Result<Option<(T, Vec<OwnedFd>)>> {
    // Only the length is read with the fds, so that a second message that
    // is already queued stays in the socket for the next call.
    let mut head = [0u8; 4];
    let mut space = nix::cmsg_space!([RawFd; 3]);
    let (got, fds) = {
        let mut iov = [IoSliceMut::new(&mut head)];
        let msg = loop {
            match recvmsg::<()>(
                sock.as_raw_fd(),
                &mut iov,
                Some(&mut space),
                MsgFlags::MSG_CMSG_CLOEXEC,
            ) {
                Err(nix::errno::Errno::EINTR) => continue,
                other => break other?,
            }
        };
        let mut fds = Vec::new();
        for cmsg in msg.cmsgs()? {
            if let ControlMessageOwned::ScmRights(raw) = cmsg {
                // SAFETY: the kernel just installed these descriptors in this
                // process for this message; nothing else owns them.
                fds.extend(
                    raw.into_iter()
                        .map(|fd| unsafe { OwnedFd::from_raw_fd(fd) }),
                );
            }
        }
        (msg.bytes, fds)
    };
    if got == 0 {
        return Ok(None);
    }
    let mut reader = sock;
    if got < 4 {
        reader.read_exact(&mut head[got..])?;
    }
    let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
    if len > MAX_MESSAGE {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("message of {len} bytes"),
        ));
    }
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body)?;
    let msg =
        serde_json::from_slice(&body).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    Ok(Some((msg, fds)))
}
