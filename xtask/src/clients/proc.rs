//! Running the clients' programs with a deadline, logging the runtime's argv,
//! and finding what a run left behind.
//!
//! Output goes to files, never to pipes: runsc's sandbox (and the fake's
//! processes) inherit the stdio they are given, so waiting for EOF on a pipe
//! could wait for a container to exit.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, killpg, Signal};
use nix::unistd::Pid;

/// What a bounded command did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ran {
    /// Everything it wrote to stdout.
    pub stdout: String,
    /// Everything it wrote to stderr.
    pub stderr: String,
    /// Its exit code; `None` when it was killed by a signal or the deadline.
    pub code: Option<i32>,
    /// Whether the deadline killed it.
    pub timed_out: bool,
}

/// Runs `command` in a process group of its own, with stdin closed and
/// stdout/stderr in files under `scratch`; at `timeout` the whole group is
/// killed and the run reported as timed out.
pub fn run_bounded(
    command: &mut Command,
    scratch: &Path,
    timeout: Duration,
) -> Result<Ran, String> {
    use std::os::unix::process::CommandExt;
    let shown = crate::cargo::display(command);
    let out = tempfile::NamedTempFile::new_in(scratch)
        .map_err(|e| format!("cannot make an output file in {}: {e}", scratch.display()))?;
    let err = tempfile::NamedTempFile::new_in(scratch)
        .map_err(|e| format!("cannot make an output file in {}: {e}", scratch.display()))?;
    let open = |f: &tempfile::NamedTempFile| {
        f.reopen()
            .map_err(|e| format!("cannot reopen {}: {e}", f.path().display()))
    };
    let mut child = command
        .stdin(Stdio::null())
        .stdout(open(&out)?)
        .stderr(open(&err)?)
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot start `{shown}`: {e}"))?;
    let deadline = Instant::now() + timeout;
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                timed_out = true;
                let _ = killpg(Pid::from_raw(child.id() as i32), Signal::SIGKILL);
                break child
                    .wait()
                    .map_err(|e| format!("cannot wait for `{shown}`: {e}"))?;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(format!("cannot wait for `{shown}`: {e}")),
        }
    };
    let read = |f: &tempfile::NamedTempFile| {
        std::fs::read(f.path())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .map_err(|e| format!("cannot read {}: {e}", f.path().display()))
    };
    Ok(Ran {
        stdout: read(&out)?,
        stderr: read(&err)?,
        code: status.code(),
        timed_out,
    })
}

/// A shell script standing in for the runtime: it logs each call's argv (one
/// file per call, arguments NUL-terminated, named by time so they sort in
/// call order) and then `exec`s the runtime with `extra` flags first.
pub fn write_wrapper(
    path: &Path,
    target: &Path,
    extra: &[&str],
    log_dir: &Path,
) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let mut script = String::from("#!/bin/sh\n");
    script.push_str(&format!(
        "printf '%s\\0' \"$@\" > {}/\"$(date +%s%N)-$$\"\n",
        shell_quote(log_dir)?
    ));
    // The scenario and recorder switches of the caller must not turn the
    // fake into a replay or a proxy under the client.
    script.push_str("export FAKE_RUNSC_SCENARIO= FAKE_RUNSC_SESSION= FAKE_RUNSC_RECORD=\n");
    script.push_str(&format!("exec {}", shell_quote(target)?));
    for flag in extra {
        script.push_str(&format!(" {}", shell_quote(Path::new(flag))?));
    }
    script.push_str(" \"$@\"\n");
    std::fs::create_dir_all(log_dir)
        .map_err(|e| format!("cannot create {}: {e}", log_dir.display()))?;
    std::fs::write(path, script).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| format!("cannot make {} executable: {e}", path.display()))
}

fn shell_quote(path: &Path) -> Result<String, String> {
    let text = path.to_str().filter(|t| !t.contains('\'')).ok_or_else(|| {
        format!(
            "{} cannot be quoted for a shell script; use a plain path",
            path.display()
        )
    })?;
    Ok(format!("'{text}'"))
}

