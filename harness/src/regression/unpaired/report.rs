//! An [`UnpairedComparison`] as people and scripts read it: a terminal
//! table, Markdown, CSV (one row per cell-metric, and one per cell only
//! one run has) and JSON. Each starts by saying the comparison is
//! unpaired.

use std::fmt::Write as _;

use crate::store::Metric;

use super::{BANNER, CellComparison, LoneCell, MetricChange, RunSide, UnpairedComparison};

/// The columns of [`csv()`], in order.
pub const CSV_COLUMNS: [&str; 23] = [
    "comparison",
    "run_a",
    "run_b",
    "in",
    "device",
    "model",
    "recipe",
    "workload",
    "cell_id_a",
    "cell_id_b",
    "status_a",
    "status_b",
    "files",
    "metric",
    "a",
    "b",
    "change_pct",
    "difference",
    "reps_a",
    "reps_b",
    "reps_overlap",
    "u",
    "p_unpaired",
];

/// What the p-value column means, printed under the tables.
const P_NOTE: &str = "p: two-sided Mann–Whitney U over the reps of two sessions (unpaired); \
     it ignores the session-to-session shift and overstates significance";

const TABLE_HEADER: [&str; 11] = [
    "device",
    "model",
    "recipe",
    "workload",
    "files",
    "metric",
    "A",
    "B",
    "change",
    "reps",
    "p (unpaired)",
];

const LONE_HEADER: [&str; 6] = ["device", "model", "recipe", "workload", "cell id", "status"];

/// A value as shown: whole numbers without decimals, others to about
/// four significant digits.
fn value(v: Option<f64>) -> String {
    match v {
        None => "n/a".to_owned(),
        Some(v) if v.fract() == 0.0 && v.abs() < 1e15 => format!("{v:.0}"),
        Some(v) if v.abs() >= 100.0 => format!("{v:.1}"),
        Some(v) if v.abs() >= 1.0 => format!("{v:.3}"),
        Some(v) => format!("{v:.4}"),
    }
}

/// The change as shown: percent, points of a percent, or the difference
/// when no ratio exists.
fn change(m: &MetricChange) -> String {
    match (m.change_pct, m.difference) {
        (Some(pct), _) => format!("{pct:+.1} %"),
        (None, Some(d)) if m.metric == Metric::PplDeltaPct.column() => format!("{d:+.2} pp"),
        (None, Some(d)) => format!("{d:+.3} (diff)"),
        (None, None) => "n/a".to_owned(),
    }
}

/// `3/3 overlap` or `3/3 apart`; empty without per-rep samples.
fn reps(m: &MetricChange) -> String {
    m.samples.map_or_else(String::new, |s| {
        format!(
            "{}/{} {}",
            s.n_a,
            s.n_b,
            if s.overlap { "overlap" } else { "apart" }
        )
    })
}

fn p(m: &MetricChange) -> String {
    m.samples.map_or_else(String::new, |s| {
        if s.p_unpaired >= 0.001 {
            format!("{:.3}", s.p_unpaired)
        } else {
            format!("{:.1e}", s.p_unpaired)
        }
    })
}

fn status_note(c: &CellComparison) -> Option<String> {
    (c.status_a != "ok" || c.status_b != "ok")
        .then(|| format!("A {}, B {}", c.status_a, c.status_b))
}

/// The rows of the main table: one per cell-metric, one for a cell with
/// no metric to show.
fn table_rows(cmp: &UnpairedComparison) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for c in &cmp.cells {
        let l = &c.cell;
        let mut files = c.files.label().to_owned();
        if let Some(note) = status_note(c) {
            let _ = write!(files, " ({note})");
        }
        let base = [&l.device, &l.model, &l.recipe, &l.workload, &files].map(|s| s.to_string());
        if c.metrics.is_empty() {
            let mut row = base.to_vec();
            row.extend(["(no metric)".to_owned()]);
            row.resize(TABLE_HEADER.len(), String::new());
            rows.push(row);
        }
        for m in &c.metrics {
            let mut row = base.to_vec();
            row.extend([
                m.metric.to_owned(),
                value(m.a),
                value(m.b),
                change(m),
                reps(m),
                p(m),
            ]);
            rows.push(row);
        }
    }
    rows
}

fn lone_rows(cells: &[LoneCell]) -> Vec<Vec<String>> {
    cells
        .iter()
        .map(|c| {
            let l = &c.cell;
            vec![
                l.device.clone(),
                l.model.clone(),
                l.recipe.clone(),
                l.workload.clone(),
                c.cell_id.clone(),
                c.status.to_owned(),
            ]
        })
        .collect()
}

/// Columns padded to their widest cell, numbers (from `numeric_from` on)
/// aligned right, each line indented by two spaces.
fn aligned(header: &[&str], rows: &[Vec<String>], numeric_from: usize) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::from(" ");
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            let pad = " ".repeat(w - cell.chars().count());
            if i >= numeric_from {
                let _ = write!(s, " {pad}{cell}");
            } else {
                let _ = write!(s, " {cell}{pad}");
            }
        }
        s.trim_end().to_owned() + "\n"
    };
    let mut s = line(header.to_vec());
    for row in rows {
        s += &line(row.iter().map(String::as_str).collect());
    }
    s
}

fn side(label: &str, r: &RunSide) -> String {
    format!(
        "{label}: {} (matrix {}, started {}, {})",
        r.id, r.matrix, r.started, r.status
    )
}

fn counts(cmp: &UnpairedComparison) -> String {
    format!(
        "{} cells in both runs, {} only in A, {} only in B",
        cmp.cells.len(),
        cmp.only_in_a.len(),
        cmp.only_in_b.len()
    )
}

