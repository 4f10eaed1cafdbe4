//! `edgebench history` as the built binary, over runs stored without
//! measuring anything: a step in decode tokens/s shows as a change point
//! at its run in text, CSV and JSON; cells by matrix or by id prefix.

use std::path::Path;

use edgebench::plan::Plan;
use edgebench::store::CellMeta;

mod store_support;
mod support;
use store_support::decode_tps_history;
use support::*;

const MATRIX: &str = r#"
name = "hist"
recipes = ["f32", "q8_0"]

[[models]]
name = "m"
synthetic = { preset = "tiny", seed = 1 }

[workload]
threads = [1]
prompt_tokens = 16
gen_tokens = 8
"#;

/// A cell id of the form the plan makes.
const CELL: &str = "3fa2b1c0d9e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2";

/// 60 nights of decode tokens/s with ±1 % wobble; a 10 % fall from night
/// 30 when `step`.
fn nights(step: bool) -> Vec<f64> {
    (0..60)
        .map(|k| {
            let wobble = 1.0 + 0.01 * (((k * 37) % 11) as f64 - 5.0) / 5.0;
            let level = if step && k >= 30 { 36.0 } else { 40.0 };
            level * wobble
        })
        .collect()
}

fn names(device: &str, recipe: &str) -> CellMeta {
    CellMeta {
        device: device.into(),
        model: "m".into(),
        recipe: recipe.into(),
        runtime: Default::default(),
        threads: 1,
        prompt_tokens: 16,
        gen_tokens: 8,
    }
}

/// Runs `edgebench history ARGS… --runs-dir ROOT`.
fn history(root: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["history"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--runs-dir", root.to_str().unwrap()]);
    edgebench(&all)
}

fn ok(root: &Path, args: &[&str]) -> String {
    let o = history(root, args);
    assert!(o.status.success(), "{args:?}\n{}", text(&o));
    stdout(&o)
}

fn fails(root: &Path, args: &[&str]) -> String {
    let o = history(root, args);
    assert_eq!(o.status.code(), Some(1), "{args:?}\n{}", text(&o));
    let err = stderr(&o);
    assert!(err.starts_with("Error: "), "{err}");
    err
}

/// The matrix file under `dir` and the ids of its two cells.
fn matrix(dir: &Path) -> (String, Vec<String>) {
    let path = dir.join("matrix.toml");
    std::fs::write(&path, MATRIX).unwrap();
    let m = edgebench::matrix::load(&path).unwrap_or_else(|e| panic!("{}", e.render()));
    let ids = Plan::new(&m).cells.iter().map(|c| c.id.clone()).collect();
    (path.to_str().unwrap().to_owned(), ids)
}

#[test]
fn text_marks_the_step_at_its_run() {
    let dir = tempfile::tempdir().unwrap();
    let runs = decode_tps_history(
        dir.path(),
        "hist",
        CELL,
        &names("pi5", "q8_0"),
        &nights(true),
    );
    let out = ok(dir.path(), &["--cell", &CELL[..8]]);
    assert!(out.starts_with("decode_tps_median per run, oldest first (larger is better)"));
    assert!(
        out.contains("\npi5  m  q8_0  t1-p16-g8  cell 3fa2b1c0d9e8\n"),
        "{out}"
    );
    let marked: Vec<&str> = out.lines().filter(|l| l.contains('◆')).collect();
    assert_eq!(marked.len(), 1, "{out}");
    assert!(marked[0].contains(&runs[30]), "{out}");
    assert!(
        marked[0].contains("◆ change point: -10.0 % (worse, p "),
        "{out}"
    );
    assert!(out.ends_with("  60 runs, 1 change point\n"), "{out}");
    // Each run has its line, oldest first.
    let first = out.find(&runs[0]).unwrap();
    assert!(first < out.find(&runs[59]).unwrap());
    // --limit keeps the newest runs; the step is still inside them.
    let out = ok(dir.path(), &["--cell", CELL, "--limit", "20"]);
    assert!(!out.contains(&runs[39]) && out.contains(&runs[40]), "{out}");
    assert!(out.ends_with("  20 runs, 0 change points\n"), "{out}");
}

#[test]
fn a_matrix_lists_its_cells_in_csv_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let (path, ids) = matrix(dir.path());
    assert_eq!(ids.len(), 2);
    let runs = decode_tps_history(
        dir.path(),
        "hist",
        &ids[0],
        &names("local", "f32"),
        &nights(true),
    );
    decode_tps_history(
        dir.path(),
        "hist",
        &ids[1],
        &names("local", "q8_0"),
        &nights(false),
    );

    let out = ok(dir.path(), &[&path]);
    assert_eq!(out.matches("  60 runs, ").count(), 2, "{out}");
    assert!(
        out.contains("60 runs, 1 change point\n") && out.contains("60 runs, 0 change points\n")
    );

    let csv_path = dir.path().join("h.csv");
    let printed = ok(
        dir.path(),
        &[&path, "--format", "csv", "-o", csv_path.to_str().unwrap()],
    );
    assert_eq!(printed.trim(), csv_path.to_str().unwrap());
    let mut reader = csv::Reader::from_path(&csv_path).unwrap();
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        header,
        [
            "cell_id",
            "device",
            "model",
            "recipe",
            "workload",
            "run_id",
            "started",
            "value",
            "change_point",
            "change_pct"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 120);
    let marked: Vec<&csv::StringRecord> = rows.iter().filter(|r| &r[8] == "true").collect();
    assert_eq!(marked.len(), 1);
    assert_eq!(
        (&marked[0][0], &marked[0][5]),
        (ids[0].as_str(), runs[30].as_str())
    );
    let pct: f64 = marked[0][9].parse().unwrap();
    assert!((pct + 10.0).abs() < 0.5, "{pct}");
    assert_eq!(rows[0][7].parse::<f64>().unwrap(), nights(true)[0]);
    assert_eq!(&rows[0][6], "2026-01-01T00:00:00.000Z");

    let v: serde_json::Value =
        serde_json::from_str(&ok(dir.path(), &[&path, "--format", "json"])).unwrap();
    assert_eq!(v["metric"], "decode_tps_median");
    assert_eq!(v["matrix"], "hist");
    assert_eq!(v["cells_without_history"], 0);
    let cells = v["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 2);
    assert_eq!(cells[0]["cell_id"], ids[0].as_str());
    assert_eq!(cells[0]["points"].as_array().unwrap().len(), 60);
    let cp = &cells[0]["change_points"][0];
    assert_eq!(
        (cp["index"].as_u64(), cp["run_id"].as_str()),
        (Some(30), Some(runs[30].as_str()))
    );
    assert_eq!(cp["worse"], true);
    assert!(cp["p_value"].as_f64().unwrap() < 0.001);
    assert_eq!(cells[1]["change_points"], serde_json::json!([]));
}

#[test]
fn a_matrix_without_history_is_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = matrix(dir.path());
    let out = ok(dir.path(), &[&path]);
    assert!(
        out.starts_with("no stored decode_tps_median of the cells of matrix 'hist'"),
        "{out}"
    );
    // Runs of other cells do not count.
    decode_tps_history(
        dir.path(),
        "hist",
        CELL,
        &names("pi5", "f32"),
        &nights(false),
    );
    let out = ok(dir.path(), &[&path, "--metric", "e2e_median_s"]);
    assert!(
        out.starts_with("no stored e2e_median_s of the cells"),
        "{out}"
    );
    let o = history(dir.path(), &[&path, "--format", "json"]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["cells"], serde_json::json!([]));
    assert_eq!(v["cells_without_history"], 2);
    assert!(stderr(&o).starts_with("no stored"), "{}", text(&o));
}

