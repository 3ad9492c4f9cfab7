//! The orchestrator a user of the client writes: run a job in a container
//! and collect its exit status, with the `wait` in the background as the
//! client's docs advise (it returns when the container's init exits).

use std::path::Path;

use runsc::cli::ContainerId;
use runsc::oci_spec::runtime::{Process, ProcessBuilder};
use runsc::{CreateOpts, DeleteOpts, ExecOpts, ExecOutcome, KillOpts, Runsc, WaitOpts};

/// What the job saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobReport {
    /// The exec'd command's exit status.
    pub exec_status: i32,
    /// The container's exit status, as `wait` reported it.
    pub container_status: i32,
}

/// Why the job failed: the step and the client's error.
#[derive(Debug)]
pub struct JobError {
    /// Which call failed.
    pub step: &'static str,
    /// What the client said.
    pub error: String,
}

impl std::fmt::Display for JobError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} failed: {}", self.step, self.error)
    }
}

impl std::error::Error for JobError {}

fn step(step: &'static str) -> impl FnOnce(runsc::Error) -> JobError {
    move |e| JobError {
        step,
        error: e.to_string(),
    }
}

/// The process `exec` runs.
pub fn true_process() -> Process {
    ProcessBuilder::default()
        .terminal(false)
        .args(vec!["true".to_owned()])
        .env(vec!["PATH=/usr/bin:/bin".to_owned()])
        .cwd("/")
        .build()
        .unwrap_or_default()
}

/// create, start, a background `wait`, exec, kill, the wait's result, delete.
pub async fn run_job(
    runsc: &Runsc,
    id: &ContainerId,
    bundle: &Path,
) -> Result<JobReport, JobError> {
    runsc
        .create(id, bundle, &CreateOpts::default())
        .await
        .map_err(step("create"))?;
    runsc.start(id, None).await.map_err(step("start"))?;
    let waiter = {
        let runsc = runsc.clone();
        let id = id.clone();
        tokio::spawn(async move { runsc.wait(&id, &WaitOpts::default()).await })
    };
    let exec = runsc
        .exec(id, &true_process(), &ExecOpts::default())
        .await
        .map_err(step("exec"));
    let exec_status = match exec {
        Ok(ExecOutcome::Exited(exit)) => exit.code,
        Ok(other) => {
            return Err(JobError {
                step: "exec",
                error: format!("expected the process to run to its end, got {other:?}"),
            })
        }
        Err(e) => return Err(e),
    };
    runsc
        .kill(id, kill_signal(), &KillOpts::default())
        .await
        .map_err(step("kill"))?;
    let waited = waiter
        .await
        .map_err(|e| JobError {
            step: "wait",
            error: e.to_string(),
        })?
        .map_err(step("wait"))?;
    runsc
        .delete(id, &DeleteOpts::default())
        .await
        .map_err(step("delete"))?;
    Ok(JobReport {
        exec_status,
        container_status: waited.exit_status,
    })
}

/// The client names the signal as runsc reads it.
fn kill_signal() -> runsc::cli::Signal {
    runsc::cli::Signal::Name("KILL".to_owned())
}
