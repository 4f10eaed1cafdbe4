//! SVG charts of fixed result sets: order, well-formed XML, the Pareto
//! frontier, missing reasons, escaping and determinism.

mod fixture;

use edgebench_reports::charts::style::{FRONTIER, MUTED, hex};
use edgebench_reports::{Chart, ChartBody, ReportInput, TrendMetric, charts};
use edgebench_schema::Status;
use fixture::*;

/// The SVG of `chart`, checked to be well-formed with a root `svg`.
fn svg(chart: &Chart) -> &str {
    match &chart.body {
        ChartBody::Svg(s) => {
            let doc = roxmltree::Document::parse(s)
                .unwrap_or_else(|e| panic!("{}: not XML: {e}", chart.id));
            assert_eq!(doc.root_element().tag_name().name(), "svg", "{}", chart.id);
            assert!(!s.starts_with("<?xml"), "{}", chart.id);
            s
        }
        ChartBody::Missing(why) => panic!("{}: missing: {why}", chart.id),
    }
}

/// The reason `chart` is missing.
fn missing(chart: &Chart) -> &str {
    match &chart.body {
        ChartBody::Missing(why) => why,
        ChartBody::Svg(_) => panic!("{}: drawn", chart.id),
    }
}

fn ids(charts: &[Chart]) -> Vec<&str> {
    charts.iter().map(|c| c.id.as_str()).collect()
}

/// Every chart parses, ids are unique and usable as HTML ids.
fn check_all(charts: &[Chart]) {
    let mut seen = std::collections::HashSet::new();
    for c in charts {
        assert!(seen.insert(c.id.clone()), "duplicate id {}", c.id);
        assert!(!c.id.is_empty());
        assert!(
            c.id.chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-'),
            "{}",
            c.id
        );
        assert!(!c.title.is_empty() && !c.caption.is_empty(), "{}", c.id);
        if let ChartBody::Svg(_) = c.body {
            svg(c);
        }
    }
}

