//! The fake's own help: what `fake-runsc --help` prints after runsc's
//! usage, and `fake-runsc check --help`.

/// Printed after runsc's own usage for `fake-runsc --help`.
pub const FAKE: &str = "\
fake-runsc: a drop-in fake of runsc 20221219 for tests. It reads argv as runsc
does (refusing what runsc refuses, with runsc's words and status), then:

Modes (chosen by the environment):
  replay     FAKE_RUNSC_SCENARIO=FILE and FAKE_RUNSC_SESSION=DIR, or a
             session file ROOT/fake-runsc-session.json naming both: answer
             each call from the scenario's steps; every call is journalled
             in DIR/journal.jsonl. A call no step answers exits 86.
  record     FAKE_RUNSC_RECORD=FILE and FAKE_RUNSC_REAL=/usr/bin/runsc:
             forward to real runsc and write the calls as a scenario.
  simulate   nothing configured: behave as a stateful runsc.

The fake's own commands:
  fake-runsc check SCENARIO.json...        validate scenarios
  fake-runsc verify [--scenario F] DIR     after a test: did every expected
                                           call come, and no other?

Environment:
  FAKE_RUNSC_SCENARIO     the scenario to replay
  FAKE_RUNSC_SESSION      the per-test session directory (state, journal)
  FAKE_RUNSC_RECORD       record mode: the scenario file to write
  FAKE_RUNSC_RECORD_APPEND=1  record mode: add to that file instead of
                          starting it afresh
  FAKE_RUNSC_REAL         record mode: the real runsc to forward to
  FAKE_RUNSC_TIME_SCALE   simulator: simulated time runs N times faster

Exit statuses of the fake itself: 86 no step answers the call, 87 unusable
configuration or scenario, 88 a subcommand the fake does not implement.
";

/// `fake-runsc check --help`.
pub const CHECK: &str = "\
usage: fake-runsc check SCENARIO.json...

Validates scenario files before a test trips over them: format errors (with
line and column), unknown fields and field paths, bad regexes, captures
referred to before any step makes them, values a field can never have, and
steps that are unreachable or shadowed by an earlier step that takes any
number of calls. Prints `FILE: ok` or one line per problem.
Exit status 0 when every file is clean, 1 otherwise, 2 on bad usage.
";
