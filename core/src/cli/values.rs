//! What the `Set` method of each of runsc's own `flag.Value` types accepts,
//! per release. Go's flag package calls `Set` while parsing, so a bad value
//! fails there: `invalid value "bogus" for flag -network: invalid network
//! type "bogus"`, then the usage, exit 2 for a global flag (128 for a
//! subcommand's flag, as every subcommand flag error).
//!
//! Provenance of each rule is marked: "real 20221219" means checked against
//! the real binary (`runsc --root=R --FLAG=VALUE list; echo $?`); "source"
//! means read from the `Set` methods in gVisor's `runsc/config/config.go` at
//! a revision newer than release-20260817.0, not at the release tags
//! themselves, and confirmed by no recording. Which release first took a
//! newer value (qdisc `tbf`, network `plugin`, overlay2's checked medium and
//! `,size=`) is inferred from the flag tables (`--qdisc-tbf-rate` appears in
//! 20260817) where they say something, and is a guess where they do not.

use super::flags::ValueKind;
use super::release::Release;

/// Whether `value` is accepted for a flag of `kind` under `release`; the
/// error is the text runsc puts after `invalid value "V" for flag -NAME: `.
pub fn check(kind: ValueKind, release: Release, value: &str) -> Result<(), String> {
    let newer = release > Release::R20221219;
    let one_of = |allowed: &[&str], what: &str| {
        if allowed.contains(&value) {
            Ok(())
        } else {
            Err(format!("invalid {what} {value:?}"))
        }
    };
    match kind {
        // real 20221219: sandbox, host, none; "" and "HOST" refused.
        // source: "plugin" is accepted by newer releases.
        ValueKind::Network if newer => {
            one_of(&["sandbox", "host", "none", "plugin"], "network type")
        }
        ValueKind::Network => one_of(&["sandbox", "host", "none"], "network type"),
        // real 20221219; source: unchanged since.
        ValueKind::FileAccess => one_of(&["exclusive", "shared"], "file access type"),
        // real 20221219 ("" means none); source: unchanged since.
        ValueKind::HostUds => one_of(&["", "none", "open", "create", "all"], "host UDS type"),
        ValueKind::HostFifo => one_of(&["", "none", "open"], "host fifo type"),
        // real 20221219: none, fifo; "tbf" refused. source: 20260817 adds tbf
        // (with --qdisc-tbf-rate/-burst).
        ValueKind::Qdisc if release >= Release::R20260817 => {
            one_of(&["none", "fifo", "tbf"], "qdisc")
        }
        ValueKind::Qdisc => one_of(&["none", "fifo"], "qdisc"),
        // real 20221219: disabled, log-names; log-traces, log-leaks, "" refused.
        // source: unchanged in the newer tables.
        ValueKind::RefLeakMode => one_of(&["disabled", "log-names"], "ref leak mode"),
        // real 20221219: log, logwarning, panic; "" and "LOG" refused.
        // 20260817 registers it as a plain string (no check while parsing).
        ValueKind::WatchdogAction => one_of(&["log", "logwarning", "panic"], "watchdog action"),
        ValueKind::Overlay2 => overlay2(release, value),
        ValueKind::User => user(value),
        // source only.
        ValueKind::Xdp => xdp(value),
        ValueKind::HostSettings => one_of(
            &["check", "check_mandatory", "ignore", "adjust", "enforce"],
            "host settings policy",
        ),
        ValueKind::RestoreSpecValidation => one_of(
            &["ignore", "warning", "enforce"],
            "restore spec validation policy",
        ),
        ValueKind::SidecarPolicy => {
            if matches!(
                value.to_ascii_uppercase().as_str(),
                "NEVER" | "ALWAYS" | "IF_RELEASE_BUILD"
            ) {
                Ok(())
            } else {
                Err(format!(
                    "invalid value {value:?}; must be NEVER, ALWAYS, or IF_RELEASE_BUILD"
                ))
            }
        }
        ValueKind::GoferNetworkNamespace => {
            if matches!(value, "new" | "host" | "null") || value.starts_with('/') {
                Ok(())
            } else {
                Err(format!(
                    "invalid gofer network namespace {value:?}; must be new, host, null, or an absolute path"
                ))
            }
        }
        // Neither the compression levels nor the list types' element rules
        // are checked here: the source was not read for them, and 20221219's
        // `exec --additional-gids=abc` and `--cap=bogus` pass parsing (real
        // 20221219: they fail later, exit 128, with their own messages).
        ValueKind::Compression | ValueKind::List => Ok(()),
    }
}

