//! `edgebench matrix expand FILE [--json]`: list the cells of a matrix.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use super::matrix_check::report;
use crate::matrix;
use crate::plan::{CellStatus, Plan, mib};

/// Arguments of `matrix expand`.
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  edgebench matrix expand matrices/quickstart.toml --json")]
pub struct ExpandArgs {
    /// The matrix file (TOML).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Print the whole plan (cells with their full ids, settings and memory
    /// estimates, and the accuracy jobs) as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Prints one line per cell, or the plan as JSON.
///
/// # Errors
/// Writing to stdout failed.
pub fn run(args: &ExpandArgs) -> anyhow::Result<ExitCode> {
    let m = match matrix::load(&args.file) {
        Ok(m) => m,
        Err(errors) => return Ok(report(&args.file, &errors)),
    };
    let plan = Plan::new(&m);
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &plan).context("writing JSON")?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        out,
        "{:<12}  {:<10} {:<12} {:<16} {:<10} {:>7} {:>6} {:>5} {:>10}  status",
        "id", "device", "model", "recipe", "runtime", "threads", "prompt", "gen", "memory"
    )?;
    for c in &plan.cells {
        let status = match &c.status {
            CellStatus::Planned => "planned".to_owned(),
            CellStatus::Skipped { reason } => format!("skipped: {reason}"),
        };
        writeln!(
            out,
            "{:<12}  {:<10} {:<12} {:<16} {:<10} {:>7} {:>6} {:>5} {:>10}  {status}",
            c.short_id(),
            c.device,
            c.model,
            c.recipe,
            c.runtime.name(),
            c.threads,
            c.prompt_tokens,
            c.gen_tokens,
            mib(c.memory.total_bytes),
        )?;
    }
    writeln!(
        out,
        "{} cells ({} planned), {} accuracy jobs",
        plan.cells.len(),
        plan.planned_count(),
        plan.accuracy.len()
    )?;
    for a in &plan.accuracy {
        writeln!(
            out,
            "accuracy {}  {} {} on {} vs {} on {} (ctx {}, device {})",
            a.short_id(),
            a.model,
            a.recipe,
            a.runtime,
            a.reference,
            a.text,
            a.ctx,
            a.device
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