/// The terminal table: the banner, the two runs, one line per
/// cell-metric, then the cells only one run has.
pub fn text(cmp: &UnpairedComparison) -> String {
    let mut s = format!(
        "{BANNER}\n{}\n{}\n",
        side("A", &cmp.run_a),
        side("B", &cmp.run_b)
    );
    let rows = table_rows(cmp);
    if !rows.is_empty() {
        s += &aligned(&TABLE_HEADER, &rows, 6);
    }
    for (label, cells) in [("A", &cmp.only_in_a), ("B", &cmp.only_in_b)] {
        if !cells.is_empty() {
            let _ = writeln!(s, "only in {label} ({}):", cells.len());
            s += &aligned(&LONE_HEADER, &lone_rows(cells), LONE_HEADER.len());
        }
    }
    let _ = writeln!(s, "{}; no verdict.\n{P_NOTE}.", counts(cmp));
    s
}

fn md(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn md_table(s: &mut String, header: &[&str], rows: &[Vec<String>]) {
    let _ = writeln!(s, "| {} |", header.join(" | "));
    let _ = writeln!(s, "|{}", "---|".repeat(header.len()));
    for row in rows {
        let cells: Vec<String> = row.iter().map(|c| md(c)).collect();
        let _ = writeln!(s, "| {} |", cells.join(" | "));
    }
}

/// Markdown: a heading, the banner as a quote, the runs, the table and the
/// cells only one run has.
pub fn markdown(cmp: &UnpairedComparison) -> String {
    let mut s = format!(
        "## Unpaired comparison: `{}` against `{}`\n\n> **{}**\n\n",
        cmp.run_b.id,
        cmp.run_a.id,
        md(BANNER)
    );
    let runs: Vec<Vec<String>> = [("A", &cmp.run_a), ("B", &cmp.run_b)]
        .into_iter()
        .map(|(label, r)| {
            vec![
                label.to_owned(),
                format!("`{}`", r.id),
                r.matrix.clone(),
                r.started.clone(),
                r.status.clone(),
            ]
        })
        .collect();
    md_table(&mut s, &["run", "id", "matrix", "started", "status"], &runs);
    let _ = writeln!(s, "\n{}; no verdict.\n", counts(cmp));
    let rows = table_rows(cmp);
    if !rows.is_empty() {
        md_table(&mut s, &TABLE_HEADER, &rows);
        let _ = writeln!(s, "\n{P_NOTE}.");
    }
    for (label, cells) in [("A", &cmp.only_in_a), ("B", &cmp.only_in_b)] {
        if !cells.is_empty() {
            let _ = writeln!(s, "\n### Only in {label}\n");
            md_table(&mut s, &LONE_HEADER, &lone_rows(cells));
        }
    }
    s
}

fn num(v: Option<f64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// CSV with [`CSV_COLUMNS`]: a row per cell-metric (a matched cell with no
/// metric gets one row with an empty metric), then a row per cell only
/// one run has (`in` = `a` or `b`).
///
/// # Errors
/// A [`csv::Error`] when a row cannot be written.
pub fn csv(cmp: &UnpairedComparison) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_COLUMNS)?;
    let lead = |in_: &str| {
        vec![
            "unpaired".to_owned(),
            cmp.run_a.id.clone(),
            cmp.run_b.id.clone(),
            in_.to_owned(),
        ]
    };
    for c in &cmp.cells {
        let l = &c.cell;
        let mut head = lead("both");
        head.extend(
            [
                &l.device,
                &l.model,
                &l.recipe,
                &l.workload,
                &c.cell_id_a,
                &c.cell_id_b,
            ]
            .map(String::clone),
        );
        head.extend([c.status_a, c.status_b, c.files.label()].map(str::to_owned));
        if c.metrics.is_empty() {
            let mut row = head.clone();
            row.resize(CSV_COLUMNS.len(), String::new());
            w.write_record(row)?;
        }
        for m in &c.metrics {
            let mut row = head.clone();
            let s = m.samples;
            row.extend([
                m.metric.to_owned(),
                num(m.a),
                num(m.b),
                num(m.change_pct),
                num(m.difference),
                s.map(|s| s.n_a.to_string()).unwrap_or_default(),
                s.map(|s| s.n_b.to_string()).unwrap_or_default(),
                s.map(|s| s.overlap.to_string()).unwrap_or_default(),
                num(s.map(|s| s.u)),
                num(s.map(|s| s.p_unpaired)),
            ]);
            w.write_record(row)?;
        }
    }
    for (in_, cells) in [("a", &cmp.only_in_a), ("b", &cmp.only_in_b)] {
        for c in cells {
            let l = &c.cell;
            let mut row = lead(in_);
            row.extend([&l.device, &l.model, &l.recipe, &l.workload].map(String::clone));
            let (id_a, id_b, st_a, st_b) = if in_ == "a" {
                (c.cell_id.clone(), String::new(), c.status, "")
            } else {
                (String::new(), c.cell_id.clone(), "", c.status)
            };
            row.extend([id_a, id_b, st_a.to_owned(), st_b.to_owned()]);
            row.resize(CSV_COLUMNS.len(), String::new());
            w.write_record(row)?;
        }
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// Pretty JSON: `{ "paired": false, "note", "run_a", "run_b", "cells",
/// "only_in_a", "only_in_b" }`, with a newline.
///
/// # Errors
/// A [`serde_json::Error`] (not expected: every field serializes).
pub fn json(cmp: &UnpairedComparison) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(cmp).map(|s| s + "\n")
}
