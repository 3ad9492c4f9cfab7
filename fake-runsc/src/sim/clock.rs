//! Simulated time: the time-scale setting and the timestamps runsc prints.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Environment variable that makes simulated time pass faster: `100` runs a
/// simulated `sleep 10` in 0.1 s. Defaults to 1 (real time).
pub const TIME_SCALE_ENV: &str = "FAKE_RUNSC_TIME_SCALE";

/// How many times faster than real time simulated time passes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeScale(f64);

impl Default for TimeScale {
    /// Real time.
    fn default() -> Self {
        Self(1.0)
    }
}

impl TimeScale {
    /// Reads [`TIME_SCALE_ENV`]; unset means real time.
    pub fn from_env() -> Result<Self, String> {
        match std::env::var(TIME_SCALE_ENV) {
            Err(_) => Ok(Self::default()),
            Ok(text) => Self::parse(&text),
        }
    }

    /// Reads a scale such as `100` or `2.5`.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim().parse::<f64>() {
            Ok(v) if v.is_finite() && v > 0.0 => Ok(Self(v)),
            _ => Err(format!(
                "fake-runsc: {TIME_SCALE_ENV}={text:?} is not a positive number; \
                 set it to e.g. 100 to make simulated time pass 100 times faster"
            )),
        }
    }

    /// The real time that `simulated` takes.
    pub fn to_real(self, simulated: Duration) -> Duration {
        Duration::from_secs_f64(simulated.as_secs_f64() / self.0)
    }
}

/// Nanoseconds since the Unix epoch.
pub fn now_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// Formats a time as Go's `time.RFC3339Nano` does in UTC (trailing zeros of
/// the fraction dropped), e.g. `2026-11-28T17:22:48.130577829Z`.
pub fn rfc3339_nano(nanos: u128) -> String {
    let (secs, frac) = split(nanos);
    let (date, hh, mm, ss) = civil(secs);
    let mut out = format!("{date}T{hh:02}:{mm:02}:{ss:02}");
    if frac != 0 {
        let digits = format!("{frac:09}");
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
    out.push('Z');
    out
}

/// `HH:MM` in UTC, as `ps` shows a process's start time.
pub fn hour_minute(nanos: u128) -> String {
    let (_, hh, mm, _) = civil(split(nanos).0);
    format!("{hh:02}:{mm:02}")
}

/// The stamp of a debug log's file name, `YYYYMMDD-HHMMSS.uuuuuu` in UTC
/// (Go's `20060102-150405.000000`).
pub fn file_stamp(nanos: u128) -> String {
    let (secs, frac) = split(nanos);
    let (date, hh, mm, ss) = civil(secs);
    let date: String = date.chars().filter(|c| *c != '-').collect();
    format!("{date}-{hh:02}{mm:02}{ss:02}.{:06}", frac / 1000)
}

fn split(nanos: u128) -> (i64, u32) {
    let secs = i64::try_from(nanos / 1_000_000_000).unwrap_or(i64::MAX);
    (secs, (nanos % 1_000_000_000) as u32)
}

/// Date (`YYYY-MM-DD`) and time of day for seconds since the epoch, using the
/// days-from-civil inverse by Howard Hinnant.
fn civil(secs: i64) -> (String, i64, i64, i64) {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        format!("{year:04}-{month:02}-{day:02}"),
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_go_rfc3339nano() {
        assert_eq!(
            rfc3339_nano(1_795_886_568_130_577_829),
            "2026-11-28T17:22:48.130577829Z"
        );
        assert_eq!(
            rfc3339_nano(1_795_886_568_100_000_000),
            "2026-11-28T17:22:48.1Z"
        );
        assert_eq!(rfc3339_nano(0), "1970-01-01T00:00:00Z");
        assert_eq!(hour_minute(1_795_886_568_130_577_829), "17:22");
        assert_eq!(
            file_stamp(1_795_886_568_000_577_829),
            "20261128-172248.000577"
        );
    }

    #[test]
    fn scale_speeds_up_time_and_rejects_nonsense() {
        let scale = TimeScale::parse("100").unwrap();
        assert_eq!(
            scale.to_real(Duration::from_secs(10)),
            Duration::from_millis(100)
        );
        for bad in ["0", "-1", "fast", "NaN", "inf"] {
            assert!(TimeScale::parse(bad).is_err(), "{bad}");
        }
    }
}
