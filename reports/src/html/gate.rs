//! The regression gate's section of the page, prepared for the template:
//! the verdicts worth reading and the A/A canaries' calibration, as text
//! and fixed class names only.

use super::view::ChartView;
use crate::charts::{Chart, run_labels};
use crate::gate::{
    self, CALIBRATION_CONFIDENCE, NOMINAL_FALSE_ALARM_RATE, calibration_total, night_rate,
    rate_text,
};
use crate::model::{CanaryNight, GateRow, GateSummary};

/// The gate's section.
pub(super) struct GateView {
    pub baseline: String,
    pub outcome: String,
    /// `passed`, `regressed`, `nothing` or `other`: a class name, never
    /// the outcome's own text.
    pub outcome_class: &'static str,
    pub counts: String,
    /// The rows that are not canaries and not unchanged, in verdict order.
    pub rows: Vec<GateRowView>,
    /// What to say when `rows` is empty.
    pub none: &'static str,
    pub calibration: Option<CalibrationView>,
}

impl GateView {
    /// The section of `gate`, with the calibration of `nights` and its
    /// chart when there are nights.
    pub fn new(gate: &GateSummary, nights: &[CanaryNight], chart: Option<&Chart>) -> Self {
        let compared = gate.rows.iter().any(|r| !r.canary);
        GateView {
            baseline: gate.baseline.clone(),
            outcome: gate.outcome.clone(),
            outcome_class: match gate.outcome.as_str() {
                "passed" => "passed",
                "regressed" => "regressed",
                "nothing comparable" => "nothing",
                _ => "other",
            },
            counts: gate::counts_text(gate),
            rows: gate::notable_rows(gate)
                .into_iter()
                .map(GateRowView::new)
                .collect(),
            none: if compared {
                "Every compared metric unchanged."
            } else {
                "No cell-metric was compared."
            },
            calibration: (!nights.is_empty()).then(|| CalibrationView::new(nights, chart)),
        }
    }
}

/// One row of the gate's table.
pub(super) struct GateRowView {
    pub device: String,
    pub model: String,
    pub recipe: String,
    pub workload: String,
    pub metric: String,
    pub verdict: String,
    /// A class name for the verdict, never the verdict's own text.
    pub class: &'static str,
    pub reason: Option<String>,
    pub change: String,
    /// The change's sort key, when there is a change.
    pub change_sort: Option<String>,
    pub p: String,
    /// The p-value's sort key, when there is one.
    pub p_sort: Option<String>,
}

impl GateRowView {
    fn new(r: &GateRow) -> Self {
        let key = |v: Option<f64>| v.filter(|v| v.is_finite()).map(|v| v.to_string());
        GateRowView {
            device: r.device.clone(),
            model: r.model.clone(),
            recipe: r.recipe.clone(),
            workload: r.workload.clone(),
            metric: r.metric.clone(),
            verdict: r.verdict.clone(),
            class: match r.verdict.as_str() {
                "REGRESSED" => "regressed",
                "SUSPECT" => "suspect",
                "IMPROVED" => "improved",
                "INCONCLUSIVE" => "inconclusive",
                "NOT COMPARABLE" => "not-comparable",
                _ => "other",
            },
            reason: r.reason.clone(),
            change: gate::change_text(r),
            change_sort: key(r.change_pct),
            p: gate::p_text(r.p),
            p_sort: key(r.p),
        }
    }
}

/// One night of the calibration table.
pub(super) struct NightView {
    pub label: String,
    pub run_id: String,
    pub compared: usize,
    pub false_regressions: usize,
    pub false_improvements: usize,
    pub rate: String,
}

/// The calibration: a row per night, the pooled total and the chart.
pub(super) struct CalibrationView {
    pub nights: Vec<NightView>,
    pub total_label: String,
    pub compared: usize,
    pub false_regressions: usize,
    pub false_improvements: usize,
    /// The pooled rate, e.g. `0.00 %`.
    pub rate: String,
    /// Its upper bound, e.g. `≤ 0.99 %`.
    pub upper: String,
    /// The confidence of the bound, e.g. `95 %`.
    pub confidence: String,
    /// The nominal rate, e.g. `1 %`.
    pub nominal: String,
    pub chart: Option<ChartView>,
}

impl CalibrationView {
    fn new(nights: &[CanaryNight], chart: Option<&Chart>) -> Self {
        let runs: Vec<(&str, &str)> = nights
            .iter()
            .map(|n| (n.started.as_str(), n.run_id.as_str()))
            .collect();
        let labels = run_labels(&runs);
        let total = calibration_total(nights);
        CalibrationView {
            nights: nights
                .iter()
                .zip(labels)
                .map(|(n, label)| NightView {
                    label,
                    run_id: n.run_id.clone(),
                    compared: n.compared,
                    false_regressions: n.false_regressions,
                    false_improvements: n.false_improvements,
                    rate: rate_text(night_rate(n)),
                })
                .collect(),
            total_label: format!(
                "All {} night{}",
                nights.len(),
                if nights.len() == 1 { "" } else { "s" }
            ),
            compared: total.compared,
            false_regressions: total.false_regressions,
            false_improvements: total.false_improvements,
            rate: rate_text(total.rate),
            upper: match total.upper {
                Some(_) => format!("≤ {}", rate_text(total.upper)),
                None => "n/a".to_owned(),
            },
            confidence: format!("{} %", CALIBRATION_CONFIDENCE * 100.0),
            nominal: format!("{} %", NOMINAL_FALSE_ALARM_RATE * 100.0),
            chart: chart.map(ChartView::new),
        }
    }
}
