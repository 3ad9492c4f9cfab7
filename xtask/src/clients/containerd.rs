//! containerd as a client: a private daemon (its own config, root, state
//! and socket under a scratch directory), a busybox image imported offline
//! from a docker-archive tarball, and `ctr` driving the runc shim, which
//! drives the runtime given with `--runc-binary`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use super::proc::{self, run_bounded, Ran};
use super::{Expect, Runtime, StepResult, Trial};
use crate::cargo::workspace_root;

/// The image the steps run, as the tarball names it.
const IMAGE: &str = "docker.io/library/xtask-clients-busybox:1";
/// What `/etc/motd` holds in the image (`xtask/clients/busybox_image.py`).
const MOTD: &str = "welcome to the clients image\n";
const BUSYBOX: &str = "/bin/busybox";
/// Bounds every `ctr` call.
const STEP_TIMEOUT: Duration = Duration::from_secs(30);
/// Bounds cleanup calls, which must not stall a failing run further.
const CLEANUP_TIMEOUT: Duration = Duration::from_secs(15);
/// The flags the wrapper adds in front of the shim's: runsc refuses to
/// create a netstack from containerd's fresh network namespace ("cannot run
/// with network enabled in root network namespace").
pub const WRAPPER_FLAGS: &[&str] = &["--network=none"];

/// The steps and what real runsc 20221219 gives for each.
pub fn expectations() -> Vec<(&'static str, Expect)> {
    let ok = |stdout: &'static str| Expect {
        stdout: Some(stdout),
        exit: Some(Some(0)),
        ..Expect::default()
    };
    let state = |state: &'static str| Expect {
        exit: Some(Some(0)),
        state: Some(state),
        ..Expect::default()
    };
    vec![
        ("run cat /etc/motd", ok(MOTD)),
        ("run --cwd /etc pwd", ok("/etc\n")),
        ("run --env FOO=bar sh -c 'echo $FOO'", ok("bar\n")),
        ("run sh -c 'exit 7'", Expect::exit(7)),
        ("run --runc-systemd-cgroup echo hi", ok("hi\n")),
        ("run --detach sleep 1000", state("RUNNING")),
        ("exec --cwd /tmp sh -c 'echo $FOO; pwd'", ok("bar\n/tmp\n")),
        ("exec sh -c 'exit 3'", Expect::exit(3)),
        (
            "exec /no/such/binary",
            Expect {
                exit: Some(Some(1)),
                stderr: Some("ctr: OCI runtime exec failed: executing processes for container: executing command \"/no/such/binary\" in sandbox: failed to load /no/such/binary: no such file or directory: unknown\n"),
                ..Expect::default()
            },
        ),
        ("pause", state("PAUSED")),
        ("resume", state("RUNNING")),
        ("exec after resume", ok("resumed\n")),
        ("ps (process count)", ok("1\n")),
        ("kill -s KILL", state("STOPPED")),
        ("task delete", state("absent")),
        ("container delete", state("absent")),
    ]
}

/// Why containerd cannot run here, if it cannot.
pub fn cannot_run() -> Option<String> {
    if !nix::unistd::geteuid().is_root() {
        return Some("containerd needs root".to_owned());
    }
    for tool in ["containerd", "ctr", "containerd-shim-runc-v2"] {
        if which(tool).is_none() {
            return Some(format!(
                "{tool} is not on PATH (apt-get install containerd)"
            ));
        }
    }
    if !Path::new(BUSYBOX).is_file() {
        return Some(format!(
            "{BUSYBOX} is missing (apt-get install busybox-static)"
        ));
    }
    None
}

fn which(tool: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(tool))
            .find(|p| p.is_file())
    })
}

/// A private containerd and everything started through it; dropping it
/// removes the containers, stops the daemon and kills whatever is left.
struct Daemon {
    dir: PathBuf,
    socket: PathBuf,
    namespace: String,
    runtime: PathBuf,
    runc_root: PathBuf,
    child: Option<Child>,
    containers: Vec<String>,
}

