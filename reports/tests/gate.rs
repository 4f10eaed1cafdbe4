//! The regression gate in the reports: marks and change points on the
//! trend charts, the gate's section and calibration in `report.html`, and
//! the gate in `report.json` and `summary.md`.

mod fixture;

use edgebench_reports::charts::style::{IMPROVED, REFERENCE, REGRESSED, colour, hex};
use edgebench_reports::gate::clopper_pearson_upper;
use edgebench_reports::{
    Chart, ChartBody, ReportInput, Selection, TrendMetric, calibration_chart, charts, render_html,
    render_json, render_markdown,
};
use fixture::*;

/// The SVG of `chart`, checked to be well-formed.
fn svg(chart: &Chart) -> roxmltree::Document<'_> {
    match &chart.body {
        ChartBody::Svg(s) => {
            roxmltree::Document::parse(s).unwrap_or_else(|e| panic!("{}: not XML: {e}", chart.id))
        }
        ChartBody::Missing(why) => panic!("{}: missing: {why}", chart.id),
    }
}

/// The points of every `tag` element whose `attr` is `value`, each as
/// `(x, y)` pairs.
fn shapes(
    doc: &roxmltree::Document<'_>,
    tag: &str,
    attr: &str,
    value: &str,
) -> Vec<Vec<(f64, f64)>> {
    doc.descendants()
        .filter(|n| n.has_tag_name(tag) && n.attribute(attr) == Some(value))
        .map(|n| {
            n.attribute("points")
                .unwrap_or_default()
                .split_whitespace()
                .filter_map(|p| {
                    let (x, y) = p.split_once(',')?;
                    Some((x.parse().ok()?, y.parse().ok()?))
                })
                .collect()
        })
        .collect()
}

/// The centres of the `circle` elements of `fill` and radius `r`.
fn circles(doc: &roxmltree::Document<'_>, fill: &str, r: &str) -> Vec<(f64, f64)> {
    doc.descendants()
        .filter(|n| {
            n.has_tag_name("circle")
                && n.attribute("fill") == Some(fill)
                && n.attribute("r") == Some(r)
        })
        .map(|n| {
            let at = |a: &str| {
                n.attribute(a)
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(f64::NAN)
            };
            (at("cx"), at("cy"))
        })
        .collect()
}

/// How many `text` elements read `text`.
fn text_count(doc: &roxmltree::Document<'_>, text: &str) -> usize {
    doc.descendants()
        .filter(|n| n.has_tag_name("text") && n.text().map(str::trim) == Some(text))
        .count()
}

/// The x of every vertical `polyline` stroked `stroke`, each once.
fn vertical_lines(doc: &roxmltree::Document<'_>, stroke: &str) -> Vec<f64> {
    let mut xs: Vec<f64> = shapes(doc, "polyline", "stroke", stroke)
        .into_iter()
        .filter(|pts| pts.len() > 1 && pts.iter().all(|p| p.0 == pts[0].0))
        .map(|pts| pts[0].0)
        .collect();
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    xs
}

/// The runs of [`three_run_trends`].
const RUNS: [&str; 3] = [
    "20241201-090000-aaaa",
    "20241215-090000-bbbb",
    "20250101-120000-abcd",
];

/// The fixed run with trends: `q4_k` decode regressed at the second run
/// and `f32` decode improved at the third, a change point at the second
/// run on two lines, and marks and a change point on runs not plotted.
fn marked_run() -> ReportInput {
    let mut run = fixed_run();
    run.trends = three_run_trends();
    for line in &mut run.trends {
        if line.metric != TrendMetric::DecodeTps {
            line.marks
                .push(mark("20991231-000000-none", "REGRESSED", -9.0));
            continue;
        }
        match line.recipe.as_str() {
            "q4_k" => {
                line.marks.push(mark(RUNS[1], "REGRESSED", -6.1));
                line.marks
                    .push(mark("20991231-000000-none", "REGRESSED", -7.0));
                line.change_points.push(change_point(RUNS[1]));
            }
            "f32" => {
                line.marks.push(mark(RUNS[2], "IMPROVED", 4.0));
                line.marks.push(mark(RUNS[0], "UNCHANGED", 0.1));
            }
            _ => {
                line.change_points.push(change_point(RUNS[1]));
                line.change_points
                    .push(change_point("20991231-000000-none"));
            }
        }
    }
    run
}

