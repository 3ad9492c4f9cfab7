//! [`EventStream`]: the events `runsc events --interval=N` prints, as a
//! [`Stream`](futures_core::Stream).

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::process::ExitStatus;
use std::task::{ready, Context, Poll};

use futures_core::Stream;
use tokio::io::{AsyncRead, ReadBuf};
use tokio::net::unix::pipe;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::exec::{read_buffered, start_drain, Captured, GroupGuard, Spawned};
use super::logfile::LogMark;
use crate::types::{Event, EventDecoder};
use crate::Error;

const CHUNK: usize = 64 * 1024;

/// The events of one `runsc events` process.
///
/// Yields each event as runsc prints it. The stream ends when runsc's
/// output ends; before it ends it yields an error if the output stopped in
/// the middle of an event, and [`Error::Failed`] (with stderr and runsc's
/// logged error) if runsc exited with a failure. Dropping the stream kills
/// runsc's process group; runsc is reaped in the background.
pub struct EventStream {
    argv: Vec<OsString>,
    guard: GroupGuard,
    stdout: Option<pipe::Receiver>,
    decoder: Option<EventDecoder>,
    exit: Option<JoinHandle<io::Result<ExitStatus>>>,
    status: Option<io::Result<ExitStatus>>,
    output_limit: usize,
    stop_stderr: Option<oneshot::Sender<()>>,
    stderr: Option<JoinHandle<Captured>>,
    log_mark: Option<LogMark>,
    pending: VecDeque<Error>,
    done: bool,
    buf: Vec<u8>,
}

impl fmt::Debug for EventStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventStream")
            .field("argv", &self.argv)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl EventStream {
    pub(crate) fn new(spawned: Spawned, output_limit: usize) -> Self {
        let Spawned {
            argv,
            guard,
            exit,
            stdout,
            stderr,
            log_mark,
        } = spawned;
        let (stop_stderr, stderr) = start_drain(stderr, output_limit);
        Self {
            argv,
            guard,
            stdout,
            decoder: Some(EventDecoder::new()),
            exit: Some(exit),
            status: None,
            output_limit,
            stop_stderr,
            stderr,
            log_mark,
            pending: VecDeque::new(),
            done: false,
            buf: vec![0; CHUNK],
        }
    }

    /// The argv of the `runsc events` call, program first.
    pub fn argv(&self) -> &[OsString] {
        &self.argv
    }

    /// Polls runsc's exit; `Ready` once the status is known.
    fn poll_exit(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if let Some(exit) = self.exit.as_mut() {
            let joined = ready!(Pin::new(exit).poll(cx));
            self.exit = None;
            self.status = Some(match joined {
                Ok(status) => status,
                Err(join) => Err(io::Error::other(join.to_string())),
            });
        }
        Poll::Ready(())
    }

    /// Reads one chunk of stdout into the decoder, or notes its end.
    fn poll_stdout(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let Some(rx) = self.stdout.as_mut() else {
            return Poll::Ready(());
        };
        let mut read = ReadBuf::new(&mut self.buf);
        match Pin::new(rx).poll_read(cx, &mut read) {
            Poll::Ready(Ok(())) => {
                let n = read.filled().len();
                if n == 0 {
                    self.stdout = None;
                    return Poll::Ready(());
                }
                if let Some(decoder) = self.decoder.as_mut() {
                    decoder.push(&self.buf[..n]);
                    // Reads happen only once every complete event has been
                    // taken, so what was held before this chunk is one
                    // unfinished event.
                    if decoder.buffered().saturating_sub(n) > self.output_limit {
                        self.overflow();
                    }
                }
                Poll::Ready(())
            }
            Poll::Ready(Err(source)) => {
                self.stdout = None;
                self.pending.push_back(Error::Io {
                    context: "reading runsc's event stream".to_owned(),
                    source,
                });
                Poll::Ready(())
            }
            Poll::Pending => {
                // runsc may have exited while something it started still
                // holds the pipe: then take what is buffered and stop, as
                // the other calls do.
                ready!(self.poll_exit(cx));
                if let Some(rx) = self.stdout.take() {
                    let mut rest = Captured::default();
                    read_buffered(&rx, &mut self.buf, &mut rest, usize::MAX);
                    if let Some(decoder) = self.decoder.as_mut() {
                        decoder.push(&rest.bytes);
                    }
                }
                Poll::Ready(())
            }
        }
    }

    /// An event longer than the output limit: stop runsc rather than
    /// buffer without bound, and end the stream with the reason.
    fn overflow(&mut self) {
        self.guard.kill();
        self.stdout = None;
        let total = self.decoder.take().map_or(0, |d| d.buffered());
        self.pending.push_back(Error::OutputLimit {
            argv: self.argv.clone(),
            limit: self.output_limit,
            total: total as u64,
        });
        self.done = true;
    }

    /// Gives decode errors from the decoder this call's argv.
    fn with_argv(&self, error: Error) -> Error {
        match error {
            Error::Decode {
                argv,
                what,
                excerpt,
                source,
            } => Error::Decode {
                argv: if argv.is_empty() {
                    self.argv.clone()
                } else {
                    argv
                },
                what,
                excerpt,
                source,
            },
            other => other,
        }
    }

    /// After stdout ended: wait for runsc, and queue its failure.
    fn poll_finish(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        ready!(self.poll_exit(cx));
        if let Some(stop) = self.stop_stderr.take() {
            let _ = stop.send(());
        }
        let stderr = match self.stderr.as_mut() {
            Some(task) => {
                let joined = ready!(Pin::new(task).poll(cx));
                self.stderr = None;
                joined.unwrap_or_default()
            }
            None => Captured::default(),
        };
        self.guard.disarm();
        match self.status.take() {
            Some(Ok(status)) if status.success() => {}
            Some(Ok(status)) => {
                let runsc_error = self
                    .log_mark
                    .as_ref()
                    .and_then(|mark| mark.read().error().map(str::to_owned));
                self.pending.push_back(Error::Failed {
                    argv: self.argv.clone(),
                    status,
                    stderr: stderr.to_text(),
                    runsc_error,
                });
            }
            Some(Err(source)) => self.pending.push_back(Error::Io {
                context: "waiting for runsc events to exit".to_owned(),
                source,
            }),
            None => {}
        }
        self.done = true;
        Poll::Ready(())
    }
}

impl Stream for EventStream {
    type Item = Result<Event, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(error) = this.pending.pop_front() {
                return Poll::Ready(Some(Err(error)));
            }
            if this.done {
                return Poll::Ready(None);
            }
            if let Some(item) = this.decoder.as_mut().and_then(EventDecoder::next_event) {
                return Poll::Ready(Some(item.map_err(|e| this.with_argv(e))));
            }
            if this.stdout.is_some() {
                ready!(this.poll_stdout(cx));
                continue;
            }
            if let Some(decoder) = this.decoder.take() {
                if let Some(error) = decoder.finish() {
                    let error = this.with_argv(error);
                    this.pending.push_back(error);
                }
                continue;
            }
            ready!(this.poll_finish(cx));
        }
    }
}
