//! Figure 4: decoding throughput of `parse_ps_output` and of the events
//! stream decoder, against raw serde_json on the same data, and the decoder's
//! peak memory as the stream grows.

use std::hint::black_box;
use std::time::Duration;

use runsc::types::{parse_ps_output, Event, EventDecoder};

use crate::alloc;
use crate::harness::{fmt_duration, interleaved, ratio, Variant};
use crate::report::{Row, Verdict};
use crate::Config;

/// One stats event as runsc 20221219 prints it (one JSON object per line),
/// with counters that vary so no two lines are equal.
fn event_line(i: usize, out: &mut Vec<u8>) {
    use std::io::Write as _;
    let _ = writeln!(
        out,
        r#"{{"type":"stats","id":"bench-{}","data":{{"cpu":{{"usage":{{"total":{},"kernel":{},"user":{},"percpu":[{},{}]}}}},"memory":{{"usage":{{"limit":0,"usage":{},"failcnt":0}},"swap":{{"limit":0,"failcnt":0}},"kernel":{{"limit":0,"failcnt":0}},"kernelTCP":{{"limit":0,"failcnt":0}}}},"pids":{{"current":{}}}}}}}"#,
        i % 97,
        96_337_111 + i * 7919,
        i * 13,
        i * 17,
        i * 3,
        i * 5,
        2_240_512 + (i % 4096) * 4096,
        1 + i % 64
    );
}

/// `count` events in one buffer.
pub fn events_bytes(count: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(count * 320);
    for i in 0..count {
        event_line(i, &mut out);
    }
    out
}

/// A `ps --format table` output with `rows` processes, in runsc's layout.
pub fn ps_table(rows: usize) -> Vec<u8> {
    use std::io::Write as _;
    let mut out = Vec::with_capacity(rows * 96 + 96);
    let _ = writeln!(
        out,
        "UID       PID       PPID      C         TTY       STIME     TIME      CMD"
    );
    for i in 0..rows {
        let _ = writeln!(
            out,
            "0         {:<10}{:<10}0         ?         17:22     {}s        sh -c sleep {}",
            i + 1,
            i / 2,
            i % 60,
            i
        );
    }
    out
}

/// The same processes as [`ps_table`], as a JSON array of rows (header first),
/// so raw serde_json decodes the same information.
pub fn ps_json(rows: usize) -> Vec<u8> {
    let mut table: Vec<Vec<String>> = Vec::with_capacity(rows + 1);
    table.push(
        ["UID", "PID", "PPID", "C", "TTY", "STIME", "TIME", "CMD"]
            .map(String::from)
            .to_vec(),
    );
    for i in 0..rows {
        table.push(vec![
            "0".into(),
            (i + 1).to_string(),
            (i / 2).to_string(),
            "0".into(),
            "?".into(),
            "17:22".into(),
            format!("{}s", i % 60),
            format!("sh -c sleep {i}"),
        ]);
    }
    serde_json::to_vec(&table).unwrap_or_default()
}

/// Feeds `bytes` to a fresh decoder in `chunk`-sized pieces, as a pipe would
/// deliver them, and returns how many events came out.
fn decode_stream(bytes: &[u8], chunk: usize) -> Result<usize, String> {
    let mut decoder = EventDecoder::new();
    let mut count = 0;
    for piece in bytes.chunks(chunk.max(1)) {
        decoder.push(piece);
        while let Some(event) = decoder.next_event() {
            black_box(event.map_err(|e| format!("event decoder: {e}"))?);
            count += 1;
        }
    }
    match decoder.finish() {
        Some(e) => Err(format!("event decoder at end of stream: {e}")),
        None => Ok(count),
    }
}

fn decode_raw(bytes: &[u8]) -> Result<usize, String> {
    let mut count = 0;
    for event in serde_json::Deserializer::from_slice(bytes).into_iter::<Event>() {
        black_box(event.map_err(|e| format!("serde_json: {e}"))?);
        count += 1;
    }
    Ok(count)
}

/// Peak heap growth while decoding a stream of `count` events that is
/// generated piece by piece, so the input itself never sits in memory.
fn stream_peak(count: usize, chunk: usize) -> Result<usize, String> {
    let mut line = Vec::with_capacity(1024);
    let mut pending = Vec::with_capacity(chunk * 2);
    let base = alloc::reset_peak();
    let mut decoder = EventDecoder::new();
    let mut decoded = 0;
    for i in 0..count {
        line.clear();
        event_line(i, &mut line);
        pending.extend_from_slice(&line);
        if pending.len() >= chunk || i + 1 == count {
            // Odd-sized pieces, so events are cut at arbitrary places.
            for piece in pending.chunks(chunk.max(2) - 1) {
                decoder.push(piece);
                while let Some(event) = decoder.next_event() {
                    black_box(event.map_err(|e| format!("event decoder: {e}"))?);
                    decoded += 1;
                }
            }
            pending.clear();
        }
    }
    if let Some(e) = decoder.finish() {
        return Err(format!("event decoder at end of stream: {e}"));
    }
    if decoded != count {
        return Err(format!("decoded {decoded} events of {count}"));
    }
    Ok(alloc::peak_since(base))
}

