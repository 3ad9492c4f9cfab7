//! `Io` (null, piped, inherit, descriptors) and `ConsoleSocket`.

use std::io::{IoSlice, Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use crate::support::{id, Fake};
use nix::sys::socket::{sendmsg, ControlMessage, MsgFlags};
use runsc::ConsoleSocket;
use runsc::{CreateOpts, ProcessIo, RunOpts};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn piped_io_gives_the_caller_the_containers_stdio() {
    let fake = Fake::new("cat; echo to-stderr >&2; exit 0");
    let (io, mut pipes) = ProcessIo::piped().unwrap();
    let runsc = fake.runsc.clone();
    let call = tokio::spawn(async move {
        let opts = RunOpts::default().with_io(io);
        runsc.run(&id("c1"), "/bundle", &opts).await
    });
    pipes
        .stdin
        .write_all(b"hello through the pipe")
        .await
        .unwrap();
    drop(pipes.stdin);
    let mut stdout = String::new();
    pipes.stdout.read_to_string(&mut stdout).await.unwrap();
    let mut stderr = String::new();
    pipes.stderr.read_to_string(&mut stderr).await.unwrap();
    assert_eq!(stdout, "hello through the pipe");
    assert_eq!(stderr, "to-stderr\n");
    let exit = call.await.unwrap().unwrap();
    assert_eq!(exit.code, 0);
    assert!(
        exit.stdout.bytes.is_empty(),
        "output went to the caller, not the client"
    );
}

#[tokio::test]
async fn an_io_with_descriptors_serves_one_call() {
    let fake = Fake::new("exit 0");
    let (io, _pipes) = ProcessIo::piped().unwrap();
    let opts = CreateOpts::default().with_io(io);
    fake.runsc.create(&id("c1"), "/b", &opts).await.unwrap();
    let err = fake.runsc.create(&id("c1"), "/b", &opts).await.unwrap_err();
    assert!(err.is_invalid_input(), "{err}");
    assert!(
        err.to_string()
            .contains("make a new ProcessIo for each call"),
        "{err}"
    );
}

#[tokio::test]
async fn null_io_gives_eof_and_discards_output() {
    let fake = Fake::new("cat >\"$root/stdin\"; echo discarded; exit 0");
    let exit = fake
        .runsc
        .run(
            &id("c1"),
            "/b",
            &RunOpts::default().with_io(ProcessIo::null()),
        )
        .await
        .unwrap();
    assert_eq!(exit.code, 0);
    assert!(exit.stdout.bytes.is_empty());
    assert_eq!(std::fs::read(fake.dir.path().join("stdin")).unwrap(), b"");
    // null and inherit are reusable.
    let io = ProcessIo::null();
    let opts = CreateOpts::default().with_io(io);
    fake.runsc.create(&id("c1"), "/b", &opts).await.unwrap();
    fake.runsc.create(&id("c1"), "/b", &opts).await.unwrap();
}

#[tokio::test]
async fn io_from_files() {
    let fake = Fake::new("cat; echo err >&2; exit 0");
    let dir = fake.dir.path();
    std::fs::write(dir.join("in"), "from a file").unwrap();
    let stdin = std::fs::File::open(dir.join("in")).unwrap();
    let stdout = std::fs::File::create(dir.join("out")).unwrap();
    let stderr = std::fs::File::create(dir.join("err")).unwrap();
    let opts = RunOpts::default().with_io(ProcessIo::from_fds(stdin, stdout, stderr));
    fake.runsc.run(&id("c1"), "/b", &opts).await.unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.join("out")).unwrap(),
        "from a file"
    );
    assert_eq!(std::fs::read_to_string(dir.join("err")).unwrap(), "err\n");
}

/// Sends `fd` over `socket` as runc and runsc do: the pty's name as the
/// body, the descriptor as `SCM_RIGHTS`.
fn send_fd(socket: &UnixStream, name: &str, fd: &OwnedFd) {
    let fds = [fd.as_raw_fd()];
    let cmsg = [ControlMessage::ScmRights(&fds)];
    let iov = [IoSlice::new(name.as_bytes())];
    sendmsg::<()>(socket.as_raw_fd(), &iov, &cmsg, MsgFlags::empty(), None).unwrap();
}

#[tokio::test]
async fn console_socket_receives_the_pty_master() {
    let console = ConsoleSocket::new().unwrap();
    let path = console.path().to_owned();
    assert!(path.exists());
    let sender = std::thread::spawn(move || {
        let pty = nix::pty::openpty(None, None).unwrap();
        let socket = UnixStream::connect(&path).unwrap();
        send_fd(&socket, "/dev/pts/test", &pty.master);
        // Keep the slave: the test writes through it below.
        pty.slave
    });
    let received = tokio::time::timeout(Duration::from_secs(20), console.receive())
        .await
        .expect("no pty master arrived")
        .unwrap();
    let slave = sender.join().unwrap();
    assert_eq!(received.name, "/dev/pts/test");
    assert!(nix::unistd::isatty(received.master.as_raw_fd()).unwrap());

    let mut slave = std::fs::File::from(slave);
    slave.write_all(b"ping\n").unwrap();
    let mut master = received.master;
    let mut buf = [0u8; 64];
    let n = tokio::task::spawn_blocking(move || master.read(&mut buf).map(|n| buf[..n].to_vec()))
        .await
        .unwrap()
        .unwrap();
    // The line discipline turns "\n" into "\r\n" on the way out.
    assert_eq!(n, b"ping\r\n");
}