impl Daemon {
    fn start(dir: &Path, runtime: &Path) -> Result<Self, String> {
        let socket = dir.join("containerd.sock");
        let config = dir.join("config.toml");
        // Only the plugins ctr needs: the CRI plugin would try to set up
        // networking, and no debug or metrics listener is wanted.
        let text = format!(
            "version = 2\nroot = \"{root}\"\nstate = \"{state}\"\n\
             disabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n\
             [grpc]\n  address = \"{sock}\"\n[ttrpc]\n  address = \"{sock}.ttrpc\"\n",
            root = dir.join("root").display(),
            state = dir.join("state").display(),
            sock = socket.display(),
        );
        std::fs::write(&config, text)
            .map_err(|e| format!("cannot write {}: {e}", config.display()))?;
        let log = std::fs::File::create(dir.join("containerd.log"))
            .map_err(|e| format!("cannot create the daemon log: {e}"))?;
        let log2 = log
            .try_clone()
            .map_err(|e| format!("cannot share the daemon log: {e}"))?;
        let child = Command::new("containerd")
            .arg("--config")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2)
            .spawn()
            .map_err(|e| format!("cannot start containerd: {e}"))?;
        let mut daemon = Daemon {
            dir: dir.to_owned(),
            socket,
            namespace: format!("xtask-clients-{}", std::process::id()),
            runtime: runtime.to_owned(),
            runc_root: dir.join("runc"),
            child: Some(child),
            containers: Vec::new(),
        };
        let deadline = Instant::now() + STEP_TIMEOUT;
        loop {
            let up = run_bounded(daemon.ctr().arg("version"), dir, CLEANUP_TIMEOUT)?;
            if up.code == Some(0) {
                return Ok(daemon);
            }
            if let Some(Ok(Some(status))) = daemon.child.as_mut().map(Child::try_wait) {
                return Err(format!(
                    "containerd exited ({status}); see {}",
                    dir.join("containerd.log").display()
                ));
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "containerd did not answer on {} within {}s: {}",
                    daemon.socket.display(),
                    STEP_TIMEOUT.as_secs(),
                    up.stderr.trim()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn ctr(&self) -> Command {
        let mut command = Command::new("ctr");
        command
            .arg("--address")
            .arg(&self.socket)
            .arg("--namespace")
            .arg(&self.namespace);
        command
    }

    fn ctr_run(&self, args: &[&str], timeout: Duration) -> Result<Ran, String> {
        run_bounded(self.ctr().args(args), &self.dir, timeout)
    }

    /// The task's status as `ctr task ls` shows it, or `absent`.
    fn status(&self, id: &str) -> Result<String, String> {
        let listed = self.ctr_run(&["task", "ls"], STEP_TIMEOUT)?;
        if listed.code != Some(0) {
            return Err(format!("`ctr task ls` failed: {}", listed.stderr.trim()));
        }
        Ok(task_status(&listed.stdout, id).unwrap_or_else(|| "absent".to_owned()))
    }

    fn cleanup(&mut self) {
        for id in std::mem::take(&mut self.containers) {
            let _ = self.ctr_run(&["task", "kill", "--signal", "KILL", &id], CLEANUP_TIMEOUT);
            let _ = self.ctr_run(&["task", "delete", "--force", &id], CLEANUP_TIMEOUT);
            // runsc cannot signal a container that never started, so ctr
            // cannot delete its task: delete it in the runtime first.
            let root = self.runc_root.join(&self.namespace);
            super::delete_all(&self.runtime, &root, &self.dir);
            let _ = self.ctr_run(&["task", "delete", &id], CLEANUP_TIMEOUT);
            let _ = self.ctr_run(&["container", "delete", &id], CLEANUP_TIMEOUT);
        }
        let _ = self.ctr_run(&["image", "remove", IMAGE], CLEANUP_TIMEOUT);
        remove_cgroups(&self.namespace);
        if let Some(mut child) = self.child.take() {
            let pid = Pid::from_raw(child.id() as i32);
            let _ = kill(pid, Signal::SIGTERM);
            let deadline = Instant::now() + Duration::from_secs(10);
            while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.cleanup();
    }
}

/// Removes the cgroup the shim's default `cgroupsPath` (`/NAMESPACE/ID`)
/// made runsc create in each hierarchy: runsc removes the container's own
/// cgroup but leaves the namespace's, empty, behind. Only empty cgroups can
/// be removed, so nothing in use is touched.
fn remove_cgroups(namespace: &str) {
    let base = Path::new("/sys/fs/cgroup");
    let _ = std::fs::remove_dir(base.join(namespace));
    if let Ok(hierarchies) = std::fs::read_dir(base) {
        for hierarchy in hierarchies.flatten() {
            let _ = std::fs::remove_dir(hierarchy.path().join(namespace));
        }
    }
}

/// The STATUS column of `ctr task ls` for `id`.
fn task_status(listing: &str, id: &str) -> Option<String> {
    listing.lines().skip(1).find_map(|line| {
        let mut columns = line.split_whitespace();
        (columns.next() == Some(id)).then(|| columns.nth(1).unwrap_or("").to_owned())
    })
}

/// Writes the image tarball with `xtask/clients/busybox_image.py`.
fn build_image(python: &Path, out: &Path, scratch: &Path) -> Result<(), String> {
    let script = workspace_root().join("xtask/clients/busybox_image.py");
    let ran = run_bounded(
        Command::new(python)
            .arg(&script)
            .arg(BUSYBOX)
            .arg(out)
            .arg(IMAGE),
        scratch,
        STEP_TIMEOUT,
    )?;
    if ran.code != Some(0) {
        return Err(format!(
            "{} failed: {}",
            script.display(),
            ran.stderr.trim()
        ));
    }
    Ok(())
}

fn result_of(step: &str, ran: &Ran, with_stderr: bool) -> StepResult {
    StepResult {
        step: step.to_owned(),
        stdout: Some(ran.stdout.clone()),
        stderr: with_stderr.then(|| ran.stderr.clone()),
        exit: ran.code,
        error: ran
            .timed_out
            .then(|| format!("no answer within {}s", STEP_TIMEOUT.as_secs())),
        state: None,
    }
}

/// Runs the steps against `runtime` under `scratch`, with the argv of
/// every runtime call logged; everything started is removed at the end,
/// also when a step fails.
pub fn run(python: &Path, runtime: &Runtime, scratch: &Path) -> Result<Trial, String> {
    let logs = scratch.join("argv");
    let wrapper = scratch.join("runsc");
    proc::write_wrapper(&wrapper, runtime.binary(), WRAPPER_FLAGS, &logs)?;
    let tarball = scratch.join("busybox.tar");
    build_image(python, &tarball, scratch)?;
    let daemon_dir = scratch.join("containerd");
    std::fs::create_dir_all(&daemon_dir)
        .map_err(|e| format!("cannot create {}: {e}", daemon_dir.display()))?;
    let mut daemon = Daemon::start(&daemon_dir, runtime.binary())?;
    let steps = drive(&mut daemon, &wrapper, &tarball);
    daemon.cleanup();
    let namespace = daemon.namespace.clone();
    drop(daemon);
    let scratch_text = scratch.to_string_lossy().into_owned();
    let leftovers = proc::kill_leftovers(&scratch_text);
    proc::unmount_below(scratch);
    let replacements = [
        (scratch_text, "$TMP"),
        (namespace, "$NS"),
        (format!("-{}", std::process::id()), ""),
    ];
    let argv = proc::read_argv_log(&logs)?
        .iter()
        .map(|a| proc::normalise_argv(a, &replacements))
        .collect();
    Ok(Trial {
        steps: steps?
            .into_iter()
            .map(|s| s.normalised(&replacements))
            .collect(),
        argv,
        leftovers,
    })
}

fn drive(daemon: &mut Daemon, wrapper: &Path, tarball: &Path) -> Result<Vec<StepResult>, String> {
    let tarball = tarball.to_string_lossy().into_owned();
    let imported = daemon.ctr_run(
        &["image", "import", "--snapshotter", "native", &tarball],
        STEP_TIMEOUT,
    )?;
    if imported.code != Some(0) {
        return Err(format!(
            "`ctr image import` failed: {}",
            imported.stderr.trim()
        ));
    }
    let wrapper = wrapper.to_string_lossy().into_owned();
    let runc_root = daemon.runc_root.to_string_lossy().into_owned();
    let fifo_dir = daemon.dir.join("fifo").to_string_lossy().into_owned();
    let suffix = std::process::id();
    let mut steps = Vec::new();

    // The shim adds `--systemd-cgroup` to runsc's flags when asked to.
    let systemd_cgroup = format!("system.slice:xtask-clients:systemd-{suffix}");
    let one_shot: [(&str, &str, &[&str], &[&str]); 5] = [
        ("run cat /etc/motd", "motd", &[], &["cat", "/etc/motd"]),
        ("run --cwd /etc pwd", "pwd", &["--cwd", "/etc"], &["pwd"]),
        (
            "run --env FOO=bar sh -c 'echo $FOO'",
            "env",
            &["--env", "FOO=bar"],
            &["sh", "-c", "echo $FOO"],
        ),
        ("run sh -c 'exit 7'", "exit", &[], &["sh", "-c", "exit 7"]),
        (
            "run --runc-systemd-cgroup echo hi",
            "systemd",
            &["--runc-systemd-cgroup", "--cgroup", &systemd_cgroup],
            &["echo", "hi"],
        ),
    ];
    for (step, name, flags, command) in one_shot {
        let id = format!("{name}-{suffix}");
        daemon.containers.push(id.clone());
        let mut args = vec![
            "run",
            "--rm",
            "--snapshotter",
            "native",
            "--runc-binary",
            &wrapper,
            "--runc-root",
            &runc_root,
            "--fifo-dir",
            &fifo_dir,
        ];
        args.extend_from_slice(flags);
        args.extend([IMAGE, id.as_str()]);
        args.extend_from_slice(command);
        let ran = daemon.ctr_run(&args, STEP_TIMEOUT)?;
        steps.push(result_of(step, &ran, false));
    }

    let id = format!("long-{suffix}");
    daemon.containers.push(id.clone());
    let ran = daemon.ctr_run(
        &[
            "run",
            "--detach",
            "--snapshotter",
            "native",
            "--runc-binary",
            &wrapper,
            "--runc-root",
            &runc_root,
            "--fifo-dir",
            &fifo_dir,
            "--env",
            "FOO=bar",
            IMAGE,
            &id,
            "sleep",
            "1000",
        ],
        STEP_TIMEOUT,
    )?;
    let mut step = result_of("run --detach sleep 1000", &ran, false);
    step.state = Some(daemon.status(&id)?);
    steps.push(step);

    let exec: [(&str, &str, Option<&str>, &[&str]); 3] = [
        (
            "exec --cwd /tmp sh -c 'echo $FOO; pwd'",
            "e1",
            Some("/tmp"),
            &["sh", "-c", "echo $FOO; pwd"],
        ),
        ("exec sh -c 'exit 3'", "e2", None, &["sh", "-c", "exit 3"]),
        ("exec /no/such/binary", "e3", None, &["/no/such/binary"]),
    ];
    for (step, exec_id, cwd, command) in exec {
        let mut args = vec![
            "task",
            "exec",
            "--exec-id",
            exec_id,
            "--fifo-dir",
            &fifo_dir,
        ];
        if let Some(cwd) = cwd {
            args.extend(["--cwd", cwd]);
        }
        args.push(&id);
        args.extend_from_slice(command);
        let ran = daemon.ctr_run(&args, STEP_TIMEOUT)?;
        // Only a failed exec's message is runsc's own wording.
        steps.push(result_of(step, &ran, exec_id == "e3"));
    }

    for (step, verb) in [("pause", "pause"), ("resume", "resume")] {
        let ran = daemon.ctr_run(&["task", verb, &id], STEP_TIMEOUT)?;
        let mut result = result_of(step, &ran, false);
        result.state = Some(daemon.status(&id)?);
        steps.push(result);
    }
    let ran = daemon.ctr_run(
        &[
            "task",
            "exec",
            "--exec-id",
            "e4",
            "--fifo-dir",
            &fifo_dir,
            &id,
            "echo",
            "resumed",
        ],
        STEP_TIMEOUT,
    )?;
    steps.push(result_of("exec after resume", &ran, false));

    // runsc lists the sandbox's own pids and the fake the host's: only the
    // number of processes is comparable.
    let ran = daemon.ctr_run(&["task", "ps", &id], STEP_TIMEOUT)?;
    let mut result = result_of("ps (process count)", &ran, false);
    if ran.code == Some(0) {
        result.stdout = Some(format!("{}\n", ran.stdout.lines().skip(1).count()));
    }
    steps.push(result);

    let ran = daemon.ctr_run(&["task", "kill", "--signal", "KILL", &id], STEP_TIMEOUT)?;
    let mut result = result_of("kill -s KILL", &ran, false);
    // The kill is asynchronous: the shim reports the exit when it reaps.
    let deadline = Instant::now() + STEP_TIMEOUT;
    let mut status = daemon.status(&id)?;
    while status == "RUNNING" && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        status = daemon.status(&id)?;
    }
    result.state = Some(status);
    steps.push(result);

    let ran = daemon.ctr_run(&["task", "delete", &id], STEP_TIMEOUT)?;
    let mut result = result_of("task delete", &ran, false);
    // ctr prints the exit status on stderr with a timestamp; the state
    // after the call is what counts.
    result.stdout = None;
    result.state = Some(daemon.status(&id)?);
    steps.push(result);

    let ran = daemon.ctr_run(&["container", "delete", &id], STEP_TIMEOUT)?;
    let mut result = result_of("container delete", &ran, false);
    let listed = daemon.ctr_run(&["container", "ls", "--quiet"], STEP_TIMEOUT)?;
    result.state = Some(if listed.stdout.lines().any(|l| l == id) {
        "present".to_owned()
    } else {
        "absent".to_owned()
    });
    steps.push(result);
    Ok(steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_column_is_read_for_the_named_task_only() {
        let listing = "TASK      PID      STATUS    \nlong-1    31561    PAUSED\nlong-10   31600    RUNNING\n";
        assert_eq!(task_status(listing, "long-1").as_deref(), Some("PAUSED"));
        assert_eq!(task_status(listing, "long-10").as_deref(), Some("RUNNING"));
        assert_eq!(task_status(listing, "long"), None);
        assert_eq!(task_status("TASK PID STATUS\n", "long-1"), None);
    }
}
