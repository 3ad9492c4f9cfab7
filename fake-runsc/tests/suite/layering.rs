//! The fake's dependencies point one way (ARCHITECTURE.md): the pure core
//! below the I/O, below the modes, below the entry point, with test support
//! on top and used by nothing in production; and the fake links no async
//! runtime of its own. Read from the sources and from cargo, so a change
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
            "exit", "error", "signals", "help", "argv", "config", "scenario", "matching", "decide",
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

#[test]
fn the_reader_of_use_lines_sees_what_it_must() {
    let text = "use crate::testing::FakeRuntime;\n// crate::sim in a comment\nuse crate::{decide, session::Session};\nlet x = crate::journal::read(dir);";
    let used: Vec<String> = used_modules(text).into_iter().collect();
    assert_eq!(used, ["decide", "journal", "session", "testing"]);
}

/// `cargo tree` of the fake's normal dependencies, inverted on `package`.
fn who_pulls_in(package: &str) -> String {
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
            "--target",
            "all",
            "--prefix",
            "depth",
            "-i",
            package,
        ])
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn the_fake_itself_links_no_async_runtime() {
    // tokio reaches the fake only through the runsc crate, whose CLI model
    // the fake parses argv with; the fake's own code and its direct
    // dependencies use neither tokio nor the client driver.
    for package in ["tokio", "futures-core"] {
        let tree = who_pulls_in(package);
        let direct: Vec<&str> = tree.lines().filter(|l| l.starts_with('1')).collect();
        assert!(
            direct.iter().all(|l| l.starts_with("1runsc ")),
            "{package} is a direct dependency of something in the fake besides runsc:\n{tree}"
        );
        assert!(
            !tree.contains("client-driver"),
            "the fake links the client driver:\n{tree}"
        );
    }
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
            .expect("the manifest");
    let normal = manifest
        .split("[dev-dependencies]")
        .next()
        .expect("a manifest");
    for forbidden in ["tokio", "futures-core", "client-driver", "oci-spec"] {
        assert!(
            !normal.contains(forbidden),
            "fake-runsc's [dependencies] name {forbidden}"
        );
    }
}
