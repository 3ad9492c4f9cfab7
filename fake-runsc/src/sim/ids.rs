//! The container ids runsc 20221219 refuses when it creates a container,
//! in the order it finds out and with its words (recorded in
//! `scenarios/real-runsc/cases/hd-id-*`).
//!
//! runsc checks an id against `^[\w+.-]+$` (Go's `\w` is ASCII only). An id
//! that passes can still fail later: its metadata lock file
//! `<root>/<id>_sandbox:<id>.lock` must fit in a 255-byte file name (ids of
//! 121 characters and more do not), `..` names the parent cgroup, and the
//! sandbox's abstract control socket `runsc-sandbox.<id>` must fit in a
//! socket address (ids of 93 characters and more do not).
use std::path::Path;

/// The longest id whose sandbox control socket name fits.
const MAX_SOCKET_ID: usize = 92;
/// The longest id whose metadata file names fit in 255 bytes.
const MAX_FILE_ID: usize = 120;

/// Why runsc would refuse to create container `id` under `root`, after its
/// `creating container: ` (or `run`'s) prefix; `None` when it would not.
pub(super) fn create_refusal(id: &str, root: &Path) -> Option<String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '.' | '-');
    if id.is_empty() || !id.chars().all(allowed) {
        return Some(format!("invalid container id: {id}"));
    }
    if id.len() > MAX_FILE_ID {
        let lock = root.join(format!("{id}_sandbox:{id}.lock"));
        let lock = lock.display();
        return Some(format!(
            "cannot lock container metadata file: acquiring lock on \"{lock}\": open {lock}: file name too long"
        ));
    }
    if id == ".." {
        return Some("open /sys/fs/cgroup/cgroup.procs: no such file or directory".to_owned());
    }
    if id.len() > MAX_SOCKET_ID {
        return Some(format!(
            "cannot create sandbox: cannot create sandbox process: creating control server socket for sandbox \"{id}\": invalid argument"
        ));
    }
    None
}

/// What a create of an id whose sandbox was orphaned by a failed duplicate
/// create gets: the orphan still holds the control socket's name.
pub(super) fn address_in_use(id: &str) -> String {
    format!(
        "cannot create sandbox: cannot create sandbox process: creating control server socket for sandbox \"{id}\": address already in use"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_runsc_refuses_and_nothing_else() {
        let root = Path::new("/r");
        for ok in ["a", ".", "a.b-c_d+e", "A9", &"x".repeat(MAX_SOCKET_ID)] {
            assert_eq!(create_refusal(ok, root), None, "{ok}");
        }
        for bad in ["a:b", "café", "a*", "x@y", "", "a b", "a/b"] {
            assert_eq!(
                create_refusal(bad, root),
                Some(format!("invalid container id: {bad}"))
            );
        }
        let socket = "y".repeat(MAX_SOCKET_ID + 1);
        assert!(create_refusal(&socket, root)
            .unwrap()
            .ends_with("invalid argument"));
        let file = "y".repeat(MAX_FILE_ID + 1);
        assert!(create_refusal(&file, root)
            .unwrap()
            .ends_with("file name too long"));
        assert!(create_refusal("..", root).unwrap().contains("cgroup"));
    }
}