/// The argv of every call a wrapper logged, in call order.
pub fn read_argv_log(log_dir: &Path) -> Result<Vec<Vec<String>>, String> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(log_dir) {
        Ok(entries) => entries.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("cannot read {}: {e}", log_dir.display())),
    };
    // Names are `<nanoseconds>-<pid>`; equal-length seconds make the
    // nanosecond prefix sort as text.
    files.sort();
    files
        .iter()
        .map(|f| {
            let bytes =
                std::fs::read(f).map_err(|e| format!("cannot read {}: {e}", f.display()))?;
            Ok(split_nul(&bytes))
        })
        .collect()
}

fn split_nul(bytes: &[u8]) -> Vec<String> {
    let mut args: Vec<String> = bytes
        .split(|b| *b == 0)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    // Every argument ends with a NUL, so the split leaves one empty tail.
    args.pop();
    args
}

/// Makes an argv comparable between runs: see [`normalise_text`].
pub fn normalise_argv(argv: &[String], replacements: &[(String, &str)]) -> String {
    argv.iter()
        .map(|arg| shell_word(&normalise_text(arg, replacements)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `arg` as a shell would need it written, so an argv reads unambiguously:
/// single-quoted when it is empty or holds anything but plain characters.
fn shell_word(arg: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./=:,+@%$".contains(c);
    if !arg.is_empty() && arg.chars().all(plain) && !arg.contains("${") {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}

/// Makes text comparable between runs: `replacements` (scratch paths,
/// unique suffixes) become their names, 32-hex-digit sandbox ids become
/// `$ID`, and the numbered temporary files containerd's shim writes lose
/// their number.
pub fn normalise_text(text: &str, replacements: &[(String, &str)]) -> String {
    let mut text = text.to_owned();
    for (from, to) in replacements {
        if !from.is_empty() {
            text = text.replace(from.as_str(), to);
        }
    }
    strip_number_after(&replace_hex_ids(&text), "runc-process")
}

fn replace_hex_ids(text: &str) -> String {
    let mut out = String::new();
    let mut run = String::new();
    for c in text.chars().chain(std::iter::once('\0')) {
        if c.is_ascii_hexdigit() && c != '\0' {
            run.push(c);
            continue;
        }
        if run.len() == 32 {
            out.push_str("$ID");
        } else {
            out.push_str(&run);
        }
        run.clear();
        if c != '\0' {
            out.push(c);
        }
    }
    out
}

fn strip_number_after(text: &str, prefix: &str) -> String {
    match text.find(prefix) {
        Some(at) => {
            let (head, tail) = text.split_at(at + prefix.len());
            let rest = tail.trim_start_matches(|c: char| c.is_ascii_digit());
            if rest.len() == tail.len() {
                text.to_owned()
            } else {
                format!("{head}N{rest}")
            }
        }
        None => text.to_owned(),
    }
}

/// Pids of the processes whose command line mentions `needle`, other than
/// this one: what a run started under its scratch directory and left alive.
pub fn processes_mentioning(needle: &str) -> Vec<i32> {
    let me = std::process::id() as i32;
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| *pid != me)
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|c| String::from_utf8_lossy(&c).contains(needle))
                .unwrap_or(false)
        })
        .collect()
}

/// Kills, by pid, every process whose command line mentions `needle` and
/// waits (bounded) until none is left; returns how many there were.
pub fn kill_leftovers(needle: &str) -> usize {
    let pids = processes_mentioning(needle);
    for pid in &pids {
        let _ = kill(Pid::from_raw(*pid), Signal::SIGKILL);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while !processes_alive(&pids).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    pids.len()
}

/// The pids whose parent is `parent`.
pub fn children_of(parent: i32) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
                // The fields after the command name, which may hold spaces
                // and parentheses: state, then the parent's pid.
                stat.rsplit_once(')')
                    .and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse::<i32>().ok())
                    == Some(parent)
            })
        })
        .collect()
}

