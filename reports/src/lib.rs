//! # edgebench-reports
//!
//! Rendering only: the self-contained HTML report with SVG charts, Markdown
//! and CSV tables, and the recipe recommendation drawn from a set of results.
//! It reads the result schema and never compiles the inference kernel.
//!
//! The harness fills a [`ReportInput`] from its store; [`build_tables`]
//! turns it into the comparison tables every renderer shares,
//! [`recommend`] picks a recipe per model and device under a [`Selection`],
//! [`render_markdown`] writes `summary.md`, [`charts`] draws the SVG charts
//! and [`render_html`] writes the self-contained `report.html` around them;
//! [`render_json`] gives the same content to other tools. When the run went
//! through the regression gate, [`gate`] orders its verdicts for the
//! renderers and pools the A/A canaries' false alarms.

pub mod charts;
pub mod gate;
pub mod html;
pub mod json;
pub mod markdown;
pub mod metric;
pub mod model;
mod notes;
pub mod recommend;
pub mod table;

pub use charts::{Chart, ChartBody, calibration_chart, charts};
pub use html::{RenderError, render_html, render_html_with};
pub use json::{REPORT_JSON_VERSION, render_json};
pub use markdown::{escape_markdown, render_markdown, render_recommendation};
pub use metric::{Measured, Metric};
pub use model::{
    CanaryNight, CellRow, DeviceFacts, GateRow, GateSummary, Group, Objective, ReportInput,
    RunHeader, Selection, TrendChangePoint, TrendLine, TrendMark, TrendMetric, TrendPoint,
    WorkloadKey,
};
pub use recommend::{NONE_MEETS, Recommendation, recommend, recommend_group};
pub use table::{Table, TableCell, TableRow, build_table, build_tables};
