//! Reading a bundle as runsc does: `config.json`, a `--process` file, and
//! whether a command exists in the container's root filesystem.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::program::forked_children;
use super::wording::{fatal, go_io_error, go_json_error, Failure};

/// The bundle's `config.json`, as far as the simulator needs it.
pub(super) struct Spec {
    pub(super) bundle: PathBuf,
    pub(super) args: Vec<String>,
    pub(super) rootfs: PathBuf,
    pub(super) annotations: BTreeMap<String, String>,
    pub(super) path_env: Option<String>,
}

/// `PATH` from a process spec's `env`.
pub(super) fn path_of(process: Option<&serde_json::Value>) -> Option<String> {
    process?
        .get("env")?
        .as_array()?
        .iter()
        .filter_map(|v| v.as_str())
        .find_map(|kv| kv.strip_prefix("PATH="))
        .map(str::to_owned)
}

pub(super) fn absolute(path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|cwd| cwd.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    lexically_clean(&joined)
}

/// Go's `filepath.Clean` of an absolute path (which `filepath.Abs` applies):
/// no `.` components, `..` resolved by name.
fn lexically_clean(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

pub(super) fn read_spec(bundle: Option<&Path>) -> Result<Spec, Failure> {
    let bundle = absolute(bundle.unwrap_or(Path::new(".")));
    let path = bundle.join("config.json");
    let shown = path.display();
    let bytes = std::fs::read(&path).map_err(|e| {
        fatal(format!(
            "reading spec: error opening spec file \"{shown}\": open {shown}: {}",
            go_io_error(&e)
        ))
    })?;
    let unmarshal = |why: String| Failure {
        stderr: format!(
            "reading spec: error unmarshaling spec from file \"{shown}\": {why}\n {}\n",
            String::from_utf8_lossy(&bytes)
        ),
        code: 128,
    };
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| unmarshal(go_json_error(&e)))?;
    let kind = match &value {
        serde_json::Value::Object(_) => None,
        serde_json::Value::Array(_) => Some("array"),
        serde_json::Value::String(_) => Some("string"),
        serde_json::Value::Number(_) => Some("number"),
        serde_json::Value::Bool(_) => Some("bool"),
        serde_json::Value::Null => None,
    };
    if let Some(kind) = kind {
        return Err(unmarshal(format!(
            "json: cannot unmarshal {kind} into Go value of type specs.Spec"
        )));
    }
    let args: Vec<String> = value
        .pointer("/process/args")
        .and_then(|a| a.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if args.is_empty() {
        // runsc prints the whole Process struct with Go's %+v here.
        return Err(fatal(format!(
            "reading spec: Spec.Process.Arg must be defined: &{}",
            value
                .get("process")
                .map_or_else(|| "<nil>".to_owned(), |p| p.to_string())
        )));
    }
    let root = value
        .pointer("/root/path")
        .and_then(|p| p.as_str())
        .unwrap_or("rootfs");
    let rootfs = if Path::new(root).is_absolute() {
        PathBuf::from(root)
    } else {
        bundle.join(root)
    };
    let annotations = value
        .get("annotations")
        .and_then(|a| a.as_object())
        .map(|a| {
            a.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    Ok(Spec {
        bundle,
        args,
        rootfs,
        annotations,
        path_env: path_of(value.get("process")),
    })
}

/// Pids for the children `args` forks, numbered from `first`.
pub(super) fn number_children(first: i32, args: &[String]) -> Vec<(i32, String)> {
    forked_children(args)
        .into_iter()
        .zip(first..)
        .map(|(command, pid)| (pid, command))
        .collect()
}

/// The absolute `argv[0]` that is not in the container's root filesystem, when
/// that root exists on the host (a purely simulated bundle has none, and
/// then every command is taken to exist).
pub(super) fn missing_binary(rootfs: &Path, args: &[String]) -> Option<String> {
    let argv0 = args.first()?;
    let absolute = argv0.starts_with('/') && rootfs.is_dir();
    (absolute && !rootfs.join(argv0.trim_start_matches('/')).exists()).then(|| argv0.clone())
}

/// The PATH directories searched in vain for a bare command name. Only a
/// root filesystem that has at least one of those directories is searched: a
/// placeholder root (missing or empty) means a purely simulated bundle, where
/// every command exists.
pub(super) fn unresolvable(rootfs: &Path, argv0: &str, path: Option<&str>) -> Option<Vec<String>> {
    if argv0.contains('/') {
        return None;
    }
    let dirs: Vec<String> = path?
        .split(':')
        .filter(|d| !d.is_empty())
        .map(str::to_owned)
        .collect();
    let in_rootfs = |dir: &String| rootfs.join(dir.trim_start_matches('/'));
    if !dirs.iter().any(|d| in_rootfs(d).is_dir()) {
        return None;
    }
    let found = !argv0.is_empty() && dirs.iter().any(|d| in_rootfs(d).join(argv0).is_file());
    (!found).then_some(dirs)
}

pub(super) fn read_process_file(path: &Path) -> Result<(Vec<String>, Option<String>), Failure> {
    let shown = path.display();
    let bytes = std::fs::read(path).map_err(|e| {
        fatal(format!(
            "parsing process spec: error opening process file: {shown}, open {shown}: {}",
            go_io_error(&e)
        ))
    })?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
        fatal(format!(
            "parsing process spec: error parsing process file: {shown}: {e}"
        ))
    })?;
    let args = value
        .get("args")
        .and_then(|a| a.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    Ok((args, path_of(Some(&value))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_looked_up_only_in_a_real_root_filesystem() {
        let path = Some("/usr/bin:/bin");
        assert_eq!(unresolvable(Path::new("/"), "sh", path), None);
        assert_eq!(
            unresolvable(Path::new("/"), "no-such-command-here", path),
            Some(vec!["/usr/bin".to_owned(), "/bin".to_owned()])
        );
        let empty = tempfile::tempdir().unwrap();
        assert_eq!(unresolvable(empty.path(), "anything", path), None);
        assert_eq!(unresolvable(Path::new("/"), "anything", None), None);
        let args = |a: &str| vec![a.to_owned()];
        assert_eq!(
            missing_binary(Path::new("/"), &args("/no/such/binary")),
            Some("/no/such/binary".to_owned())
        );
        assert_eq!(missing_binary(Path::new("/"), &args("/bin/sh")), None);
        assert_eq!(
            missing_binary(empty.path().join("none").as_path(), &args("/x")),
            None
        );
    }
}
