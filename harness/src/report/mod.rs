//! The reports of a run: `summary.md` and `report.html` in its directory,
//! written at the end of `edgebench run` from what the run holds, and again
//! by `edgebench report` from the run directory (the source of truth); both
//! take trend lines across earlier runs from the store.

mod facts;
mod gate_history;
mod input;
mod selection;

use std::path::{Path, PathBuf};

use anyhow::Context;
use edgebench_reports::{ReportInput, Selection, render_html, render_markdown};

use crate::store::{RunFiles, Store, read_run, write_atomically};
pub use facts::device_facts;
pub use input::report_input;
pub use selection::selection_of;

/// `summary.md`: the comparison tables in Markdown.
pub const SUMMARY_MD: &str = "summary.md";
/// `report.html`: the self-contained HTML report.
pub const REPORT_HTML: &str = "report.html";

/// A run read back for its reports.
#[derive(Debug, Clone)]
pub struct LoadedRun {
    /// The run's files.
    pub files: RunFiles,
    /// What the renderers read.
    pub input: ReportInput,
    /// The matrix's `[select]` constraints.
    pub selection: Selection,
    /// Problems worth a warning (torn line, unreadable store).
    pub warnings: Vec<String>,
}

/// Reads run `run_id` under `runs_root`, with trend lines from `store`
/// when given.
///
/// # Errors
/// When the run directory cannot be read, or its matrix's `[select]`
/// table is malformed.
pub fn load(runs_root: &Path, run_id: &str, store: Option<&Store>) -> anyhow::Result<LoadedRun> {
    let files = read_run(runs_root, run_id)?;
    let selection = selection_of(&files.paths.matrix, &files.matrix_text)?;
    let mut warnings = files.warnings.clone();
    let mut input = report_input(&files.id, &files.env, &files.results.records);
    if let Some(store) = store
        && let Err(e) = add_history(store, &mut input)
    {
        warnings.push(e);
    }
    Ok(LoadedRun {
        files,
        input,
        selection,
        warnings,
    })
}

/// Fills what `input` takes from the store's history: trend lines (with
/// the gate's confirmed changes and change points marked), this run's gate
/// verdicts and the A/A canaries of every gated run so far.
///
/// # Errors
/// Why some of it is missing, as a warning to show.
pub fn add_history(store: &Store, input: &mut ReportInput) -> Result<(), String> {
    let mut trends = input::trends(store, input).map_err(|e| format!("no trend lines: {e}"))?;
    gate_history::mark_trends(store, &mut trends)
        .map_err(|e| format!("no gate marks on the trend lines: {e}"))?;
    input.trends = trends;
    input.gate = gate_history::gate_summary(store, input)
        .map_err(|e| format!("no regression gate section: {e}"))?;
    input.calibration =
        gate_history::calibration(store, input).map_err(|e| format!("no gate calibration: {e}"))?;
    Ok(())
}

/// The reports written into a run directory.
#[derive(Debug, Clone)]
pub struct WrittenReports {
    /// `summary.md`.
    pub summary: PathBuf,
    /// `report.html`.
    pub html: PathBuf,
}

/// Writes `summary.md` and `report.html` into the run directory `dir`.
///
/// # Errors
/// When rendering or writing fails, naming the file.
pub fn write_reports(
    dir: &Path,
    input: &ReportInput,
    selection: &Selection,
) -> anyhow::Result<WrittenReports> {
    let summary = dir.join(SUMMARY_MD);
    write_atomically(&summary, render_markdown(input, selection).as_bytes())?;
    let html = dir.join(REPORT_HTML);
    let page = render_html(input, selection)
        .with_context(|| format!("cannot render {}", html.display()))?;
    write_atomically(&html, page.as_bytes())?;
    Ok(WrittenReports { summary, html })
}
