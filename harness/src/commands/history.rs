//! `edgebench history (MATRIX | --cell ID)`: a metric of each cell across
//! the stored runs, oldest first, with its change points
//! ([`change_points`](crate::regression::change_points)).

use std::path::PathBuf;

use anyhow::{Context, anyhow};
use clap::Args;
use serde::Serialize;

use super::history_output::{self, Format};
use super::store_args::StoreArgs;
use crate::matrix;
use crate::plan::Plan;
use crate::regression::change_points::{self, Config};
use crate::store::{CellMeta, Metric, Store, StoredCell, TrendPoint, write_atomically};

/// Arguments of `history`.
#[derive(Debug, Args)]
#[command(after_help = "\
One series per cell: the metric in every stored run that measured the cell,
oldest first, and its change points (E-divisive means on the logarithms,
Welch's t-test at p <= 0.001, a change of at least 2.5 % of the segment
means, at least 3 runs on each side). It shows slow creep and device drift
that a paired comparison with the previous night cannot see.

A cell id is a hash of the cell's spec, which includes the model file's
SHA-256: a changed model file (or recipe, workload, device) starts a new
series.

Metrics: ttft_median_s, prefill_tps_median, decode_tps_median, e2e_median_s,
peak_rss_kib, energy_j_median, decode_mj_per_token_median, recipe_bytes,
ppl_delta_pct.

Examples:
  edgebench history matrices/lab-nightly.toml
  edgebench history --cell 3fa2b1c0 --metric e2e_median_s --limit 90
  edgebench history matrices/lab-nightly.toml --format csv -o history.csv")]
pub struct HistoryArgs {
    /// The matrix file (TOML): every cell of it.
    #[arg(
        value_name = "MATRIX",
        required_unless_present = "cell",
        conflicts_with = "cell"
    )]
    pub matrix: Option<PathBuf>,
    /// One cell, by id or the first 6 or more characters of its id.
    #[arg(long, value_name = "ID")]
    pub cell: Option<String>,
    /// The metric, by its column name.
    #[arg(long, value_name = "NAME", default_value = "decode_tps_median")]
    pub metric: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write to this file instead of standard output (`-`).
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Only the newest N runs of each cell [default: all].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub limit: Option<u64>,
    /// Where the runs are stored.
    #[command(flatten)]
    pub store: StoreArgs,
}

/// The history of the cells asked for.
#[derive(Debug, Serialize)]
pub struct History {
    /// The metric's column name.
    pub metric: &'static str,
    /// Whether a larger value is worse.
    pub larger_is_worse: bool,
    /// The database read.
    pub store: String,
    /// The matrix's name, for a matrix.
    pub matrix: Option<String>,
    /// The detector's settings.
    pub detector: Config,
    /// The cells with at least one value, in matrix order.
    pub cells: Vec<CellHistory>,
    /// Cells of the matrix without any stored value.
    pub cells_without_history: usize,
}

/// One cell's series and change points.
#[derive(Debug, Serialize)]
pub struct CellHistory {
    /// The cell id.
    pub cell_id: String,
    /// Device name.
    pub device: String,
    /// Model name.
    pub model: String,
    /// Canonical recipe.
    pub recipe: String,
    /// Workload label, `t2-p64-g32`.
    pub workload: String,
    /// The values, oldest run first.
    pub points: Vec<TrendPoint>,
    /// The changes of level.
    pub change_points: Vec<Change>,
    /// Why there are no change points when they could not be computed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A change point as reported.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// Position in `points` of the first run at the new level.
    pub index: usize,
    /// That run.
    pub run_id: String,
    /// Geometric mean of the segment before.
    pub mean_before: f64,
    /// Geometric mean of the segment after.
    pub mean_after: f64,
    /// The change of the segment means, percent.
    pub change_pct: f64,
    /// Welch's two-sided p-value.
    pub p_value: f64,
    /// Whether the change is for the worse.
    pub worse: bool,
}

