//! runsc 20221219's output formats, byte for byte: `state` (indented, no
//! trailing newline), `list` (compact JSON array or `null`; a Go tabwriter
//! table), `ps` (pids as JSON; a tabwriter table), `events` stats lines and
//! `wait` results.
//!
//! What newer releases change here is read from their source and no
//! recording confirms it: 20260817's `state` ends with a newline, `state`
//! and `list` report the release's runtime-spec version
//! ([`crate::argv::spec_version`]), its `ps` table has a PGID
//! column, and since 20240422 stats carry `network_interfaces`.

use runsc::cli::Release;
use runsc::types::{self, encode};

use super::clock;
use super::store::{Entry, Status};

/// A container's state as `release` reports it.
fn container_for(release: Release, entry: &Entry, status: Status) -> types::Container {
    let mut state = container(entry, status);
    crate::argv::spec_version(release).clone_into(&mut state.oci_version);
    state
}

/// The state runsc reports; annotations never appear in it, and a stopped
/// container's pid is -1.
fn container(entry: &Entry, status: Status) -> types::Container {
    let pid = match (status, entry.init.host) {
        (Status::Stopped, _) | (_, None) => -1,
        (_, Some(host)) => host.pid,
    };
    types::Container {
        oci_version: crate::argv::spec_version(Release::RECORDED).to_owned(),
        id: entry.id.clone(),
        status: types::Status::from_word(status.as_str()),
        pid,
        bundle: entry.bundle.to_string_lossy().into_owned(),
        annotations: Default::default(),
        rootfs: None,
        created: None,
    }
}

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8_lossy(&bytes).into_owned()
}

/// `runsc state`: indented by two spaces, no trailing newline (20260817
/// prints one: it encodes with `json.Encoder`, per its source).
pub fn state_json(release: Release, entry: &Entry, status: Status) -> String {
    let mut json = text(encode::encode_state(&container_for(release, entry, status)));
    if release >= Release::R20260817 {
        json.push('\n');
    }
    json
}

/// `runsc list --format=json`: a compact array, `null` when empty, then a newline.
pub fn list_json(release: Release, entries: &[(Entry, Status)]) -> String {
    let states: Vec<types::Container> = entries
        .iter()
        .map(|(e, s)| container_for(release, e, *s))
        .collect();
    text(encode::encode_list(&states))
}

/// `runsc list`: `tabwriter.NewWriter(os.Stdout, 12, 1, 3, ' ', 0)`.
pub fn list_text(entries: &[(Entry, Status)]) -> String {
    let mut rows = vec![["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]
        .map(str::to_owned)
        .to_vec()];
    for (entry, status) in entries {
        let state = container(entry, *status);
        rows.push(vec![
            entry.id.clone(),
            state.pid.to_string(),
            status.as_str().to_owned(),
            state.bundle,
            clock::rfc3339_nano(entry.created_nanos),
            String::new(),
        ]);
    }
    tabwriter(&rows, 12, 3)
        .into_iter()
        .map(|line| line + "\n")
        .collect()
}

/// `runsc list --quiet`: one id a line.
pub fn list_quiet(entries: &[(Entry, Status)]) -> String {
    entries.iter().map(|(e, _)| format!("{}\n", e.id)).collect()
}

/// One row of `ps`.
pub struct PsRow {
    /// Pid inside the sandbox.
    pub pid: i32,
    /// Its process group: the pid of the container's init or of the `exec`
    /// that started it.
    pub pgid: i32,
    /// Start time, nanoseconds since the epoch.
    pub started_nanos: u128,
    /// `argv[0]`.
    pub command: String,
}

/// `runsc ps --format=json`: the pids.
pub fn ps_json(rows: &[PsRow]) -> String {
    let pids: Vec<i32> = rows.iter().map(|r| r.pid).collect();
    text(encode::encode_pids(&pids))
}

/// `runsc ps`: gVisor's `ProcessListToTable` (tabwriter 10, 1, 3), then a
/// newline; 20260817 adds PGID after PPID (from its source).
pub fn ps_table(release: Release, rows: &[PsRow]) -> String {
    let pgid = release >= Release::R20260817;
    let mut header = vec!["UID", "PID", "PPID"];
    header.extend(pgid.then_some("PGID"));
    header.extend(["C", "TTY", "STIME", "TIME", "CMD"]);
    let mut table = vec![header.into_iter().map(str::to_owned).collect::<Vec<_>>()];
    for row in rows {
        let cmd = row
            .command
            .rsplit('/')
            .next()
            .unwrap_or(&row.command)
            .to_owned();
        let mut line = vec!["0".to_owned(), row.pid.to_string(), "0".to_owned()];
        line.extend(pgid.then(|| row.pgid.to_string()));
        line.extend([
            "0".to_owned(),
            "?".to_owned(),
            clock::hour_minute(row.started_nanos),
            "0s".to_owned(),
            cmd,
        ]);
        table.push(line);
    }
    tabwriter(&table, 10, 3).join("\n") + "\n"
}

/// Go's `text/tabwriter` with padding character ' ' and no flags: every cell
/// but a line's last is padded to its column's width, which is the widest
/// cell plus `padding`, at least `min_width`.
fn tabwriter(rows: &[Vec<String>], min_width: usize, padding: usize) -> Vec<String> {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![min_width; columns];
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(row.len().saturating_sub(1)) {
            widths[i] = widths[i].max(cell.chars().count() + padding);
        }
    }
    rows.iter()
        .map(|row| {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate() {
                line.push_str(cell);
                if i + 1 < row.len() {
                    let pad = widths[i].saturating_sub(cell.chars().count());
                    line.extend(std::iter::repeat(' ').take(pad));
                }
            }
            line
        })
        .collect()
}

