//! Peak resident memory against size on disk per model, one colour per
//! device.

use std::borrow::Cow;

use plotters::prelude::*;

use super::axis::{self, plottable};
use super::style::{self, err, render};
use super::{Chart, ChartBody, device_index, missing_reason, slug};
use crate::metric::Metric;
use crate::model::{CellRow, ReportInput};

const CAPTION: &str = "Peak resident memory of the agent (MiB) against the recipe's size on disk \
     (MiB), one point per recipe and device (the highest peak over its workloads), labelled with \
     its recipe and coloured by device.";

/// One cell's place.
struct Point<'a> {
    recipe: Cow<'a, str>,
    device: usize,
    size: f64,
    rss: f64,
}

/// One chart per model, in the order met.
pub(crate) fn charts(input: &ReportInput, devices: &[&str]) -> Vec<Chart> {
    let mut models: Vec<&str> = Vec::new();
    for c in &input.cells {
        if !models.contains(&c.model.as_str()) {
            models.push(&c.model);
        }
    }
    models
        .into_iter()
        .map(|model| {
            let cells: Vec<&CellRow> = input.cells.iter().filter(|c| c.model == model).collect();
            Chart {
                id: slug(&["memory", model]),
                title: format!("Memory against size of {model}"),
                caption: CAPTION.to_owned(),
                body: body(&cells, devices),
            }
        })
        .collect()
}

/// The scatter of `cells`, or why there is none.
fn body(cells: &[&CellRow], devices: &[&str]) -> ChartBody {
    // The workloads of a recipe on a device share its size: keep the
    // highest peak, the memory the device must have.
    let mut points: Vec<Point<'_>> = Vec::new();
    for c in cells {
        let (Ok(size), Ok(rss)) = (
            Metric::SizeOnDisk.read(c, None),
            Metric::PeakRam.read(c, None),
        ) else {
            continue;
        };
        let (size, rss) = (size.value, rss.value);
        if !(plottable(size) && plottable(rss)) {
            continue;
        }
        let device = device_index(devices, &c.device);
        match points
            .iter_mut()
            .find(|p| p.device == device && p.recipe == c.column())
        {
            Some(p) => p.rss = p.rss.max(rss),
            None => points.push(Point {
                recipe: c.column(),
                device,
                size,
                rss,
            }),
        }
    }
    let (Some(xr), Some(yr)) = (
        axis::from_zero(points.iter().map(|p| p.size), 0.15),
        axis::from_zero(points.iter().map(|p| p.rss), 0.15),
    ) else {
        let why = missing_reason(cells, Metric::PeakRam, None);
        return ChartBody::Missing(format!("no cell measured memory and size: {why}"));
    };
    let mut shown: Vec<usize> = points.iter().map(|p| p.device).collect();
    shown.sort_unstable();
    shown.dedup();
    render(|root| {
        let mut chart = style::frame(root, xr.0..xr.1, yr.0..yr.1)?;
        style::mesh(
            &mut chart,
            style::Axes {
                x_desc: "size on disk (MiB)",
                y_desc: "peak RSS (MiB)",
                x_label: &|x| axis::tick(*x),
                y_label: &|y| axis::tick(*y),
                x_grid: true,
            },
        )?;
        for d in shown {
            let colour = style::colour(d);
            let mine = points.iter().filter(|p| p.device == d);
            chart
                .draw_series(mine.map(|p| {
                    EmptyElement::at((p.size, p.rss))
                        + Circle::new((0, 0), 4, colour.filled())
                        + style::point_label(&p.recipe, BLACK, p.size, xr)
                }))
                .map_err(err)?
                .label(devices.get(d).copied().unwrap_or_default())
                .legend(move |(x, y)| Circle::new((x + 5, y), 4, colour.filled()));
        }
        style::legend(&mut chart)
    })
}
