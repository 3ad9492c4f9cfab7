//! Figure 3: what the client adds to one call. `state` (and `ps`) through
//! the `runsc` client, against a bare tokio spawn + wait + serde decode of
//! the same fake call, and the same calls through the `runc` crate.

use std::cell::RefCell;
use std::ffi::OsString;
use std::path::Path;
use std::process::Stdio;

use runsc::cli::ContainerId;
use runsc::types::Container;

use crate::harness::{fmt_duration, interleaved, ratio, Samples, Variant};
use crate::lifecycle::{client, runtime};
use crate::report::{Report, Row, Verdict};
use crate::setup::Fixture;
use crate::Config;

async fn bare_output(program: &Path, args: &[OsString]) -> Result<Vec<u8>, String> {
    let output = tokio::process::Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(|e| format!("cannot spawn {}: {e}", program.display()))?;
    if output.status.success() {
        Ok(output.stdout)
    } else {
        Err(format!("{} failed: {}", program.display(), output.status))
    }
}

/// Measures figure 3 and adds its rows to `report`.
pub fn figure(config: &Config, report: &mut Report) -> Result<(), String> {
    let rt = runtime()?;
    let fixture = Fixture::new()?;
    let sim = fixture.simulator("overhead")?;
    let id = sim.start_container(&config.fake, "overhead-1")?;
    let result = measure(
        config,
        &rt,
        &sim.root,
        &id,
        sim.args(&["state", id.as_str()]),
        sim.args(&["ps", "--format=json", id.as_str()]),
        report,
    );
    let cleanup = sim.delete_container(&config.fake, &id);
    result.and(cleanup)
}

fn measure(
    config: &Config,
    rt: &tokio::runtime::Runtime,
    root: &Path,
    id: &ContainerId,
    state_args: Vec<OsString>,
    ps_args: Vec<OsString>,
    report: &mut Report,
) -> Result<(), String> {
    let ours = client(&config.fake, root)?;
    let peer = runc::options::GlobalOpts::new()
        .command(&config.fake)
        .root(root)
        .build()
        .map_err(|e| format!("cannot build the runc crate's client: {e}"))?;
    let peer_state_error: RefCell<Option<String>> = RefCell::new(None);
    let peer_ps_error: RefCell<Option<String>> = RefCell::new(None);

    let mut variants = [
        Variant::new("client state", || {
            let state = rt.block_on(ours.state(id)).map_err(|e| e.to_string())?;
            check_state(&state, id)
        }),
        Variant::new("bare state", || {
            let stdout = rt.block_on(bare_output(&config.fake, &state_args))?;
            let state: Container =
                serde_json::from_slice(&stdout).map_err(|e| format!("decode: {e}"))?;
            check_state(&state, id)
        }),
        Variant::new("runc crate state", || {
            // The peer's failures are part of the finding, not a reason to stop.
            if let Err(e) = rt.block_on(peer.state(id.as_str())) {
                peer_state_error.borrow_mut().get_or_insert(e.to_string());
            }
            Ok(())
        }),
        Variant::new("client ps", || {
            let pids = rt.block_on(ours.ps(id)).map_err(|e| e.to_string())?;
            non_empty(pids.len())
        }),
        Variant::new("bare ps", || {
            let stdout = rt.block_on(bare_output(&config.fake, &ps_args))?;
            let pids: Vec<u32> =
                serde_json::from_slice(&stdout).map_err(|e| format!("decode: {e}"))?;
            non_empty(pids.len())
        }),
        Variant::new("runc crate ps", || {
            match rt.block_on(peer.ps(id.as_str())) {
                Ok(pids) if pids.is_empty() => {
                    peer_ps_error.borrow_mut().get_or_insert("no pids".into());
                }
                Ok(_) => {}
                Err(e) => {
                    peer_ps_error.borrow_mut().get_or_insert(e.to_string());
                }
            }
            Ok(())
        }),
    ];
    let s = interleaved(config.spawn_warmup, config.overhead_rounds, &mut variants)?;
    drop(variants);

    rows(
        report,
        "state",
        &s[0],
        &s[1],
        &s[2],
        peer_state_error.into_inner(),
    );
    rows(
        report,
        "ps --format=json",
        &s[3],
        &s[4],
        &s[5],
        peer_ps_error.into_inner(),
    );
    Ok(())
}

fn rows(
    report: &mut Report,
    call: &str,
    ours: &Samples,
    bare: &Samples,
    peer: &Samples,
    peer_error: Option<String>,
) {
    let r = ratio(ours.median(), bare.median());
    report.row(Row {
        figure: 3,
        what: format!("one `{call}` through the runsc client (simulator)"),
        value: fmt_duration(ours.median()),
        baseline: format!(
            "bare tokio spawn + wait + serde: {}",
            fmt_duration(bare.median())
        ),
        ratio: format!("{r:.2}×"),
        target: "≤ 1.2×".into(),
        verdict: Verdict::from_bool(r <= 1.2),
    });
    let peer_ratio = ratio(peer.median(), bare.median());
    let (value, verdict_note) = match &peer_error {
        Some(e) => (
            format!("{} (fails: {e})", fmt_duration(peer.median())),
            "it cannot decode runsc's output",
        ),
        None => (fmt_duration(peer.median()), "for comparison"),
    };
    report.row(Row {
        figure: 3,
        what: format!("one `{call}` through the runc crate 0.4 (same fake)"),
        value,
        baseline: format!(
            "bare tokio spawn + wait + serde: {}",
            fmt_duration(bare.median())
        ),
        ratio: format!("{peer_ratio:.2}×"),
        target: format!("– ({verdict_note})"),
        verdict: Verdict::NotApplicable,
    });
}

fn check_state(state: &Container, id: &ContainerId) -> Result<(), String> {
    if state.id == id.as_str() {
        Ok(())
    } else {
        Err(format!("state answered for {:?}, wanted {id}", state.id))
    }
}

fn non_empty(count: usize) -> Result<(), String> {
    if count == 0 {
        Err("ps listed no processes in a running container".into())
    } else {
        Ok(())
    }
}
