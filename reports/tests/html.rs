//! `report.html` of fixed result sets: well-formed, complete, escaped, and
//! still saying something when nothing was measured.

mod fixture;

use edgebench_reports::{
    CellRow, Objective, ReportInput, Selection, build_tables, render_html, render_html_with,
};
use edgebench_schema::Status;

fn selection() -> Selection {
    Selection {
        max_accuracy_drop_pct: Some(1.0),
        max_peak_rss_mib: Some(100.0),
        objective: Objective::Energy,
    }
}

fn render(input: &ReportInput) -> String {
    render_html(input, &selection()).expect("renders")
}

/// Parses the page as XML (it is written as polyglot XHTML) and returns
/// the text of every element and attribute, unescaped.
fn parse(html: &str) -> roxmltree::Document<'_> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..roxmltree::ParsingOptions::default()
    };
    match roxmltree::Document::parse_with_options(html, options) {
        Ok(doc) => doc,
        Err(e) => {
            let pos = e.pos();
            let line = html.lines().nth(pos.row as usize - 1).unwrap_or("");
            panic!("not well-formed: {e}\n{line}");
        }
    }
}

fn texts(doc: &roxmltree::Document<'_>) -> String {
    doc.descendants()
        .filter_map(|n| n.text())
        .collect::<Vec<_>>()
        .join("\u{1}")
}

#[test]
fn fixed_run_is_well_formed_and_shows_every_value() {
    let input = fixture::fixed_run();
    let html = render(&input);
    let doc = parse(&html);
    let text = texts(&doc);
    for table in build_tables(&input) {
        for recipe in &table.recipes {
            assert!(text.contains(recipe.as_str()), "recipe {recipe}");
        }
        for row in &table.rows {
            assert!(text.contains(&row.label), "label {}", row.label);
            for cell in &row.cells {
                // The value and its interval.
                assert!(text.contains(&cell.text), "{}: {}", row.label, cell.text);
                if let Some(ci) = &cell.ci {
                    assert!(text.contains(ci.as_str()), "{}: {ci}", row.label);
                }
                if let Some(note) = &cell.note {
                    assert!(text.contains(note.as_str()), "note {note}");
                }
            }
        }
    }
    // The raw figures of every cell, in the all-cells table.
    for cell in &input.cells {
        let r = &cell.result;
        if let Some(l) = &r.latency {
            for v in [
                format!("{:.3}", l.e2e_s.median),
                format!("{:.1}", l.decode_tps.median),
                format!("{:.1}", l.prefill_tps.median),
                format!("{:.1}", l.ttft_s.median * 1000.0),
            ] {
                assert!(text.contains(&v), "{}: {v}", cell.recipe);
            }
        }
        if let Some(a) = &r.accuracy {
            assert!(text.contains(&format!("{:.2}", a.ppl_delta_pct)));
            assert!(text.contains(&format!("{:.1}", a.top1_agreement_pct)));
        }
        if let Some(e) = r.error.as_deref() {
            assert!(text.contains(e), "error {e}");
        }
    }
    for fact in [
        "Cortex-A76",
        "0123456789ab",
        "20250101-120000-abcd",
        "quickstart",
    ] {
        assert!(text.contains(fact), "{fact}");
    }
    assert!(text.contains("Recommended"), "{html}");
    let scripts = doc.descendants().filter(|n| n.has_tag_name("script"));
    assert_eq!(scripts.count(), 1, "only the page's own script");
}

#[test]
fn best_values_and_missing_reasons_are_marked() {
    let html = render(&fixture::fixed_run());
    let doc = parse(&html);
    let best: Vec<String> = doc
        .descendants()
        .filter(|n| n.has_tag_name("td") && n.attribute("class") == Some("best"))
        .map(|n| n.descendants().filter_map(|d| d.text()).collect::<String>())
        .collect();
    assert!(best.iter().any(|t| t.contains("★ 15.0")), "{best:?}");
    let na: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("td") && n.attribute("class") == Some("na"))
        .filter_map(|n| n.attribute("title"))
        .collect();
    assert!(
        na.contains(&"RAPL not readable: permission denied"),
        "{na:?}"
    );
    assert!(na.contains(&"status oom"), "{na:?}");
}

fn hostile(mut cell: CellRow) -> CellRow {
    cell.model = "<script>alert(1)</script>".to_owned();
    cell.device = "pi\"5' & </td>".to_owned();
    cell.recipe = format!("{} \"x\" & 'y'", cell.recipe);
    cell
}