fn trend_chart<'a>(out: &'a [Chart], prefix: &str) -> &'a Chart {
    out.iter()
        .find(|c| c.id.starts_with(prefix))
        .unwrap_or_else(|| panic!("no chart {prefix}"))
}

#[test]
fn gate_marks_sit_on_their_points() {
    let out = charts(&marked_run());
    let chart = trend_chart(&out, "trend-decode");
    let doc = svg(chart);
    // One mark each, plus its legend swatch; marks on other runs ignored.
    let down = shapes(&doc, "polygon", "fill", &hex(REGRESSED));
    let up = shapes(&doc, "polygon", "fill", &hex(IMPROVED));
    assert_eq!(down.len(), 1 + 1, "{down:?}");
    assert_eq!(up.len(), 1 + 1, "{up:?}");
    assert_eq!(text_count(&doc, "regressed (gate)"), 1);
    assert_eq!(text_count(&doc, "improved (gate)"), 1);
    // q4_k is the third line (colour 2), f32 the first (colour 0).
    let q4k = circles(&doc, &hex(colour(2)), "3");
    let f32 = circles(&doc, &hex(colour(0)), "3");
    assert_eq!((q4k.len(), f32.len()), (3, 3));
    let centre = |pts: &[(f64, f64)]| {
        let n = pts.len() as f64;
        (
            pts.iter().map(|p| p.0).sum::<f64>() / n,
            pts.iter().map(|p| p.1).sum::<f64>() / n,
        )
    };
    let near = |a: (f64, f64), b: (f64, f64)| (a.0 - b.0).abs() <= 2.0 && (a.1 - b.1).abs() <= 3.0;
    // The markers drawn on the plot (the legend's are elsewhere).
    assert!(
        down.iter().any(|t| near(centre(t), q4k[1])),
        "{down:?} {q4k:?}"
    );
    assert!(up.iter().any(|t| near(centre(t), f32[2])), "{up:?} {f32:?}");
    // Pointing down and up: the tip is below, resp. above, the base.
    let tip_below = |t: &[(f64, f64)]| t[2].1 > t[0].1;
    assert!(down.iter().all(|t| tip_below(t)));
    assert!(up.iter().all(|t| !tip_below(t)));
    assert!(
        chart.caption.contains("Red downward triangles"),
        "{}",
        chart.caption
    );
}

#[test]
fn change_points_are_dashed_lines_at_their_run() {
    let out = charts(&marked_run());
    let chart = trend_chart(&out, "trend-decode");
    let doc = svg(chart);
    let q4k = circles(&doc, &hex(colour(2)), "3");
    // Two lines changed at the same run: one line; the unknown run ignored.
    let xs = vertical_lines(&doc, &hex(REFERENCE));
    assert_eq!(xs.len(), 1, "{xs:?}");
    assert!((xs[0] - q4k[1].0).abs() <= 1.0, "{xs:?} {q4k:?}");
    // Dashed: several pieces.
    let pieces = shapes(&doc, "polyline", "stroke", &hex(REFERENCE));
    assert!(pieces.len() > 3, "{pieces:?}");
    assert_eq!(text_count(&doc, "change point"), 1);
    assert!(chart.caption.contains("change points"), "{}", chart.caption);
}

