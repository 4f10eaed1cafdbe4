//! `report.html`: one self-contained page (inline CSS, inline SVG charts, a
//! little plain JavaScript for sorting and filtering tables) rendered
//! through an askama template, which escapes every value by default. The
//! only markup inserted unescaped is the charts' SVG, which plotters writes
//! with every text escaped. When the run went through the regression gate,
//! a section shows its verdicts and the A/A canaries' calibration; cells
//! run with a per-op profile get a section of their own.

mod all_cells;
mod gate;
mod profile;
mod view;

use askama::Template;

use crate::charts::{Chart, calibration_chart, charts};
use crate::model::{ReportInput, Selection};
use crate::recommend::recommend;
use crate::table::build_tables;
pub use all_cells::ALL_CELLS_COLUMNS;
use gate::GateView;
use profile::ProfileView;
use view::{ChartView, FailedView, GroupView, HeaderView};

/// Why a report could not be rendered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RenderError {
    /// The template engine failed (a formatting error while writing).
    #[error("cannot render the HTML report: {0}")]
    Template(#[from] askama::Error),
}

/// The page's data, as the template reads it.
#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage<'a> {
    title: String,
    header: HeaderView<'a>,
    gate: Option<GateView>,
    failed: Vec<FailedView<'a>>,
    groups: Vec<GroupView>,
    charts: Vec<ChartView>,
    profiles: Vec<ProfileView>,
    columns: &'static [&'static str],
    rows: Vec<Vec<all_cells::Value>>,
    css: &'static str,
    script: &'static str,
}

/// The whole `report.html` of a run, charts drawn from `input`.
///
/// # Errors
/// [`RenderError::Template`] when writing the page fails.
pub fn render_html(input: &ReportInput, selection: &Selection) -> Result<String, RenderError> {
    render_html_with(input, selection, &charts(input))
}

/// As [`render_html`], with charts drawn by the caller. The regression
/// gate's calibration chart is not among them: it is drawn here, with the
/// gate's section, from `input.calibration`.
///
/// # Errors
/// [`RenderError::Template`] when writing the page fails.
pub fn render_html_with(
    input: &ReportInput,
    selection: &Selection,
    charts: &[Chart],
) -> Result<String, RenderError> {
    let tables = build_tables(input);
    let recommendations = recommend(input, selection);
    let page = ReportPage {
        title: format!("edgebench: {}", input.matrix_name),
        header: HeaderView::new(input, selection),
        gate: input.gate.as_ref().map(|g| {
            let chart = calibration_chart(&input.calibration);
            GateView::new(g, &input.calibration, chart.as_ref())
        }),
        failed: input.failed_cells().map(FailedView::new).collect(),
        groups: tables
            .into_iter()
            .zip(recommendations)
            .enumerate()
            .map(|(i, (t, r))| GroupView::new(i, t, r))
            .collect(),
        charts: charts.iter().map(ChartView::new).collect(),
        profiles: input.cells.iter().filter_map(ProfileView::new).collect(),
        columns: &ALL_CELLS_COLUMNS,
        rows: input.cells.iter().map(all_cells::row).collect(),
        css: include_str!("../../templates/report.css"),
        script: include_str!("../../templates/report.js"),
    };
    Ok(page.render()?)
}
