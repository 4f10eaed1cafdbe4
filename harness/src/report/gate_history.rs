//! What the reports show of the regression gate, from the store: this
//! run's verdicts, the A/A canaries of every gated run of the matrix so
//! far, and on each trend line the gate's confirmed changes and the change
//! points found over the line.

use std::collections::{BTreeMap, BTreeSet};

use edgebench_reports::{
    CanaryNight, GateRow, GateSummary, ReportInput, TrendChangePoint, TrendLine, TrendMark,
    TrendMetric,
};

use crate::regression::change_points::{self, Config};
use crate::regression::gate_report::{CanaryTally, decided};
use crate::store::{Metric, RunVerdict, Store, StoreError};

/// The verdict of a confirmed regression.
const REGRESSED: &str = "REGRESSED";

/// This run's gate verdicts, named by the run's cells; `None` when the run
/// was not compared with a baseline.
///
/// # Errors
/// [`StoreError::Sqlite`].
pub fn gate_summary(store: &Store, input: &ReportInput) -> Result<Option<GateSummary>, StoreError> {
    let verdicts = store.gate_verdicts(&input.run_id)?;
    let Some(first) = verdicts.first() else {
        return Ok(None);
    };
    let baseline = first.baseline_run.clone();
    let names: BTreeMap<&str, _> = input
        .cells
        .iter()
        .map(|c| (c.result.cell_id.as_str(), c))
        .collect();
    let rows: Vec<GateRow> = verdicts
        .iter()
        .map(|r| {
            let v = &r.verdict;
            let cell = names.get(v.cell_id.as_str());
            let name = |f: &dyn Fn(&edgebench_reports::CellRow) -> String| {
                cell.map_or_else(|| v.cell_id.chars().take(12).collect(), |c| f(c))
            };
            GateRow {
                device: name(&|c| c.device.clone()),
                model: name(&|c| c.model.clone()),
                recipe: name(&|c| c.recipe.clone()),
                workload: name(&|c| {
                    format!("t{}-p{}-g{}", c.threads, c.prompt_tokens, c.gen_tokens)
                }),
                metric: v.metric.clone(),
                verdict: v.verdict.clone(),
                change_pct: v.change_pct,
                change_ci_pct: (v.ci_low_pct, v.ci_high_pct),
                p: v.p,
                reason: v.reason.clone(),
                canary: v.canary,
            }
        })
        .collect();
    Ok(Some(GateSummary {
        baseline,
        outcome: outcome(&rows).to_owned(),
        rows,
    }))
}

/// `regressed`, `passed` or `nothing comparable`, as the gate's exit code
/// said, from the verdicts of the cells (canaries never count).
fn outcome(rows: &[GateRow]) -> &'static str {
    let real = || rows.iter().filter(|r| !r.canary);
    if real().any(|r| r.verdict == REGRESSED) {
        "regressed"
    } else if real().any(|r| decided(&r.verdict)) {
        "passed"
    } else {
        "nothing comparable"
    }
}

/// The A/A canaries of every gated run of the matrix up to this one,
/// counted per run, oldest first.
///
/// # Errors
/// [`StoreError::Sqlite`].
pub fn calibration(store: &Store, input: &ReportInput) -> Result<Vec<CanaryNight>, StoreError> {
    let verdicts = store.canary_verdicts(&input.matrix_name, &input.started)?;
    Ok(tally(&verdicts))
}

/// The canary verdicts counted per run, in the order given.
pub fn tally(verdicts: &[RunVerdict]) -> Vec<CanaryNight> {
    let mut nights: Vec<(&RunVerdict, CanaryTally)> = Vec::new();
    for r in verdicts.iter().filter(|r| r.verdict.canary) {
        if nights.last().is_none_or(|(n, _)| n.run_id != r.run_id) {
            nights.push((r, CanaryTally::default()));
        }
        if let Some((_, t)) = nights.last_mut() {
            t.count(&r.verdict.verdict);
        }
    }
    nights
        .into_iter()
        .map(|(r, t)| CanaryNight {
            run_id: r.run_id.clone(),
            started: r.started.clone(),
            compared: t.compared,
            false_regressions: t.false_regressions,
            false_improvements: t.false_improvements,
        })
        .collect()
}

