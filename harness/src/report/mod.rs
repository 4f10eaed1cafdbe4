//! The reports of a run: `summary.md` and `report.html` in its directory,
//! written at the end of `edgebench run` and again by `edgebench report`,
//! both from the run directory (the source of truth) and the store (trend
//! lines across earlier runs).

mod facts;
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
    let selection = selection_of(&files.matrix_text)
        .with_context(|| format!("in {}", files.paths.matrix.display()))?;
    let mut warnings = files.warnings.clone();
    let mut input = report_input(&files);
    if let Some(store) = store {
        match input::trends(store, &input) {
            Ok(t) => input.trends = t,
            Err(e) => warnings.push(format!("no trend lines: {e}")),
        }
    }
    Ok(LoadedRun {
        files,
        input,
        selection,
        warnings,
    })
}

/// The reports written into a run directory.
#[derive(Debug, Clone)]
pub struct WrittenReports {
    /// `summary.md`.
    pub summary: PathBuf,
    /// `report.html`.
    pub html: PathBuf,
}

/// Writes `summary.md` and `report.html` into the run's directory.
///
/// # Errors
/// When rendering or writing fails, naming the file.
pub fn write_reports(run: &LoadedRun) -> anyhow::Result<WrittenReports> {
    let dir = &run.files.paths.dir;
    let summary = dir.join(SUMMARY_MD);
    write_atomically(
        &summary,
        render_markdown(&run.input, &run.selection).as_bytes(),
    )?;
    let html = dir.join(REPORT_HTML);
    let page = render_html(&run.input, &run.selection)
        .with_context(|| format!("cannot render {}", html.display()))?;
    write_atomically(&html, page.as_bytes())?;
    Ok(WrittenReports { summary, html })
}
