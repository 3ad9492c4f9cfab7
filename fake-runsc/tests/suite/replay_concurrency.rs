//! Many fake processes on one session: every step is taken exactly once.

use std::collections::BTreeSet;
use std::process::Stdio;

use crate::common;
use fake_runsc::scenario::{Scenario, Step};

#[test]
fn sixty_four_calls_at_once_take_each_step_exactly_once() {
    let scenario = (0..64).fold(Scenario::new(), |scenario, n| {
        scenario.step(Step::command("list").stdout(format!("{n}\n")))
    });
    let fake = common::start(&scenario);
    let children: Vec<_> = (0..64)
        .map(|_| {
            common::command(&fake, &["list"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut answers = BTreeSet::new();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let n: u32 = String::from_utf8(output.stdout)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert!(answers.insert(n), "step {n} answered twice");
    }
    assert_eq!(answers, (0..64).collect());
    fake.verify().unwrap();
    let seqs: BTreeSet<u64> = fake
        .calls()
        .unwrap()
        .iter()
        .map(|c| c.seq.expect("a numbered call"))
        .collect();
    assert_eq!(
        seqs,
        (1..=64).collect(),
        "every call has its own sequence number"
    );
    // A 65th call finds nothing left.
    assert_eq!(
        common::call(&fake, &["list"]).code,
        Some(fake_runsc::exit::EXIT_UNMATCHED)
    );
}
