//! Trend lines: a cell's figure across the stored runs, one line per
//! recipe, per model × device × workload and figure.

use plotters::prelude::*;

use super::axis::{self, plottable};
use super::style::{self, err, render};
use super::{Chart, ChartBody, slug, workload_slug};
use crate::model::{Group, ReportInput, TrendLine, TrendMetric};

/// Why a group has no trend chart.
pub const NO_EARLIER_RUNS: &str = "no earlier runs of these cells in the store";

/// The charts of every group: one per figure with a line of two points or
/// more, else one [`ChartBody::Missing`] saying there is no earlier run.
pub(crate) fn charts(input: &ReportInput) -> Vec<Chart> {
    let mut out = Vec::new();
    for g in input.groups() {
        let lines: Vec<&TrendLine> = input
            .trends
            .iter()
            .filter(|l| l.model == g.model && l.device == g.device && l.workload == g.workload)
            .collect();
        let mut metrics: Vec<TrendMetric> = Vec::new();
        for l in &lines {
            if !metrics.contains(&l.metric) {
                metrics.push(l.metric);
            }
        }
        let before = out.len();
        for metric in metrics {
            let mine: Vec<&TrendLine> = lines
                .iter()
                .copied()
                .filter(|l| l.metric == metric)
                .collect();
            let longest = mine.iter().map(|l| finite_points(l)).max().unwrap_or(0);
            if longest >= 2 {
                out.push(chart(&g, metric, &mine));
            }
        }
        if out.len() == before {
            out.push(Chart {
                id: slug(&["trend", g.model, g.device, &workload_slug(g.workload)]),
                title: format!("Trend of {} on {}, {}", g.model, g.device, g.workload),
                caption: "Figures of these cells across the stored runs.".to_owned(),
                body: ChartBody::Missing(NO_EARLIER_RUNS.to_owned()),
            });
        }
    }
    out
}

/// Points of `l` that can be drawn.
fn finite_points(l: &TrendLine) -> usize {
    l.points.iter().filter(|p| plottable(p.value)).count()
}

/// The id part of a figure.
fn metric_slug(m: TrendMetric) -> &'static str {
    match m {
        TrendMetric::DecodeTps => "decode",
        TrendMetric::Latency => "latency",
    }
}

/// A short label per run: the date when it tells runs apart, else date
/// and time, else the run id.
fn run_labels(runs: &[(&str, &str)]) -> Vec<String> {
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

/// The chart of one figure of `g`.
fn chart(g: &Group<'_>, metric: TrendMetric, lines: &[&TrendLine]) -> Chart {
    let m = metric.label();
    Chart {
        id: slug(&[
            "trend",
            metric_slug(metric),
            g.model,
            g.device,
            &workload_slug(g.workload),
        ]),
        title: format!(
            "Trend of {m} of {} on {}, {}",
            g.model, g.device, g.workload
        ),
        caption: format!(
            "Median {m} of each recipe in this run and the earlier stored runs of the same \
             cells, oldest run first, one line per recipe."
        ),
        body: body(metric, lines),
    }
}

/// The lines, or why they cannot be drawn.
fn body(metric: TrendMetric, lines: &[&TrendLine]) -> ChartBody {
    let mut runs: Vec<(&str, &str)> = lines
        .iter()
        .flat_map(|l| l.points.iter())
        .filter(|p| plottable(p.value))
        .map(|p| (p.started.as_str(), p.run_id.as_str()))
        .collect();
    runs.sort_unstable();
    runs.dedup();
    let labels = run_labels(&runs);
    let series: Vec<(&str, Vec<(f64, f64)>)> = lines
        .iter()
        .map(|l| {
            let mut pts: Vec<(f64, f64)> = l
                .points
                .iter()
                .filter(|p| plottable(p.value))
                .filter_map(|p| {
                    let x = runs.binary_search(&(p.started.as_str(), p.run_id.as_str()));
                    Some((x.ok()? as f64, p.value))
                })
                .collect();
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            (l.recipe.as_str(), pts)
        })
        .collect();
    let values = series.iter().flat_map(|(_, p)| p.iter().map(|q| q.1));
    let Some((y0, y1)) = axis::padded(values) else {
        return ChartBody::Missing(NO_EARLIER_RUNS.to_owned());
    };
    render(|root| {
        let n = runs.len();
        let mut chart = style::frame(root, axis::Slots::integers(n), y0..y1)?;
        let x_label = |x: &f64| {
            let i = if *x >= 0.0 { x.round() as usize } else { n };
            labels.get(i).cloned().unwrap_or_default()
        };
        style::mesh(
            &mut chart,
            style::Axes {
                x_desc: "run",
                y_desc: metric.label(),
                x_label: &x_label,
                y_label: &|y| axis::tick(*y),
                x_grid: true,
            },
        )?;
        for (k, (recipe, pts)) in series.iter().enumerate() {
            let colour = style::colour(k);
            chart
                .draw_series(LineSeries::new(pts.iter().copied(), colour.stroke_width(2)))
                .map_err(err)?
                .label(*recipe)
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 14, y)], colour.stroke_width(2))
                });
            chart
                .draw_series(pts.iter().map(|p| Circle::new(*p, 3, colour.filled())))
                .map_err(err)?;
        }
        style::legend(&mut chart)
    })
}
