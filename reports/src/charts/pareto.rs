//! Accuracy drop against latency per model × device × workload, with the
//! Pareto frontier: the recipes no other recipe beats on both.

use std::borrow::Cow;

use edgebench_schema::Status;
use plotters::prelude::*;

use super::axis::{self, plottable};
use super::style::{self, FRONTIER, MUTED, err, render};
use super::{Chart, ChartBody, missing_reason, slug, workload_slug};
use crate::metric::Metric;
use crate::model::{Group, ReportInput};

const CAPTION: &str = "Accuracy drop (perplexity increase against the reference recipe, %) \
     against median end-to-end latency (s) per recipe, lower is better on both; the line steps \
     through the Pareto frontier, the recipes no other recipe beats on both, and grey points \
     are beaten on both.";

/// One recipe's place.
struct Point<'a> {
    recipe: Cow<'a, str>,
    latency: f64,
    drop: f64,
}

/// One chart per model × device × workload, in the order met.
pub(crate) fn charts(input: &ReportInput) -> Vec<Chart> {
    input
        .groups()
        .iter()
        .map(|g| Chart {
            id: slug(&["pareto", g.model, g.device, &workload_slug(g.workload)]),
            title: format!(
                "Accuracy against latency of {} on {}, {}",
                g.model, g.device, g.workload
            ),
            caption: CAPTION.to_owned(),
            body: body(g),
        })
        .collect()
}

/// Whether each point is on the frontier: no other point is at most as
/// high on both axes and lower on one.
pub(crate) fn frontier(points: &[(f64, f64)]) -> Vec<bool> {
    points
        .iter()
        .map(|&(x, y)| {
            !points
                .iter()
                .any(|&(qx, qy)| qx <= x && qy <= y && (qx < x || qy < y))
        })
        .collect()
}

/// Why no recipe of `g` can be placed.
fn reason(g: &Group<'_>) -> String {
    let first_ok = g.cells.iter().find(|c| c.result.status == Status::Ok);
    let why = match first_ok {
        Some(c) => Metric::AccuracyDrop
            .read(c, g.reference)
            .and_then(|_| Metric::Latency.read(c, g.reference))
            .err()
            .unwrap_or_else(|| "no plottable value".to_owned()),
        None => missing_reason(&g.cells, Metric::Latency, g.reference),
    };
    format!("no recipe has both an accuracy drop and a latency: {why}")
}

/// The scatter of `g`, or why there is none.
fn body(g: &Group<'_>) -> ChartBody {
    let points: Vec<Point<'_>> = g
        .cells
        .iter()
        .filter_map(|c| {
            let latency = Metric::Latency.read(c, g.reference).ok()?.value;
            let drop = Metric::AccuracyDrop.read(c, g.reference).ok()?.value;
            (plottable(latency) && plottable(drop)).then_some(Point {
                recipe: c.column(),
                latency,
                drop,
            })
        })
        .collect();
    let xy: Vec<(f64, f64)> = points.iter().map(|p| (p.latency, p.drop)).collect();
    let (Some(xr), Some(yr)) = (
        axis::padded(xy.iter().map(|p| p.0)),
        axis::padded(xy.iter().map(|p| p.1)),
    ) else {
        return ChartBody::Missing(reason(g));
    };
    let on_frontier = frontier(&xy);
    let mut steps: Vec<(f64, f64)> = xy
        .iter()
        .zip(&on_frontier)
        .filter(|(_, f)| **f)
        .map(|(p, _)| *p)
        .collect();
    steps.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.total_cmp(&a.1)));
    let mut line: Vec<(f64, f64)> = Vec::new();
    for (k, p) in steps.iter().enumerate() {
        line.push(*p);
        if let Some(next) = steps.get(k + 1) {
            line.push((next.0, p.1));
        }
    }
    render(|root| {
        let mut chart = style::frame(root, xr.0..xr.1, yr.0..yr.1)?;
        style::mesh(
            &mut chart,
            style::Axes {
                x_desc: "median end-to-end latency (s)",
                y_desc: "accuracy drop, PPL increase (%)",
                x_label: &|x| axis::tick(*x),
                y_label: &|y| axis::tick(*y),
                x_grid: true,
            },
        )?;
        chart
            .draw_series(LineSeries::new(line, FRONTIER.stroke_width(2)))
            .map_err(err)?;
        for (on, colour, label) in [
            (true, FRONTIER, "Pareto frontier"),
            (false, MUTED, "beaten on both axes"),
        ] {
            let mine = points
                .iter()
                .zip(&on_frontier)
                .filter(move |(_, f)| **f == on)
                .map(|(p, _)| p);
            chart
                .draw_series(mine.map(|p| {
                    EmptyElement::at((p.latency, p.drop))
                        + Circle::new((0, 0), 4, colour.filled())
                        + style::point_label(&p.recipe, colour, p.latency, xr)
                }))
                .map_err(err)?
                .label(label)
                .legend(move |(x, y)| Circle::new((x + 5, y), 4, colour.filled()));
        }
        style::legend(&mut chart)
    })
}

#[cfg(test)]
mod tests {
    use super::frontier;

    #[test]
    fn frontier_keeps_points_nobody_beats_on_both() {
        let p = [(1.0, 0.0), (0.5, 0.4), (0.6, 0.5), (0.3, 2.5), (0.3, 2.5)];
        assert_eq!(frontier(&p), [true, true, false, true, true]);
        assert_eq!(frontier(&[(1.0, 1.0)]), [true]);
    }
}