/// One `events` stats line for a container with `processes` live processes
/// whose init has run for `running_nanos` (simulated figures in the ranges
/// real runsc shows for an idle container).
pub fn stats_line(release: Release, id: &str, processes: u64, running_nanos: u128) -> String {
    let cpu = 90_000_000 + u64::try_from(running_nanos / 1000).unwrap_or(u64::MAX / 2);
    let mut stats = types::Stats::default();
    stats.cpu.usage.total = cpu;
    stats.memory.usage.usage = 2_240_512 + 163_840 * processes.saturating_sub(1);
    stats.pids.current = processes;
    stats_event(release, id, stats)
}

/// One `events` stats line with figures measured from `/proc` for a
/// container whose processes run for real.
pub fn real_stats_line(
    release: Release,
    id: &str,
    cpu_nanos: u64,
    memory_bytes: u64,
    pids: u64,
) -> String {
    let mut stats = types::Stats::default();
    stats.cpu.usage.total = cpu_nanos;
    stats.memory.usage.usage = memory_bytes;
    stats.pids.current = pids;
    stats_event(release, id, stats)
}

/// The stats event as `release` prints it: since 20240422 with the
/// sandbox's loopback, idle, as `network_interfaces` (keyed as Go prints an
/// untagged struct, which core's type does not model).
fn stats_event(release: Release, id: &str, stats: types::Stats) -> String {
    let line = text(encode::encode_event(&types::Event {
        r#type: types::Event::STATS.to_owned(),
        id: id.to_owned(),
        stats: Some(stats),
    }));
    match line.strip_suffix("}}\n") {
        Some(head) if release >= Release::R20241021 => format!(
            "{head},\"network_interfaces\":[{{\"Name\":\"lo\",\"RxBytes\":0,\"RxPackets\":0,\"RxErrors\":0,\"RxDropped\":0,\"TxBytes\":0,\"TxPackets\":0,\"TxErrors\":0,\"TxDropped\":0}}]}}}}\n"
        ),
        _ => line,
    }
}

