//! Typed outputs of runsc and their decoders.
//!
//! Every type here has the shape runsc 20221219 prints (checked against
//! output recorded from it, `scenarios/real-runsc/`): decoding ignores unknown
//! fields, and serializing gives runsc's field order and omissions (with the
//! `fake` feature, `types::encode` reproduces runsc's bytes).
//!
//! | runsc command               | type                   | decoder                 |
//! |-----------------------------|------------------------|-------------------------|
//! | `state ID`                  | [`Container`]          | [`decode_state`]        |
//! | `list --format=json`        | `Option<Vec<`[`Container`]`>>` | [`decode_list`] |
//! | `events --stats ID`         | [`Stats`]              | [`decode_stats`]        |
//! | `events [--interval=N] ID`  | [`Event`] stream       | [`EventDecoder`]        |
//! | `wait ID`                   | [`WaitResult`]         | [`decode_wait`]         |
//! | `ps --format=json ID`       | [`ProcessList`]        | [`decode_ps_json`]      |
//! | `ps [--format=table] ID`    | [`TopResults`]         | [`parse_ps_output`]     |

mod container;
#[cfg(feature = "fake")]
pub mod encode;
mod event;
mod events_decoder;
mod ps;
mod stats;
mod wait;

pub use container::{Container, Status};
pub use event::Event;
pub use events_decoder::EventDecoder;
pub use ps::{parse_ps_output, ProcessList, TopResults};
pub use stats::{
    Blkio, BlkioEntry, Cpu, CpuUsage, Hugetlb, Memory, MemoryEntry, NetworkInterface, Pids, Stats,
    Throttling,
};
pub use wait::WaitResult;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};

/// Decodes `runsc state ID`.
pub fn decode_state(bytes: &[u8]) -> Result<Container, serde_json::Error> {
    serde_json::from_slice(bytes)
}

/// Decodes `runsc list --format=json`: `None` for `null`, which runsc
/// prints when the root holds no containers, `Some` for a JSON array
/// (also `[]`).
pub fn decode_list(bytes: &[u8]) -> Result<Option<Vec<Container>>, serde_json::Error> {
    serde_json::from_slice(bytes)
}

/// Decodes `runsc wait ID` (also with `--pid` or `--rootpid`).
pub fn decode_wait(bytes: &[u8]) -> Result<WaitResult, serde_json::Error> {
    serde_json::from_slice(bytes)
}

/// Decodes `runsc ps --format=json ID`; `null` reads as no processes.
pub fn decode_ps_json(bytes: &[u8]) -> Result<ProcessList, serde_json::Error> {
    let pids: Option<ProcessList> = serde_json::from_slice(bytes)?;
    Ok(pids.unwrap_or_default())
}

/// Decodes `runsc events --stats ID`: one `stats` event, of which the
/// statistics are returned. Another event type, or a stats event without
/// `data`, is an error naming what came instead.
pub fn decode_stats(bytes: &[u8]) -> Result<Stats, serde_json::Error> {
    let event: Event = serde_json::from_slice(bytes)?;
    if !event.is_stats() {
        return Err(serde_json::Error::custom(format!(
            "expected a {:?} event, got type {:?}",
            Event::STATS,
            event.r#type
        )));
    }
    event.stats.ok_or_else(|| {
        serde_json::Error::custom("the stats event has no \"data\": runsc printed no statistics")
    })
}

/// Reads `null` as the default value, as Go's decoder leaves a field at its
/// zero value for `null`.
pub(crate) fn null_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}
