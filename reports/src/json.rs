//! `report.json`: the run as the reports see it, for other tools: header,
//! selection, comparison tables, recommendations, trend lines and every
//! cell with its full result.

use serde::Serialize;

use crate::model::{CellRow, ReportInput, RunHeader, Selection, TrendLine};
use crate::recommend::{Recommendation, recommend};
use crate::table::{Table, build_tables};

/// Version of the `report.json` layout; bumped on incompatible changes.
pub const REPORT_JSON_VERSION: u32 = 1;

#[derive(Serialize)]
struct ReportJson<'a> {
    report_version: u32,
    run_id: &'a str,
    matrix_name: &'a str,
    started: &'a str,
    header: &'a RunHeader,
    selection: &'a Selection,
    tables: Vec<Table>,
    recommendations: Vec<Recommendation>,
    trends: &'a [TrendLine],
    cells: &'a [CellRow],
}

/// The whole `report.json` of a run, pretty-printed.
///
/// # Errors
/// A [`serde_json::Error`] should a value refuse to serialise.
pub fn render_json(input: &ReportInput, selection: &Selection) -> serde_json::Result<String> {
    let doc = ReportJson {
        report_version: REPORT_JSON_VERSION,
        run_id: &input.run_id,
        matrix_name: &input.matrix_name,
        started: &input.started,
        header: &input.header,
        selection,
        tables: build_tables(input),
        recommendations: recommend(input, selection),
        trends: &input.trends,
        cells: &input.cells,
    };
    serde_json::to_string_pretty(&doc)
}
