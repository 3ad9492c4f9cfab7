//! Where [`decide`](super::decide) reads steps from: a scenario in memory,
//! or a scenario file through its index, one step at a time. Deciding reads
//! a step's head (subcommand, order, repeat count) for every step of the
//! call's lane and the whole step only for the few it has to match, so a
//! call against a long scenario costs what its own container's part costs.

use std::borrow::Cow;
use std::cell::RefCell;
use std::ops::Range;

use crate::matching::{self, Captures};
use crate::scenario::{Scenario, Step};

/// What deciding needs of a step before reading it whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepHead<'a> {
    /// The exact subcommand the step expects, if it names one.
    pub command: Option<&'a str>,
    /// Whether it stands outside its container's order ([`Step::is_unordered`]).
    pub unordered: bool,
    /// Whether it is `times: never`.
    pub never: bool,
    /// The fewest calls it needs.
    pub min: u32,
    /// The most calls it takes (`None`: no limit).
    pub max: Option<u32>,
}

impl<'a> StepHead<'a> {
    /// The head of a step in memory.
    pub fn of(step: &'a Step) -> Self {
        Self {
            command: step.command_name(),
            unordered: step.is_unordered(),
            never: step.times.is_never(),
            min: step.times.min(),
            max: step.times.max(),
        }
    }

    /// Whether the step takes part in its lane's ordered sequence.
    pub fn ordered(&self) -> bool {
        !self.unordered && !self.never
    }

    /// Whether the step, having taken `count` calls, can take another.
    pub fn has_room(&self, count: u32) -> bool {
        !matches!(self.max, Some(max) if count >= max)
    }
}

/// A step that may be in a lane's sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    /// The step's index.
    pub index: usize,
    /// Whether it is in the lane, when that is known without reading the
    /// step; `None`: read it and ask [`matching::step_in_lane`].
    pub in_lane: Option<bool>,
}

/// The steps a call is decided from.
pub trait StepSource {
    /// How many steps the scenario has.
    fn step_count(&self) -> usize;
    /// Step `index`'s head (`index` below [`StepSource::step_count`]).
    fn head(&self, index: usize) -> StepHead<'_>;
    /// Step `index`, whole.
    fn step(&self, index: usize) -> Result<Cow<'_, Step>, String>;
    /// Every step that may be in `lane`'s sequence, by ascending index: at
    /// least the steps [`matching::step_in_lane`] accepts.
    fn lane_candidates(
        &self,
        lane: Option<&str>,
        captures: &Captures,
    ) -> Result<Vec<Candidate>, String>;
}

impl StepSource for Scenario {
    fn step_count(&self) -> usize {
        self.steps.len()
    }

    fn head(&self, index: usize) -> StepHead<'_> {
        StepHead::of(&self.steps[index])
    }

    fn step(&self, index: usize) -> Result<Cow<'_, Step>, String> {
        self.steps
            .get(index)
            .map(Cow::Borrowed)
            .ok_or_else(|| format!("the scenario has no step #{}", index + 1))
    }

    fn lane_candidates(&self, _: Option<&str>, _: &Captures) -> Result<Vec<Candidate>, String> {
        Ok((0..self.steps.len())
            .map(|index| Candidate {
                index,
                in_lane: None,
            })
            .collect())
    }
}

/// A lane's candidate steps, each read at most once to learn whether it is
/// in the lane.
pub(super) struct LaneSteps<'a, S: ?Sized> {
    steps: &'a S,
    lane: Option<&'a str>,
    captures: &'a Captures,
    candidates: Vec<Candidate>,
    known: RefCell<Vec<Option<bool>>>,
}

impl<'a, S: StepSource + ?Sized> LaneSteps<'a, S> {
    pub(super) fn new(
        steps: &'a S,
        lane: Option<&'a str>,
        captures: &'a Captures,
    ) -> Result<Self, String> {
        let candidates = steps.lane_candidates(lane, captures)?;
        let known = RefCell::new(candidates.iter().map(|c| c.in_lane).collect());
        Ok(Self {
            steps,
            lane,
            captures,
            candidates,
            known,
        })
    }

    /// The step index at candidate position `at`.
    pub(super) fn index(&self, at: usize) -> usize {
        self.candidates[at].index
    }

    /// The candidate positions of the steps whose index is in `indices`.
    pub(super) fn within(&self, indices: Range<usize>) -> Range<usize> {
        let start = self.candidates.partition_point(|c| c.index < indices.start);
        let end = self.candidates.partition_point(|c| c.index < indices.end);
        start..end.max(start)
    }

    /// Whether the candidate at position `at` is in the lane.
    pub(super) fn member(&self, at: usize) -> Result<bool, String> {
        if let Some(known) = self.known.borrow()[at] {
            return Ok(known);
        }
        let step = self.steps.step(self.index(at))?;
        let member = matching::step_in_lane(&step, self.lane, self.captures);
        self.known.borrow_mut()[at] = Some(member);
        Ok(member)
    }

    /// The first ordered step of the lane with an index in `indices` that
    /// has had fewer calls than it needs.
    pub(super) fn first_wanting(
        &self,
        indices: Range<usize>,
        count: impl Fn(usize) -> u32,
    ) -> Result<Option<usize>, String> {
        for at in self.within(indices) {
            let index = self.index(at);
            let head = self.steps.head(index);
            if head.ordered() && count(index) < head.min && self.member(at)? {
                return Ok(Some(index));
            }
        }
        Ok(None)
    }
}