/// `--overlay2`. real 20221219: `none`, or `MOUNT:MEDIUM` with MOUNT `root`
/// or `all` and any MEDIUM (`root:bogus` loads). source (newer): MEDIUM is
/// `memory`, `self` or `dir=/absolute`; 20260817 also takes `,size=SIZE`.
fn overlay2(release: Release, value: &str) -> Result<(), String> {
    if value == "none" {
        return Ok(());
    }
    let sized = release >= Release::R20260817;
    let format_error = || {
        if sized {
            format!(
                "expected format is --overlay2={{mount}}:{{medium}}[,size={{size}}], got {value:?}"
            )
        } else {
            format!("expected format is --overlay2={{mount}}:{{medium}}, got {value:?}")
        }
    };
    let (spec, size) = match value.split_once(',') {
        Some((spec, size)) if sized => (spec, Some(size)),
        _ => (value, None),
    };
    let parts: Vec<&str> = spec.split(':').collect();
    let [mount, medium] = parts[..] else {
        return Err(format_error());
    };
    if !matches!(mount, "root" | "all") {
        return Err(format!(
            "unexpected mount specifier for --overlay2: {mount:?}"
        ));
    }
    if release > Release::R20221219 && !matches!(medium, "" | "memory" | "self") {
        match medium.strip_prefix("dir=") {
            None => return Err(format!("unexpected medium: {medium:?}")),
            Some(dir) if !dir.starts_with('/') => {
                return Err(format!(
                    "overlay host file directory should be an absolute path, got {dir:?}"
                ))
            }
            Some(_) => {}
        }
    }
    match size {
        Some(size) if size.contains(',') || !size.starts_with("size=") => Err(format_error()),
        _ => Ok(()),
    }
}

/// `exec --user UID[:GID]`, each part a decimal integer as `strconv.Atoi`
/// reads it. real 20221219: `1000`, `-1`, `+1` pass; `bogus`, `0x1`, `1_0`,
/// `1:`, `1:2:3` and an out-of-range UID fail with exit 128 and
/// `couldn't parse UID: X` / `couldn't parse GID: X`.
fn user(value: &str) -> Result<(), String> {
    let (uid, gid) = match value.split_once(':') {
        Some((uid, gid)) => (uid, Some(gid)),
        None => (value, None),
    };
    if !is_atoi(uid) {
        return Err(format!("couldn't parse UID: {uid}"));
    }
    match gid {
        Some(gid) if !is_atoi(gid) => Err(format!("couldn't parse GID: {gid}")),
        _ => Ok(()),
    }
}

/// Whether `strconv.Atoi` accepts `s` (an `int` is 64 bits here).
fn is_atoi(s: &str) -> bool {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) && s.parse::<i64>().is_ok()
}

/// `--EXPERIMENTAL-xdp`: `off`, `ns`, `redirect:IFACE` or `tunnel:IFACE`.
fn xdp(value: &str) -> Result<(), String> {
    let ok = match value.split_once(':') {
        None => matches!(value, "off" | "ns"),
        Some((mode, iface)) => {
            matches!(mode, "redirect" | "tunnel") && !iface.is_empty() && !iface.contains(':')
        }
    };
    if ok {
        Ok(())
    } else {
        Err(format!("invalid --xdp value: {value:?}"))
    }
}

