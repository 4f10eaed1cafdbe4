//! Trend lines: a cell's figure across the stored runs, one line per
//! recipe, per model × device × workload and figure, with the runs where
//! the regression gate confirmed a change marked and the change points of
//! the lines drawn as dashed vertical lines.

use plotters::element::DashedPathElement;
use plotters::prelude::*;

use super::axis::{self, plottable};
use super::style::{self, IMPROVED, REFERENCE, REGRESSED, err, render};
use super::{Chart, ChartBody, run_labels, slug, workload_slug};
use crate::model::{Group, ReportInput, TrendLine, TrendMetric, TrendPoint};

/// Pixels from the centre of a gate marker to its corners (the points of
/// the lines have a radius of 3).
const MARK_SIZE: i32 = 7;

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

/// The chart of one figure of `g`.
fn chart(g: &Group<'_>, metric: TrendMetric, lines: &[&TrendLine]) -> Chart {
    let m = metric.label();
    let plotted = Plotted::new(lines);
    let mut caption = format!(
        "Median {m} of each recipe in this run and the earlier stored runs of the same \
         cells, oldest run first, one line per recipe."
    );
    if !plotted.regressed.is_empty() || !plotted.improved.is_empty() {
        caption.push_str(
            " Red downward triangles mark runs where the regression gate confirmed a \
             regression of the recipe, green upward triangles a confirmed improvement.",
        );
    }
    if !plotted.change_points.is_empty() {
        caption.push_str(
            " Dashed grey vertical lines mark change points found over the stored runs: \
             the first run of a new level.",
        );
    }
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
        caption,
        body: body(metric, &plotted),
    }
}

/// What the chart of one figure draws, in plot coordinates: x is the
/// run's index, oldest first.
struct Plotted<'a> {
    /// The runs with a plottable point, as `(started, run id)`, sorted.
    runs: Vec<(&'a str, &'a str)>,
    /// One line per recipe.
    series: Vec<(&'a str, Vec<(f64, f64)>)>,
    /// Points where the gate confirmed a regression.
    regressed: Vec<(f64, f64)>,
    /// Points where the gate confirmed an improvement.
    improved: Vec<(f64, f64)>,
    /// The x of every change point, each once, in order.
    change_points: Vec<f64>,
}

impl<'a> Plotted<'a> {
    /// The points, marks and change points of `lines` on plotted runs;
    /// marks and change points of other runs are left out.
    fn new(lines: &[&'a TrendLine]) -> Self {
        let mut runs: Vec<(&str, &str)> = lines
            .iter()
            .flat_map(|l| l.points.iter())
            .filter(|p| plottable(p.value))
            .map(|p| (p.started.as_str(), p.run_id.as_str()))
            .collect();
        runs.sort_unstable();
        runs.dedup();
        let x_of = |p: &TrendPoint| -> Option<f64> {
            let key = (p.started.as_str(), p.run_id.as_str());
            let i = runs.binary_search(&key).ok()?;
            plottable(p.value).then_some(i as f64)
        };
        let series = lines
            .iter()
            .map(|l| {
                let mut pts: Vec<(f64, f64)> = l
                    .points
                    .iter()
                    .filter_map(|p| Some((x_of(p)?, p.value)))
                    .collect();
                pts.sort_by(|a, b| a.0.total_cmp(&b.0));
                (l.recipe.as_str(), pts)
            })
            .collect();
        let (mut regressed, mut improved) = (Vec::new(), Vec::new());
        for l in lines {
            for mark in &l.marks {
                let at = l.points.iter().find(|p| p.run_id == mark.run_id);
                let Some(point) = at.and_then(|p| Some((x_of(p)?, p.value))) else {
                    continue;
                };
                match mark.verdict.as_str() {
                    "REGRESSED" => regressed.push(point),
                    "IMPROVED" => improved.push(point),
                    _ => {}
                }
            }
        }
        let mut change_points: Vec<f64> = lines
            .iter()
            .flat_map(|l| l.change_points.iter())
            .filter_map(|c| runs.iter().position(|(_, id)| *id == c.run_id))
            .map(|i| i as f64)
            .collect();
        change_points.sort_by(f64::total_cmp);
        change_points.dedup();
        Plotted {
            runs,
            series,
            regressed,
            improved,
            change_points,
        }
    }
}

/// The lines, or why they cannot be drawn.
fn body(metric: TrendMetric, plotted: &Plotted<'_>) -> ChartBody {
    let labels = run_labels(&plotted.runs);
    let values = plotted
        .series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|q| q.1));
    let Some((y0, y1)) = axis::padded(values) else {
        return ChartBody::Missing(NO_EARLIER_RUNS.to_owned());
    };
    render(|root| {
        let n = plotted.runs.len();
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
        if !plotted.change_points.is_empty() {
            let dashed = REFERENCE.stroke_width(1);
            chart
                .draw_series(
                    plotted
                        .change_points
                        .iter()
                        .map(|x| DashedPathElement::new(vec![(*x, y0), (*x, y1)], 6, 4, dashed)),
                )
                .map_err(err)?
                .label("change point")
                .legend(move |(x, y)| {
                    DashedPathElement::new(vec![(x, y), (x + 14, y)], 4, 3, dashed)
                });
        }
        for (k, (recipe, pts)) in plotted.series.iter().enumerate() {
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
        for (marks, colour, down, label) in [
            (&plotted.regressed, REGRESSED, true, "regressed (gate)"),
            (&plotted.improved, IMPROVED, false, "improved (gate)"),
        ] {
            if marks.is_empty() {
                continue;
            }
            chart
                .draw_series(marks.iter().map(|p| {
                    EmptyElement::at(*p)
                        + Polygon::new(style::triangle((0, 0), MARK_SIZE, down), colour.filled())
                }))
                .map_err(err)?
                .label(label)
                .legend(move |(x, y)| {
                    Polygon::new(style::triangle((x + 7, y), 5, down), colour.filled())
                });
        }
        style::legend(&mut chart)
    })
}
