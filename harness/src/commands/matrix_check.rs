//! `edgebench matrix check FILE`: validate a matrix and its inventory
//! without running anything.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::cli::EXIT_ERROR;
use crate::matrix::{self, Diagnostics};
use crate::plan::Plan;

/// Arguments of `matrix check`.
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  edgebench matrix check matrices/lab-nightly.toml")]
pub struct CheckArgs {
    /// The matrix file (TOML).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// Prints `ok: N cells, M accuracy jobs`, or every error and exits 1.
pub fn run(args: &CheckArgs) -> ExitCode {
    match matrix::load(&args.file) {
        Ok(m) => {
            let plan = Plan::new(&m);
            let skipped = plan.cells.len() - plan.planned_count();
            let skipped = if skipped > 0 {
                format!(" ({skipped} skipped: they do not fit in memory)")
            } else {
                String::new()
            };
            println!(
                "ok: {} cells, {} accuracy jobs{skipped}",
                plan.cells.len(),
                plan.accuracy.len()
            );
            ExitCode::SUCCESS
        }
        Err(errors) => report(&args.file, &errors),
    }
}

/// Prints the errors of a matrix on stderr; returns the error exit code.
pub fn report(file: &std::path::Path, errors: &Diagnostics) -> ExitCode {
    eprintln!("{}", errors.render());
    eprintln!(
        "error: could not validate `{}` due to {}",
        file.display(),
        errors
    );
    ExitCode::from(EXIT_ERROR)
}
