//! The container's processes as `/proc` shows them: every live descendant of
//! the sandbox supervisor (it is their child subreaper, so orphans stay in
//! its tree).

use std::collections::HashMap;
use std::fs;

use serde::{Deserialize, Serialize};

/// One live process of a container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostProc {
    /// Its host pid.
    pub pid: i32,
    /// Its parent's host pid.
    pub ppid: i32,
    /// Its command line (`comm` when it has none, as for a kernel thread).
    pub cmd: String,
    /// Clock ticks it ran in user and kernel mode.
    pub cpu_ticks: u64,
    /// Its resident set, in bytes.
    pub rss_bytes: u64,
    /// Start time in clock ticks after boot.
    pub start_ticks: u64,
}

/// Figures for `events --stats`, summed over the container's processes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// CPU time used, in nanoseconds.
    pub cpu_nanos: u64,
    /// Resident memory, in bytes.
    pub memory_bytes: u64,
    /// How many processes.
    pub pids: u64,
}

struct Stat {
    ppid: i32,
    zombie: bool,
    comm: String,
    cpu_ticks: u64,
    rss_pages: u64,
    start_ticks: u64,
}

fn stat(pid: i32) -> Option<Stat> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = text.get(open + 1..close)?.to_owned();
    let rest: Vec<&str> = text.get(close + 2..)?.split(' ').collect();
    // Fields after the command, counted from 3 (state) as in proc(5).
    let field = |n: usize| rest.get(n - 3).and_then(|v| v.parse::<u64>().ok());
    Some(Stat {
        zombie: matches!(rest.first(), Some(&"Z") | Some(&"X")),
        ppid: rest.get(1)?.parse().ok()?,
        comm,
        cpu_ticks: field(14)? + field(15)?,
        start_ticks: field(22)?,
        rss_pages: field(24)?,
    })
}

/// Every live (not zombie) descendant of `ancestor`, parents before children.
pub(super) fn descendants(ancestor: i32) -> Vec<HostProc> {
    let mut children: HashMap<i32, Vec<(i32, Stat)>> = HashMap::new();
    let Ok(dir) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    for entry in dir.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse().ok()) else {
            continue;
        };
        if let Some(s) = stat(pid) {
            children.entry(s.ppid).or_default().push((pid, s));
        }
    }
    let page = page_size();
    let mut found = Vec::new();
    let mut queue = vec![ancestor];
    while let Some(parent) = queue.pop() {
        for (pid, s) in children.remove(&parent).unwrap_or_default() {
            queue.push(pid);
            if s.zombie {
                continue;
            }
            let cmdline = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let cmd = String::from_utf8_lossy(&cmdline)
                .trim_end_matches('\0')
                .replace('\0', " ");
            found.push(HostProc {
                pid,
                ppid: s.ppid,
                cmd: if cmd.is_empty() { s.comm } else { cmd },
                cpu_ticks: s.cpu_ticks,
                rss_bytes: s.rss_pages * page,
                start_ticks: s.start_ticks,
            });
        }
    }
    found
}

/// Sums figures over processes.
pub(super) fn stats(procs: &[HostProc]) -> Stats {
    let tick_nanos = 1_000_000_000 / clock_ticks();
    Stats {
        // The scheduler's own count is in nanoseconds; clock ticks (10 ms)
        // would show 0 for a process that has only started.
        cpu_nanos: procs
            .iter()
            .map(|p| run_nanos(p.pid).unwrap_or(p.cpu_ticks * tick_nanos))
            .sum(),
        memory_bytes: procs.iter().map(|p| p.rss_bytes).sum(),
        pids: procs.len() as u64,
    }
}

/// The first field of `/proc/PID/schedstat`: time spent on a cpu, in
/// nanoseconds (absent on kernels without scheduler statistics).
fn run_nanos(pid: i32) -> Option<u64> {
    fs::read_to_string(format!("/proc/{pid}/schedstat"))
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn page_size() -> u64 {
    nix::unistd::sysconf(nix::unistd::SysconfVar::PAGE_SIZE)
        .ok()
        .flatten()
        .map_or(4096, |v| v as u64)
}

fn clock_ticks() -> u64 {
    nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .filter(|v| *v > 0)
        .map_or(100, |v| v as u64)
}