/// `runsc wait`: `{"id":"ID","exitStatus":N}` and a newline.
pub fn wait_json(id: &str, status: i32) -> String {
    text(encode::encode_wait(&types::WaitResult {
        id: id.to_owned(),
        exit_status: status,
    }))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::super::store::{HostProcess, Process};
    use super::*;

    fn entry(id: &str, bundle: &str) -> Entry {
        Entry {
            id: id.to_owned(),
            bundle: bundle.into(),
            rootfs: "/".into(),
            annotations: BTreeMap::new(),
            path_env: None,
            created_nanos: 1_795_886_568_130_577_829,
            status: Status::Running,
            init: Process {
                pid: 1,
                args: vec!["sleep".into()],
                host: Some(HostProcess {
                    pid: 5119,
                    start_time: 1,
                }),
                started_nanos: 1_795_886_568_130_577_829,
                pending_signals: vec![],
                exit_status: None,
                children: vec![],
            },
            execs: vec![],
            next_pid: 2,
            real: false,
        }
    }

    #[test]
    fn state_matches_runsc_bytes() {
        let e = entry("c1", "/b");
        assert_eq!(
            state_json(Release::R20221219, &e, Status::Created),
            "{\n  \"ociVersion\": \"1.0.2-dev\",\n  \"id\": \"c1\",\n  \"status\": \"created\",\n  \"pid\": 5119,\n  \"bundle\": \"/b\"\n}"
        );
        assert!(state_json(Release::R20221219, &e, Status::Stopped).contains("\"pid\": -1,"));
        let newer = state_json(Release::R20260817, &e, Status::Created);
        assert!(
            newer.starts_with("{\n  \"ociVersion\": \"1.2.1\",\n"),
            "{newer}"
        );
        assert!(newer.ends_with("\"bundle\": \"/b\"\n}\n"), "{newer}");
    }

    #[test]
    fn list_matches_runsc_bytes() {
        assert_eq!(list_json(Release::R20221219, &[]), "null\n");
        assert_eq!(
            list_text(&[]),
            "ID          PID         STATUS      BUNDLE      CREATED     OWNER\n"
        );
        let rows = [(entry("abc", "/bundle/x"), Status::Created)];
        assert_eq!(
            list_json(Release::R20221219, &rows),
            "[{\"ociVersion\":\"1.0.2-dev\",\"id\":\"abc\",\"status\":\"created\",\"pid\":5119,\"bundle\":\"/bundle/x\"}]\n"
        );
        assert_eq!(
            list_text(&rows),
            "ID          PID         STATUS      BUNDLE      CREATED                          OWNER\n\
             abc         5119        created     /bundle/x   2026-11-28T17:22:48.130577829Z   \n"
        );
    }

    #[test]
    fn ps_matches_runsc_bytes() {
        let rows = [
            PsRow {
                pid: 1,
                pgid: 1,
                started_nanos: 1_795_886_568_130_577_829,
                command: "/bin/sleep".into(),
            },
            PsRow {
                pid: 4,
                pgid: 4,
                started_nanos: 1_795_886_568_130_577_829,
                command: "sleep".into(),
            },
        ];
        assert_eq!(ps_json(&rows), "[1,4]\n");
        assert_eq!(
            ps_table(Release::R20221219, &rows),
            "UID       PID       PPID      C         TTY       STIME     TIME      CMD\n\
             0         1         0         0         ?         17:22     0s        sleep\n\
             0         4         0         0         ?         17:22     0s        sleep\n"
        );
        assert_eq!(
            ps_table(Release::R20221219, &[]),
            "UID       PID       PPID      C         TTY       STIME     TIME      CMD\n"
        );
        assert_eq!(
            ps_table(Release::R20260817, &rows),
            "UID       PID       PPID      PGID      C         TTY       STIME     TIME      CMD\n\
             0         1         0         1         0         ?         17:22     0s        sleep\n\
             0         4         0         4         0         ?         17:22     0s        sleep\n"
        );
    }

    #[test]
    fn stats_and_wait_match_runsc_shapes() {
        let line = stats_line(Release::R20221219, "c1", 1, 0);
        assert_eq!(
            line,
            "{\"type\":\"stats\",\"id\":\"c1\",\"data\":{\"cpu\":{\"usage\":{\"total\":90000000}},\"memory\":{\"usage\":{\"limit\":0,\"usage\":2240512,\"failcnt\":0},\"swap\":{\"limit\":0,\"failcnt\":0},\"kernel\":{\"limit\":0,\"failcnt\":0},\"kernelTCP\":{\"limit\":0,\"failcnt\":0}},\"pids\":{\"current\":1}}}\n"
        );
        let newer = stats_line(Release::R20260817, "c1", 1, 0);
        assert_eq!(
            newer,
            line.replace(
                "\"pids\":{\"current\":1}}}\n",
                "\"pids\":{\"current\":1},\"network_interfaces\":[{\"Name\":\"lo\",\"RxBytes\":0,\"RxPackets\":0,\"RxErrors\":0,\"RxDropped\":0,\"TxBytes\":0,\"TxPackets\":0,\"TxErrors\":0,\"TxDropped\":0}]}}\n"
            )
        );
        let value: serde_json::Value = serde_json::from_str(&newer).unwrap();
        assert_eq!(value["data"]["network_interfaces"][0]["Name"], "lo");
        assert_eq!(wait_json("c1", 137), "{\"id\":\"c1\",\"exitStatus\":137}\n");
    }
}
