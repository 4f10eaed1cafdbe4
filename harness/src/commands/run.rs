//! `edgebench run MATRIX [--resume RUN_ID]`: run a matrix end to end.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::run::schedule::RetryPolicy;
use crate::run::{self, RunOptions};
use crate::target::ssh::TrustPolicy;

/// Arguments of `run`.
#[derive(Debug, Args)]
#[command(after_help = "\
Results are written as they arrive to runs/<run-id>/results.jsonl and the
SQLite store; Ctrl-C stops after saving, and --resume continues without
measuring any cell twice: it runs the cells not yet measured and those whose
device was unreachable or busy.

Devices run in parallel, cells one at a time on each. SSH devices get the
agent and the recipe files they need into their cache (nothing already there
is sent again); their host keys must be in known_hosts (see
--accept-new-host-keys).

Examples:
  edgebench run matrices/quickstart.toml
  edgebench run matrices/lab-nightly.toml --resume 20261124T101500Z-3fa2")]
pub struct RunArgs {
    /// The matrix file (TOML).
    #[arg(value_name = "MATRIX")]
    pub matrix: PathBuf,
    /// Continue an interrupted run.
    #[arg(long, value_name = "RUN_ID")]
    pub resume: Option<String>,
    /// Directory of run directories, the model cache and the store.
    #[arg(long, value_name = "DIR", default_value = "runs")]
    pub runs_dir: PathBuf,
    /// The SQLite store [default: RUNS_DIR/edgebench.sqlite].
    #[arg(long, value_name = "PATH")]
    pub store: Option<PathBuf>,
    /// Add the host key of an SSH device that known_hosts does not know yet
    /// (OpenSSH's `accept-new`); a changed key is still refused.
    #[arg(long)]
    pub accept_new_host_keys: bool,
    /// Attempts per device before its cells are recorded unreachable (a
    /// lost link is retried with backoff: 1 s, 2 s, 4 s, ... up to 30 s).
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub attempts: u32,
}

/// Runs the matrix; exit code 0 when every cell ran (whatever its status),
/// 1 on an error that stopped the run, 130 when interrupted.
pub fn run(args: &RunArgs) -> anyhow::Result<ExitCode> {
    let outcome = run::execute(&RunOptions {
        matrix: args.matrix.clone(),
        resume: args.resume.clone(),
        runs_dir: args.runs_dir.clone(),
        store: args.store.clone(),
        command_line: std::env::args().collect(),
        trust: TrustPolicy {
            accept_new_host_keys: args.accept_new_host_keys,
        },
        retry: RetryPolicy {
            attempts: args.attempts,
            ..RetryPolicy::default()
        },
    })?;
    Ok(if outcome.interrupted {
        ExitCode::from(130)
    } else {
        ExitCode::SUCCESS
    })
}
