//! Resource statistics, the `data` of a `stats` event.
//!
//! runsc 20221219 prints `cpu`, `memory` and `pids` only (its `boot.Stats`,
//! a copy of runc's event types). go-runc's `Stats` also has `blkio` and
//! `hugetlb`, and runc adds `network_interfaces`; those are optional here so
//! that output of other runtimes, or of a later runsc, decodes too.
//!
//! Every field has a default and unknown fields are ignored, so partial
//! output decodes. Serializing follows runsc's Go struct tags exactly: the
//! fields runsc tags `omitempty` are left out when zero, nested structs are
//! always printed, and the optional sections are printed only when present.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::null_default;

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Statistics of one container.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// CPU time used.
    #[serde(default, deserialize_with = "null_default")]
    pub cpu: Cpu,
    /// Memory use.
    #[serde(default, deserialize_with = "null_default")]
    pub memory: Memory,
    /// Number of tasks.
    #[serde(default, deserialize_with = "null_default")]
    pub pids: Pids,
    /// Block I/O; runsc does not report it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blkio: Option<Blkio>,
    /// Huge page use by page size; runsc does not report it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hugetlb: Option<BTreeMap<String, Hugetlb>>,
    /// Per-interface network counters (runc's `network_interfaces`); runsc
    /// 20221219 does not report them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_interfaces: Option<Vec<NetworkInterface>>,
}

/// CPU statistics.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cpu {
    /// CPU time used.
    #[serde(default, deserialize_with = "null_default")]
    pub usage: CpuUsage,
    /// CFS throttling (go-runc's shape); runsc does not report it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throttling: Option<Throttling>,
}

/// CPU time, in nanoseconds. runsc fills in only `total`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpuUsage {
    /// Time spent in the kernel.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub kernel: u64,
    /// Time spent in user space.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub user: u64,
    /// Total time.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub total: u64,
    /// Total time per CPU.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub percpu: Vec<u64>,
}

/// CFS throttling counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Throttling {
    /// Enforcement periods elapsed.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub periods: u64,
    /// Periods in which the group was throttled.
    #[serde(rename = "throttledPeriods", default, skip_serializing_if = "is_zero")]
    pub throttled_periods: u64,
    /// Total time throttled, in nanoseconds.
    #[serde(rename = "throttledTime", default, skip_serializing_if = "is_zero")]
    pub throttled_time: u64,
}

/// Memory statistics. runsc fills in only `usage.usage`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Memory {
    /// Page cache, in bytes.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cache: u64,
    /// Memory use.
    #[serde(default, deserialize_with = "null_default")]
    pub usage: MemoryEntry,
    /// Swap use.
    #[serde(default, deserialize_with = "null_default")]
    pub swap: MemoryEntry,
    /// Kernel memory use.
    #[serde(default, deserialize_with = "null_default")]
    pub kernel: MemoryEntry,
    /// Kernel TCP buffer use.
    #[serde(rename = "kernelTCP", default, deserialize_with = "null_default")]
    pub kernel_tcp: MemoryEntry,
    /// Raw cgroup counters by name.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub raw: BTreeMap<String, u64>,
}

/// One kind of memory: limit, use, peak and failure count, in bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryEntry {
    /// The limit; 0 when there is none.
    #[serde(default)]
    pub limit: u64,
    /// Current use.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub usage: u64,
    /// Peak use.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub max: u64,
    /// How often the limit was hit.
    #[serde(default)]
    pub failcnt: u64,
}

/// Task counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pids {
    /// Tasks now in the container.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub current: u64,
    /// The task limit; 0 when there is none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub limit: u64,
}

/// Block I/O statistics, one list of entries per cgroup counter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blkio {
    /// Bytes transferred.
    #[serde(
        rename = "ioServiceBytesRecursive",
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub io_service_bytes_recursive: Vec<BlkioEntry>,
    /// I/O operations issued.
    #[serde(
        rename = "ioServicedRecursive",
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub io_serviced_recursive: Vec<BlkioEntry>,
    /// Operations queued (`ioQueueRecursive`, as go-runc and runc spell it).
    #[serde(
        rename = "ioQueueRecursive",
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub io_queued_recursive: Vec<BlkioEntry>,
    /// Time spent servicing operations.
    #[serde(
        rename = "ioServiceTimeRecursive",
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub io_service_time_recursive: Vec<BlkioEntry>,
    /// Time operations waited in queues.
    #[serde(
        rename = "ioWaitTimeRecursive",
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub io_wait_time_recursive: Vec<BlkioEntry>,
    /// Operations merged.
    #[serde(
        rename = "ioMergedRecursive",
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub io_merged_recursive: Vec<BlkioEntry>,
    /// Disk time.
    #[serde(
        rename = "ioTimeRecursive",
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub io_time_recursive: Vec<BlkioEntry>,
    /// Sectors transferred.
    #[serde(
        rename = "sectorsRecursive",
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub sectors_recursive: Vec<BlkioEntry>,
}

/// One block I/O counter of one device.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlkioEntry {
    /// Device major number.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub major: u64,
    /// Device minor number.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub minor: u64,
    /// Operation ("Read", "Write", ...).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub op: String,
    /// The counter's value.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub value: u64,
}

/// Huge page use for one page size.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hugetlb {
    /// Current use, in bytes.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub usage: u64,
    /// Peak use, in bytes.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub max: u64,
    /// How often the limit was hit.
    #[serde(default)]
    pub failcnt: u64,
}

/// Counters of one network interface.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkInterface {
    /// Interface name.
    #[serde(default)]
    pub name: String,
    /// Bytes received.
    #[serde(default)]
    pub rx_bytes: u64,
    /// Packets received.
    #[serde(default)]
    pub rx_packets: u64,
    /// Receive errors.
    #[serde(default)]
    pub rx_errors: u64,
    /// Received packets dropped.
    #[serde(default)]
    pub rx_dropped: u64,
    /// Bytes sent.
    #[serde(default)]
    pub tx_bytes: u64,
    /// Packets sent.
    #[serde(default)]
    pub tx_packets: u64,
    /// Send errors.
    #[serde(default)]
    pub tx_errors: u64,
    /// Sent packets dropped.
    #[serde(default)]
    pub tx_dropped: u64,
}
