//! `edgebench compare RUN_A RUN_B`: two stored runs side by side, cell by
//! cell, for inspection. Unpaired: the runs were measured in different
//! sessions, so no verdict is given (see
//! [`regression::unpaired`](crate::regression::unpaired)).

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};

use super::store_args::StoreArgs;
use crate::regression::unpaired::{self, RunSide, report};
use crate::store::{
    Metric, RESULTS_JSONL, Store, StoredResult, read_results_jsonl, write_atomically,
};

/// How to write the comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// An aligned table for the terminal.
    Text,
    /// Markdown tables.
    Md,
    /// One row per cell-metric, and one per cell only one run has.
    Csv,
    /// One JSON object (`"paired": false`, the runs, the cells).
    Json,
}

/// Arguments of `compare`.
#[derive(Debug, Args)]
#[command(after_help = "\
For inspection only: the two runs were measured in different sessions, so
every difference includes session-to-session noise and no verdict is given
(exit code 0 whatever changed). For a verdict, measure both sets of
artifacts in one session: `edgebench run MATRIX --baseline RUN`.

Cells are matched by device, model name, recipe and workload. For each
metric: A's value, B's value, the change of B against A in percent as the
metric reads (a drop of tokens/s is negative), and for metrics with a value
per rep, whether the reps of the two runs overlap with a two-sided
Mann–Whitney p-value that ignores the session shift (it overstates
significance).

Metrics: ttft_median_s, prefill_tps_median, decode_tps_median,
e2e_median_s, peak_rss_kib, energy_j_median, decode_mj_per_token_median,
recipe_bytes, ppl_delta_pct.

Examples:
  edgebench compare release-1.2 latest
  edgebench compare 20261124T101500Z-3fa2 latest --metric decode_tps_median
  edgebench compare release-1.2 latest --format md -o compare.md")]
pub struct CompareArgs {
    /// The first run, the reference of the changes: `latest`, a tag, a run
    /// id or its first characters.
    #[arg(value_name = "RUN_A")]
    pub run_a: String,
    /// The second run, compared against the first.
    #[arg(value_name = "RUN_B")]
    pub run_b: String,
    /// A metric to compare, by column name (repeatable) [default: every
    /// metric both results of a cell have].
    #[arg(long = "metric", value_name = "NAME")]
    pub metrics: Vec<String>,
    /// How to write the comparison.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Where to write it (`-`, the default, for standard output).
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Where the runs are stored.
    #[command(flatten)]
    pub store: StoreArgs,
}

/// The metrics named by `names`, in order, without repeats.
///
/// # Errors
/// A name that is no metric's column, with the valid names.
fn parse_metrics(names: &[String]) -> anyhow::Result<Vec<Metric>> {
    let mut metrics = Vec::new();
    for name in names {
        let metric = Metric::from_column(name).with_context(|| {
            let valid: Vec<&str> = Metric::ALL.iter().map(|m| m.column()).collect();
            format!("unknown metric '{name}'; valid names: {}", valid.join(", "))
        })?;
        if !metrics.contains(&metric) {
            metrics.push(metric);
        }
    }
    Ok(metrics)
}

/// Resolves `reference` and reads its results from its run directory.
fn load(
    store: &Store,
    args: &CompareArgs,
    which: &str,
    reference: &str,
) -> anyhow::Result<(RunSide, Vec<StoredResult>)> {
    let row = store
        .resolve_run(reference, None)
        .with_context(|| format!("cannot find {which} `{reference}`"))?;
    let path = args.store.runs_dir.join(&row.id).join(RESULTS_JSONL);
    let contents = read_results_jsonl(&path)
        .with_context(|| format!("cannot read the results of {which} {}", row.id))?;
    if let Some(torn) = contents.torn {
        eprintln!(
            "warning: {}:{}: ignored a partial last line left by an interrupted write",
            path.display(),
            torn.line
        );
    }
    Ok((RunSide::of(&row), contents.records))
}

/// Runs `compare`.
pub fn run(args: &CompareArgs) -> anyhow::Result<()> {
    let metrics = parse_metrics(&args.metrics)?;
    let store = args.store.open_required()?;
    let (side_a, a) = load(&store, args, "RUN_A", &args.run_a)?;
    let (side_b, b) = load(&store, args, "RUN_B", &args.run_b)?;
    if side_a.id == side_b.id {
        eprintln!("warning: RUN_A and RUN_B are the same run, {}", side_a.id);
    }
    let chosen = (!metrics.is_empty()).then_some(metrics.as_slice());
    let cmp = unpaired::compare(side_a, &a, side_b, &b, chosen);
    let bytes = match args.format {
        Format::Text => report::text(&cmp).into_bytes(),
        Format::Md => report::markdown(&cmp).into_bytes(),
        Format::Csv => report::csv(&cmp).context("cannot write the CSV")?,
        Format::Json => report::json(&cmp)
            .context("cannot write the JSON")?
            .into_bytes(),
    };
    match &args.output {
        Some(path) if path.as_os_str() != "-" => {
            write_atomically(path, &bytes)?;
            println!("{}", path.display());
            Ok(())
        }
        _ => {
            let mut out = std::io::stdout().lock();
            out.write_all(&bytes)
                .and_then(|()| out.flush())
                .context("cannot write to standard output")
        }
    }
}