/// Runs `history`.
pub fn run(args: &HistoryArgs) -> anyhow::Result<()> {
    let metric = parse_metric(&args.metric)?;
    let config = Config::default();
    let (matrix_name, cells, store) = match (&args.matrix, &args.cell) {
        (Some(path), _) => {
            let m = matrix::load(path).map_err(|errors| {
                anyhow!(
                    "{}\ncannot read the matrix '{}'",
                    errors.render(),
                    path.display()
                )
            })?;
            let cells = Plan::new(&m).cells.iter().map(plan_cell).collect();
            (Some(m.name), cells, args.store.open_existing()?)
        }
        (None, Some(reference)) => {
            let store = args.store.open_required()?;
            let cell = store.resolve_cell(reference)?;
            (None, vec![cell], Some(store))
        }
        (None, None) => anyhow::bail!("give a matrix file or --cell ID"),
    };
    let limit = args.limit.map(|n| usize::try_from(n).unwrap_or(usize::MAX));
    let history = build(
        store.as_ref(),
        &cells,
        metric,
        &config,
        limit,
        matrix_name,
        args.store.path().display().to_string(),
    )?;
    let bytes = history_output::render(&history, args.format)?;
    match &args.output {
        Some(p) if p.as_os_str() != "-" => {
            write_atomically(p, &bytes)?;
            println!("{}", p.display());
        }
        _ => {
            use std::io::Write as _;
            let mut out = std::io::stdout().lock();
            out.write_all(&bytes)
                .and_then(|()| out.flush())
                .context("cannot write to standard output")?;
        }
    }
    if history.cells.is_empty() && args.format != Format::Text {
        eprintln!("{}", history_output::no_history(&history));
    }
    Ok(())
}

/// The metric named `name`, or an error listing the names.
fn parse_metric(name: &str) -> anyhow::Result<Metric> {
    Metric::from_column(name).ok_or_else(|| {
        let names: Vec<&str> = Metric::ALL.iter().map(|m| m.column()).collect();
        anyhow!("unknown metric '{name}'; valid names: {}", names.join(", "))
    })
}

/// A plan cell under the names the store gives it.
fn plan_cell(c: &crate::plan::Cell) -> StoredCell {
    let meta = CellMeta {
        device: c.device.clone(),
        model: c.model.clone(),
        recipe: c.recipe_canonical.clone(),
        runtime: c.runtime,
        threads: c.threads,
        prompt_tokens: c.prompt_tokens,
        gen_tokens: c.gen_tokens,
    };
    StoredCell {
        id: c.id.clone(),
        workload: meta.workload(),
        device: meta.device,
        model: meta.model,
        recipe: meta.recipe,
    }
}

/// Reads the series of `cells` and finds their change points.
fn build(
    store: Option<&Store>,
    cells: &[StoredCell],
    metric: Metric,
    config: &Config,
    limit: Option<usize>,
    matrix: Option<String>,
    store_path: String,
) -> anyhow::Result<History> {
    let mut trends = match store {
        Some(store) => {
            let ids: Vec<&str> = cells.iter().map(|c| c.id.as_str()).collect();
            store
                .trend(&ids, metric)
                .context("cannot read the trend lines")?
        }
        None => Default::default(),
    };
    let mut out = Vec::new();
    for cell in cells {
        let Some(mut points) = trends.remove(&cell.id) else {
            continue;
        };
        if let Some(n) = limit {
            points.drain(..points.len().saturating_sub(n));
        }
        let (change_points, note) = match change_points::detect_trend(&points, config) {
            Ok(found) => (
                found
                    .into_iter()
                    .map(|c| change(metric, c.run_id, &c.change))
                    .collect(),
                None,
            ),
            Err(e) => (Vec::new(), Some(format!("change points not computed: {e}"))),
        };
        out.push(CellHistory {
            cell_id: cell.id.clone(),
            device: cell.device.clone(),
            model: cell.model.clone(),
            recipe: cell.recipe.clone(),
            workload: cell.workload.clone(),
            points,
            change_points,
            note,
        });
    }
    Ok(History {
        metric: metric.column(),
        larger_is_worse: metric.larger_is_worse(),
        store: store_path,
        matrix,
        detector: *config,
        cells_without_history: cells.len() - out.len(),
        cells: out,
    })
}

fn change(metric: Metric, run_id: String, c: &change_points::ChangePoint) -> Change {
    Change {
        index: c.index,
        run_id,
        mean_before: c.mean_before,
        mean_after: c.mean_after,
        change_pct: c.rel_change * 100.0,
        p_value: c.p_value,
        worse: (c.rel_change > 0.0) == metric.larger_is_worse(),
    }
}