#[tokio::test]
async fn console_socket_without_a_descriptor_is_an_error() {
    let console = ConsoleSocket::new().unwrap();
    let path = console.path().to_owned();
    let sender = std::thread::spawn(move || {
        let mut socket = UnixStream::connect(&path).unwrap();
        socket.write_all(b"no fd here").unwrap();
    });
    let err = console.receive().await.unwrap_err();
    sender.join().unwrap();
    assert!(err.to_string().contains("no file descriptor"), "{err}");
}

#[test]
fn console_socket_directory_goes_away_on_drop() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _enter = runtime.enter();
    let console = ConsoleSocket::new().unwrap();
    let dir = console.path().parent().unwrap().to_owned();
    assert!(dir.exists());
    drop(console);
    assert!(!dir.exists());
}

/// An `Io` of the user's own: stdout into a file it opens per call,
/// stderr discarded.
#[derive(Debug)]
struct StdoutToFile(std::path::PathBuf);

impl runsc::Io for StdoutToFile {
    fn set(&self, command: &mut tokio::process::Command) -> Result<(), runsc::Error> {
        let file = std::fs::File::create(&self.0).map_err(|source| runsc::Error::Io {
            context: format!("creating {}", self.0.display()),
            source,
        })?;
        command
            .stdin(std::process::Stdio::null())
            .stdout(file)
            .stderr(std::process::Stdio::null());
        Ok(())
    }
}

#[tokio::test]
async fn a_users_own_io_gives_runsc_its_stdio() {
    let fake = Fake::new("echo from-the-container; echo hidden >&2; exit 0");
    let out = fake.dir.path().join("captured");
    let io = StdoutToFile(out.clone());
    fake.runsc
        .start(&id("c1"), Some(&io as &dyn runsc::Io))
        .await
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "from-the-container\n"
    );
    // The same Io serves another call, through the options too.
    let exit = fake
        .runsc
        .run(&id("c1"), "/b", &RunOpts::default().with_io(io))
        .await
        .unwrap();
    assert_eq!(exit.code, 0);
    assert!(exit.stdout.bytes.is_empty(), "stdout went to the file");
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "from-the-container\n"
    );
}

/// Owner (`uid:gid`) of runsc's stdin, stdout and stderr, as the fixture
/// sees them, printed on stdout.
const PRINT_OWNERS: &str =
    r#"for fd in 0 1 2; do stat -L -c %u:%g /proc/self/fd/$fd; done; exit 0"#;

async fn owners(fake: &Fake, io: ProcessIo, mut pipes: runsc::IoPipes) -> String {
    drop(pipes.stdin);
    fake.runsc
        .run(&id("c1"), "/b", &RunOpts::default().with_io(io))
        .await
        .unwrap();
    let mut out = String::new();
    pipes.stdout.read_to_string(&mut out).await.unwrap();
    out
}

#[tokio::test]
async fn pipes_can_be_owned_by_a_given_uid_and_gid() {
    let fake = Fake::new(PRINT_OWNERS);
    let (uid, gid) = (nix::unistd::getuid(), nix::unistd::getgid());
    let (io, pipes) = ProcessIo::piped_owned_by(uid.as_raw(), gid.as_raw()).unwrap();
    let mine = format!("{uid}:{gid}\n");
    assert_eq!(owners(&fake, io, pipes).await, mine.repeat(3));

    let other = (uid.as_raw() + 1000, gid.as_raw() + 1000);
    match ProcessIo::piped_owned_by(other.0, other.1) {
        Ok((io, pipes)) => {
            // Only a process with CAP_CHOWN may give the pipes away.
            assert!(uid.is_root(), "chown to another user worked without root");
            let theirs = format!("{}:{}\n", other.0, other.1);
            assert_eq!(owners(&fake, io, pipes).await, theirs.repeat(3));
        }
        Err(err) => {
            assert!(!uid.is_root(), "root could not chown the pipes: {err}");
            assert!(err.to_string().contains("giving runsc's ends"), "{err}");
        }
    }
}

/// The process group the fixture runs in, from `/proc/self/stat` (field 5).
const PRINT_PGRP: &str = r#"cut -d' ' -f5 /proc/$$/stat; exit 0"#;

#[tokio::test]
async fn runsc_gets_its_own_process_group_unless_told_otherwise() {
    let fake = Fake::new(PRINT_PGRP);
    let exit = fake
        .runsc
        .run(&id("c1"), "/b", &RunOpts::default())
        .await
        .unwrap();
    let pgrp: i32 = String::from_utf8_lossy(&exit.stdout.bytes)
        .trim()
        .parse()
        .unwrap();
    let runsc_pid = crate::support::read_pid(&fake.dir.path().join("pid"));
    assert_eq!(pgrp, runsc_pid, "runsc leads a group of its own");

    let shared = Fake::with(PRINT_PGRP, |b, _| b.process_group(false));
    let exit = shared
        .runsc
        .run(&id("c1"), "/b", &RunOpts::default())
        .await
        .unwrap();
    let pgrp: i32 = String::from_utf8_lossy(&exit.stdout.bytes)
        .trim()
        .parse()
        .unwrap();
    assert_eq!(pgrp, nix::unistd::getpgrp().as_raw(), "runsc shares ours");
}

#[tokio::test]
async fn a_deadline_kills_runsc_also_when_it_shares_our_group() {
    let fake = Fake::with("exec sleep 3600", |b, _| {
        b.process_group(false).timeout(Duration::from_millis(300))
    });
    let err = fake
        .runsc
        .run(&id("c1"), "/b", &RunOpts::default())
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    let pid = crate::support::read_pid(&fake.dir.path().join("pid"));
    assert!(
        crate::support::wait_until_reaped(pid).await,
        "runsc {pid} was killed and reaped"
    );
}