/// Which of `pids` are still running (zombies count as gone).
pub fn processes_alive(pids: &[i32]) -> Vec<i32> {
    pids.iter()
        .copied()
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .map(|s| {
                    s.rsplit_once(')')
                        .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z'))
                })
                .unwrap_or(false)
        })
        .collect()
}

/// Detaches every mount below `dir` (deepest first), so that removing the
/// directory cannot reach into what a leftover mount exposes.
pub fn unmount_below(dir: &Path) {
    let Ok(table) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return;
    };
    let prefix = dir.to_string_lossy().into_owned();
    let mut points: Vec<&str> = table
        .lines()
        .filter_map(|line| line.split(' ').nth(4))
        .filter(|p| p.starts_with(&prefix))
        .collect();
    points.sort_by_key(|p| std::cmp::Reverse(p.len()));
    for point in points {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(point)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argv_normalisation_hides_paths_ids_and_temporary_numbers() {
        let argv: Vec<String> = [
            "--root",
            "/tmp/xtask-clients-abc/state",
            "run",
            "--detach",
            "0123456789abcdef0123456789abcdef",
            "--process",
            "/tmp/runc-process62010489",
            "motd-77",
            "deadbeef",
        ]
        .map(str::to_owned)
        .to_vec();
        let shown = normalise_argv(
            &argv,
            &[
                ("/tmp/xtask-clients-abc".to_owned(), "$TMP"),
                ("-77".to_owned(), ""),
            ],
        );
        assert_eq!(
            shown,
            "--root $TMP/state run --detach $ID --process /tmp/runc-processN motd deadbeef"
        );
        let spaced = ["--env", "B=two words", "", "echo ${A:-x} 'q'"].map(str::to_owned);
        assert_eq!(
            normalise_argv(&spaced, &[]),
            r#"--env 'B=two words' '' 'echo ${A:-x} '\''q'\'''"#
        );
    }

    #[test]
    fn a_logged_argv_keeps_empty_and_spaced_arguments() {
        assert_eq!(
            split_nul(b"exec\0\0a b\0"),
            vec!["exec".to_owned(), String::new(), "a b".to_owned()]
        );
        assert!(split_nul(b"").is_empty());
    }

    #[test]
    fn the_wrapper_logs_argv_and_runs_the_target_with_the_extra_flags() {
        let dir = tempfile::tempdir().unwrap();
        let wrapper = dir.path().join("runsc");
        let logs = dir.path().join("log");
        write_wrapper(&wrapper, Path::new("/bin/echo"), &["--network=none"], &logs).unwrap();
        let ran = run_bounded(
            Command::new(&wrapper).args(["a b", "", "c"]),
            dir.path(),
            Duration::from_secs(10),
        )
        .unwrap();
        assert_eq!(ran.stdout, "--network=none a b  c\n");
        assert_eq!(ran.code, Some(0));
        assert_eq!(
            read_argv_log(&logs).unwrap(),
            vec![vec!["a b".to_owned(), String::new(), "c".to_owned()]]
        );
    }

    #[test]
    fn children_are_found_by_their_parent_pid() {
        let mut child = Command::new("sleep").arg("30").spawn().unwrap();
        let found = children_of(std::process::id() as i32);
        let _ = child.kill();
        let _ = child.wait();
        assert!(found.contains(&(child.id() as i32)), "{found:?}");
    }

    #[test]
    fn a_command_past_its_deadline_is_killed_with_its_group() {
        let dir = tempfile::tempdir().unwrap();
        let started = Instant::now();
        let ran = run_bounded(
            Command::new("sh").args(["-c", "sleep 30 & echo started; wait"]),
            dir.path(),
            Duration::from_millis(300),
        )
        .unwrap();
        assert!(ran.timed_out && ran.code.is_none());
        assert_eq!(ran.stdout, "started\n");
        assert!(started.elapsed() < Duration::from_secs(10));
    }
}
