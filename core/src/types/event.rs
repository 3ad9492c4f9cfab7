//! One record of `runsc events`.

use serde::{Deserialize, Serialize};

use super::Stats;

/// One event as `runsc events` prints it: `{"type":...,"id":...,"data":...}`.
///
/// runsc 20221219 only ever prints `stats` events, one JSON object per line,
/// whether once (`--stats`) or every `--interval` seconds. `type` and `id`
/// are required; `data` is decoded as [`Stats`] when present, and since
/// every field of [`Stats`] is optional, the `data` of another event type
/// decodes as long as it is an object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// The event type ("stats").
    #[serde(rename = "type")]
    pub r#type: String,
    /// The container id.
    pub id: String,
    /// The statistics carried by a `stats` event (json `data`).
    #[serde(rename = "data", default, skip_serializing_if = "Option::is_none")]
    pub stats: Option<Stats>,
}

impl Event {
    /// The `type` of the events that carry statistics.
    pub const STATS: &'static str = "stats";

    /// Whether this is a `stats` event.
    pub fn is_stats(&self) -> bool {
        self.r#type == Self::STATS
    }
}
