//! `edgebench run MATRIX [--resume RUN_ID]`: run a matrix end to end.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::regression::gate::GateOutcome;
use crate::run::schedule::RetryPolicy;
use crate::run::{self, GatePlanOptions, RunOptions};
use crate::target::ssh::TrustPolicy;

/// Arguments of `run`.
#[derive(Debug, Args)]
#[command(after_help = "\
Exit codes: 0 done (with --baseline: no confirmed regression), 1 a confirmed
regression (--baseline) or an error, 2 an error or interruption with
--baseline, 5 nothing comparable with --baseline, 130 interrupted.

With --baseline the verdicts (regressed, suspect, improved, unchanged,
inconclusive, not comparable, per cell and metric, with the change, its
confidence interval and p-values) are printed and written to regression.json,
regression.md and regression-junit.xml in the run directory, and the Markdown is
appended to $GITHUB_STEP_SUMMARY when it is set.

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
    /// Compare against a stored run (`latest` finished run of this matrix,
    /// a tag, a run id or its prefix): each cell runs the baseline's agent
    /// and recipe file and the current ones on the same device, interleaved
    /// in paired blocks; exit code 1 on a confirmed regression.
    #[arg(long, value_name = "latest|RUN_ID|TAG")]
    pub baseline: Option<String>,
    /// With --baseline: paired blocks per cell (and again for each
    /// suspect) [default: the matrix's `[regression] blocks`, else 15].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(7..=200))]
    pub blocks: Option<u32>,
    /// With --baseline: measured repetitions per arm of a block, after one
    /// warm-up [default: the matrix's `[regression] reps`, else 3].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100))]
    pub reps: Option<u32>,
    /// With --baseline: seed of the arms' order in each block and of the
    /// choice of canary cells.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub seed: u64,
}

/// Runs the matrix; exit code 0 when every cell ran (whatever its status),
/// 1 on an error that stopped the run, 130 when interrupted. With a
/// baseline: the gate's exit code (0, 1 or 5), 2 on an error or an
/// interruption.
pub fn run(args: &RunArgs) -> anyhow::Result<ExitCode> {
    let executed = run::execute(&RunOptions {
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
        baseline: args.baseline.clone(),
        blocks: GatePlanOptions {
            blocks: args.blocks,
            reps: args.reps,
            seed: args.seed,
        },
    });
    if args.baseline.is_some() {
        return Ok(match executed {
            Err(e) => {
                eprintln!("Error: {e:#}");
                ExitCode::from(2)
            }
            Ok(o) if o.interrupted => ExitCode::from(2),
            Ok(o) => ExitCode::from(o.gate.map_or(5, GateOutcome::exit_code)),
        });
    }
    let outcome = executed?;
    Ok(if outcome.interrupted {
        ExitCode::from(130)
    } else {
        ExitCode::SUCCESS
    })
}
