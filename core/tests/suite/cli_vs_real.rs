//! The parser against what real runsc 20221219 did with the same argv
//! (`scenarios/real-runsc/cases`): wherever runsc refused the command line itself,
//! the parser must refuse it with the same message and exit status, and
//! wherever runsc got past its flag parsing, the parser must accept it.

use std::fs;
use std::path::Path;

use runsc::cli::{Invocation, ParseError};

const GO_FLAG_MESSAGES: &[&str] = &[
    "flag provided but not defined: ",
    "invalid value ",
    "invalid boolean value ",
    "flag needs an argument: ",
    "bad flag syntax: ",
];

fn substitute(arg: &str) -> String {
    arg.replace("{root}", "/tmp/r")
        .replace("{bundle}", "/tmp/b")
        .replace("{bundle2}", "/tmp/b2")
        .replace("{bundle3}", "/tmp/b3")
        .replace("{tmp}", "/tmp/t")
        .replace("{id}", "cid")
        .replace("{id2}", "cid2")
        .replace("{id3}", "cid3")
}

#[test]
fn parser_refuses_exactly_what_runsc_refuses() {
    let cases = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/real-runsc/cases");
    let mut checked = 0;
    let mut failures = Vec::new();
    for entry in fs::read_dir(&cases).expect("scenarios/real-runsc/cases") {
        let dir = entry.unwrap().path();
        let Ok(argv) = fs::read_to_string(dir.join("argv.json")) else {
            continue;
        };
        let argv: Vec<String> = serde_json::from_str(&argv).unwrap();
        let argv: Vec<String> = argv.iter().map(|a| substitute(a)).collect();
        let meta: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(dir.join("meta.json")).unwrap()).unwrap();
        let Some(code) = meta["exit_code"].as_i64() else {
            continue;
        };
        let stderr = fs::read_to_string(dir.join("stderr")).unwrap_or_default();
        let first = stderr.lines().next().unwrap_or("");
        // A Go panic is a runtime failure past argument parsing.
        let code = if first.starts_with("panic: ") {
            0
        } else {
            code
        };
        let parsed = Invocation::parse(argv.clone());
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let flag_error = GO_FLAG_MESSAGES.iter().any(|m| first.starts_with(m));
        let ok = match (&parsed, code) {
            (Err(e @ ParseError::GlobalFlag(m)), 2) => m == first && e.exit_code() == 2,
            (Err(ParseError::SubcommandFlag { message, .. }), 128) => message == first,
            (Err(ParseError::GlobalHelp | ParseError::Version), 0) => true,
            (Err(e @ ParseError::Rejected { message, .. }), 128) => {
                message == first && e.exit_code() == 128
            }
            (
                Err(
                    e @ (ParseError::Usage(_)
                    | ParseError::SubcommandHelp(_)
                    | ParseError::NoSubcommand
                    | ParseError::UnknownSubcommand(_)),
                ),
                128,
            ) => !flag_error && e.exit_code() == 128,
            // `update` is in the model (go-runc has it) but not in runsc 20221219.
            (Ok(inv), 128) if inv.command.name() == "update" => first.is_empty() || !flag_error,
            (Err(ParseError::Unsupported(_)), _) => true,
            (Ok(_), _) => !flag_error && code != 2,
            _ => false,
        };
        if !ok {
            failures.push(format!(
                "{name}: argv {argv:?}: runsc exited {code} saying {first:?}; parser gave {parsed:?}"
            ));
        }
        checked += 1;
    }
    assert!(checked > 50, "only {checked} recorded cases found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