#[test]
fn hostile_names_render_as_text() {
    let mut input = fixture::fixed_run();
    input.matrix_name = "<img src=x onerror=alert(1)>".to_owned();
    input.cells = input.cells.into_iter().map(hostile).collect();
    input.header.devices[0].name = "<b>pi5</b>".to_owned();
    let html = render(&input);
    assert!(
        !html.contains("<script>alert"),
        "raw script tag in the page"
    );
    assert!(!html.contains("<img"), "raw img tag in the page");
    let doc = parse(&html);
    let text = texts(&doc);
    assert!(
        text.contains("<script>alert(1)</script>"),
        "model shown as text"
    );
    assert!(text.contains("q8_0 \"x\" & 'y'"), "recipe shown as text");
    assert!(text.contains("<img src=x onerror=alert(1)>"));
    assert_eq!(
        doc.descendants()
            .filter(|n| n.has_tag_name("script"))
            .count(),
        1
    );
    assert!(
        !doc.descendants()
            .any(|n| n.has_tag_name("img") || n.has_tag_name("b"))
    );
    // Attributes carry the names escaped too.
    let filters: Vec<&str> = doc
        .descendants()
        .filter_map(|n| n.attribute("data-filter"))
        .collect();
    assert!(
        filters
            .iter()
            .any(|f| f.contains("<script>alert(1)</script>"))
    );
}

#[test]
fn empty_run_renders_and_says_why() {
    let input = fixture::input(Vec::new());
    let html = render_html_with(&input, &selection(), &[]).expect("renders");
    let text = texts(&parse(&html));
    assert!(text.contains("No cells in this run: nothing was measured."));
    assert!(text.contains("Nothing to compare"));
    assert!(text.contains("No charts"));
}

#[test]
fn all_failed_run_renders_and_says_why() {
    let input = fixture::input(vec![
        fixture::failed("f32", Status::Unreachable, "ssh: connection refused"),
        fixture::failed("q4_0", Status::Timeout, "no result after 600 s"),
    ]);
    let text = texts(&parse(&render(&input)));
    assert!(text.contains("No cell succeeded"));
    assert!(text.contains("ssh: connection refused"));
    assert!(text.contains("no result after 600 s"));
    assert!(text.contains("No recommendation"));
}

#[test]
fn meter_missing_everywhere_says_why() {
    let missing = "no energy meter on this device";
    let input = fixture::input(vec![
        fixture::ok(
            "f32",
            fixture::Figures {
                energy: Err(missing),
                ..fixture::figures(1.0, 0.0, 0.0, 100.0, 120.0)
            },
        ),
        fixture::ok(
            "q8_0",
            fixture::Figures {
                energy: Err(missing),
                ..fixture::figures(0.5, 0.0, 0.3, 25.0, 40.0)
            },
        ),
    ]);
    let html = render(&input);
    let doc = parse(&html);
    let na_energy = doc
        .descendants()
        .filter(|n| n.has_tag_name("td") && n.attribute("title") == Some(missing))
        .count();
    assert_eq!(na_energy, 4, "energy and energy per token, both recipes");
    // Chosen by latency, saying energy is unknown.
    assert!(texts(&doc).contains("so chosen by latency"));
}

fn op(name: &str, ms: f64, share: f64, gbps: Option<f64>) -> edgebench_schema::OpLine {
    edgebench_schema::OpLine {
        op: name.to_owned(),
        calls: 30,
        ms_per_token: ms,
        share_pct: share,
        weight_gb_per_s: gbps,
    }
}

#[test]
fn profiled_cells_get_a_table_of_where_the_time_goes() {
    let mut input = fixture::fixed_run();
    assert!(
        !render(&input).contains("id=\"profiles\""),
        "no section without a profile"
    );
    let phase = |ops| edgebench_schema::PhaseReport {
        forwards: 7,
        tokens: 7,
        ms_per_token: 5.5,
        ops,
        unattributed_ms_per_token: 0.01,
    };
    input.cells[0].result.profile = Some(edgebench_schema::ProfileReport {
        prefill: phase(vec![op("matmul gate/up", 0.31, 33.8, Some(0.75))]),
        decode: phase(vec![
            op("matmul gate/up", 1.4771, 26.7, Some(20.22)),
            op("attention <b>", 0.7162, 12.9, None),
        ]),
    });
    input.cells[0].device = "pi5 & <i>".to_owned();
    let html = render(&input);
    let doc = parse(&html);
    let section = doc
        .descendants()
        .find(|n| n.attribute("id") == Some("profiles"))
        .expect("the profiles section");
    let text: String = section
        .descendants()
        .filter(|n| n.is_text() && !n.text().unwrap_or_default().trim().is_empty())
        .filter_map(|n| n.text())
        .collect::<Vec<_>>()
        .join("|");
    for want in [
        "matmul gate/up",
        "1.4771",
        "26.7 %",
        "20.2",
        "0.3100",
        "attention <b>",
        "pi5 & <i>",
        "decode 5.500 ms/token (7 steps)",
    ] {
        assert!(text.contains(want), "{want} missing from {text}");
    }
    assert!(
        !doc.descendants()
            .any(|n| n.has_tag_name("b") || n.has_tag_name("i"))
    );
    // Attention ran only in decode: its prefill cells say so with a dash.
    assert!(text.contains("attention <b>|0.7162|12.9 %|–|–|–"), "{text}");
}
