//! `edgebench runs list`: the stored runs, newest first, with their
//! status, number of results and tags.

use std::io::Write;

use clap::Args;
use serde::Serialize;

use super::store_args::StoreArgs;
use crate::store::RunSummary;

/// Arguments of `runs list`.
#[derive(Debug, Args)]
#[command(after_help = "\
One line per run, newest first: id, matrix, status (running, finished,
interrupted, failed), start time (UTC), cells with a result, tags.

Examples:
  edgebench runs list
  edgebench runs list --matrix lab-nightly --limit 5
  edgebench runs list --limit 0 --json")]
pub struct ListArgs {
    /// Only the runs of the matrix with this name (its `name` key).
    #[arg(long, value_name = "NAME")]
    pub matrix: Option<String>,
    /// At most N runs (0 for all).
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub limit: usize,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Where the runs are stored.
    #[command(flatten)]
    pub store: StoreArgs,
}

/// `runs list --json`.
#[derive(Debug, Serialize)]
struct Listing {
    store: String,
    matrix: Option<String>,
    /// Runs stored (of the matrix), listed or not.
    total: usize,
    runs: Vec<RunSummary>,
}

/// Runs `runs list`.
pub fn run(args: &ListArgs) -> anyhow::Result<()> {
    let matrix = args.matrix.as_deref();
    let (runs, total) = match args.store.open_existing()? {
        Some(store) => (
            store.run_summaries(matrix, (args.limit > 0).then_some(args.limit))?,
            store.run_count(matrix)?,
        ),
        None => (Vec::new(), 0),
    };
    let listing = Listing {
        store: args.store.path().display().to_string(),
        matrix: args.matrix.clone(),
        total,
        runs,
    };
    super::print_report(args.json, &listing, |out| write_human(out, &listing))
}

fn write_human(out: &mut dyn Write, listing: &Listing) -> std::io::Result<()> {
    let of_matrix = listing
        .matrix
        .as_ref()
        .map_or_else(String::new, |m| format!(" of matrix '{m}'"));
    if listing.runs.is_empty() {
        return writeln!(out, "no runs{of_matrix} in {}", listing.store);
    }
    let matrix_w = listing
        .runs
        .iter()
        .map(|r| r.matrix_name.chars().count())
        .chain([6])
        .max()
        .unwrap_or(6);
    writeln!(
        out,
        "{:<27}  {:<matrix_w$}  {:<11}  {:<24}  {:>5}  tags",
        "id", "matrix", "status", "started", "cells"
    )?;
    for r in &listing.runs {
        let line = format!(
            "{:<27}  {:<matrix_w$}  {:<11}  {:<24}  {:>5}  {}",
            r.id,
            r.matrix_name,
            r.status.name(),
            r.started,
            r.cells,
            r.tags.join(", ")
        );
        writeln!(out, "{}", line.trim_end())?;
    }
    writeln!(
        out,
        "{} of {} runs{of_matrix} in {}",
        listing.runs.len(),
        listing.total,
        listing.store
    )
}