/// The fill of each `<text>` element whose content is `text`.
fn text_fills(svg: &str, text: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).expect("well-formed");
    doc.descendants()
        .filter(|n| n.has_tag_name("text") && n.text().map(str::trim) == Some(text))
        .map(|n| n.attribute("fill").unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn fixed_run_gives_one_chart_of_each_kind_in_order() {
    let out = charts(&fixed_run());
    check_all(&out);
    assert_eq!(
        ids(&out),
        [
            "decode-tiny-4t-32p-16g",
            "energy-tiny-4t-32p-16g",
            "pareto-tiny-pi5-4t-32p-16g",
            "memory-tiny",
            "tokens-tiny-pi5-4t-32p-16g",
            "trend-tiny-pi5-4t-32p-16g",
        ]
    );
    for c in &out[..4] {
        let s = svg(c);
        assert!(s.contains(r#"width="720""#) && s.contains(r#"height="360""#));
    }
    // The OOM cell has no bar but its recipe still names a group.
    assert_eq!(text_fills(svg(&out[0]), "q4_0").len(), 1);
    assert!(svg(&out[0]).contains("decode speed (tokens/s)"));
    assert!(missing(&out[4]).starts_with("no cell recorded per-token latencies"));
    assert_eq!(
        missing(&out[5]),
        "no earlier runs of these cells in the store"
    );
}

#[test]
fn two_devices_share_bar_charts_and_split_the_rest() {
    let mut run = two_devices_run();
    run.trends = three_run_trends();
    let out = charts(&run);
    check_all(&out);
    assert_eq!(
        ids(&out),
        [
            "decode-tiny-4t-32p-16g",
            "energy-tiny-4t-32p-16g",
            "pareto-tiny-pi5-4t-32p-16g",
            "pareto-tiny-jetson-4t-32p-16g",
            "memory-tiny",
            "tokens-tiny-pi5-4t-32p-16g",
            "tokens-tiny-jetson-4t-32p-16g",
            "trend-decode-tiny-pi5-4t-32p-16g",
            "trend-latency-tiny-pi5-4t-32p-16g",
            "trend-tiny-jetson-4t-32p-16g",
        ]
    );
    let decode = svg(&out[0]);
    assert_eq!(text_fills(decode, "pi5").len(), 1, "legend entry");
    assert_eq!(text_fills(decode, "jetson").len(), 1, "legend entry");
    // Bars coloured per device: 3 ok cells on pi5, 4 on jetson.
    let bars = |c: &str| decode.matches(&format!(r#"fill="{c}""#)).count();
    let (pi5, jetson) = (
        hex(edgebench_reports::charts::style::colour(0)),
        hex(edgebench_reports::charts::style::colour(1)),
    );
    assert_eq!(bars(&pi5), 3 + 1, "bars and legend swatch");
    assert_eq!(bars(&jetson), 4 + 1, "bars and legend swatch");
    // Tokens and trends are drawn.
    svg(&out[5]);
    svg(&out[6]);
    let trend = svg(&out[7]);
    for date in ["2024-12-01", "2024-12-15", "2025-01-01"] {
        assert_eq!(text_fills(trend, date).len(), 1, "{date}");
    }
    assert!(out[7].caption.contains("decode tokens/s"));
    assert_eq!(
        missing(&out[9]),
        "no earlier runs of these cells in the store"
    );
}

#[test]
fn pareto_chart_mutes_dominated_recipes() {
    let mut run = fixed_run();
    // Beaten by q8_0 (0.5 s, 0.4 %) and by f32 (1.2 s, 0 %).
    run.cells
        .push(ok("q5_k", figures(0.6, 0.6, 0.5, 20.0, 35.0)));
    run.cells
        .push(ok("f16", figures(1.3, 1.3, 0.1, 50.0, 70.0)));
    let out = charts(&run);
    let pareto = out
        .iter()
        .find(|c| c.id.starts_with("pareto"))
        .expect("chart");
    let s = svg(pareto);
    for (recipe, colour) in [
        ("f32", FRONTIER),
        ("q8_0", FRONTIER),
        ("q4_k", FRONTIER),
        ("q5_k", MUTED),
        ("f16", MUTED),
    ] {
        assert_eq!(text_fills(s, recipe), [hex(colour)], "{recipe}");
    }
    // The failed cell is not placed.
    assert!(text_fills(s, "q4_0").is_empty());
    // The frontier's steps: 3 points, 2 steps of 2 segments.
    let doc = roxmltree::Document::parse(s).expect("well-formed");
    let frontier = hex(FRONTIER);
    let steps = doc
        .descendants()
        .filter(|n| n.has_tag_name("polyline") && n.attribute("stroke") == Some(&frontier))
        .map(|n| {
            n.attribute("points")
                .unwrap_or_default()
                .split_whitespace()
                .count()
        })
        .collect::<Vec<_>>();
    assert_eq!(steps, [5]);
}

#[test]
fn energy_absent_everywhere_gives_the_meter_reason() {
    let run = input(vec![
        failed("q4_0", Status::Oom, "killed"),
        ok(
            "f32",
            Figures {
                energy: Err("RAPL not readable: permission denied"),
                ..figures(1.0, 0.0, 0.0, 100.0, 120.0)
            },
        ),
    ]);
    let out = charts(&run);
    check_all(&out);
    assert_eq!(
        missing(&out[1]),
        "no cell measured energy: RAPL not readable: permission denied"
    );
    svg(&out[0]);
}

#[test]
fn all_cells_failed_gives_reasons_everywhere() {
    let run = input(vec![
        failed("q4_0", Status::Oom, "killed by the OOM killer"),
        failed("q8_0", Status::Timeout, "no result in 600 s"),
    ]);
    let out = charts(&run);
    check_all(&out);
    assert_eq!(out.len(), 6);
    for c in &out {
        assert!(!missing(c).is_empty(), "{}", c.id);
    }
    assert_eq!(
        missing(&out[0]),
        "no cell measured decode speed: status oom (killed by the OOM killer)"
    );
    assert!(missing(&out[2]).contains("status oom"));
}

#[test]
fn accuracy_not_evaluated_is_explained() {
    let mut cell = ok("q4_k", figures(0.3, 0.5, 2.5, 15.0, 30.0));
    cell.result.accuracy = None;
    let out = charts(&input(vec![cell]));
    let pareto = out
        .iter()
        .find(|c| c.id.starts_with("pareto"))
        .expect("chart");
    assert!(
        missing(pareto).ends_with("accuracy not evaluated"),
        "{}",
        missing(pareto)
    );
}

#[test]
fn empty_run_has_no_charts() {
    assert!(charts(&input(Vec::new())).is_empty());
    let mut run = input(Vec::new());
    run.trends = three_run_trends();
    assert!(charts(&run).is_empty());
}

#[test]
fn user_text_is_escaped() {
    let mut run = two_devices_run();
    run.trends = three_run_trends();
    for c in &mut run.cells {
        c.model = "<script>alert(1)</script>".to_owned();
        if c.recipe == "q8_0" {
            c.recipe = r#"q4_0 "x" & 'y'"#.to_owned();
        }
        if c.device == "jetson" {
            c.device = "</svg><script>".to_owned();
        }
    }
    for t in &mut run.trends {
        t.model = "<script>alert(1)</script>".to_owned();
        if t.recipe == "q8_0" {
            t.recipe = r#"q4_0 "x" & 'y'"#.to_owned();
        }
    }
    let out = charts(&run);
    check_all(&out);
    let mut drawn = 0;
    for c in &out {
        if let ChartBody::Svg(s) = &c.body {
            drawn += 1;
            let doc = roxmltree::Document::parse(s).expect("well-formed");
            assert!(
                !doc.descendants().any(|n| n.has_tag_name("script")),
                "{}",
                c.id
            );
            assert!(!s.contains("<script"), "{}", c.id);
        }
    }
    assert!(drawn >= 6);
    let pareto = out
        .iter()
        .find(|c| c.id.starts_with("pareto"))
        .expect("chart");
    assert_eq!(text_fills(svg(pareto), r#"q4_0 "x" & 'y'"#).len(), 1);
    assert!(out[0].id.starts_with("decode-script-alert-1-script"));
}

#[test]
fn output_is_deterministic() {
    let mut run = two_devices_run();
    run.trends = three_run_trends();
    assert_eq!(charts(&run), charts(&run.clone()));
}

#[test]
fn ids_stay_unique_when_names_slug_alike() {
    let mut run = fixed_run();
    let mut other = fixed_run().cells;
    for c in &mut other {
        c.model = "Tiny".to_owned();
    }
    run.cells.extend(other);
    let out = charts(&run);
    check_all(&out);
    assert!(ids(&out).contains(&"decode-tiny-4t-32p-16g-2"));
    assert!(ids(&out).contains(&"memory-tiny-2"));
}

/// A run whose figures are all `value`.
fn degenerate(value: f64) -> ReportInput {
    let f = Figures {
        e2e_s: value,
        energy: Ok(value),
        drop_pct: value,
        size_mib: value,
        rss_mib: value,
        tps: value,
    };
    let mut run = input(vec![
        ok("f32", f.clone()),
        with_decode_ci(ok("q8_0", f.clone()), value, f64::INFINITY),
    ]);
    run.cells = run
        .cells
        .into_iter()
        .map(|c| with_tokens(c, vec![vec![value, f64::NAN, value]]))
        .collect();
    let pts = [("a", "2025-01-01T00:00:00Z", value), ("b", "x", value)];
    run.trends = vec![
        trend("f32", TrendMetric::DecodeTps, &pts),
        trend("q8_0", TrendMetric::Latency, &pts[..1]),
    ];
    run
}

#[test]
fn degenerate_values_never_panic() {
    let values = [
        0.0,
        1.0,
        -3.0,
        1e-300,
        1e150,
        -1e150,
        1e300,
        f64::MAX,
        f64::NAN,
        7e29,
    ];
    for v in values.into_iter().chain([f64::INFINITY, f64::MIN_POSITIVE]) {
        let out = charts(&degenerate(v));
        check_all(&out);
        assert!(out.len() >= 6, "{v}");
    }
    // One point of each kind.
    let mut one = input(vec![with_tokens(
        ok("q4_k", figures(0.3, 0.5, 2.5, 15.0, 30.0)),
        vec![vec![12.0]],
    )]);
    one.trends = vec![trend(
        "q4_k",
        TrendMetric::DecodeTps,
        &[("a", "2025-01-01", 1.0)],
    )];
    let out = charts(&one);
    check_all(&out);
    assert_eq!(out.len(), 6);
    for c in &out[..5] {
        svg(c);
    }
    assert_eq!(
        missing(&out[5]),
        "no earlier runs of these cells in the store"
    );
}
