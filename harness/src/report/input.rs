//! The [`ReportInput`] of a run: its cells with their names and results,
//! the header from `env.json` and the results, and trend lines from the
//! store.

use std::collections::BTreeSet;

use edgebench_reports::{CellRow, ReportInput, RunHeader, TrendLine, TrendMetric, TrendPoint};

use super::facts::device_facts;
use crate::store::{EnvInfo, RunId, Store, StoreError, StoredResult};

/// The report input of run `id` from its `env.json` and results (no trend
/// lines).
pub fn report_input(id: &RunId, env: &EnvInfo, records: &[StoredResult]) -> ReportInput {
    let cells: Vec<CellRow> = records
        .iter()
        .map(|s| CellRow {
            device: s.meta.device.clone(),
            model: s.meta.model.clone(),
            recipe: s.meta.recipe.clone(),
            runtime: s.meta.runtime,
            threads: s.meta.threads,
            prompt_tokens: s.meta.prompt_tokens,
            gen_tokens: s.meta.gen_tokens,
            result: s.result.clone(),
        })
        .collect();
    ReportInput {
        run_id: id.to_string(),
        matrix_name: env.matrix_name.clone(),
        started: env.started.clone(),
        header: RunHeader {
            controller_version: env.controller_version.clone(),
            git_revision: env.git_revision.clone(),
            status: env.status.name().to_owned(),
            devices: device_facts(&cells),
        },
        cells,
        trends: Vec::new(),
        gate: None,
        calibration: Vec::new(),
    }
}

/// Trend lines of the run's cells over every stored run that started no
/// later than it (re-rendering an old run never shows its future).
///
/// # Errors
/// [`StoreError::Sqlite`].
pub fn trends(store: &Store, input: &ReportInput) -> Result<Vec<TrendLine>, StoreError> {
    let mut seen = BTreeSet::new();
    let cells: Vec<&CellRow> = input
        .cells
        .iter()
        .filter(|c| seen.insert(c.result.cell_id.as_str()))
        .collect();
    let ids: Vec<&str> = cells.iter().map(|c| c.result.cell_id.as_str()).collect();
    let mut out = Vec::new();
    for metric in [TrendMetric::DecodeTps, TrendMetric::Latency] {
        let mut lines = store.trend(&ids, super::gate_history::metric_of(metric))?;
        for cell in &cells {
            let Some(points) = lines.remove(&cell.result.cell_id) else {
                continue;
            };
            let points: Vec<TrendPoint> = points
                .into_iter()
                .filter(|p| p.started <= input.started || p.run_id == input.run_id)
                .map(|p| TrendPoint {
                    run_id: p.run_id,
                    started: p.started,
                    value: p.value,
                })
                .collect();
            if points.is_empty() {
                continue;
            }
            out.push(TrendLine {
                cell_id: cell.result.cell_id.clone(),
                device: cell.device.clone(),
                model: cell.model.clone(),
                recipe: cell.recipe.clone(),
                workload: cell.workload(),
                metric,
                points,
                marks: Vec::new(),
                change_points: Vec::new(),
            });
        }
    }
    Ok(out)
}
