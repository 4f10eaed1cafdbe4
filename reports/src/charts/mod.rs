//! SVG charts of the HTML report, drawn with plotters' SVG backend.
//!
//! [`charts`] returns every chart of a run in a fixed order: decode speed
//! and energy per token as grouped bars, accuracy against latency with the
//! Pareto frontier, memory against size, the per-token latency
//! distribution, and trends over earlier runs. A chart with nothing to draw
//! is kept as [`ChartBody::Missing`] with the reason, so the report can say
//! why. The regression gate's calibration has its own chart,
//! [`calibration_chart`], shown beside the gate's verdicts. User text
//! (model, device, recipe names) reaches the SVG only through plotters'
//! text elements, which escape it.

mod axis;
mod bars;
mod calibration;
mod memory;
mod pareto;
pub mod style;
mod tokens;
mod trend;

use std::collections::HashSet;

pub use calibration::{CALIBRATION_CHART_ID, calibration_chart};

use edgebench_schema::Status;

use crate::metric::Metric;
use crate::model::{CellRow, ReportInput};

/// One chart of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// Unique among the charts of a report, `[a-z0-9-]` only: usable as an
    /// HTML id.
    pub id: String,
    /// The chart's title.
    pub title: String,
    /// One sentence: what is plotted, in which units, what the whiskers or
    /// lines mean.
    pub caption: String,
    /// The drawing, or why there is none.
    pub body: ChartBody,
}

/// What a chart shows.
#[derive(Debug, Clone, PartialEq)]
pub enum ChartBody {
    /// A complete `<svg ...>...</svg>` element, without an XML declaration.
    Svg(String),
    /// Why there is nothing to draw.
    Missing(String),
}

/// Every chart of `input`, in report order: decode tokens/s and energy per
/// token per model × workload, accuracy against latency per model × device
/// × workload, peak RSS against size per model, per-token latency per model
/// × device × workload, and trend lines.
pub fn charts(input: &ReportInput) -> Vec<Chart> {
    let devices = device_order(input);
    let mut out = Vec::new();
    out.extend(bars::charts(input, &devices, bars::BarKind::Decode));
    out.extend(bars::charts(input, &devices, bars::BarKind::EnergyPerToken));
    out.extend(pareto::charts(input));
    out.extend(memory::charts(input, &devices));
    out.extend(tokens::charts(input, &devices));
    out.extend(trend::charts(input));
    make_ids_unique(&mut out);
    out
}

/// The devices in the header's order, then any other device met in the
/// cells: a device keeps its colour across charts.
fn device_order(input: &ReportInput) -> Vec<&str> {
    let mut order: Vec<&str> = Vec::new();
    let names = input.header.devices.iter().map(|d| d.name.as_str());
    for name in names.chain(input.cells.iter().map(|c| c.device.as_str())) {
        if !order.contains(&name) {
            order.push(name);
        }
    }
    order
}

/// The index of `device` in `devices` (its colour).
fn device_index(devices: &[&str], device: &str) -> usize {
    devices.iter().position(|d| *d == device).unwrap_or(0)
}

/// Why `metric` is missing from every cell of `cells`: the first ok cell's
/// reason, else the first cell's status and error.
fn missing_reason(cells: &[&CellRow], metric: Metric, reference: Option<&str>) -> String {
    let ok = cells.iter().find(|c| c.result.status == Status::Ok);
    match ok.or(cells.first()) {
        None => "no cells".to_owned(),
        Some(cell) => {
            let reason = metric
                .read(cell, reference)
                .err()
                .unwrap_or_else(|| "no plottable value".to_owned());
            match (&cell.result.error, cell.result.status) {
                (Some(e), s) if s != Status::Ok && !e.is_empty() => format!("{reason} ({e})"),
                _ => reason,
            }
        }
    }
}

/// `parts` as an HTML id fragment: lower-case ASCII letters and digits,
/// other runs of characters turned into one `-`.
fn slug(parts: &[&str]) -> String {
    let mut out = String::new();
    for part in parts {
        for c in part.chars() {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_lowercase());
            } else if !out.ends_with('-') {
                out.push('-');
            }
        }
        if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_owned()
}

/// The id part of a workload, e.g. `4t-32p-16g`.
fn workload_slug(w: crate::model::WorkloadKey) -> String {
    format!("{}t-{}p-{}g", w.threads, w.prompt_tokens, w.gen_tokens)
}

/// A short label per run, given as `(started, run id)`: the date when it
/// tells runs apart, else date and time, else the run id.
pub(crate) fn run_labels(runs: &[(&str, &str)]) -> Vec<String> {
    let pick = |f: &dyn Fn(&str) -> Option<String>| -> Option<Vec<String>> {
        let labels: Vec<String> = runs.iter().map(|(s, _)| f(s)).collect::<Option<_>>()?;
        let mut sorted = labels.clone();
        sorted.sort();
        sorted.dedup();
        (sorted.len() == labels.len()).then_some(labels)
    };
    pick(&|s| s.get(..10).map(str::to_owned))
        .or_else(|| pick(&|s| s.get(5..16).map(|t| t.replace('T', " "))))
        .unwrap_or_else(|| runs.iter().map(|(_, id)| (*id).to_owned()).collect())
}

/// Appends `-2`, `-3`, ... to ids met before.
fn make_ids_unique(charts: &mut [Chart]) {
    let mut seen: HashSet<String> = HashSet::new();
    for chart in charts {
        if chart.id.is_empty() {
            chart.id = "chart".to_owned();
        }
        if !seen.contains(&chart.id) {
            seen.insert(chart.id.clone());
            continue;
        }
        let mut n = 2;
        while seen.contains(&format!("{}-{n}", chart.id)) {
            n += 1;
        }
        chart.id = format!("{}-{n}", chart.id);
        seen.insert(chart.id.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_keep_letters_and_digits() {
        assert_eq!(
            slug(&["decode", "<script>alert(1)</script>"]),
            "decode-script-alert-1-script"
        );
        assert_eq!(slug(&["a", "Q4_K M"]), "a-q4-k-m");
        assert_eq!(slug(&["ü"]), "");
    }

    #[test]
    fn ids_are_made_unique() {
        let chart = |id: &str| Chart {
            id: id.to_owned(),
            title: String::new(),
            caption: String::new(),
            body: ChartBody::Missing(String::new()),
        };
        let mut v = vec![chart("a"), chart("a"), chart("a-2"), chart("")];
        make_ids_unique(&mut v);
        let ids: Vec<&str> = v.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["a", "a-2", "a-2-2", "chart"]);
    }
}