#[test]
fn marks_on_runs_not_plotted_are_ignored() {
    let out = charts(&marked_run());
    let chart = trend_chart(&out, "trend-latency");
    let doc = svg(chart);
    assert!(shapes(&doc, "polygon", "fill", &hex(REGRESSED)).is_empty());
    assert!(vertical_lines(&doc, &hex(REFERENCE)).is_empty());
    assert_eq!(text_count(&doc, "regressed (gate)"), 0);
    assert_eq!(text_count(&doc, "change point"), 0);
    assert!(!chart.caption.contains("triangles"), "{}", chart.caption);
    assert!(
        !chart.caption.contains("change points"),
        "{}",
        chart.caption
    );
    // And without any mark, the chart is as before.
    let mut plain = fixed_run();
    plain.trends = three_run_trends();
    let out = charts(&plain);
    let doc = svg(trend_chart(&out, "trend-decode"));
    assert!(shapes(&doc, "polygon", "fill", &hex(IMPROVED)).is_empty());
    assert_eq!(text_count(&doc, "improved (gate)"), 0);
}

/// Nights: 1 of 100 at the nominal rate, 3 of 150, and one that compared
/// nothing.
fn nights() -> Vec<edgebench_reports::CanaryNight> {
    vec![
        night(RUNS[0], "2024-12-01T09:00:00Z", 100, 1, 0),
        night(RUNS[1], "2024-12-15T09:00:00Z", 150, 2, 1),
        night(RUNS[2], "2025-01-01T12:00:00Z", 0, 0, 0),
    ]
}

#[test]
fn calibration_chart_shows_each_night_and_the_nominal_rate() {
    assert!(calibration_chart(&[]).is_none());
    let chart = calibration_chart(&nights()).expect("a chart");
    let doc = svg(&chart);
    for date in ["2024-12-01", "2024-12-15", "2025-01-01"] {
        assert_eq!(text_count(&doc, date), 1, "{date}");
    }
    // One point per night that compared something, plus the legend's.
    let points = circles(&doc, &hex(colour(0)), "4");
    assert_eq!(points.len(), 2 + 1, "{points:?}");
    assert_eq!(text_count(&doc, "n/a"), 1);
    assert_eq!(
        text_count(&doc, "nominal rate per cell-metric, 1 % (stage-1 α)"),
        1
    );
    // The reference line is horizontal at the first night's rate, 1 %;
    // the second night (2 %) sits above it.
    let line: Vec<(f64, f64)> = shapes(&doc, "polyline", "stroke", &hex(REFERENCE))
        .into_iter()
        .flatten()
        .collect();
    let y = line.iter().map(|p| p.1).fold(f64::NAN, f64::max);
    let lo = line.iter().map(|p| p.1).fold(f64::NAN, f64::min);
    let legend_y = |p: &(f64, f64)| (p.1 - y).abs() > 1.0;
    let on_plot: Vec<&(f64, f64)> = line.iter().filter(|p| !legend_y(p)).collect();
    assert!(on_plot.len() > 4, "{line:?}");
    assert!((points[0].1 - y).abs() <= 1.0, "{points:?} {y}");
    assert!(points[1].1 < y - 20.0, "{points:?} {y}");
    assert!(lo < y, "legend swatch above the line");
}

fn gated() -> ReportInput {
    let mut run = fixed_run();
    run.gate = Some(gate());
    run.calibration = vec![
        night(RUNS[0], "2024-12-01T09:00:00Z", 100, 0, 0),
        night(RUNS[1], "2024-12-15T09:00:00Z", 200, 0, 0),
        night(RUNS[2], "2025-01-01T12:00:00Z", 0, 0, 0),
    ];
    run
}

fn render(input: &ReportInput) -> String {
    render_html(input, &Selection::default()).expect("renders")
}

fn parse(html: &str) -> roxmltree::Document<'_> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..roxmltree::ParsingOptions::default()
    };
    roxmltree::Document::parse_with_options(html, options).expect("well-formed")
}

/// The text of the element with id `id`, its descendants' text joined.
fn text_of(doc: &roxmltree::Document<'_>, id: &str) -> Option<String> {
    let node = doc.descendants().find(|n| n.attribute("id") == Some(id))?;
    Some(
        node.descendants()
            .filter(|n| n.is_text())
            .filter_map(|n| n.text())
            .collect(),
    )
}

