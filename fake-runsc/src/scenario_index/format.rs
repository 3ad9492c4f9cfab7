//! The index's layout: building it from a scenario's text, and reading it
//! back with every offset checked, so that nothing read from it can point
//! outside it. All little-endian:
//!
//! ```text
//! magic         8 bytes
//! stamp         7 × u64
//! release       u32 length (u32::MAX: none), UTF-8
//! steps         u32 n
//! commands      u32 count, each u32 length + UTF-8
//! records       n × 28 bytes: offset u64, length u32, command u32, min u32,
//!               max u32, flags u8, lane class u8, 2 bytes of padding
//! exact ids     table: u32 count, count × (key offset u32, key length u32,
//!               step u32) sorted by key then step, u32 length + key bytes
//! references    table, as exact ids, keyed by capture name
//! any id        u32 count, count × step u32 (`Always` and `Other` steps)
//! list          u32 count, count × step u32
//! ```
//!
//! Change [`MAGIC`] with the layout.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::decide::{Candidate, StepHead};
use crate::matching::{loosely_equal, Captures, LaneClass};
use crate::scenario::{Scenario, Step, VERSION};

/// What identifies one version of the scenario file: device, inode, size,
/// mtime and ctime (seconds and nanoseconds).
pub(super) type Stamp = [u64; 7];

/// The index's first bytes, naming its layout.
const MAGIC: &[u8; 8] = b"FRSIDX\x00\x01";
const RECORD: usize = 28;
const ENTRY: usize = 12;
const NONE: u32 = u32::MAX;
const UNORDERED: u8 = 1;
const NEVER: u8 = 2;
const HAS_MAX: u8 = 4;

/// The lane classes as stored.
const LIST: u8 = 0;
const ALWAYS: u8 = 1;
const EXACT: u8 = 2;
const REF: u8 = 3;
const OTHER: u8 = 4;

/// A keyed table's places in the index.
#[derive(Debug, Clone)]
struct Table {
    entries: Range<usize>,
    keys: Range<usize>,
}

/// Where the parts of a decoded index are.
#[derive(Debug)]
pub(super) struct Layout {
    release: Option<Range<usize>>,
    /// The scenario file's size: no step lies past it.
    size: u64,
    steps: usize,
    commands: Vec<Range<usize>>,
    records: usize,
    exact: Table,
    refs: Table,
    always: Range<usize>,
    list: Range<usize>,
}

impl Layout {
    /// The scenario's `runsc_version`, as written.
    pub(super) fn release<'b>(&self, bytes: &'b [u8]) -> Option<&'b str> {
        std::str::from_utf8(&bytes[self.release.clone()?]).ok()
    }

    /// How many steps the scenario has.
    pub(super) fn steps(&self) -> usize {
        self.steps
    }

    fn record<'b>(&self, bytes: &'b [u8], index: usize) -> Option<&'b [u8]> {
        let start = self.records + index * RECORD;
        bytes
            .get(start..start + RECORD)
            .filter(|_| index < self.steps)
    }

    /// Where step `index` is in the scenario file: offset and length;
    /// `None` when the index puts it outside the file.
    pub(super) fn place(&self, bytes: &[u8], index: usize) -> Option<(u64, usize)> {
        let record = self.record(bytes, index)?;
        let (offset, len) = (u64_at(record, 0), u32_at(record, 8));
        (offset.checked_add(u64::from(len))? <= self.size).then_some((offset, len as usize))
    }

    /// Step `index`'s head. A record the index cannot hold (a damaged
    /// index) reads as a step of no subcommand, which answers nothing.
    pub(super) fn head<'b>(&self, bytes: &'b [u8], index: usize) -> StepHead<'b> {
        let Some(record) = self.record(bytes, index) else {
            return StepHead {
                command: None,
                unordered: false,
                never: false,
                min: 0,
                max: None,
            };
        };
        let flags = record[24];
        let command = self
            .commands
            .get(u32_at(record, 12) as usize)
            .and_then(|range| bytes.get(range.clone()));
        StepHead {
            // Checked to be UTF-8 when the index was decoded.
            command: command.map(|name| std::str::from_utf8(name).unwrap_or_default()),
            unordered: flags & UNORDERED != 0,
            never: flags & NEVER != 0,
            min: u32_at(record, 16),
            max: (flags & HAS_MAX != 0).then(|| u32_at(record, 20)),
        }
    }

    /// The steps that may be in `lane`'s sequence, by ascending index.
    pub(super) fn candidates(
        &self,
        bytes: &[u8],
        lane: Option<&str>,
        captures: &Captures,
    ) -> Vec<Candidate> {
        let listed = |range: &Range<usize>| {
            bytes[range.clone()]
                .chunks_exact(4)
                .map(|b| u32_at(b, 0) as usize)
                .filter(|&index| index < self.steps)
        };
        let Some(id) = lane else {
            return listed(&self.list)
                .map(|index| Candidate {
                    index,
                    in_lane: Some(true),
                })
                .collect();
        };
        let mut out: Vec<Candidate> = listed(&self.always)
            .map(|index| Candidate {
                index,
                // `Other` steps, and any class a damaged index names, are
                // asked.
                in_lane: (self.record(bytes, index).map(|r| r[25]) == Some(ALWAYS)).then_some(true),
            })
            .collect();
        self.run(bytes, &self.exact, id.as_bytes(), &mut out);
        let id = Value::from(id);
        for (name, _) in captures.iter().filter(|(_, v)| loosely_equal(v, &id)) {
            self.run(bytes, &self.refs, name.as_bytes(), &mut out);
        }
        out.sort_unstable_by_key(|c| c.index);
        out
    }

    /// Adds the steps of a table's run for `key`, all in the lane, to
    /// `out`. Entries a damaged index cannot hold read as empty keys.
    fn run(&self, bytes: &[u8], table: &Table, key: &[u8], out: &mut Vec<Candidate>) {
        let entries = &bytes[table.entries.clone()];
        let keys = &bytes[table.keys.clone()];
        let entry = |at: usize| &entries[at * ENTRY..(at + 1) * ENTRY];
        let key_of = |at: usize| {
            let start = u32_at(entry(at), 0) as usize;
            start
                .checked_add(u32_at(entry(at), 4) as usize)
                .and_then(|end| keys.get(start..end))
                .unwrap_or_default()
        };
        let count = entries.len() / ENTRY;
        let first = partition_point(count, |at| key_of(at) < key);
        out.extend(
            (first..count)
                .take_while(|&at| key_of(at) == key)
                .map(|at| u32_at(entry(at), 8) as usize)
                .filter(|&index| index < self.steps)
                .map(|index| Candidate {
                    index,
                    in_lane: Some(true),
                }),
        );
    }
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    let mut le = [0; 8];
    le.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(le)
}

