//! The gate's verdicts as the user and CI read them: a terminal table, a
//! Markdown summary (fit for a CI job summary), JSON, and JUnit XML (one
//! test suite per device, one test case per cell-metric; a confirmed
//! regression is a failure with its figures, an inconclusive comparison is
//! skipped).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::gate::{CellGate, GateOutcome};
use super::orientation::change_as_read;
use super::verdict::Verdict;
use crate::store::{CellMeta, GateVerdict};

/// One cell-metric, flattened for output.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// Device name.
    pub device: String,
    /// Model name.
    pub model: String,
    /// Canonical recipe.
    pub recipe: String,
    /// Workload label (`t2-p64-g32`).
    pub workload: String,
    /// The cell's id.
    pub cell_id: String,
    /// The metric's name.
    pub metric: String,
    /// `REGRESSED`, `SUSPECT`, `IMPROVED`, `UNCHANGED`, `INCONCLUSIVE`,
    /// `NOT COMPARABLE`.
    pub verdict: String,
    /// Why, for inconclusive and not comparable.
    pub reason: Option<String>,
    /// The change as the metric reads, percent.
    pub change_pct: Option<f64>,
    /// Its confidence interval, percent.
    pub change_ci_pct: (Option<f64>, Option<f64>),
    /// Stage-1 one-sided p-value ("worse").
    pub p: Option<f64>,
    /// Stage-2 Holm-adjusted p-value, for suspects.
    pub p_confirm: Option<f64>,
    /// Valid stage-1 blocks.
    pub blocks: usize,
    /// Blocks redone because an arm was not valid (throttling, a capped
    /// clock, an unsettled temperature...).
    pub invalid_blocks: usize,
    /// Whether both arms ran the same artifacts (A/A).
    pub same_artifacts: bool,
    /// Whether this is an A/A canary (see
    /// [`canaries`](super::canaries)): a change found is a false alarm.
    pub canary: bool,
}

impl Row {
    /// The row as the store keeps it.
    pub fn verdict(&self) -> GateVerdict {
        GateVerdict {
            cell_id: self.cell_id.clone(),
            canary: self.canary,
            metric: self.metric.clone(),
            verdict: self.verdict.clone(),
            change_pct: self.change_pct,
            ci_low_pct: self.change_ci_pct.0,
            ci_high_pct: self.change_ci_pct.1,
            p: self.p,
            p_confirm: self.p_confirm,
            blocks: self.blocks,
            invalid_blocks: self.invalid_blocks,
            reason: self.reason.clone(),
        }
    }
}

/// Whether the gate decided on a cell-metric with this verdict label: it
/// was neither inconclusive nor not comparable.
pub fn decided(verdict: &str) -> bool {
    matches!(verdict, "REGRESSED" | "SUSPECT" | "IMPROVED" | "UNCHANGED")
}

/// What the A/A canaries of a run said.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CanaryTally {
    /// Canary cell-metrics decided (regressed, suspect, improved or
    /// unchanged).
    pub compared: usize,
    /// Of those, confirmed regressions: false alarms that would fail a
    /// night.
    pub false_regressions: usize,
    /// Of those, improvements.
    pub false_improvements: usize,
}

impl CanaryTally {
    /// The canary rows of `rows`, counted.
    pub fn of(rows: &[Row]) -> Self {
        let mut t = CanaryTally::default();
        for r in rows.iter().filter(|r| r.canary) {
            t.count(&r.verdict);
        }
        t
    }

    /// Counts one canary verdict (by its label); inconclusive and not
    /// comparable ones are not decided and do not count.
    pub fn count(&mut self, verdict: &str) {
        if !decided(verdict) {
            return;
        }
        self.compared += 1;
        self.false_regressions += usize::from(verdict == "REGRESSED");
        self.false_improvements += usize::from(verdict == "IMPROVED");
    }

    /// `A/A canaries: 28 cell-metrics, 0 false regressions, 1 false
    /// improvement`, or `None` without canaries.
    pub fn line(&self, rows: &[Row]) -> Option<String> {
        if !rows.iter().any(|r| r.canary) {
            return None;
        }
        Some(format!(
            "A/A canaries (current artifacts against themselves): {} cell-metric{} decided, \
             {} false regression{}, {} false improvement{}",
            self.compared,
            if self.compared == 1 { "" } else { "s" },
            self.false_regressions,
            if self.false_regressions == 1 { "" } else { "s" },
            self.false_improvements,
            if self.false_improvements == 1 {
                ""
            } else {
                "s"
            },
        ))
    }
}

