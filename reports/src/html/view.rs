//! What the template shows, prepared from the tables, recommendations and
//! charts: plain text and flags only, so the template stays free of logic.

use crate::charts::{Chart, ChartBody};
use crate::model::{CellRow, DeviceFacts, ReportInput, Selection};
use crate::notes::Notes;
use crate::recommend::{Recommendation, constraints_text};
use crate::table::Table;

/// The page header.
pub(super) struct HeaderView<'a> {
    pub matrix_name: &'a str,
    pub run_id: &'a str,
    pub started: &'a str,
    pub status: &'a str,
    pub controller: String,
    pub counts: String,
    /// Set when there is nothing to compare: the reason.
    pub empty: Option<&'static str>,
    pub selection: String,
    pub devices: &'a [DeviceFacts],
}

impl<'a> HeaderView<'a> {
    pub fn new(input: &'a ReportInput, selection: &Selection) -> Self {
        let total = input.cells.len();
        let failed = input.failed_cells().count();
        let empty = if total == 0 {
            Some("No cells in this run: nothing was measured.")
        } else if failed == total {
            Some("No cell succeeded: every value below is n/a; the errors are listed above.")
        } else {
            None
        };
        let h = &input.header;
        HeaderView {
            matrix_name: &input.matrix_name,
            run_id: &input.run_id,
            started: &input.started,
            status: &h.status,
            controller: format!("{} ({})", h.controller_version, h.git_revision),
            counts: format!(
                "{total} cell{}, {} ok, {failed} did not succeed",
                if total == 1 { "" } else { "s" },
                total - failed
            ),
            empty,
            selection: format!(
                "minimise {}; {}",
                selection.objective.name(),
                constraints_text(selection)
            ),
            devices: &h.devices,
        }
    }
}

/// A cell that did not succeed.
pub(super) struct FailedView<'a> {
    pub device: &'a str,
    pub model: &'a str,
    pub recipe: std::borrow::Cow<'a, str>,
    pub workload: String,
    pub status: &'static str,
    pub error: &'a str,
}

impl<'a> FailedView<'a> {
    pub fn new(c: &'a CellRow) -> Self {
        FailedView {
            device: &c.device,
            model: &c.model,
            recipe: c.column(),
            workload: c.workload().to_string(),
            status: c.result.status.name(),
            error: c.result.error.as_deref().unwrap_or("no error given"),
        }
    }
}

/// One value of a comparison table.
pub(super) struct CellView {
    pub text: String,
    pub ci: Option<String>,
    pub best: bool,
    /// The footnote number of the reason it is missing.
    pub note: Option<usize>,
    pub reason: Option<String>,
}

/// One row of a comparison table.
pub(super) struct RowView {
    pub label: String,
    pub cells: Vec<CellView>,
}

/// A model × device × workload section: its table and recommendation.
pub(super) struct GroupView {
    pub id: String,
    pub model: String,
    pub device: String,
    pub workload: String,
    pub reference: Option<String>,
    pub recipes: Vec<String>,
    pub rows: Vec<RowView>,
    pub notes: Vec<String>,
    pub chosen: Option<String>,
    pub why: String,
    pub dominated: Vec<(String, String)>,
    pub rejected: Vec<(String, String)>,
}

impl GroupView {
    pub fn new(index: usize, table: Table, rec: Recommendation) -> Self {
        let mut notes = Notes::default();
        let rows = table
            .rows
            .into_iter()
            .map(|row| RowView {
                label: row.label,
                cells: row
                    .cells
                    .into_iter()
                    .map(|c| {
                        let note = c.note.as_deref().map(|n| notes.number(n));
                        CellView {
                            text: c.text,
                            ci: c.ci,
                            best: c.is_best,
                            note,
                            reason: c.note,
                        }
                    })
                    .collect(),
            })
            .collect();
        GroupView {
            id: format!("group-{}", index + 1),
            model: table.model,
            device: table.device,
            workload: table.workload.to_string(),
            reference: table.reference,
            recipes: table.recipes,
            rows,
            notes: notes.into_vec(),
            chosen: rec.chosen,
            why: rec.why,
            dominated: rec.dominated,
            rejected: rec.rejected,
        }
    }
}

/// A chart: its SVG, or why there is none.
pub(super) struct ChartView {
    pub id: String,
    pub title: String,
    pub caption: String,
    pub svg: Option<String>,
    pub missing: Option<String>,
}

impl ChartView {
    pub fn new(c: &Chart) -> Self {
        let (svg, missing) = match &c.body {
            ChartBody::Svg(s) => (Some(s.clone()), None),
            ChartBody::Missing(why) => (None, Some(why.clone())),
        };
        ChartView {
            id: c.id.clone(),
            title: c.title.clone(),
            caption: c.caption.clone(),
            svg,
            missing,
        }
    }
}
