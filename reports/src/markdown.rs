//! `summary.md`: the comparison tables in GitHub Markdown, fit for a
//! pull-request comment, with the regression gate's verdict, the
//! recommendation and the cells that did not succeed. Every name and
//! message from the results is escaped.

use std::fmt::Write;

use crate::gate::{change_text, confirmed_rows, counts_text, p_text};
use crate::model::{GateSummary, ReportInput, Selection};
use crate::notes::Notes;
use crate::recommend::{Recommendation, recommend};
use crate::table::{Table, build_tables};

/// Escapes `s` so Markdown shows it as text: inline markup, table pipes,
/// links and HTML are neutralised and line breaks become spaces.
pub fn escape_markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' | '\r' => out.push(' '),
            '\\' | '|' | '*' | '_' | '`' | '[' | ']' | '#' | '~' | '!' => {
                out.push('\\');
                out.push(ch);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Footnotes numbered across the document, one per distinct reason.
#[derive(Default)]
struct Footnotes {
    notes: Notes,
    written: usize,
}

impl Footnotes {
    /// The number of `reason`'s footnote.
    fn number(&mut self, reason: &str) -> usize {
        self.notes.number(reason)
    }

    /// Definitions of the footnotes added since the last call.
    fn flush(&mut self, out: &mut String) {
        let notes = self.notes.all();
        if self.written < notes.len() {
            out.push('\n');
        }
        for (i, note) in notes.iter().enumerate().skip(self.written) {
            let _ = writeln!(out, "[^{}]: {}", i + 1, escape_markdown(note));
        }
        self.written = notes.len();
    }
}

/// The whole `summary.md` of a run.
pub fn render_markdown(input: &ReportInput, selection: &Selection) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# edgebench: {}\n",
        escape_markdown(&input.matrix_name)
    );
    let total = input.cells.len();
    let failed = input.failed_cells().count();
    let _ = writeln!(
        out,
        "Run {}, started {}: {total} cell{}, {} ok, {failed} did not succeed.",
        escape_markdown(&input.run_id),
        escape_markdown(&input.started),
        if total == 1 { "" } else { "s" },
        total - failed,
    );
    if let Some(gate) = &input.gate {
        render_gate(gate, &mut out);
    }
    if total == 0 {
        out.push_str("\nNo cells in this run: nothing was measured.\n");
        return out;
    }
    if failed == total {
        out.push_str(
            "\nNo cell succeeded: every value below is n/a; the errors are listed at the end.\n",
        );
    }
    let mut notes = Footnotes::default();
    let recommendations = recommend(input, selection);
    for (table, rec) in build_tables(input).iter().zip(&recommendations) {
        render_table(table, &mut notes, &mut out);
        out.push_str("\n### Recommendation\n\n");
        out.push_str(&render_recommendation(rec));
    }
    render_failed(input, &mut out);
    out
}

/// The regression gate: baseline, outcome, counts and the confirmed
/// regressions and improvements.
fn render_gate(gate: &GateSummary, out: &mut String) {
    let _ = writeln!(
        out,
        "\n## Regression gate\n\nAgainst {}: **{}**. {}.\n",
        escape_markdown(&gate.baseline),
        escape_markdown(&gate.outcome),
        escape_markdown(&counts_text(gate)),
    );
    let rows = confirmed_rows(gate);
    if rows.is_empty() {
        out.push_str("No confirmed regression or improvement.\n");
        return;
    }
    out.push_str("| Device | Model | Recipe | Workload | Metric | Verdict | Change [CI] | p |\n");
    out.push_str("|---|---|---|---|---|---|---:|---:|\n");
    for r in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            escape_markdown(&r.device),
            escape_markdown(&r.model),
            escape_markdown(&r.recipe),
            escape_markdown(&r.workload),
            escape_markdown(&r.metric),
            escape_markdown(&r.verdict),
            change_text(r),
            p_text(r.p),
        );
    }
}

/// One table with its heading and footnotes.
fn render_table(table: &Table, notes: &mut Footnotes, out: &mut String) {
    let _ = writeln!(
        out,
        "\n## {} on {}\n\n{}. Best value per row in **bold**; brackets hold the 95 % confidence interval of the median.\n",
        escape_markdown(&table.model),
        escape_markdown(&table.device),
        table.workload,
    );
    out.push_str("| Metric |");
    for recipe in &table.recipes {
        let _ = write!(out, " {} |", escape_markdown(recipe));
    }
    out.push_str("\n|---|");
    out.push_str(&"---:|".repeat(table.recipes.len()));
    out.push('\n');
    for row in &table.rows {
        let _ = write!(out, "| {} |", escape_markdown(&row.label));
        for cell in &row.cells {
            // Numbers, `ref` and `n/a`: text this crate wrote, not user input.
            let text = match &cell.ci {
                Some(ci) => format!("{} {ci}", cell.text),
                None => cell.text.clone(),
            };
            let _ = match (&cell.note, cell.is_best) {
                (Some(note), _) => write!(out, " {text}[^{}] |", notes.number(note)),
                (None, true) => write!(out, " **{text}** |"),
                (None, false) => write!(out, " {text} |"),
            };
        }
        out.push('\n');
    }
    notes.flush(out);
}

/// A recommendation as Markdown: the choice and why, then the dominated
/// and the rejected recipes.
pub fn render_recommendation(rec: &Recommendation) -> String {
    let mut out = String::new();
    match &rec.chosen {
        Some(recipe) => {
            let _ = writeln!(
                out,
                "Recommended: **{}**: {}.",
                escape_markdown(recipe),
                escape_markdown(&rec.why)
            );
        }
        None => {
            let _ = writeln!(out, "No recommendation: {}.", escape_markdown(&rec.why));
        }
    }
    let list = |title: &str, items: &[(String, String)], out: &mut String| {
        if items.is_empty() {
            return;
        }
        let _ = writeln!(out, "\n{title}:\n");
        for (recipe, why) in items {
            let _ = writeln!(
                out,
                "- {}: {}",
                escape_markdown(recipe),
                escape_markdown(why)
            );
        }
    };
    let dominated: Vec<(String, String)> = rec
        .dominated
        .iter()
        .map(|(r, by)| (r.clone(), format!("dominated by {by}")))
        .collect();
    list(
        "Dominated on latency, accuracy drop and size",
        &dominated,
        &mut out,
    );
    list("Left out", &rec.rejected, &mut out);
    out
}

/// The cells that did not succeed, with status and error.
fn render_failed(input: &ReportInput, out: &mut String) {
    let failed: Vec<_> = input.failed_cells().collect();
    if failed.is_empty() {
        return;
    }
    out.push_str("\n## Cells that did not succeed\n\n");
    out.push_str("| Device | Model | Recipe | Status | Error |\n|---|---|---|---|---|\n");
    for c in failed {
        let status = c.result.status;
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            escape_markdown(&c.device),
            escape_markdown(&c.model),
            escape_markdown(&c.column()),
            status.name(),
            escape_markdown(c.result.error.as_deref().unwrap_or("no error given")),
        );
    }
}