#[test]
fn bad_metric_and_cell_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let err = fails(dir.path(), &["--cell", CELL]);
    assert!(err.contains("no results database at"), "{err}");
    decode_tps_history(
        dir.path(),
        "hist",
        CELL,
        &names("pi5", "f32"),
        &nights(false),
    );
    let other = format!("{}ff", &CELL[..6]);
    decode_tps_history(
        dir.path(),
        "hist",
        &other,
        &names("pi5", "q8_0"),
        &nights(false),
    );

    let err = fails(dir.path(), &["--cell", CELL, "--metric", "decode_tps"]);
    assert!(
        err.contains("unknown metric 'decode_tps'; valid names: ttft_median_s,"),
        "{err}"
    );
    assert!(
        err.contains("decode_tps_median") && err.contains("ppl_delta_pct"),
        "{err}"
    );
    let err = fails(dir.path(), &["--cell", "ffffff"]);
    assert!(
        err.contains("no cell 'ffffff' in results database"),
        "{err}"
    );
    let err = fails(dir.path(), &["--cell", "3fa2"]);
    assert!(err.contains("at least 6 of its first characters"), "{err}");
    let err = fails(dir.path(), &["--cell", &CELL[..6]]);
    assert!(err.contains("is the start of several cell ids"), "{err}");
    assert!(err.contains(CELL) && err.contains(&other), "{err}");
    // Neither or both of MATRIX and --cell: a usage error.
    assert_eq!(history(dir.path(), &[]).status.code(), Some(2));
    assert_eq!(
        history(dir.path(), &["m.toml", "--cell", CELL])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        history(dir.path(), &["--cell", CELL, "--limit", "0"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn help_names_the_metrics_and_the_model_hash() {
    let o = edgebench(&["history", "--help"]);
    assert!(o.status.success());
    let help = stdout(&o);
    assert!(
        help.contains("--cell <ID>") && help.contains("--metric <NAME>"),
        "{help}"
    );
    assert!(help.contains("a changed model file"), "{help}");
    assert!(help.contains("decode_mj_per_token_median"), "{help}");
}