/// A value each typed flag accepts under every release, for tests and
/// strategies that pass every flag once.
pub fn sample(kind: ValueKind) -> &'static str {
    match kind {
        ValueKind::Network => "none",
        ValueKind::FileAccess => "shared",
        ValueKind::HostFifo => "open",
        ValueKind::HostUds => "all",
        ValueKind::Overlay2 => "root:memory",
        ValueKind::Qdisc => "fifo",
        ValueKind::RefLeakMode => "log-names",
        ValueKind::WatchdogAction => "panic",
        ValueKind::Xdp => "off",
        ValueKind::HostSettings => "ignore",
        ValueKind::GoferNetworkNamespace => "host",
        ValueKind::RestoreSpecValidation => "warning",
        ValueKind::SidecarPolicy => "never",
        ValueKind::Compression => "none",
        ValueKind::User => "1000:1000",
        ValueKind::List => "X=1",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_20221219_refusals() {
        let old = Release::R20221219;
        let cases = [
            (
                ValueKind::Network,
                "bogus",
                "invalid network type \"bogus\"",
            ),
            (ValueKind::Network, "HOST", "invalid network type \"HOST\""),
            (ValueKind::FileAccess, "", "invalid file access type \"\""),
            (ValueKind::Qdisc, "tbf", "invalid qdisc \"tbf\""),
            (
                ValueKind::WatchdogAction,
                "LOG",
                "invalid watchdog action \"LOG\"",
            ),
            (
                ValueKind::HostUds,
                "bogus",
                "invalid host UDS type \"bogus\"",
            ),
            (
                ValueKind::HostFifo,
                "bogus",
                "invalid host fifo type \"bogus\"",
            ),
            (
                ValueKind::RefLeakMode,
                "log-traces",
                "invalid ref leak mode \"log-traces\"",
            ),
            (
                ValueKind::Overlay2,
                "bogus",
                "expected format is --overlay2={mount}:{medium}, got \"bogus\"",
            ),
            (
                ValueKind::Overlay2,
                "all:memory:x",
                "expected format is --overlay2={mount}:{medium}, got \"all:memory:x\"",
            ),
            (
                ValueKind::Overlay2,
                "ALL:memory",
                "unexpected mount specifier for --overlay2: \"ALL\"",
            ),
            (ValueKind::User, "0x1", "couldn't parse UID: 0x1"),
            (ValueKind::User, "1:", "couldn't parse GID: "),
            (ValueKind::User, "1:2:3", "couldn't parse GID: 2:3"),
            (
                ValueKind::User,
                "99999999999999999999",
                "couldn't parse UID: 99999999999999999999",
            ),
        ];
        for (kind, value, message) in cases {
            assert_eq!(check(kind, old, value), Err(message.to_owned()), "{value}");
        }
        for (kind, value) in [
            (ValueKind::HostUds, ""),
            (ValueKind::Overlay2, "root:bogus"),
            (ValueKind::Overlay2, "root:"),
            (ValueKind::Overlay2, "all:dir=/tmp"),
            (ValueKind::User, "-1"),
            (ValueKind::User, "+1:0"),
        ] {
            assert_eq!(check(kind, old, value), Ok(()), "{value}");
        }
    }

    #[test]
    fn newer_releases_from_source() {
        let new = Release::R20260817;
        assert_eq!(check(ValueKind::Qdisc, new, "tbf"), Ok(()));
        assert_eq!(check(ValueKind::Network, new, "plugin"), Ok(()));
        assert_eq!(check(ValueKind::Overlay2, new, "root:self,size=1g"), Ok(()));
        assert_eq!(
            check(ValueKind::Overlay2, new, "root:bogus"),
            Err("unexpected medium: \"bogus\"".to_owned())
        );
        assert_eq!(
            check(ValueKind::Overlay2, new, "root:dir=rel"),
            Err("overlay host file directory should be an absolute path, got \"rel\"".to_owned())
        );
        assert!(check(ValueKind::Overlay2, Release::R20241021, "root:self,size=1g").is_err());
    }

    #[test]
    fn samples_pass_everywhere() {
        use ValueKind::*;
        for kind in [
            Network,
            FileAccess,
            HostFifo,
            HostUds,
            Overlay2,
            Qdisc,
            RefLeakMode,
            WatchdogAction,
            Xdp,
            HostSettings,
            GoferNetworkNamespace,
            RestoreSpecValidation,
            SidecarPolicy,
            Compression,
            User,
            List,
        ] {
            for release in Release::ALL {
                assert_eq!(check(kind, release, sample(kind)), Ok(()), "{kind:?}");
            }
        }
    }
}
