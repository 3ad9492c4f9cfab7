//! The benchmark report: one markdown table row per measured figure.

use std::fmt::Write as _;

/// Whether a figure met its target. Benchmarks never fail on this: it is
/// information for the reader, not a gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The target was met.
    Met,
    /// The target was missed.
    Missed,
    /// The figure has no target or could not be judged.
    NotApplicable,
}

impl Verdict {
    /// `Met` when `ok`, else `Missed`.
    pub fn from_bool(ok: bool) -> Self {
        if ok {
            Self::Met
        } else {
            Self::Missed
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Met => "yes",
            Self::Missed => "**no**",
            Self::NotApplicable => "–",
        }
    }
}

/// One row of the report.
#[derive(Debug, Clone)]
pub struct Row {
    /// The figure's number in the report (1..=6).
    pub figure: u8,
    /// What was measured.
    pub what: String,
    /// The measured value (median, throughput, ...).
    pub value: String,
    /// What it is compared with, and that value.
    pub baseline: String,
    /// The ratio the target is stated in, already formatted.
    pub ratio: String,
    /// The figure's target.
    pub target: String,
    /// Whether the target was met.
    pub verdict: Verdict,
}

/// The whole report: the rows plus notes on how it was measured and what was
/// left out (e.g. real runsc unavailable).
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Table rows, in figure order.
    pub rows: Vec<Row>,
    /// Free-text notes printed under the table.
    pub notes: Vec<String>,
}

impl Report {
    /// Adds a row.
    pub fn row(&mut self, row: Row) {
        self.rows.push(row);
    }

    /// Adds a note.
    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    /// The report as markdown.
    pub fn to_markdown(&self, title: &str) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# {title}\n");
        out.push_str("| # | measured | value | compared with | ratio | target | met |\n");
        out.push_str("|---|---|---|---|---|---|---|\n");
        for row in &self.rows {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |",
                row.figure,
                cell(&row.what),
                cell(&row.value),
                cell(&row.baseline),
                cell(&row.ratio),
                cell(&row.target),
                row.verdict.as_str()
            );
        }
        if !self.notes.is_empty() {
            out.push_str("\nNotes:\n\n");
            for note in &self.notes {
                let _ = writeln!(out, "- {}", note.replace('\n', " "));
            }
        }
        out
    }
}

/// Keeps a cell on one table line: pipes and newlines would break the row.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_a_table_with_escaped_cells_and_notes() {
        let mut report = Report::default();
        report.row(Row {
            figure: 1,
            what: "fake | state".into(),
            value: "1.00 ms".into(),
            baseline: "/bin/true 0.80 ms".into(),
            ratio: "1.25×".into(),
            target: "≤ 1.5×".into(),
            verdict: Verdict::from_bool(true),
        });
        report.note("real runsc\nnot available");
        let md = report.to_markdown("Bench");
        assert_eq!(
            md,
            "# Bench\n\n\
             | # | measured | value | compared with | ratio | target | met |\n\
             |---|---|---|---|---|---|---|\n\
             | 1 | fake \\| state | 1.00 ms | /bin/true 0.80 ms | 1.25× | ≤ 1.5× | yes |\n\
             \nNotes:\n\n- real runsc not available\n"
        );
    }
}
