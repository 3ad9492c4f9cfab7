//! Signals, once for every mode: how the fake dies of one, and which ones a
//! foreground runsc passes on to its container.

use nix::sys::signal::{self, SigHandler, SigSet, SigmaskHow, Signal};

/// `SIGKILL`'s number.
pub const SIGKILL: i32 = 9;

/// The terminating signals a foreground `runsc run`/`exec` forwards to its
/// container before it dies of them itself.
pub const FORWARDED: [Signal; 4] = [
    Signal::SIGTERM,
    Signal::SIGINT,
    Signal::SIGHUP,
    Signal::SIGQUIT,
];

/// What the recorder passes on to the real runsc it stands in front of:
/// [`FORWARDED`] and `SIGUSR1`, which a caller may send runsc and which
/// would otherwise end the recorder instead of reaching runsc.
pub const PROXIED: [Signal; 5] = [
    FORWARDED[0],
    FORWARDED[1],
    FORWARDED[2],
    FORWARDED[3],
    Signal::SIGUSR1,
];

/// Dies of signal `number` as a process killed by it does: the default
/// disposition restored, the signal unblocked, then raised. Returns the
/// status a shell reports (`128 + number`) for a signal whose default action
/// does not end the process, or a number that is no signal.
pub fn die_of(number: i32) -> i32 {
    if let Ok(sig) = Signal::try_from(number) {
        // SAFETY: restoring the default disposition installs no handler and
        // touches no Rust state.
        let _ = unsafe { signal::signal(sig, SigHandler::SigDfl) };
        let mut set = SigSet::empty();
        set.add(sig);
        let _ = signal::sigprocmask(SigmaskHow::SIG_UNBLOCK, Some(&set), None);
        let _ = signal::raise(sig);
    }
    signaled(number)
}

/// The status a shell reports for a process that died of signal `number`.
pub const fn signaled(number: i32) -> i32 {
    128 + number
}
