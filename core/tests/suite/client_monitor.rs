//! Custom `Monitor`s: a shim that reaps its children itself supplies the
//! exit statuses; `LoggingMonitor` logs through `tracing`.

use std::io;
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::{id, read_pid, wait_for_file, wait_until_reaped, Fake};
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::Pid;
use runsc::{ExitFuture, LoggingMonitor, Monitor};
use tokio::process::{Child, Command};

/// Reaps with its own `waitpid`, as a shim's reaper would, and counts calls.
#[derive(Debug, Default)]
struct ReapingMonitor {
    started: AtomicUsize,
    reaped: Arc<AtomicUsize>,
}

impl Monitor for ReapingMonitor {
    fn start(&self, command: &mut Command) -> io::Result<Child> {
        self.started.fetch_add(1, Ordering::SeqCst);
        command.spawn()
    }

    fn wait(&self, child: Child) -> ExitFuture {
        let reaped = Arc::clone(&self.reaped);
        let pid = child.id().map(|p| Pid::from_raw(p as i32));
        Box::pin(async move {
            let pid = pid.ok_or_else(|| io::Error::other("child already reaped"))?;
            let status = tokio::task::spawn_blocking(move || waitpid(pid, None))
                .await
                .map_err(io::Error::other)?
                .map_err(io::Error::from)?;
            // Keep the handle until the reaper is done, so tokio does not
            // try to reap the pid itself meanwhile.
            drop(child);
            reaped.fetch_add(1, Ordering::SeqCst);
            match status {
                WaitStatus::Exited(_, code) => Ok(ExitStatus::from_raw(code << 8)),
                WaitStatus::Signaled(_, signal, _) => Ok(ExitStatus::from_raw(signal as i32)),
                other => Err(io::Error::other(format!(
                    "unexpected wait status {other:?}"
                ))),
            }
        })
    }
}

#[tokio::test]
async fn a_reaping_monitor_supplies_the_exit_status() {
    let monitor = Arc::new(ReapingMonitor::default());
    let fake = Fake::with("exit 7", |b, _| b.monitor(monitor.clone()));
    let err = fake.runsc.pause(&id("c1")).await.unwrap_err();
    assert_eq!(err.exit_code(), Some(7));
    assert_eq!(monitor.started.load(Ordering::SeqCst), 1);
    assert_eq!(monitor.reaped.load(Ordering::SeqCst), 1);

    let fake = Fake::with("echo '[1]'", |b, _| b.monitor(monitor.clone()));
    assert_eq!(fake.runsc.ps(&id("c1")).await.unwrap(), vec![1]);
    assert_eq!(monitor.reaped.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_reaping_monitor_reaps_a_cancelled_call() {
    let monitor = Arc::new(ReapingMonitor::default());
    let fake = Fake::with("sleep 3600", |b, _| b.monitor(monitor.clone()));
    let runsc = fake.runsc.clone();
    let call = tokio::spawn(async move { runsc.resume(&id("c1")).await });
    let pid = read_pid(&wait_for_file(&fake.dir.path().join("pid")).await);
    call.abort();
    let _ = call.await;
    assert!(wait_until_reaped(pid).await, "pid {pid} not reaped");
    for _ in 0..200 {
        if monitor.reaped.load(Ordering::SeqCst) == 1 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the monitor never reported the killed child");
}

/// Reports a status of its choosing: the client must believe the monitor,
/// not look elsewhere.
#[derive(Debug)]
struct FixedStatus(i32);

impl Monitor for FixedStatus {
    fn start(&self, command: &mut Command) -> io::Result<Child> {
        command.spawn()
    }

    fn wait(&self, mut child: Child) -> ExitFuture {
        let code = self.0;
        Box::pin(async move {
            child.wait().await?;
            Ok(ExitStatus::from_raw(code << 8))
        })
    }
}

#[tokio::test]
async fn the_monitors_status_is_the_one_reported() {
    let fake = Fake::with("exit 0", |b, _| b.monitor(Arc::new(FixedStatus(3))));
    let err = fake.runsc.pause(&id("c1")).await.unwrap_err();
    assert_eq!(err.exit_code(), Some(3));
}

/// Collects the messages of tracing events.
#[derive(Default, Clone)]
struct Recorder(Arc<Mutex<Vec<String>>>);

struct MessageVisitor<'a>(&'a mut String);

impl tracing::field::Visit for MessageVisitor<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!("{}={:?} ", field.name(), value));
    }
}

impl tracing::Subscriber for Recorder {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut line = String::new();
        event.record(&mut MessageVisitor(&mut line));
        self.0.lock().unwrap().push(line);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[tokio::test]
async fn logging_monitor_logs_argv_and_status_and_passes_through() {
    let recorder = Recorder::default();
    let _guard = tracing::subscriber::set_default(recorder.clone());
    let fake = Fake::with("exit 4", |b, _| {
        b.monitor(Arc::new(LoggingMonitor::new(Arc::new(FixedStatus(5)))))
    });
    let err = fake.runsc.pause(&id("c9")).await.unwrap_err();
    assert_eq!(err.exit_code(), Some(5));
    let lines = recorder.0.lock().unwrap().clone();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].contains("executing runsc"), "{lines:?}");
    assert!(lines[0].contains(r#""pause", "c9""#), "{lines:?}");
    assert!(lines[1].contains("runsc exited"), "{lines:?}");
    assert!(lines[1].contains("exit status: 5"), "{lines:?}");
}
