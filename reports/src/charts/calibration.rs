//! The regression gate's calibration: the false-alarm rate of the A/A
//! canaries per night, against the nominal rate of one cell-metric.

use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::{self, plottable};
use super::style::{self, REFERENCE, err, render};
use super::{Chart, ChartBody, run_labels};
use crate::gate::{NOMINAL_FALSE_ALARM_RATE, night_rate};
use crate::model::CanaryNight;

/// The id of the calibration chart.
pub const CALIBRATION_CHART_ID: &str = "calibration";

/// At most this many nights are labelled on the x axis; the others keep
/// their tick without a label.
const MAX_LABELS: usize = 12;

/// The chart of `nights`, oldest first; `None` when there is no night.
pub fn calibration_chart(nights: &[CanaryNight]) -> Option<Chart> {
    if nights.is_empty() {
        return None;
    }
    Some(Chart {
        id: CALIBRATION_CHART_ID.to_owned(),
        title: "False alarms of the A/A canaries per night".to_owned(),
        caption: format!(
            "Share of the A/A canary cell-metrics the regression gate called regressed or \
             improved each night, in percent; every such call is a false alarm, since a canary \
             compares the current artifacts with themselves. The dashed line is the nominal \
             rate of one cell-metric, {} % (the stage-1 α); a night that compared nothing \
             shows n/a.",
            NOMINAL_FALSE_ALARM_RATE * 100.0
        ),
        body: body(nights),
    })
}

/// The rates, or why they cannot be drawn.
fn body(nights: &[CanaryNight]) -> ChartBody {
    let runs: Vec<(&str, &str)> = nights
        .iter()
        .map(|n| (n.started.as_str(), n.run_id.as_str()))
        .collect();
    let labels = run_labels(&runs);
    let step = nights.len().div_ceil(MAX_LABELS).max(1);
    let shown: Vec<&str> = labels
        .iter()
        .enumerate()
        .map(|(i, l)| if i % step == 0 { l.as_str() } else { "" })
        .collect();
    let nominal = NOMINAL_FALSE_ALARM_RATE * 100.0;
    let rates: Vec<Option<f64>> = nights
        .iter()
        .map(|n| night_rate(n).map(|r| r * 100.0).filter(|r| plottable(*r)))
        .collect();
    let values = rates.iter().flatten().copied().chain([nominal]);
    let Some((y0, y1)) = axis::from_zero(values, 0.3) else {
        return ChartBody::Missing("no night has a plottable rate".to_owned());
    };
    let colour = style::colour(0);
    render(|root| {
        let n = nights.len();
        let mut chart = style::frame(root, axis::Slots::centred(n), y0..y1)?;
        let x_label = |x: &f64| axis::category(&shown, *x);
        style::mesh(
            &mut chart,
            style::Axes {
                x_desc: "night",
                y_desc: "false-alarm rate (%)",
                x_label: &x_label,
                y_label: &|y| axis::tick(*y),
                x_grid: false,
            },
        )?;
        let dashed = REFERENCE.stroke_width(2);
        chart
            .draw_series([DashedPathElement::new(
                vec![(0.0, nominal), (n as f64, nominal)],
                8,
                5,
                dashed,
            )])
            .map_err(err)?
            .label(format!(
                "nominal rate per cell-metric, {nominal} % (stage-1 α)"
            ))
            .legend(move |(x, y)| DashedPathElement::new(vec![(x, y), (x + 14, y)], 4, 3, dashed));
        let measured: Vec<(f64, f64)> = rates
            .iter()
            .enumerate()
            .filter_map(|(i, r)| Some((i as f64 + 0.5, (*r)?)))
            .collect();
        chart
            .draw_series(
                measured.iter().map(|(x, r)| {
                    PathElement::new(vec![(*x, 0.0), (*x, *r)], colour.stroke_width(2))
                }),
            )
            .map_err(err)?;
        chart
            .draw_series(measured.iter().map(|p| Circle::new(*p, 4, colour.filled())))
            .map_err(err)?
            .label("false alarms / canary cell-metrics compared")
            .legend(move |(x, y)| Circle::new((x + 7, y), 4, colour.filled()));
        let mut na = style::font(12).pos(Pos::new(HPos::Center, VPos::Bottom));
        na.color = style::MUTED.to_backend_color();
        chart
            .draw_series(
                rates
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| r.is_none())
                    .map(|(i, _)| {
                        EmptyElement::at((i as f64 + 0.5, 0.0))
                            + Text::new("n/a".to_owned(), (0, -4), na.clone())
                    }),
            )
            .map_err(err)?;
        style::legend(&mut chart)
    })
}
