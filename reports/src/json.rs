//! `report.json`: the run as the reports see it, for other tools: header,
//! selection, comparison tables, recommendations, trend lines, the
//! regression gate's verdicts with the A/A canaries' calibration, and
//! every cell with its full result.

use serde::Serialize;

use crate::gate::{CalibrationTotal, calibration_total};
use crate::model::{
    CanaryNight, CellRow, GateSummary, ReportInput, RunHeader, Selection, TrendLine,
};
use crate::recommend::{Recommendation, recommend};
use crate::table::{Table, build_tables};

/// Version of the `report.json` layout; bumped on incompatible changes.
pub const REPORT_JSON_VERSION: u32 = 1;

#[derive(Serialize)]
struct ReportJson<'a> {
    report_version: u32,
    run_id: &'a str,
    matrix_name: &'a str,
    started: &'a str,
    header: &'a RunHeader,
    selection: &'a Selection,
    tables: Vec<Table>,
    recommendations: Vec<Recommendation>,
    trends: &'a [TrendLine],
    gate: Option<&'a GateSummary>,
    calibration: Calibration<'a>,
    cells: &'a [CellRow],
}

/// The A/A canaries: every night, then the nights pooled.
#[derive(Serialize)]
struct Calibration<'a> {
    nights: &'a [CanaryNight],
    total: Total,
}

/// The nights pooled, with the nominal rate and the bound's confidence.
#[derive(Serialize)]
struct Total {
    compared: usize,
    false_regressions: usize,
    false_improvements: usize,
    rate: Option<f64>,
    upper: Option<f64>,
    confidence: f64,
    nominal_rate: f64,
}

impl Total {
    fn new(t: CalibrationTotal) -> Self {
        Total {
            compared: t.compared,
            false_regressions: t.false_regressions,
            false_improvements: t.false_improvements,
            rate: t.rate,
            upper: t.upper,
            confidence: crate::gate::CALIBRATION_CONFIDENCE,
            nominal_rate: crate::gate::NOMINAL_FALSE_ALARM_RATE,
        }
    }
}

/// The whole `report.json` of a run, pretty-printed.
///
/// # Errors
/// A [`serde_json::Error`] should a value refuse to serialise.
pub fn render_json(input: &ReportInput, selection: &Selection) -> serde_json::Result<String> {
    let doc = ReportJson {
        report_version: REPORT_JSON_VERSION,
        run_id: &input.run_id,
        matrix_name: &input.matrix_name,
        started: &input.started,
        header: &input.header,
        selection,
        tables: build_tables(input),
        recommendations: recommend(input, selection),
        trends: &input.trends,
        gate: input.gate.as_ref(),
        calibration: Calibration {
            nights: &input.calibration,
            total: Total::new(calibration_total(&input.calibration)),
        },
        cells: &input.cells,
    };
    serde_json::to_string_pretty(&doc)
}
