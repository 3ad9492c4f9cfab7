//! runsc 20221219's wording: its `Fatalf` failures, the errors it prints
//! in Go's words, and the Go panics it dies of in states it does not handle.

use super::store::StoreError;

/// What a failed command prints on stderr and its exit status.
#[derive(Debug)]
pub struct Failure {
    /// Exactly what goes to stderr.
    pub stderr: String,
    /// The exit status.
    pub code: i32,
}

/// Ends the command with runsc's usual `util.Fatalf`: the message, a newline, exit 128.
pub fn fatal(message: impl Into<String>) -> Failure {
    let mut stderr = message.into();
    stderr.push('\n');
    Failure { stderr, code: 128 }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        fatal(e.to_string())
    }
}

/// A command's result: its exit status, or a failure to report.
pub type CmdResult = Result<i32, Failure>;

/// Go's panic output for a state runsc 20221219 does not handle.
pub(super) fn go_panic(message: &str, frames: &str) -> Failure {
    Failure {
        stderr: format!("panic: {message}\n\ngoroutine 1 [running]:\n{frames}"),
        code: 2,
    }
}

pub(super) const PANIC_FRAMES_TAIL: &str = "github.com/google/subcommands.(*Commander).Execute(0xc0000aa000, {0x12466b0, 0xc000042088}, {0xc000088fc0, 0x2, 0x2})
\tgithub.com/google/subcommands/subcommands.go:209 +0x3bc
github.com/google/subcommands.Execute(...)
\tgithub.com/google/subcommands/subcommands.go:492
gvisor.dev/gvisor/runsc/cli.Main({0x12348f8, 0xe})
\tgvisor.dev/gvisor/runsc/cli/main.go:261 +0x6525
main.main()
\tgvisor.dev/gvisor/runsc/main.go:23 +0x27
";

pub(super) fn stats_panic() -> Failure {
    go_panic(
        "runtime error: integer divide by zero",
        &format!(
            "gvisor.dev/gvisor/runsc/container.(*Container).populateStats(0xc00041c2a0, 0xc000134b00)
\tgvisor.dev/gvisor/runsc/container/container.go:1296 +0x4e5
gvisor.dev/gvisor/runsc/container.(*Container).Event(0xc00041c2a0)
\tgvisor.dev/gvisor/runsc/container/container.go:542 +0x150
gvisor.dev/gvisor/runsc/cmd.(*Events).Execute(0xc00036fd00, {{0xc00011e160?, 0xc0003df900?}}, 0x4826b4?, {{0xc000132fa0?, 0x7fbe6260f998?, 0x20?}})
\tgvisor.dev/gvisor/runsc/cmd/events.go:87 +0x15d
{PANIC_FRAMES_TAIL}"
        ),
    )
}

pub(super) fn pause_panic() -> Failure {
    go_panic(
        "invalid state transition: created => paused",
        &format!(
            "gvisor.dev/gvisor/runsc/container.(*Container).changeStatus(0xc00003e690?, {{0x105b0e6, 0x6}})
\tgvisor.dev/gvisor/runsc/container/container.go:1102 +0x56e
gvisor.dev/gvisor/runsc/container.(*Container).Pause(0xc0003722a0)
\tgvisor.dev/gvisor/runsc/container/container.go:664 +0x316
gvisor.dev/gvisor/runsc/cmd.(*Pause).Execute(0xc00037e660, {{0xc00003e0e0?, 0xc00033f900?}}, 0x4826b4?, {{0xc000088fc0?, 0x7fd23f204ae8?, 0x20?}})
\tgvisor.dev/gvisor/runsc/cmd/pause.go:64 +0x10f
{PANIC_FRAMES_TAIL}"
        ),
    )
}

pub(super) fn wait_panic() -> Failure {
    go_panic(
        "invalid state transition: paused => stopped",
        &format!(
            "gvisor.dev/gvisor/runsc/container.(*Container).changeStatus(0xc00003e640?, {{0x105c26e, 0x7}})
\tgvisor.dev/gvisor/runsc/container/container.go:1118 +0x2b9
gvisor.dev/gvisor/runsc/container.(*Container).Wait(0xc0003e22a0)
\tgvisor.dev/gvisor/runsc/container/container.go:564 +0xcf
gvisor.dev/gvisor/runsc/cmd.(*Wait).Execute(0xc000333db0, {{0xc00003e090?, 0xc000377900?}}, 0x4826b4?, {{0xc00011efa0?, 0x7fee7849b4b8?, 0x20?}})
\tgvisor.dev/gvisor/runsc/cmd/wait.go:85 +0x31b
{PANIC_FRAMES_TAIL}"
        ),
    )
}

/// Go's `encoding/json` wording where it is easy to match (input that ends
/// early); other syntax errors keep serde's wording.
pub(super) fn go_json_error(e: &serde_json::Error) -> String {
    if e.is_eof() {
        "unexpected end of JSON input".to_owned()
    } else {
        e.to_string()
    }
}

/// Go's wording of common errno values.
pub(super) fn go_io_error(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => e.to_string(),
    }
}

pub(super) fn missing_container() -> Failure {
    fatal("loading container: file does not exist")
}

pub(super) fn missing_sandbox() -> Failure {
    fatal("loading sandbox: file does not exist")
}

/// How runsc words a failure to load a container.
#[derive(Clone, Copy)]
pub(super) enum Load {
    /// `loading container: ...` (state, start, kill, pause, resume, wait, checkpoint).
    Container,
    /// `loading sandbox: ...` (ps, events, exec).
    Sandbox,
}

impl Load {
    pub(super) fn prefix(self) -> &'static str {
        match self {
            Self::Container => "loading container: ",
            Self::Sandbox => "loading sandbox: ",
        }
    }
}

pub(super) fn ambiguous(prefix: &str, given: &str, ids: &[String]) -> Failure {
    let last = ids.last().map(String::as_str).unwrap_or_default();
    fatal(format!(
        "{prefix}id {given:?} is ambiguous and could refer to multiple containers: \"{last}/{last}\", {{\"{last}\" \"{last}\"}}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_json_wording_for_truncated_input() {
        let err = serde_json::from_slice::<serde_json::Value>(b"{\"a\":").unwrap_err();
        assert_eq!(go_json_error(&err), "unexpected end of JSON input");
    }
}