/// The text of each cell of row `tr`.
fn cells(tr: roxmltree::Node<'_, '_>) -> Vec<String> {
    tr.children()
        .filter(|c| c.is_element())
        .map(|c| {
            c.descendants()
                .filter(|d| d.is_text())
                .filter_map(|d| d.text())
                .collect()
        })
        .collect()
}

/// The cells' text of every body row of the table with id `id`.
fn table_rows(doc: &roxmltree::Document<'_>, id: &str) -> Vec<Vec<String>> {
    let Some(table) = doc.descendants().find(|n| n.attribute("id") == Some(id)) else {
        return Vec::new();
    };
    table
        .descendants()
        .filter(|n| n.has_tag_name("tbody"))
        .flat_map(|b| b.children().filter(|r| r.has_tag_name("tr")))
        .map(cells)
        .collect()
}

/// The cells' text of the row with id `id`.
fn row(doc: &roxmltree::Document<'_>, id: &str) -> Vec<String> {
    doc.descendants()
        .find(|n| n.attribute("id") == Some(id))
        .map(cells)
        .unwrap_or_default()
}

#[test]
fn gate_section_lists_rows_worth_reading_in_verdict_order() {
    let html = render(&gated());
    let doc = parse(&html);
    let section = text_of(&doc, "gate").expect("a gate section");
    assert!(section.contains("20241215-090000-bbbb"), "{section}");
    assert_eq!(text_of(&doc, "gate-outcome").as_deref(), Some("regressed"));
    assert_eq!(
        text_of(&doc, "gate-counts").as_deref(),
        Some(
            "6 cell-metrics: 1 regressed, 1 suspect, 1 improved, 1 inconclusive, \
             1 not comparable, 1 unchanged; 1 A/A canary cell-metric"
        )
    );
    assert!(
        doc.descendants()
            .any(|n| n.has_tag_name("a") && n.attribute("href") == Some("#gate"))
    );
    let rows = table_rows(&doc, "gate-rows");
    let verdicts: Vec<&str> = rows
        .iter()
        .map(|r| r[5].split(' ').next().unwrap_or(""))
        .collect();
    assert_eq!(
        verdicts,
        ["REGRESSED", "SUSPECT", "IMPROVED", "INCONCLUSIVE", "NOT"],
        "{rows:?}"
    );
    assert_eq!(
        rows[0],
        [
            "pi5",
            "tiny",
            "q4_k",
            "t4-p32-g16",
            "decode_tps_median",
            "REGRESSED",
            "\u{2212}6.1 % [\u{2212}8.0, \u{2212}4.2]",
            "0.002",
        ]
    );
    assert_eq!(rows[2][6], "+4.5 % [+2.5, +∞]");
    assert_eq!(rows[2][7], "4.0e-4");
    assert_eq!(rows[3][5], "INCONCLUSIVE (too few valid blocks (2 < 3))");
    assert_eq!(rows[3][6], "n/a");
    // The canary and the unchanged row are left out.
    assert!(
        rows.iter()
            .all(|r| r[0] != "canary-device" && r[2] != "f32"),
        "{rows:?}"
    );
}

#[test]
fn gate_section_escapes_hostile_names() {
    let mut input = gated();
    if let Some(g) = input.gate.as_mut() {
        g.rows[5].model = "<script>alert(1)</script>".to_owned();
        g.rows[5].recipe = "q4 \"x\" & 'y' </td>".to_owned();
        g.baseline = "<img src=x onerror=alert(1)>".to_owned();
    }
    let html = render(&input);
    assert!(!html.contains("<script>alert"), "raw script tag");
    assert!(!html.contains("<img"), "raw img tag");
    let doc = parse(&html);
    let rows = table_rows(&doc, "gate-rows");
    assert_eq!(rows[0][1], "<script>alert(1)</script>");
    assert_eq!(rows[0][2], "q4 \"x\" & 'y' </td>");
    assert!(
        text_of(&doc, "gate")
            .unwrap_or_default()
            .contains("<img src=x onerror=alert(1)>")
    );
    assert_eq!(
        doc.descendants()
            .filter(|n| n.has_tag_name("script"))
            .count(),
        1
    );
}

