//! # edgebench-reports
//!
//! Rendering only: the self-contained HTML report with SVG charts, Markdown
//! and CSV tables, and the recipe recommendation drawn from a set of results.
//! It reads the result schema and never compiles the inference kernel.
//!
//! The harness fills a [`ReportInput`] from its store; [`build_tables`]
//! turns it into the comparison tables every renderer shares,
//! [`recommend`] picks a recipe per model and device under a [`Selection`],
//! and [`render_markdown`] writes `summary.md`.

pub mod metric;
pub mod model;
pub mod table;

pub use metric::{Measured, Metric};
pub use model::{CellRow, Group, Objective, ReportInput, Selection, WorkloadKey};
pub use table::{Table, TableCell, TableRow, build_table, build_tables};
