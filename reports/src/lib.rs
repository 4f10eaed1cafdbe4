//! # edgebench-reports
//!
//! Rendering only: the self-contained HTML report with SVG charts, Markdown
//! and CSV tables, and the recipe recommendation drawn from a set of results.
//! It reads the result schema and never compiles the inference kernel.