#[test]
fn unchanged_gate_says_so() {
    let mut input = gated();
    if let Some(g) = input.gate.as_mut() {
        for r in &mut g.rows {
            r.verdict = "UNCHANGED".to_owned();
        }
        g.outcome = "passed".to_owned();
    }
    let html = render(&input);
    let doc = parse(&html);
    assert!(table_rows(&doc, "gate-rows").is_empty());
    assert_eq!(
        text_of(&doc, "gate-none").as_deref(),
        Some("Every compared metric unchanged.")
    );
}

#[test]
fn no_gate_no_section() {
    let mut input = gated();
    input.gate = None;
    let html = render(&input);
    let doc = parse(&html);
    assert!(text_of(&doc, "gate").is_none());
    assert!(text_of(&doc, "gate-calibration").is_none());
    assert!(!html.contains("href=\"#gate\""));
    assert!(!html.contains("Regression gate"));
    let md = render_markdown(&input, &Selection::default());
    assert!(!md.contains("Regression gate"), "{md}");
}

#[test]
fn calibration_pools_the_nights() {
    let html = render(&gated());
    let doc = parse(&html);
    assert_eq!(
        text_of(&doc, "gate-calibration").as_deref(),
        Some("Gate calibration (A/A canaries)")
    );
    let rows = table_rows(&doc, "calibration-nights");
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0], ["2024-12-01", RUNS[0], "100", "0", "0", "0.00 %"]);
    assert_eq!(rows[2][5], "n/a");
    // 0 false alarms in 300: 1 − 0.05^(1/300) = 0.99 %.
    assert_eq!(
        row(&doc, "calibration-total"),
        [
            "All 3 nights",
            "300",
            "0",
            "0",
            "0.00 % (95 % upper bound ≤ 0.99 %)"
        ]
    );
    assert!(
        doc.descendants()
            .any(|n| n.has_tag_name("figure") && n.attribute("id") == Some("calibration"))
    );
    // 1 false regression in 60 and none in 40: 1 in 100.
    let mut input = gated();
    input.calibration = vec![
        night(RUNS[0], "2024-12-01T09:00:00Z", 60, 1, 0),
        night(RUNS[1], "2024-12-15T09:00:00Z", 40, 0, 0),
    ];
    let html = render(&input);
    let doc = parse(&html);
    assert_eq!(table_rows(&doc, "calibration-nights")[0][5], "1.67 %");
    assert_eq!(
        row(&doc, "calibration-total"),
        [
            "All 2 nights",
            "100",
            "1",
            "0",
            "1.00 % (95 % upper bound ≤ 4.66 %)"
        ]
    );
    // No nights: no calibration.
    input.calibration.clear();
    let html = render(&input);
    let doc = parse(&html);
    assert!(text_of(&doc, "gate").is_some());
    assert!(text_of(&doc, "gate-calibration").is_none());
}

#[test]
fn clopper_pearson_matches_known_bounds() {
    let close = |k, n, want: f64| {
        let got = clopper_pearson_upper(k, n, 0.95).unwrap_or(f64::NAN);
        assert!((got - want).abs() < 1e-6, "{k}/{n}: {got} vs {want}");
    };
    close(0, 300, 1.0 - 0.05_f64.powf(1.0 / 300.0));
    close(1, 100, 0.046_560);
    close(2, 50, 0.120_614);
    close(3, 10, 0.606_624);
    assert!(clopper_pearson_upper(0, 300, 0.95).is_some_and(|u| u <= 0.01));
}