/// The rows of every cell-metric, in cell order.
pub fn rows(gates: &BTreeMap<String, CellGate>, metas: &BTreeMap<String, CellMeta>) -> Vec<Row> {
    let mut out = Vec::new();
    for (id, g) in gates {
        let cell_id = g.canary_of.as_ref().unwrap_or(id);
        let Some(m) = metas.get(cell_id) else {
            continue;
        };
        let base = |metric: String, verdict: String, reason: Option<String>| Row {
            device: m.device.clone(),
            model: m.model.clone(),
            recipe: m.recipe.clone(),
            workload: m.workload(),
            cell_id: cell_id.clone(),
            metric,
            verdict,
            reason,
            change_pct: None,
            change_ci_pct: (None, None),
            p: None,
            p_confirm: None,
            blocks: g.blocks,
            invalid_blocks: g.invalid_blocks,
            same_artifacts: g.same_artifacts,
            canary: g.canary_of.is_some(),
        };
        if let Some(why) = &g.not_comparable {
            out.push(base("*".into(), "NOT COMPARABLE".into(), Some(why.clone())));
            continue;
        }
        for c in &g.comparisons {
            let mut row = base(
                c.name().to_owned(),
                c.verdict.label().to_owned(),
                reason(&c.verdict),
            );
            if let Some(shift) = c.shift() {
                let read = change_as_read(c.metric, shift);
                row.change_pct = Some(read.pct);
                row.change_ci_pct = (read.lower_pct, read.upper_pct);
            }
            row.p = c.p();
            row.p_confirm = c.confirmation.as_ref().map(|x| x.p_adjusted);
            out.push(row);
        }
        for x in &g.exact {
            let fmt = |v: f64| {
                if v.fract() == 0.0 && v.abs() < 1e15 {
                    format!("{v:.0}")
                } else {
                    format!("{v:.3}")
                }
            };
            out.push(base(
                x.metric.column().to_owned(),
                x.verdict.label().to_owned(),
                Some(format!(
                    "exact: {} → {} ({}{})",
                    fmt(x.baseline),
                    fmt(x.candidate),
                    if x.difference >= 0.0 { "+" } else { "" },
                    fmt(x.difference)
                )),
            ));
        }
    }
    out
}

fn reason(v: &Verdict) -> Option<String> {
    match v {
        Verdict::Inconclusive { reason } => Some(reason.to_string()),
        Verdict::NotComparable { reason } => Some(reason.to_string()),
        _ => None,
    }
}

fn pct(x: Option<f64>) -> String {
    x.map_or("∞".to_owned(), |v| format!("{v:+.1}"))
}

fn change(r: &Row) -> String {
    match r.change_pct {
        Some(c) => format!(
            "{c:+.1} % [{}, {}]",
            pct(r.change_ci_pct.0),
            pct(r.change_ci_pct.1)
        ),
        None => "n/a".to_owned(),
    }
}

fn p(x: Option<f64>) -> String {
    x.map_or("n/a".to_owned(), |v| format!("{v:.2e}"))
}

/// Counts per verdict label.
pub fn counts(rows: &[Row]) -> BTreeMap<String, usize> {
    let mut c = BTreeMap::new();
    for r in rows {
        *c.entry(r.verdict.clone()).or_insert(0) += 1;
    }
    c
}

/// The terminal table: every row that is not unchanged, then the counts.
pub fn terminal(all: &[Row], outcome: GateOutcome, baseline: &str) -> String {
    let mut s = format!("regression gate against {baseline} (paired blocks, same session):\n");
    let rows: Vec<Row> = all.iter().filter(|r| !r.canary).cloned().collect();
    let rows = rows.as_slice();
    let shown: Vec<&Row> = rows.iter().filter(|r| r.verdict != "UNCHANGED").collect();
    if !shown.is_empty() {
        let _ = writeln!(
            s,
            "  {:<10} {:<12} {:<14} {:<12} {:<26} {:<15} {:>30} {:>9} {:>9}",
            "device",
            "model",
            "recipe",
            "workload",
            "metric",
            "verdict",
            "change [CI]",
            "p",
            "p confirm"
        );
    }
    for r in shown {
        let _ = writeln!(
            s,
            "  {:<10} {:<12} {:<14} {:<12} {:<26} {:<15} {:>30} {:>9} {:>9}{}",
            r.device,
            r.model,
            r.recipe,
            r.workload,
            r.metric,
            r.verdict,
            change(r),
            p(r.p),
            p(r.p_confirm),
            r.reason
                .as_ref()
                .map(|x| format!("  ({x})"))
                .unwrap_or_default()
        );
    }
    let counts: Vec<String> = counts(rows)
        .into_iter()
        .map(|(k, v)| format!("{v} {}", k.to_lowercase()))
        .collect();
    let _ = writeln!(
        s,
        "  {} cell-metrics: {}; verdict: {}",
        rows.len(),
        counts.join(", "),
        match outcome {
            GateOutcome::Passed => "no confirmed regression",
            GateOutcome::Regressed => "REGRESSED",
            GateOutcome::NothingComparable => "nothing comparable",
        }
    );
    let invalid: usize = invalid_blocks(rows);
    if invalid > 0 {
        let _ = writeln!(
            s,
            "  {invalid} block{} redone because an arm was not valid (throttling, a capped clock, an unsettled temperature)",
            if invalid == 1 { "" } else { "s" }
        );
    }
    if let Some(line) = CanaryTally::of(all).line(all) {
        let _ = writeln!(s, "  {line}");
    }
    s
}

