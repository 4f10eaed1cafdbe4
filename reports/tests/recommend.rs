//! Best-value marking, the recommendation under each objective and
//! constraint, and dominated recipes.

mod fixture;

use edgebench_reports::{Metric, NONE_MEETS, Objective, Selection, build_tables, recommend};
use fixture::{Figures, figures, ok};

/// `f32` slow and big, `q8_0` fast, `q4_k` fastest but inaccurate and
/// frugal, `q4_0` dominated by `q4_k`.
fn run() -> edgebench_reports::ReportInput {
    fixture::input(vec![
        ok("f32", figures(1.2, 1.2, 0.0, 100.0, 120.0)),
        ok("q8_0", figures(0.5, 0.7, 0.4, 25.0, 40.0)),
        ok("q4_k", figures(0.3, 0.9, 2.5, 15.0, 30.0)),
        ok("q4_0", figures(0.35, 0.4, 3.0, 15.0, 30.0)),
    ])
}

fn pick(sel: Selection) -> (Option<String>, String) {
    let recs = recommend(&run(), &sel);
    assert_eq!(recs.len(), 1);
    (recs[0].chosen.clone(), recs[0].why.clone())
}

fn sel(drop: Option<f64>, rss: Option<f64>, objective: Objective) -> Selection {
    Selection {
        max_accuracy_drop_pct: drop,
        max_peak_rss_mib: rss,
        objective,
    }
}

#[test]
fn best_values_are_marked_per_row() {
    let tables = build_tables(&run());
    let t = &tables[0];
    assert_eq!(t.recipes, ["f32", "q8_0", "q4_k", "q4_0"]);
    let best = |m: Metric| -> Vec<bool> {
        let row = t.rows.iter().find(|r| r.metric == m).unwrap();
        row.cells.iter().map(|c| c.is_best).collect()
    };
    assert_eq!(best(Metric::Latency), [false, false, true, false]);
    assert_eq!(best(Metric::DecodeTps), [false, false, true, false]);
    assert_eq!(best(Metric::Energy), [false, false, false, true]);
    // Ties are all best.
    assert_eq!(best(Metric::SizeOnDisk), [false, false, true, true]);
    assert_eq!(best(Metric::AccuracyDrop), [true, false, false, false]);
    let acc = t.rows.iter().find(|r| r.metric == Metric::AccuracyDrop);
    assert_eq!(acc.unwrap().cells[0].text, "ref");
}

#[test]
fn objectives_without_constraints() {
    let none = |o| sel(None, None, o);
    assert_eq!(pick(none(Objective::Latency)).0.as_deref(), Some("q4_k"));
    assert_eq!(pick(none(Objective::Energy)).0.as_deref(), Some("q4_0"));
    // q4_k and q4_0 tie on size: the faster one wins.
    assert_eq!(pick(none(Objective::Size)).0.as_deref(), Some("q4_k"));
}

#[test]
fn constraints_narrow_the_choice() {
    let (chosen, why) = pick(sel(Some(1.0), None, Objective::Latency));
    assert_eq!(chosen.as_deref(), Some("q8_0"));
    assert!(why.contains("2 recipes meeting the constraints"), "{why}");
    let recs = recommend(&run(), &sel(Some(1.0), Some(100.0), Objective::Size));
    assert_eq!(recs[0].chosen.as_deref(), Some("q8_0"));
    let rejected: Vec<&str> = recs[0].rejected.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(rejected, ["f32", "q4_k", "q4_0"]);
    assert!(
        recs[0].rejected[0]
            .1
            .contains("peak RSS 120.0 MiB > 100 MiB")
    );
    assert!(recs[0].rejected[1].1.contains("accuracy drop 2.50 % > 1 %"));
}

#[test]
fn nothing_meets_the_constraints() {
    let (chosen, why) = pick(sel(Some(1.0), Some(10.0), Objective::Latency));
    assert_eq!(chosen, None);
    assert!(why.starts_with(NONE_MEETS), "{why}");
}

#[test]
fn energy_missing_falls_back_to_latency() {
    let mut cells = run().cells;
    cells[3] = ok(
        "q4_0",
        Figures {
            energy: Err("no meter on this board"),
            ..figures(0.35, 0.4, 3.0, 15.0, 30.0)
        },
    );
    let recs = recommend(&fixture::input(cells), &sel(None, None, Objective::Energy));
    assert_eq!(recs[0].chosen.as_deref(), Some("q4_k"));
    assert!(
        recs[0].why.contains("no meter on this board"),
        "{}",
        recs[0].why
    );
    assert!(recs[0].why.contains("chosen by latency"), "{}", recs[0].why);
}

#[test]
fn dominated_recipes_name_who_dominates_them() {
    let recs = recommend(&run(), &Selection::default());
    assert_eq!(recs[0].dominated, [("q4_0".to_owned(), "q4_k".to_owned())]);
    // Equal on all three: neither dominates.
    let twins = fixture::input(vec![
        ok("a", figures(0.5, 1.0, 1.0, 10.0, 10.0)),
        ok("b", figures(0.5, 2.0, 1.0, 10.0, 10.0)),
    ]);
    assert!(
        recommend(&twins, &Selection::default())[0]
            .dominated
            .is_empty()
    );
}

#[test]
fn failed_cells_are_rejected_with_their_status() {
    let recs = recommend(&fixture::fixed_run(), &Selection::default());
    let q4 = recs[0].rejected.iter().find(|r| r.0 == "q4_0").unwrap();
    assert_eq!(q4.1, "status oom: killed by the OOM killer");
    assert_eq!(recs[0].chosen.as_deref(), Some("q4_k"));
}

#[test]
fn runtimes_are_columns_beside_recipes_and_can_be_chosen() {
    use edgebench_schema::Runtime;
    let input = fixture::input(vec![
        ok("f32", figures(1.2, 1.2, 0.0, 100.0, 120.0)),
        fixture::on_runtime(
            ok("f32", figures(1.0, 1.0, 0.01, 100.0, 110.0)),
            Runtime::LlamaCpp,
        ),
        ok("q4_0", figures(0.35, 0.4, 3.0, 15.0, 30.0)),
        fixture::on_runtime(
            ok("q4_0", figures(0.3, 0.5, 3.1, 15.0, 28.0)),
            Runtime::LlamaCpp,
        ),
    ]);
    let tables = build_tables(&input);
    let t = &tables[0];
    assert_eq!(
        t.recipes,
        ["f32", "f32 · llama.cpp", "q4_0", "q4_0 · llama.cpp"]
    );
    // The kernel's f32 is the reference; llama.cpp's f32 has its own drop.
    let acc = t.rows.iter().find(|r| r.metric == Metric::AccuracyDrop);
    let texts: Vec<&str> = acc.unwrap().cells.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(texts[0], "ref");
    assert_ne!(texts[1], "ref");
    let recs = recommend(&input, &sel(None, None, Objective::Latency));
    assert_eq!(recs[0].chosen.as_deref(), Some("q4_0 · llama.cpp"));
    let recs = recommend(&input, &sel(None, None, Objective::Energy));
    assert_eq!(recs[0].chosen.as_deref(), Some("q4_0"));
}
