//! Unit tests of `program.rs`: the simulated programs.

use super::*;

fn program(args: &[&str]) -> Vec<Step> {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    Program::from_spec(&args, &BTreeMap::new()).unwrap().steps
}

fn out(text: &str) -> Step {
    Step::Write(Stream::Stdout, text.as_bytes().to_vec())
}

#[test]
fn sleep_reads_operands_as_gnu_sleep_does() {
    for forever in ["infinity", "inf", "INFINITY"] {
        assert_eq!(
            program(&["sleep", forever]),
            vec![Step::Forever],
            "{forever}"
        );
    }
    assert_eq!(
        program(&["sleep", "0x10", ".5", "1e1"]),
        vec![Step::Sleep(Duration::from_secs_f64(26.5)), Step::Status(0)]
    );
    assert_eq!(
        program(&["sleep", "nan"])[0],
        Step::Write(
            Stream::Stderr,
            b"sleep: invalid time interval 'nan'\nTry 'sleep --help' for more information.\n"
                .to_vec()
        )
    );
}

#[test]
fn commands_outside_the_language_are_named() {
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        unplayable(&args(&["cat", "/etc/motd"])),
        Some("cat".to_owned())
    );
    assert_eq!(
        unplayable(&args(&["sh", "-c", "echo a; pwd"])),
        Some("pwd".to_owned())
    );
    assert_eq!(
        unplayable(&args(&["sh", "-c", "echo $FOO"])),
        Some("sh -c \"echo $FOO\"".to_owned())
    );
    assert_eq!(unplayable(&args(&["sleep", "infinity"])), None);
    assert_eq!(
        unplayable(&args(&["sh", "-c", "echo a >&2 && exit 3"])),
        None
    );
    let message = unplayable_message("cat");
    assert!(message.contains("\"cat\"") && message.contains("FAKE_RUNSC_PROCESSES"));
}

#[test]
fn known_commands() {
    assert_eq!(
        program(&["echo", "hello", "world"]),
        vec![out("hello world\n"), Step::Status(0)]
    );
    assert_eq!(
        program(&["/bin/echo", "-n", "x"]),
        vec![out("x"), Step::Status(0)]
    );
    assert_eq!(program(&["true"]), vec![Step::Status(0)]);
    assert_eq!(program(&["false"]), vec![Step::Status(1)]);
    assert_eq!(
        program(&["sleep", "1.5"]),
        vec![Step::Sleep(Duration::from_millis(1500)), Step::Status(0)]
    );
    assert_eq!(
        program(&["nginx", "-g", "daemon off;"]),
        vec![Step::Forever]
    );
}

#[test]
fn sleep_refuses_options_like_gnu_sleep() {
    let steps = program(&["sleep", "3", "--pid-file=/tmp/x"]);
    assert_eq!(
        steps,
        vec![
            Step::Write(
                Stream::Stderr,
                b"sleep: unrecognized option '--pid-file=/tmp/x'\nTry 'sleep --help' for more information.\n".to_vec()
            ),
            Step::Status(1)
        ]
    );
}

#[test]
fn shell_scripts() {
    assert_eq!(program(&["sh", "-c", "exit 7"]), vec![Step::Exit(7)]);
    assert_eq!(
        program(&["sh", "-c", "sleep 2; exit 3"]),
        vec![
            Step::Sleep(Duration::from_secs(2)),
            Step::Status(0),
            Step::Exit(3)
        ]
    );
    assert_eq!(
        program(&["sh", "-c", "echo out; echo err >&2; exit 3"]),
        vec![
            out("out\n"),
            Step::Status(0),
            Step::Write(Stream::Stderr, b"err\n".to_vec()),
            Step::Status(0),
            Step::Exit(3)
        ]
    );
    assert_eq!(
        program(&["sh", "-c", "false && echo no"]),
        vec![Step::Status(1)]
    );
    assert_eq!(
        program(&[
            "sh",
            "-c",
            "trap 'exit 143' TERM; while :; do sleep 0.1; done"
        ]),
        vec![Step::Forever]
    );
    assert_eq!(
        program(&["sh", "-c", "echo 'a  b'"]),
        vec![out("a  b\n"), Step::Status(0)]
    );
}

#[test]
fn shells_fork_external_commands_of_multi_command_scripts() {
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        forked_children(&args(&["sh", "-c", "sleep 2; exit 4"])),
        ["sleep"]
    );
    assert!(forked_children(&args(&["sh", "-c", "exit 5"])).is_empty());
    assert!(forked_children(&args(&["sh", "-c", "sleep 5"])).is_empty());
    assert!(forked_children(&args(&["sleep", "5"])).is_empty());
    assert!(forked_children(&args(&["sh", "-c", "echo a; echo b"])).is_empty());
}

#[test]
fn annotations_override_argv() {
    let mut annotations = BTreeMap::new();
    annotations.insert(ANNOTATION_STDOUT.to_owned(), "hi\n".to_owned());
    annotations.insert(ANNOTATION_DURATION_MS.to_owned(), "250".to_owned());
    annotations.insert(ANNOTATION_EXIT_CODE.to_owned(), "42".to_owned());
    let steps = Program::from_spec(&["sleep".to_owned(), "1000".to_owned()], &annotations)
        .unwrap()
        .steps;
    assert_eq!(
        steps,
        vec![
            out("hi\n"),
            Step::Sleep(Duration::from_millis(250)),
            Step::Exit(42)
        ]
    );
    annotations.insert(ANNOTATION_EXIT_CODE.to_owned(), "300".to_owned());
    let err = Program::from_spec(&[], &annotations).unwrap_err();
    assert!(err.contains(ANNOTATION_EXIT_CODE), "{err}");
}