/// Blocks redone over the cells of `rows` (each cell counted once).
fn invalid_blocks(rows: &[Row]) -> usize {
    let mut seen = std::collections::BTreeSet::new();
    rows.iter()
        .filter(|r| seen.insert((&r.cell_id, r.canary)))
        .map(|r| r.invalid_blocks)
        .sum()
}

/// A Markdown summary: the verdict, then the rows that are not unchanged.
pub fn markdown(all: &[Row], outcome: GateOutcome, baseline: &str) -> String {
    let rows: Vec<Row> = all.iter().filter(|r| !r.canary).cloned().collect();
    let rows = rows.as_slice();
    let mut s = format!(
        "## Regression gate: {}\n\nAgainst `{baseline}`, baseline and candidate interleaved in paired blocks on each device.\n\n",
        match outcome {
            GateOutcome::Passed => "no confirmed regression",
            GateOutcome::Regressed => "**regressed**",
            GateOutcome::NothingComparable => "nothing comparable",
        }
    );
    let counts: Vec<String> = counts(rows)
        .into_iter()
        .map(|(k, v)| format!("{v} {}", k.to_lowercase()))
        .collect();
    let _ = writeln!(s, "{} cell-metrics: {}.\n", rows.len(), counts.join(", "));
    let shown: Vec<&Row> = rows.iter().filter(|r| r.verdict != "UNCHANGED").collect();
    if !shown.is_empty() {
        s.push_str("| device | model | recipe | workload | metric | verdict | change [CI] | p | p confirm |\n");
        s.push_str("|---|---|---|---|---|---|---|---|---|\n");
        for r in shown {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {}{} | {} | {} | {} |",
                md(&r.device),
                md(&r.model),
                md(&r.recipe),
                r.workload,
                r.metric,
                r.verdict,
                r.reason
                    .as_ref()
                    .map(|x| format!(" ({})", md(x)))
                    .unwrap_or_default(),
                change(r),
                p(r.p),
                p(r.p_confirm)
            );
        }
    }
    if let Some(line) = CanaryTally::of(all).line(all) {
        let _ = writeln!(s, "\n{line}.");
    }
    s
}

fn md(s: &str) -> String {
    edgebench_reports::escape_markdown(s)
}

/// JUnit XML: a suite per device, a case per cell-metric (canaries are
/// calibration, not tests of the candidate: left out).
pub fn junit(rows: &[Row], baseline: &str) -> String {
    let mut by_device: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
    for r in rows.iter().filter(|r| !r.canary) {
        by_device.entry(&r.device).or_default().push(r);
    }
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"edgebench regression gate\">\n",
    );
    for (device, rows) in by_device {
        let failures = rows.iter().filter(|r| r.verdict == "REGRESSED").count();
        let skipped = rows
            .iter()
            .filter(|r| matches!(r.verdict.as_str(), "INCONCLUSIVE" | "NOT COMPARABLE"))
            .count();
        let _ = writeln!(
            s,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">",
            xml(device),
            rows.len()
        );
        let _ = writeln!(
            s,
            "    <properties><property name=\"baseline\" value=\"{}\"/></properties>",
            xml(baseline)
        );
        for r in rows {
            let class = format!("{}.{}.{}", r.model, r.recipe, r.workload);
            let _ = write!(
                s,
                "    <testcase classname=\"{}\" name=\"{}\"",
                xml(&class),
                xml(&r.metric)
            );
            match r.verdict.as_str() {
                "REGRESSED" => {
                    let _ = writeln!(
                        s,
                        ">\n      <failure type=\"regression\" message=\"{}\">{}</failure>\n    </testcase>",
                        xml(&format!(
                            "{} {} p={} (confirmed, adjusted p={})",
                            r.metric,
                            change(r),
                            p(r.p),
                            p(r.p_confirm)
                        )),
                        xml(&format!("cell {} over {} blocks", r.cell_id, r.blocks))
                    );
                }
                "INCONCLUSIVE" | "NOT COMPARABLE" => {
                    let _ = writeln!(
                        s,
                        ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                        xml(&format!(
                            "{}: {}",
                            r.verdict.to_lowercase(),
                            r.reason.as_deref().unwrap_or("")
                        ))
                    );
                }
                _ => {
                    let _ = writeln!(
                        s,
                        "><system-out>{}</system-out></testcase>",
                        xml(&format!("{} {}", r.verdict, change(r)))
                    );
                }
            }
        }
        s.push_str("  </testsuite>\n");
    }
    s.push_str("</testsuites>\n");
    s
}

fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}
