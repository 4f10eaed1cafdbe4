//! What `edgebench history` writes: a text listing per cell with its change
//! points marked, one CSV row per cell and run, or one JSON document.

use std::collections::HashMap;
use std::fmt::Write as _;

use anyhow::Context;
use clap::ValueEnum;

use super::history::{CellHistory, Change, History};

/// The output format of `history`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Per cell a header, one line per run, and a count.
    Text,
    /// One row per cell and run.
    Csv,
    /// Cells with their points and change points.
    Json,
}

/// The CSV columns.
pub const CSV_COLUMNS: [&str; 10] = [
    "cell_id",
    "device",
    "model",
    "recipe",
    "workload",
    "run_id",
    "started",
    "value",
    "change_point",
    "change_pct",
];

/// `history` in `format`.
///
/// # Errors
/// Serializing failed.
pub fn render(history: &History, format: Format) -> anyhow::Result<Vec<u8>> {
    match format {
        Format::Text => Ok(text(history).into_bytes()),
        Format::Csv => csv(history),
        Format::Json => {
            let mut bytes = serde_json::to_vec_pretty(history).context("cannot write the JSON")?;
            bytes.push(b'\n');
            Ok(bytes)
        }
    }
}

/// The message for a history without any cell.
pub fn no_history(history: &History) -> String {
    let of = history.matrix.as_ref().map_or_else(
        || "the cell".to_owned(),
        |m| format!("the cells of matrix '{m}'"),
    );
    format!(
        "no stored {} of {of} in {} (cell ids include the model file's hash: a changed model \
         starts new cells)",
        history.metric, history.store
    )
}

/// The text listing.
pub fn text(history: &History) -> String {
    if history.cells.is_empty() {
        return format!("{}\n", no_history(history));
    }
    let d = &history.detector;
    let direction = if history.larger_is_worse {
        "smaller"
    } else {
        "larger"
    };
    let mut s = format!(
        "{} per run, oldest first ({direction} is better); change points: E-divisive means, \
         Welch p <= {}, change >= {} %\n",
        history.metric,
        d.max_pvalue,
        d.min_magnitude * 100.0
    );
    for cell in &history.cells {
        s.push('\n');
        cell_text(&mut s, cell);
    }
    if history.cells_without_history > 0 {
        let _ = writeln!(
            s,
            "\n{} of {} cells have no stored {}",
            history.cells_without_history,
            history.cells_without_history + history.cells.len(),
            history.metric
        );
    }
    s
}

fn cell_text(s: &mut String, cell: &CellHistory) {
    let short: String = cell.cell_id.chars().take(12).collect();
    let _ = writeln!(
        s,
        "{}  {}  {}  {}  cell {short}",
        cell.device, cell.model, cell.recipe, cell.workload
    );
    let marks: HashMap<usize, &Change> = cell.change_points.iter().map(|c| (c.index, c)).collect();
    let values: Vec<String> = cell.points.iter().map(|p| value(p.value)).collect();
    let width = values.iter().map(String::len).max().unwrap_or(0);
    for (i, (p, v)) in cell.points.iter().zip(&values).enumerate() {
        let mark = marks.get(&i).map_or_else(String::new, |c| {
            format!(
                "  ◆ change point: {:+.1} % ({}, p {:.0e})",
                c.change_pct,
                if c.worse { "worse" } else { "better" },
                c.p_value
            )
        });
        let _ = writeln!(s, "  {}  {}  {v:>width$}{mark}", p.started, p.run_id);
    }
    let runs = plural(cell.points.len(), "run");
    match &cell.note {
        Some(note) => {
            let _ = writeln!(s, "  {runs}; {note}");
        }
        None => {
            let _ = writeln!(
                s,
                "  {runs}, {}",
                plural(cell.change_points.len(), "change point")
            );
        }
    }
}

/// A value with 4 significant digits, no exponent.
fn value(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let digits = v.abs().log10().floor() as i32;
    let decimals = usize::try_from((3 - digits).clamp(0, 9)).unwrap_or(0);
    format!("{v:.decimals$}")
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn csv(history: &History) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_COLUMNS)?;
    for cell in &history.cells {
        let marks: HashMap<usize, &Change> =
            cell.change_points.iter().map(|c| (c.index, c)).collect();
        for (i, p) in cell.points.iter().enumerate() {
            let change = marks.get(&i);
            w.write_record([
                cell.cell_id.as_str(),
                &cell.device,
                &cell.model,
                &cell.recipe,
                &cell.workload,
                &p.run_id,
                &p.started,
                &p.value.to_string(),
                if change.is_some() { "true" } else { "false" },
                &change.map_or_else(String::new, |c| format!("{:.3}", c.change_pct)),
            ])?;
        }
    }
    w.into_inner().context("cannot write the CSV")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_keep_four_significant_digits() {
        assert_eq!(value(41.734), "41.73");
        assert_eq!(value(0.050_123), "0.05012");
        assert_eq!(value(1_234_567.0), "1234567");
        assert_eq!(value(0.0), "0");
    }
}