/// The first of `0..count` for which `before` is false, `before` being
/// true for a prefix.
fn partition_point(count: usize, before: impl Fn(usize) -> bool) -> usize {
    let (mut low, mut high) = (0, count);
    while low < high {
        let mid = low + (high - low) / 2;
        if before(mid) {
            low = mid + 1;
        } else {
            high = mid;
        }
    }
    low
}

/// Reads an index front to back, every length checked against what is left.
struct Reader<'b> {
    bytes: &'b [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, len: usize) -> Option<Range<usize>> {
        let end = self
            .at
            .checked_add(len)
            .filter(|&end| end <= self.bytes.len())?;
        let range = self.at..end;
        self.at = end;
        Some(range)
    }

    fn u32(&mut self) -> Option<u32> {
        let range = self.take(4)?;
        Some(u32_at(self.bytes, range.start))
    }

    fn u64(&mut self) -> Option<u64> {
        let range = self.take(8)?;
        Some(u64_at(self.bytes, range.start))
    }

    fn counted(&mut self, width: usize) -> Option<Range<usize>> {
        let count = self.u32()? as usize;
        self.take(count.checked_mul(width)?)
    }

    fn table(&mut self) -> Option<Table> {
        Some(Table {
            entries: self.counted(ENTRY)?,
            keys: self.counted(1)?,
        })
    }
}

impl Layout {
    /// Decodes an index built for `stamp`; `None` when it is for another
    /// version of the scenario or its parts do not fit it. The records and
    /// tables are checked as they are read, not here: checking them all
    /// would touch every page of a long scenario's index on every call.
    pub(super) fn decode(bytes: &[u8], stamp: Stamp) -> Option<Self> {
        let mut r = Reader { bytes, at: 0 };
        if bytes.get(r.take(MAGIC.len())?)? != MAGIC {
            return None;
        }
        for part in stamp {
            if r.u64()? != part {
                return None;
            }
        }
        let release = match r.u32()? {
            NONE => None,
            len => Some(r.take(len as usize)).flatten(),
        };
        if let Some(range) = &release {
            std::str::from_utf8(&bytes[range.clone()]).ok()?;
        }
        let steps = r.u32()? as usize;
        let commands = (0..r.u32()?)
            .map(|_| {
                let len = r.u32()? as usize;
                let range = r.take(len)?;
                std::str::from_utf8(&bytes[range.clone()]).ok()?;
                Some(range)
            })
            .collect::<Option<Vec<_>>>()?;
        let records = r.take(steps.checked_mul(RECORD)?)?;
        let layout = Self {
            release,
            size: stamp[2],
            steps,
            commands,
            records: records.start,
            exact: r.table()?,
            refs: r.table()?,
            always: r.counted(4)?,
            list: r.counted(4)?,
        };
        (r.at == bytes.len()).then_some(layout)
    }
}

/// The scenario's top level with its steps left as text.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Outline<'a> {
    version: u32,
    #[serde(default, rename = "description")]
    _description: Option<String>,
    #[serde(default)]
    runsc_version: Option<String>,
    #[serde(borrow)]
    steps: Vec<&'a RawValue>,
}

