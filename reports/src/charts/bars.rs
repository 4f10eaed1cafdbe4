//! Grouped bars per model × workload: one group per recipe, one bar per
//! device, whiskers for the 95 % interval of the median.

use std::borrow::Cow;

use edgebench_schema::Summary;
use plotters::prelude::*;

use super::axis::{self, plottable};
use super::style::{self, err, render};
use super::{Chart, ChartBody, device_index, missing_reason, slug, workload_slug};
use crate::metric::Metric;
use crate::model::{CellRow, ReportInput, WorkloadKey};

/// Which figure the bars show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BarKind {
    /// Median decode tokens per second.
    Decode,
    /// Median millijoules per generated token.
    EnergyPerToken,
}

impl BarKind {
    fn metric(self) -> Metric {
        match self {
            BarKind::Decode => Metric::DecodeTps,
            BarKind::EnergyPerToken => Metric::EnergyPerToken,
        }
    }

    fn summary(self, cell: &CellRow) -> Option<&Summary> {
        let r = &cell.result;
        match self {
            BarKind::Decode => r.latency.as_ref().map(|l| &l.decode_tps),
            BarKind::EnergyPerToken => r.energy.as_ref()?.decode_mj_per_token.as_ref(),
        }
    }

    fn id(self) -> &'static str {
        match self {
            BarKind::Decode => "decode",
            BarKind::EnergyPerToken => "energy",
        }
    }

    fn y_desc(self) -> &'static str {
        match self {
            BarKind::Decode => "decode speed (tokens/s)",
            BarKind::EnergyPerToken => "energy per token (mJ)",
        }
    }

    fn title(self, model: &str, w: WorkloadKey) -> String {
        match self {
            BarKind::Decode => format!("Decode speed of {model}, {w}"),
            BarKind::EnergyPerToken => format!("Energy per token of {model}, {w}"),
        }
    }

    fn caption(self) -> &'static str {
        match self {
            BarKind::Decode => {
                "Median decode speed in tokens per second per recipe, one bar per device; \
                 whiskers span the 95 % confidence interval of the median where it has width, \
                 and cells that did not succeed have no bar."
            }
            BarKind::EnergyPerToken => {
                "Median decode energy per generated token in millijoules per recipe, one bar \
                 per device; whiskers span the 95 % confidence interval of the median where it \
                 has width, and cells without an energy figure have no bar."
            }
        }
    }

    fn nothing(self) -> &'static str {
        match self {
            BarKind::Decode => "no cell measured decode speed",
            BarKind::EnergyPerToken => "no cell measured energy",
        }
    }
}

/// One bar.
struct Bar {
    /// Index of the recipe (x group).
    group: usize,
    /// Index of the device in the chart's device list.
    device: usize,
    value: f64,
    ci: Option<(f64, f64)>,
}

/// One chart of `kind` per model × workload, in the order met.
pub(crate) fn charts(input: &ReportInput, devices: &[&str], kind: BarKind) -> Vec<Chart> {
    let mut keys: Vec<(&str, WorkloadKey)> = Vec::new();
    for c in &input.cells {
        if !keys.contains(&(c.model.as_str(), c.workload())) {
            keys.push((&c.model, c.workload()));
        }
    }
    keys.into_iter()
        .map(|(model, workload)| {
            let cells: Vec<&CellRow> = input
                .cells
                .iter()
                .filter(|c| c.model == model && c.workload() == workload)
                .collect();
            Chart {
                id: slug(&[kind.id(), model, &workload_slug(workload)]),
                title: kind.title(model, workload),
                caption: kind.caption().to_owned(),
                body: body(&cells, devices, kind),
            }
        })
        .collect()
}

/// The bars of `cells`, or why there are none.
fn body(cells: &[&CellRow], all_devices: &[&str], kind: BarKind) -> ChartBody {
    let mut columns: Vec<Cow<'_, str>> = Vec::new();
    let mut devices: Vec<&str> = Vec::new();
    for c in cells {
        let column = c.column();
        if !columns.contains(&column) {
            columns.push(column);
        }
        if !devices.contains(&c.device.as_str()) {
            devices.push(&c.device);
        }
    }
    devices.sort_by_key(|d| device_index(all_devices, d));
    let mut bars: Vec<Bar> = Vec::new();
    for c in cells {
        let group = columns.iter().position(|r| *r == c.column()).unwrap_or(0);
        let device = devices.iter().position(|d| *d == c.device).unwrap_or(0);
        if bars.iter().any(|b| b.group == group && b.device == device) {
            continue;
        }
        let Ok(m) = kind.metric().read(c, None) else {
            continue;
        };
        if !plottable(m.value) {
            continue;
        }
        let ci = kind
            .summary(c)
            .filter(|s| s.n > 1 && s.median_ci_high > s.median_ci_low)
            .map(|s| (s.median_ci_low, s.median_ci_high))
            .filter(|(lo, hi)| plottable(*lo) && plottable(*hi));
        bars.push(Bar {
            group,
            device,
            value: m.value,
            ci,
        });
    }
    let ends = bars.iter().flat_map(|b| {
        let (lo, hi) = b.ci.unwrap_or((b.value, b.value));
        [b.value, lo, hi]
    });
    let Some((y0, y1)) = axis::from_zero(ends, 0.25) else {
        let reason = missing_reason(cells, kind.metric(), None);
        return ChartBody::Missing(format!("{}: {reason}", kind.nothing()));
    };
    let colours: Vec<RGBColor> = devices
        .iter()
        .map(|d| style::colour(device_index(all_devices, d)))
        .collect();
    render(|root| {
        let recipes: Vec<&str> = columns.iter().map(AsRef::as_ref).collect();
        let n = recipes.len();
        let mut chart = style::frame(root, axis::Slots::centred(n), y0..y1)?;
        let x_label = |x: &f64| axis::category(&recipes, *x);
        style::mesh(
            &mut chart,
            style::Axes {
                x_desc: "recipe",
                y_desc: kind.y_desc(),
                x_label: &x_label,
                y_label: &|y| axis::tick(*y),
                x_grid: false,
            },
        )?;
        let width = 0.8 / devices.len().max(1) as f64;
        for (j, device) in devices.iter().enumerate() {
            let c = colours[j];
            let left = |b: &Bar| b.group as f64 + 0.1 + width * b.device as f64;
            let mine = || bars.iter().filter(move |b| b.device == j);
            chart
                .draw_series(mine().map(|b| {
                    let x = left(b);
                    Rectangle::new([(x, 0.0), (x + width * 0.92, b.value)], c.filled())
                }))
                .map_err(err)?
                .label(*device)
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], c.filled()));
            chart
                .draw_series(mine().filter_map(|b| {
                    let (lo, hi) = b.ci?;
                    let x = left(b) + width * 0.46;
                    Some(ErrorBar::new_vertical(
                        x,
                        lo,
                        b.value,
                        hi,
                        BLACK.stroke_width(1),
                        8,
                    ))
                }))
                .map_err(err)?;
        }
        style::legend(&mut chart)
    })
}
