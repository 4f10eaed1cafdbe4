//! Shared look of the charts: size, fonts, a palette colour-blind readers
//! can tell apart (Okabe–Ito), and the SVG drawing wrapper that turns a
//! drawing error into a [`ChartBody::Missing`].

use std::fmt::Display;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::ChartBody;

/// Width and height of every chart, pixels.
pub const SIZE: (u32, u32) = (720, 360);

/// The Okabe–Ito colours, black and yellow last (yellow is faint on white).
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0x00, 0x72, 0xB2),
    RGBColor(0xE6, 0x9F, 0x00),
    RGBColor(0x00, 0x9E, 0x73),
    RGBColor(0xD5, 0x5E, 0x00),
    RGBColor(0xCC, 0x79, 0xA7),
    RGBColor(0x56, 0xB4, 0xE9),
    RGBColor(0x00, 0x00, 0x00),
    RGBColor(0xF0, 0xE4, 0x42),
];

/// Points and labels of the Pareto frontier.
pub const FRONTIER: RGBColor = RGBColor(0xD5, 0x5E, 0x00);

/// Points and labels that another point beats on both axes.
pub const MUTED: RGBColor = RGBColor(0x99, 0x99, 0x99);

/// Markers of runs where the regression gate confirmed a regression.
pub const REGRESSED: RGBColor = RGBColor(0xC6, 0x28, 0x28);

/// Markers of runs where the regression gate confirmed an improvement.
pub const IMPROVED: RGBColor = RGBColor(0x1B, 0x8A, 0x3C);

/// Reference lines: change points of a trend, nominal levels.
pub const REFERENCE: RGBColor = RGBColor(0x70, 0x70, 0x70);

/// Grid lines: light enough to read values across without competing
/// with the data.
pub const GRID: RGBColor = RGBColor(0xE3, 0xE6, 0xE9);

/// The `n`-th colour of [`PALETTE`], cycling.
pub fn colour(n: usize) -> RGBColor {
    PALETTE[n % PALETTE.len()]
}

/// A colour as the SVG backend writes it, e.g. `#0072B2`.
pub fn hex(c: RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

/// The font of tick labels, legends and point labels.
pub(crate) fn font(size: u32) -> TextStyle<'static> {
    ("sans-serif", size).into_font().color(&BLACK)
}

/// A point's label: beside it on the right, or on its left when the point
/// sits in the right quarter of the x range, so the text stays inside.
pub(crate) fn point_label(
    text: &str,
    colour: RGBColor,
    x: f64,
    x_range: (f64, f64),
) -> Text<'static, (i32, i32), String> {
    let near_right = x > x_range.0 + (x_range.1 - x_range.0) * 0.75;
    let (dx, h) = if near_right {
        (-6, HPos::Right)
    } else {
        (6, HPos::Left)
    };
    let mut style = font(12).pos(Pos::new(h, VPos::Top));
    style.color = colour.to_backend_color();
    Text::new(text.to_owned(), (dx, -14), style)
}

/// The corners of a triangle marker centred on `(x, y)`, `size` pixels
/// from its centre to each corner, pointing down or up.
pub(crate) fn triangle((x, y): (i32, i32), size: i32, down: bool) -> Vec<(i32, i32)> {
    let (tip, base) = if down { (size, -size) } else { (-size, size) };
    let half = size * 7 / 8;
    vec![
        (x - half, y + base * 3 / 5),
        (x + half, y + base * 3 / 5),
        (x, y + tip),
    ]
}

/// A drawing error as text.
pub(crate) fn err<E: Display>(e: E) -> String {
    e.to_string()
}

/// The area charts draw on.
pub(crate) type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// Draws one chart into an SVG string; a drawing error becomes
/// [`ChartBody::Missing`] with its text.
pub(crate) fn render(draw: impl FnOnce(&Area<'_>) -> Result<(), String>) -> ChartBody {
    let mut buf = String::new();
    let result = {
        let root = SVGBackend::with_string(&mut buf, SIZE).into_drawing_area();
        root.fill(&WHITE)
            .map_err(err)
            .and_then(|()| draw(&root))
            .and_then(|()| root.present().map_err(err))
    };
    match result {
        Ok(()) => ChartBody::Svg(buf),
        Err(e) => ChartBody::Missing(format!("the chart could not be drawn: {e}")),
    }
}

/// A chart's plotting context on the SVG backend.
pub(crate) type Plot<'a, 'b, X, Y> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<X, Y>>;

/// The chart frame every chart shares: margins and label areas around the
/// plotting area of `x` × `y`.
pub(crate) fn frame<'a, 'b, X, Y>(
    root: &'a Area<'b>,
    x: X,
    y: Y,
) -> Result<Plot<'a, 'b, X::CoordDescType, Y::CoordDescType>, String>
where
    X: AsRangedCoord,
    Y: AsRangedCoord,
{
    ChartBuilder::on(root)
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(70)
        .build_cartesian_2d(x, y)
        .map_err(err)
}

/// The axes of a chart: their descriptions and tick labels, and whether
/// vertical grid lines help (not between categories).
pub(crate) struct Axes<'f, XV, YV> {
    /// The x axis's description, with its unit.
    pub x_desc: &'f str,
    /// The y axis's description, with its unit.
    pub y_desc: &'f str,
    /// The label of an x tick.
    pub x_label: &'f dyn Fn(&XV) -> String,
    /// The label of a y tick.
    pub y_label: &'f dyn Fn(&YV) -> String,
    /// Whether to draw vertical grid lines.
    pub x_grid: bool,
}

/// Draws the axes, ticks and light horizontal (and vertical) grid lines.
pub(crate) fn mesh<XV, YV, X, Y>(
    chart: &mut Plot<'_, '_, X, Y>,
    axes: Axes<'_, XV, YV>,
) -> Result<(), String>
where
    X: Ranged<ValueType = XV> + ValueFormatter<XV>,
    Y: Ranged<ValueType = YV> + ValueFormatter<YV>,
{
    let mut mesh = chart.configure_mesh();
    mesh.light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .x_label_formatter(axes.x_label)
        .y_label_formatter(axes.y_label)
        .x_desc(axes.x_desc)
        .y_desc(axes.y_desc)
        .label_style(font(12))
        .axis_desc_style(font(13));
    if !axes.x_grid {
        mesh.disable_x_mesh();
    }
    mesh.draw().map_err(err)
}

/// The series legend in the upper right corner.
pub(crate) fn legend<'a, 'b: 'a, X, Y>(
    chart: &mut ChartContext<'a, SVGBackend<'b>, Cartesian2d<X, Y>>,
) -> Result<(), String>
where
    X: Ranged,
    Y: Ranged,
{
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .label_font(font(12))
        .draw()
        .map_err(err)
}