#[test]
fn json_carries_gate_and_calibration() {
    let mut input = gated();
    input.trends = marked_run().trends;
    let json: serde_json::Value =
        serde_json::from_str(&render_json(&input, &Selection::default()).expect("json"))
            .expect("parses");
    assert_eq!(json["report_version"], 1);
    assert_eq!(json["gate"]["baseline"], "20241215-090000-bbbb");
    assert_eq!(json["gate"]["outcome"], "regressed");
    assert_eq!(json["gate"]["rows"].as_array().map(Vec::len), Some(7));
    let regressed = &json["gate"]["rows"][5];
    assert_eq!(regressed["verdict"], "REGRESSED");
    assert_eq!(regressed["change_pct"], -6.1);
    assert_eq!(regressed["change_ci_pct"], serde_json::json!([-8.0, -4.2]));
    assert_eq!(
        json["gate"]["rows"][2]["change_ci_pct"][1],
        serde_json::Value::Null
    );
    assert_eq!(json["gate"]["rows"][6]["canary"], true);
    let cal = &json["calibration"];
    assert_eq!(cal["nights"].as_array().map(Vec::len), Some(3));
    assert_eq!(cal["nights"][1]["compared"], 200);
    assert_eq!(cal["total"]["compared"], 300);
    assert_eq!(cal["total"]["rate"], 0.0);
    let upper = cal["total"]["upper"].as_f64().unwrap_or(f64::NAN);
    assert!((upper - 0.009_936).abs() < 1e-6, "{upper}");
    let q4k = json["trends"]
        .as_array()
        .and_then(|t| {
            t.iter()
                .find(|l| l["recipe"] == "q4_k" && l["metric"] == "decode_tps")
        })
        .expect("the q4_k line");
    assert_eq!(q4k["marks"][0]["verdict"], "REGRESSED");
    assert_eq!(q4k["change_points"][0]["run_id"], RUNS[1]);
    // Without a gate.
    let json: serde_json::Value =
        serde_json::from_str(&render_json(&fixed_run(), &Selection::default()).expect("json"))
            .expect("parses");
    assert!(json["gate"].is_null());
    assert_eq!(json["calibration"]["nights"], serde_json::json!([]));
    assert!(json["calibration"]["total"]["upper"].is_null());
}

#[test]
fn markdown_lists_confirmed_changes() {
    let mut input = gated();
    if let Some(g) = input.gate.as_mut() {
        g.rows[2].model = "<script>|tiny_2".to_owned();
    }
    let md = render_markdown(&input, &Selection::default());
    assert!(
        md.contains(
            "\n## Regression gate\n\nAgainst 20241215-090000-bbbb: **regressed**. 6 cell-metrics: \
             1 regressed, 1 suspect, 1 improved, 1 inconclusive, 1 not comparable, 1 unchanged; \
             1 A/A canary cell-metric.\n\n"
        ),
        "{md}"
    );
    assert!(
        md.contains(
            "| pi5 | tiny | q4\\_k | t4-p32-g16 | decode\\_tps\\_median | REGRESSED | \
             \u{2212}6.1 % [\u{2212}8.0, \u{2212}4.2] | 0.002 |\n\
             | pi5 | &lt;script&gt;\\|tiny\\_2 | q8\\_0 | t4-p32-g16 | decode\\_tps\\_median | \
             IMPROVED | +4.5 % [+2.5, +∞] | 4.0e-4 |\n"
        ),
        "{md}"
    );
    assert!(
        !md.contains("SUSPECT |") && !md.contains("INCONCLUSIVE |"),
        "{md}"
    );
    assert!(!md.contains("<script>"), "{md}");
    // The gate comes before the tables.
    let gate_at = md.find("## Regression gate").unwrap_or(usize::MAX);
    assert!(gate_at < md.find("## tiny on pi5").unwrap_or(0));
    // Nothing confirmed.
    if let Some(g) = input.gate.as_mut() {
        g.rows
            .retain(|r| r.verdict != "REGRESSED" && r.verdict != "IMPROVED");
        g.outcome = "passed".to_owned();
    }
    let md = render_markdown(&input, &Selection::default());
    assert!(
        md.contains("No confirmed regression or improvement.\n"),
        "{md}"
    );
}
