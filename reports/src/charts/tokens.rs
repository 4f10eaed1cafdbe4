//! The distribution of per-token decode latency per recipe, as box plots,
//! per model × device × workload.

use std::borrow::Cow;

use edgebench_schema::Status;
use plotters::prelude::*;

use super::axis;
use super::style::{self, err, render};
use super::{Chart, ChartBody, device_index, missing_reason, slug, workload_slug};
use crate::metric::Metric;
use crate::model::{Group, ReportInput};

const CAPTION: &str = "Per-token decode latency (ms) over all measured repetitions per recipe: \
     boxes span the quartiles around the median, whiskers reach 1.5 times the interquartile \
     range beyond them, and samples further out are drawn as dots.";

/// Samples beyond this magnitude do not fit the `f32` axis of box plots.
const LIMIT: f64 = 1e30;

/// One chart per model × device × workload, in the order met.
pub(crate) fn charts(input: &ReportInput, devices: &[&str]) -> Vec<Chart> {
    input
        .groups()
        .iter()
        .map(|g| Chart {
            id: slug(&["tokens", g.model, g.device, &workload_slug(g.workload)]),
            title: format!(
                "Per-token latency of {} on {}, {}",
                g.model, g.device, g.workload
            ),
            caption: CAPTION.to_owned(),
            body: body(g, style::colour(device_index(devices, g.device))),
        })
        .collect()
}

/// The box plots of `g`, or why there are none.
fn body(g: &Group<'_>, colour: RGBColor) -> ChartBody {
    let columns: Vec<Cow<'_, str>> = g.cells.iter().map(|c| c.column()).collect();
    let recipes: Vec<&str> = columns.iter().map(AsRef::as_ref).collect();
    let samples: Vec<Vec<f64>> = g
        .cells
        .iter()
        .map(|c| {
            c.result
                .reps
                .iter()
                .flat_map(|r| r.token_ms.iter().copied())
                .filter(|v| v.is_finite() && v.abs() <= LIMIT)
                .collect()
        })
        .collect();
    // (x position, quartiles, samples outside the whiskers)
    let boxes: Vec<(f64, Quartiles, Vec<f64>)> = samples
        .iter()
        .enumerate()
        .filter(|(_, s)| !s.is_empty())
        .map(|(i, s)| {
            let q = Quartiles::new(s);
            let [lo, _, _, _, hi] = q.values().map(f64::from);
            let out = s.iter().copied().filter(|v| *v < lo || *v > hi).collect();
            (i as f64 + 0.5, q, out)
        })
        .collect();
    let ends = boxes.iter().flat_map(|(_, q, out)| {
        let v = q.values().map(f64::from);
        [v[0], v[4]].into_iter().chain(out.iter().copied())
    });
    let Some((y0, y1)) = axis::padded(ends) else {
        let why = if g.cells.iter().any(|c| c.result.status == Status::Ok) {
            "the repetitions carry no per-token samples".to_owned()
        } else {
            missing_reason(&g.cells, Metric::Latency, None)
        };
        return ChartBody::Missing(format!("no cell recorded per-token latencies: {why}"));
    };
    render(|root| {
        let n = recipes.len();
        let mut chart = style::frame(root, axis::Slots::centred(n), y0 as f32..y1 as f32)?;
        let x_label = |x: &f64| axis::category(&recipes, *x);
        style::mesh(
            &mut chart,
            style::Axes {
                x_desc: "recipe",
                y_desc: "per-token latency (ms)",
                x_label: &x_label,
                y_label: &|y| axis::tick(f64::from(*y)),
                x_grid: false,
            },
        )?;
        let width = (600 / n.max(1) / 2).clamp(6, 60) as u32;
        chart
            .draw_series(boxes.iter().map(|(x, q, _)| {
                Boxplot::new_vertical(*x, q)
                    .width(width)
                    .whisker_width(0.5)
                    .style(colour.stroke_width(2))
            }))
            .map_err(err)?;
        chart
            .draw_series(boxes.iter().flat_map(|(x, _, out)| {
                out.iter()
                    .map(move |v| Circle::new((*x, *v as f32), 2, colour.mix(0.6).filled()))
            }))
            .map_err(err)?;
        Ok(())
    })
}