/// Builds the index of the scenario `path`, whose text is `text`; `Err`
/// says what is wrong with the scenario, in the words loading it whole
/// would use.
pub(super) fn build(text: &[u8], stamp: Stamp, path: &Path) -> Result<Vec<u8>, String> {
    // Any error is reported as reading the whole scenario reports it, with
    // its place in the file rather than in one step.
    let whole_error = |fallback: String| {
        let reason = match Scenario::from_json(text) {
            Err(e) => e,
            Ok(_) => fallback,
        };
        super::not_valid(path, &reason)
    };
    let outline: Outline = serde_json::from_slice(text).map_err(|e| whole_error(e.to_string()))?;
    if outline.version != VERSION {
        return Err(whole_error(format!(
            "unsupported scenario version {}",
            outline.version
        )));
    }
    let mut out = Vec::with_capacity(outline.steps.len() * (RECORD + 16) + 1024);
    out.extend_from_slice(MAGIC);
    for part in stamp {
        out.extend_from_slice(&part.to_le_bytes());
    }
    match &outline.runsc_version {
        Some(release) => put_bytes(&mut out, release.as_bytes())?,
        None => put_u32(&mut out, NONE),
    }
    put_u32(&mut out, len_u32(outline.steps.len())?);
    let mut commands: HashMap<String, u32> = HashMap::new();
    let mut records = Vec::with_capacity(outline.steps.len() * RECORD);
    let (mut exact, mut refs) = (Vec::new(), Vec::new());
    let (mut always, mut list) = (Vec::new(), Vec::new());
    for (index, raw) in outline.steps.iter().enumerate() {
        let step: Step = serde_json::from_str(raw.get()).map_err(|e| whole_error(e.to_string()))?;
        let Some(command) = step.command_name() else {
            return Err(super::no_command(path, &step.label(index)));
        };
        let next = len_u32(commands.len())?;
        let command = *commands.entry(command.to_owned()).or_insert(next);
        let step_index = len_u32(index)?;
        let class = match LaneClass::of(&step) {
            LaneClass::List => {
                list.push(step_index);
                LIST
            }
            LaneClass::Always => {
                always.push(step_index);
                ALWAYS
            }
            LaneClass::Other => {
                always.push(step_index);
                OTHER
            }
            LaneClass::Exact(id) => {
                exact.push((id, step_index));
                EXACT
            }
            LaneClass::Ref(name) => {
                refs.push((name, step_index));
                REF
            }
        };
        let offset = raw.get().as_ptr() as usize - text.as_ptr() as usize;
        records.extend_from_slice(&(offset as u64).to_le_bytes());
        records.extend_from_slice(&len_u32(raw.get().len())?.to_le_bytes());
        records.extend_from_slice(&command.to_le_bytes());
        records.extend_from_slice(&step.times.min().to_le_bytes());
        records.extend_from_slice(&step.times.max().unwrap_or(0).to_le_bytes());
        let flags = [
            (step.is_unordered(), UNORDERED),
            (step.times.is_never(), NEVER),
            (step.times.max().is_some(), HAS_MAX),
        ]
        .into_iter()
        .filter(|(set, _)| *set)
        .fold(0, |flags, (_, flag)| flags | flag);
        records.extend_from_slice(&[flags, class, 0, 0]);
    }
    let mut by_id: Vec<(&String, &u32)> = commands.iter().collect();
    by_id.sort_by_key(|(_, id)| **id);
    put_u32(&mut out, len_u32(by_id.len())?);
    for (name, _) in by_id {
        put_bytes(&mut out, name.as_bytes())?;
    }
    out.extend_from_slice(&records);
    put_table(&mut out, exact)?;
    put_table(&mut out, refs)?;
    for steps in [always, list] {
        put_u32(&mut out, len_u32(steps.len())?);
        for step in steps {
            put_u32(&mut out, step);
        }
    }
    Ok(out)
}

/// A count or length as the index stores it.
fn len_u32(len: usize) -> Result<u32, String> {
    u32::try_from(len)
        .ok()
        .filter(|&len| len != NONE)
        .ok_or_else(|| {
            format!(
                "it is too large to index: one of its parts counts {len} steps or bytes, over the {} the index can hold; split it",
                NONE - 1
            )
        })
}

fn put_u32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) -> Result<(), String> {
    put_u32(out, len_u32(bytes.len())?);
    out.extend_from_slice(bytes);
    Ok(())
}

fn put_table(out: &mut Vec<u8>, mut entries: Vec<(String, u32)>) -> Result<(), String> {
    entries.sort_unstable();
    let mut keys = Vec::new();
    put_u32(out, len_u32(entries.len())?);
    for (key, step) in &entries {
        put_u32(out, len_u32(keys.len())?);
        put_u32(out, len_u32(key.len())?);
        put_u32(out, *step);
        keys.extend_from_slice(key.as_bytes());
    }
    put_u32(out, len_u32(keys.len())?);
    out.extend_from_slice(&keys);
    Ok(())
}
