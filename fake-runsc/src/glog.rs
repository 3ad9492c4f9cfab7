//! glog's warning line, as runsc's `util.Fatalf` writes it before its log
//! is set up (`W1202 08:02:44.240757    5308 util.go:64] ...`; times in UTC
//! here, where runsc uses local time: the same on a UTC host).

/// runsc's `util.Fatalf` before its log target is set: glog's warning line
/// with the message, then the message alone, both for stderr.
pub fn fatal(message: &str) -> String {
    format!("{}{message}\n", warning(&format!("FATAL ERROR: {message}")))
}

/// One warning line in glog's format, from runsc 20221219's `util.go:64`.
pub fn warning(message: &str) -> String {
    format!("{} util.go:64] {message}\n", header())
}

/// glog's line header for a warning: `WMMDD hh:mm:ss.uuuuuu PID` (UTC here).
fn header() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs();
    let (_, month, day) = civil_date(secs / 86_400);
    let of_day = secs % 86_400;
    format!(
        "W{month:02}{day:02} {:02}:{:02}:{:02}.{:06} {:>7}",
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60,
        now.subsec_micros(),
        std::process::id()
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01.
fn civil_date(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}
