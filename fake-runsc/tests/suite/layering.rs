//! The fake's dependencies point one way (ARCHITECTURE.md): the pure core
//! below the I/O, below the modes, below the entry point, with test support
//! on top and used by nothing in production; and the fake links no async
//! runtime at all. Read from the sources and from cargo, so a change
//! that breaks the direction fails here, not in review.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The layers, lowest first. A module may use modules of its own layer and
/// of the layers below it.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "core",
        &[
            "exit", "error", "signals", "glog", "help", "argv", "config", "scenario", "matching",
            "decide",
        ],
    ),
    (
        "io",
        &[
            "stdout",
            "shared_file",
            "journal",
            "session",
            "reply",
            "replay",
            "scenario_index",
            "host",
        ],
    ),
    ("modes", &["sim", "record", "check", "verify"]),
    ("entry", &["lib"]),
    ("support", &["testing"]),
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a source file belongs to (`lib` for the crate root).
fn module_of(path: &Path) -> String {
    let relative = path.strip_prefix(src()).expect("under src/");
    let first = relative
        .components()
        .next()
        .expect("a file name")
        .as_os_str()
        .to_string_lossy()
        .into_owned();
    first.trim_end_matches(".rs").to_owned()
}

/// The crate's top-level modules a source text names by `crate::` path, in
/// code (comments are not dependencies). `crate::{a, b}` forms name each.
fn used_modules(text: &str) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                let inner = group.split('}').next().unwrap_or("");
                for item in inner.split(',') {
                    let name: String = item
                        .trim()
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    used.insert(name);
                }
            } else {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                used.insert(name);
            }
        }
    }
    used.retain(|name| !name.is_empty() && name.chars().all(|c| c.is_lowercase() || c == '_'));
    used
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS
        .iter()
        .position(|(_, modules)| modules.contains(&module))
}

#[test]
fn every_module_has_a_layer_and_uses_only_its_own_or_lower_ones() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    assert!(files.len() >= 20, "only {} source files found", files.len());
    let mut wrong = Vec::new();
    for file in &files {
        let module = module_of(file);
        if module == "main" {
            continue;
        }
        let Some(own) = layer_of(&module) else {
            wrong.push(format!(
                "{}: module `{module}` is in no layer; add it to LAYERS and ARCHITECTURE.md",
                file.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(file).expect("a readable source file");
        for used in used_modules(&text) {
            match layer_of(&used) {
                Some(layer) if layer <= own => {}
                Some(layer) => wrong.push(format!(
                    "{}: `{module}` ({}) uses `{used}` ({}), a layer above it",
                    file.display(),
                    LAYERS[own].0,
                    LAYERS[layer].0
                )),
                None => wrong.push(format!(
                    "{}: uses `crate::{used}`, which is in no layer",
                    file.display()
                )),
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The most lines a source file of the fake may have: past it, a file holds
/// more than one concept and wants splitting (ARCHITECTURE.md).
const MAX_LINES: usize = 600;

#[test]
fn no_source_file_outgrows_one_concept() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    assert!(files.len() > 20, "read only {} files", files.len());
    let long: Vec<String> = files
        .iter()
        .filter_map(|path| {
            let text = std::fs::read_to_string(path).expect("a readable source file");
            let lines = text.lines().count();
            (lines > MAX_LINES).then(|| format!("{} ({lines} lines)", path.display()))
        })
        .collect();
    assert!(
        long.is_empty(),
        "split these by concept (at most {MAX_LINES} lines each): {long:?}"
    );
}

#[test]
fn the_reader_of_use_lines_sees_what_it_must() {
    let text = "use crate::testing::FakeRuntime;\n// crate::sim in a comment\nuse crate::{decide, session::Session};\nlet x = crate::journal::read(dir);";
    let used: Vec<String> = used_modules(text).into_iter().collect();
    assert_eq!(used, ["decide", "journal", "session", "testing"]);
}

/// The packages of the fake's normal dependency tree (what its binary
/// links on this host: the fake runs on Linux only, and asking for every
/// target would need crates for Windows and UEFI that a machine that only
/// built for Linux has never downloaded), by name.
fn normal_dependencies() -> BTreeSet<String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "tree",
            "--offline",
            "-p",
            "fake-runsc",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    package_names(&String::from_utf8_lossy(&output.stdout))
}

/// The names in `cargo tree --prefix none --format {p}` lines (`name vX.Y.Z
/// (path)`, with ` (*)` on repeats).
fn package_names(tree: &str) -> BTreeSet<String> {
    tree.lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

/// Packages that mean an async runtime or the client that runs runsc on one.
fn is_async(package: &str) -> bool {
    package == "tokio"
        || package.starts_with("tokio-")
        || package.starts_with("futures")
        || package == "mio"
        || package == "client-driver"
}

#[test]
fn the_reader_of_cargo_tree_sees_every_package() {
    let tree = "fake-runsc v0.1.0 (/w/fake-runsc)\nrunsc v0.1.0 (/w/core)\ntokio v1.0.0\nserde v1.0.0 (*)\n";
    let names = package_names(tree);
    assert_eq!(
        names.iter().map(String::as_str).collect::<Vec<_>>(),
        ["fake-runsc", "runsc", "serde", "tokio"]
    );
    let flagged: Vec<&String> = names.iter().filter(|p| is_async(p)).collect();
    assert_eq!(flagged, ["tokio"]);
    assert!(is_async("futures-core") && is_async("tokio-macros") && !is_async("serde"));
}

#[test]
fn the_fake_links_no_async_runtime() {
    // The fake uses core's CLI model and output types, built without the
    // client; only its tests drive it through the client (dev-dependencies).
    let packages = normal_dependencies();
    assert!(
        packages.contains("runsc") && packages.contains("serde"),
        "cargo tree did not list the fake's dependencies: {packages:?}"
    );
    let runtime: Vec<&String> = packages.iter().filter(|p| is_async(p)).collect();
    assert!(
        runtime.is_empty(),
        "the fake's normal dependency tree holds {runtime:?}; build runsc for it with \
         `default-features = false` and keep the client to the dev-dependencies \
         (`cargo tree -p fake-runsc -e normal -i tokio` shows the way in)"
    );
    // The fake reads OCI specs through core's re-export, so the client and
    // the fake always agree on the spec's types.
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
            .expect("the manifest");
    let normal = manifest
        .split("[dev-dependencies]")
        .next()
        .expect("a manifest");
    assert!(
        !normal.contains("oci-spec"),
        "fake-runsc's [dependencies] name oci-spec; use runsc::oci_spec"
    );
}
