//! # edgebench
//!
//! The controller: command-line interface, matrix parsing and validation,
//! SSH trust and configuration, deployment to devices, scheduling, the
//! results store, regression comparison and the statistics of the
//! nightly regression gate. The `edgebench` binary is a thin shell over
//! this library.

pub mod artifacts;
pub mod cli;
pub mod commands;
pub mod matrix;
pub mod plan;
pub mod recipe_files;
pub mod regression;
pub mod report;
pub mod run;
pub mod ssh;
pub mod store;
pub mod target;
