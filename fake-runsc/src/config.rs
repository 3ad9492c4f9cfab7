//! Where the fake's configuration comes from and which mode it selects.
//!
//! Environment variables win; otherwise a session file beside `--root`
//! (`<root>/fake-runsc-session.json`) names the scenario and the session
//! directory, so code that only lets a test choose the runsc path and
//! `--root` still reaches the right scenario.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// Names the scenario file to replay.
pub const ENV_SCENARIO: &str = "FAKE_RUNSC_SCENARIO";
/// Names the per-test session directory (replay state and journal).
pub const ENV_SESSION: &str = "FAKE_RUNSC_SESSION";
/// Selects record mode and names the scenario the recorder appends to
/// (the real runsc it stands in front of is `FAKE_RUNSC_REAL`).
pub const ENV_RECORD: &str = "FAKE_RUNSC_RECORD";
/// Names the runsc release whose command line the fake speaks
/// (`20221219`, `20241021`, `20260817`); unset, a replayed scenario's
/// `runsc_version` decides, else 20221219.
pub const ENV_RELEASE: &str = "FAKE_RUNSC_RELEASE";
/// The session file's name inside `--root`.
pub const SESSION_FILE: &str = "fake-runsc-session.json";

/// The session file's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionFile {
    /// The scenario to replay.
    pub scenario: PathBuf,
    /// The session directory.
    pub session: PathBuf,
}

/// What the fake does with a parsed call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Answer from a scenario.
    Replay {
        /// The scenario file.
        scenario: PathBuf,
        /// The session directory.
        session: PathBuf,
    },
    /// Forward to real runsc and write what happened as a scenario
    /// (`FAKE_RUNSC_RECORD`; the value names the scenario to write).
    Record {
        /// Where the recording goes.
        output: PathBuf,
    },
    /// Behave as a stateful runsc (no configuration).
    Simulate,
}

/// Chooses the mode from the environment and, failing that, from the
/// session file in `root`.
pub fn mode(root: Option<&Path>) -> Result<Mode, Error> {
    mode_from(
        std::env::var_os(ENV_SCENARIO).map(PathBuf::from),
        std::env::var_os(ENV_SESSION).map(PathBuf::from),
        std::env::var_os(ENV_RECORD).map(PathBuf::from),
        root,
    )
}

fn mode_from(
    scenario: Option<PathBuf>,
    session: Option<PathBuf>,
    record: Option<PathBuf>,
    root: Option<&Path>,
) -> Result<Mode, Error> {
    let scenario = scenario.filter(|p| !p.as_os_str().is_empty());
    let session = session.filter(|p| !p.as_os_str().is_empty());
    match (scenario, session) {
        (Some(scenario), Some(session)) => return Ok(Mode::Replay { scenario, session }),
        (Some(_), None) => return Err(Error::HalfConfigured {
            set: ENV_SCENARIO,
            missing: ENV_SESSION,
            what:
                "a directory of its own for each test (it holds the replay state and the journal)",
        }),
        (None, Some(_)) => {
            return Err(Error::HalfConfigured {
                set: ENV_SESSION,
                missing: ENV_SCENARIO,
                what: "the scenario file to replay",
            })
        }
        (None, None) => {}
    }
    if let Some(output) = record.filter(|p| !p.as_os_str().is_empty()) {
        return Ok(Mode::Record { output });
    }
    if let Some(root) = root {
        let path = root.join(SESSION_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => {
                let file: SessionFile =
                    serde_json::from_slice(&bytes).map_err(|e| Error::SessionFile {
                        reason: e.to_string(),
                        path: path.clone(),
                    })?;
                return Ok(Mode::Replay {
                    scenario: file.scenario,
                    session: file.session,
                });
            }
            // A --root that is a file, or under one, has no session file either.
            Err(e)
                if e.kind() == std::io::ErrorKind::NotFound
                    || e.raw_os_error() == Some(nix::errno::Errno::ENOTDIR as i32) => {}
            Err(e) => {
                return Err(Error::io(format!(
                    "cannot read the session file {}",
                    path.display()
                ))(e))
            }
        }
    }
    Ok(Mode::Simulate)
}

/// The release a scenario's header names (its `runsc_version`, as the
/// scenario's index holds it); `None` when it names none.
pub fn scenario_release(
    path: &Path,
    named: Option<&str>,
) -> Result<Option<runsc::cli::Release>, Error> {
    named
        .map(str::parse)
        .transpose()
        .map_err(|e: runsc::cli::UnknownRelease| Error::ScenarioRelease {
            path: path.to_owned(),
            reason: e.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_wins_and_half_a_configuration_is_an_error() {
        let p = |s: &str| Some(PathBuf::from(s));
        assert_eq!(
            mode_from(p("/s.json"), p("/sess"), None, None).unwrap(),
            Mode::Replay {
                scenario: "/s.json".into(),
                session: "/sess".into()
            }
        );
        assert!(mode_from(p("/s.json"), None, None, None)
            .unwrap_err()
            .to_string()
            .contains("FAKE_RUNSC_SCENARIO is set but FAKE_RUNSC_SESSION is not"));
        assert_eq!(mode_from(None, None, None, None).unwrap(), Mode::Simulate);
        assert_eq!(
            mode_from(None, None, p("/out.json"), None).unwrap(),
            Mode::Record {
                output: "/out.json".into()
            }
        );
    }

    #[test]
    fn a_scenario_header_names_the_release() {
        use runsc::cli::Release;
        let path = Path::new("/s.json");
        assert_eq!(
            scenario_release(path, Some("20260817")).unwrap(),
            Some(Release::R20260817)
        );
        assert_eq!(
            scenario_release(path, Some("release-20241021.0")).unwrap(),
            Some(Release::R20241021)
        );
        assert_eq!(scenario_release(path, None).unwrap(), None);
        let refused = scenario_release(path, Some("2019"))
            .unwrap_err()
            .to_string();
        assert!(refused.contains("/s.json"), "{refused}");
        assert!(
            refused.contains("set its runsc_version to 20221219, 20241021 or 20260817"),
            "{refused}"
        );
    }

    #[test]
    fn the_session_file_in_root_selects_replay() {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(
            root.path().join(SESSION_FILE),
            r#"{"scenario": "/a.json", "session": "/b"}"#,
        )
        .unwrap();
        assert_eq!(
            mode_from(None, None, None, Some(root.path())).unwrap(),
            Mode::Replay {
                scenario: "/a.json".into(),
                session: "/b".into()
            }
        );
        std::fs::write(root.path().join(SESSION_FILE), "{}").unwrap();
        assert!(mode_from(None, None, None, Some(root.path()))
            .unwrap_err()
            .to_string()
            .contains("is not valid"));
    }
}