/// The store metric a trend line follows.
pub fn metric_of(m: TrendMetric) -> Metric {
    match m {
        TrendMetric::DecodeTps => Metric::DecodeTpsMedian,
        TrendMetric::Latency => Metric::E2eMedian,
    }
}

/// Marks on every line the runs whose gate confirmed a change of its cell
/// and figure, and the change points over its points.
///
/// # Errors
/// [`StoreError::Sqlite`].
pub fn mark_trends(store: &Store, lines: &mut [TrendLine]) -> Result<(), StoreError> {
    let ids: BTreeSet<&str> = lines.iter().map(|l| l.cell_id.as_str()).collect();
    let ids: Vec<&str> = ids.into_iter().collect();
    let changes = store.confirmed_changes(&ids)?;
    let config = Config::default();
    for line in lines.iter_mut() {
        let column = metric_of(line.metric).column();
        let runs: BTreeSet<&str> = line.points.iter().map(|p| p.run_id.as_str()).collect();
        line.marks = changes
            .iter()
            .filter(|c| {
                c.verdict.cell_id == line.cell_id
                    && c.verdict.metric == column
                    && runs.contains(c.run_id.as_str())
            })
            .map(|c| TrendMark {
                run_id: c.run_id.clone(),
                verdict: c.verdict.verdict.clone(),
                change_pct: c.verdict.change_pct,
            })
            .collect();
        let values: Vec<f64> = line.points.iter().map(|p| p.value).collect();
        // Too short a line or unusable values simply have no change point.
        line.change_points = change_points::detect(&values, &config)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|c| {
                Some(TrendChangePoint {
                    run_id: line.points.get(c.index)?.run_id.clone(),
                    change_pct: c.rel_change * 100.0,
                    p: c.p_value,
                })
            })
            .collect();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::GateVerdict;

    fn v(run: &str, canary: bool, verdict: &str) -> RunVerdict {
        RunVerdict {
            run_id: run.to_owned(),
            started: format!("2026-12-0{}T02:00:00Z", &run[1..]),
            baseline_run: "n0".to_owned(),
            verdict: GateVerdict {
                cell_id: "c".to_owned(),
                canary,
                metric: "decode_tps_median".to_owned(),
                verdict: verdict.to_owned(),
                change_pct: None,
                ci_low_pct: None,
                ci_high_pct: None,
                p: None,
                p_confirm: None,
                blocks: 15,
                invalid_blocks: 0,
                reason: None,
            },
        }
    }

    #[test]
    fn canaries_are_tallied_per_night() {
        let nights = tally(&[
            v("n1", true, "UNCHANGED"),
            v("n1", true, "SUSPECT"),
            v("n1", true, "INCONCLUSIVE"),
            v("n1", false, "REGRESSED"),
            v("n2", true, "IMPROVED"),
            v("n2", true, "REGRESSED"),
            v("n2", true, "NOT COMPARABLE"),
        ]);
        let got: Vec<(&str, usize, usize, usize)> = nights
            .iter()
            .map(|n| {
                (
                    n.run_id.as_str(),
                    n.compared,
                    n.false_regressions,
                    n.false_improvements,
                )
            })
            .collect();
        assert_eq!(got, [("n1", 2, 0, 0), ("n2", 2, 1, 1)]);
    }

    #[test]
    fn the_outcome_ignores_canaries() {
        let row = |verdict: &str, canary: bool| GateRow {
            device: String::new(),
            model: String::new(),
            recipe: String::new(),
            workload: String::new(),
            metric: "decode_tps_median".to_owned(),
            verdict: verdict.to_owned(),
            change_pct: None,
            change_ci_pct: (None, None),
            p: None,
            reason: None,
            canary,
        };
        assert_eq!(
            outcome(&[row("UNCHANGED", false), row("REGRESSED", true)]),
            "passed"
        );
        assert_eq!(outcome(&[row("REGRESSED", false)]), "regressed");
        assert_eq!(
            outcome(&[row("INCONCLUSIVE", false), row("UNCHANGED", true)]),
            "nothing comparable"
        );
    }
}