fn mb_per_s(bytes: usize, d: Duration) -> String {
    if d.is_zero() {
        return "∞ MB/s".into();
    }
    format!("{:.0} MB/s", bytes as f64 / d.as_secs_f64() / 1e6)
}

fn kib(bytes: usize) -> String {
    format!("{:.1} KiB", bytes as f64 / 1024.0)
}

/// Measures figure 4 and returns its rows.
pub fn figure(config: &Config) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();

    let events = events_bytes(config.event_count);
    let expected = config.event_count;
    let check = |n: usize, who: &str| {
        if n == expected {
            Ok(())
        } else {
            Err(format!("{who} decoded {n} events of {expected}"))
        }
    };
    let mut variants = [
        Variant::new("EventDecoder", || {
            check(decode_stream(&events, 64 * 1024)?, "EventDecoder")
        }),
        Variant::new("serde_json", || check(decode_raw(&events)?, "serde_json")),
    ];
    let s = interleaved(1, config.decode_rounds, &mut variants)?;
    let (ours, raw) = (s[0].median(), s[1].median());
    let share = ratio(raw, ours);
    rows.push(Row {
        figure: 4,
        what: format!(
            "events stream, EventDecoder in 64 KiB pieces ({} events, {} bytes)",
            config.event_count,
            events.len()
        ),
        value: format!("{} ({})", mb_per_s(events.len(), ours), fmt_duration(ours)),
        baseline: format!(
            "serde_json StreamDeserializer on the same bytes: {}",
            mb_per_s(events.len(), raw)
        ),
        ratio: format!("{:.0}% of raw", share * 100.0),
        target: "≥ 70% of raw".into(),
        verdict: Verdict::from_bool(share >= 0.70),
    });

    let table = ps_table(config.ps_rows);
    let json = ps_json(config.ps_rows);
    let rows_expected = config.ps_rows;
    let mut variants = [
        Variant::new("parse_ps_output", || {
            let top = parse_ps_output(&table).map_err(|e| format!("parse_ps_output: {e}"))?;
            if top.processes.len() == rows_expected {
                Ok(())
            } else {
                Err(format!(
                    "parse_ps_output found {} processes of {rows_expected}",
                    top.processes.len()
                ))
            }
        }),
        Variant::new("serde_json", || {
            let decoded: Vec<Vec<String>> =
                serde_json::from_slice(&json).map_err(|e| format!("serde_json: {e}"))?;
            black_box(decoded);
            Ok(())
        }),
    ];
    let s = interleaved(1, config.decode_rounds, &mut variants)?;
    let (ours, raw) = (s[0].median(), s[1].median());
    let share = ratio(raw, ours);
    rows.push(Row {
        figure: 4,
        what: format!(
            "parse_ps_output on a {}-row table ({} bytes)",
            config.ps_rows,
            table.len()
        ),
        value: format!(
            "{} rows/s ({})",
            per_s(config.ps_rows, ours),
            fmt_duration(ours)
        ),
        baseline: format!(
            "serde_json on the same rows as JSON ({} bytes): {} rows/s",
            json.len(),
            per_s(config.ps_rows, raw)
        ),
        ratio: format!("{:.0}% of raw", share * 100.0),
        target: "≥ 70% of raw".into(),
        verdict: Verdict::from_bool(share >= 0.70),
    });

    let small = config.event_count;
    let large = config.event_count * 8;
    let peak_small = stream_peak(small, 4096)?;
    let peak_large = stream_peak(large, 4096)?;
    // Flat means no growth with the stream's length; allow allocator slack of
    // one chunk so that rounding in buffer growth does not read as growth.
    let flat = peak_large <= peak_small + 4096;
    rows.push(Row {
        figure: 4,
        what: "events stream, decoder peak heap (4 KiB pieces)".into(),
        value: format!("{} at {large} events", kib(peak_large)),
        baseline: format!("{} at {small} events", kib(peak_small)),
        ratio: format!("{:.2}×", peak_large as f64 / peak_small.max(1) as f64),
        target: "flat in stream length".into(),
        verdict: Verdict::from_bool(flat),
    });
    Ok(rows)
}

fn per_s(count: usize, d: Duration) -> String {
    if d.is_zero() {
        return "∞".into();
    }
    let v = count as f64 / d.as_secs_f64();
    if v >= 1e6 {
        format!("{:.1} M", v / 1e6)
    } else {
        format!("{:.0} k", v / 1e3)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_inputs_have_the_requested_sizes() {
        let events = events_bytes(3);
        assert_eq!(events.iter().filter(|&&b| b == b'\n').count(), 3);
        assert_eq!(decode_raw(&events), Ok(3));
        assert_eq!(decode_stream(&events, 7), Ok(3));
        let table = ps_table(5);
        let top = parse_ps_output(&table).expect("generated table parses");
        assert_eq!(top.processes.len(), 5);
        assert_eq!(
            top.processes[4].last().map(String::as_str),
            Some("sh -c sleep 4")
        );
        let json: Vec<Vec<String>> = serde_json::from_slice(&ps_json(5)).expect("valid JSON");
        assert_eq!(json.len(), 6);
    }
}
