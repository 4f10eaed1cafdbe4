//! The reports of real runs: `summary.md` and `report.html` written at the
//! end of `edgebench run`, trend lines once the store holds two runs, and
//! `edgebench report` re-rendering every format from the run directory.

use std::path::{Path, PathBuf};
use std::process::Command;

mod support;
use support::*;

const MATRIX: &str = r#"name = "reports"
devices = ["local"]
recipes = ["f32", "q8_0"]

[[models]]
name = "tiny"
synthetic = { preset = "tiny", seed = 3 }

[workload]
threads = [1]
prompt_tokens = 8
gen_tokens = 4

[measure]
warmup_reps = 0
min_reps = 2
min_seconds = 0.0
idle_seconds = 0.0
meter = "none"

[accuracy]
text = "builtin"
ctx = 64
windows = 2

[select]
max_accuracy_drop_pct = 50
objective = "size"
"#;

fn workspace(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("edgebench-report-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("matrix.toml"), MATRIX).unwrap();
    dir
}

fn edgebench_in(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_edgebench"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

/// The run directories, oldest first.
fn runs(dir: &Path) -> Vec<PathBuf> {
    let mut runs: Vec<PathBuf> = std::fs::read_dir(dir.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("results.jsonl").exists())
        .collect();
    runs.sort();
    runs
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn runs_write_reports_and_report_renders_every_format() {
    let dir = workspace("formats");
    for _ in 0..2 {
        let o = edgebench_in(&dir, &["run", "matrix.toml"]);
        assert!(o.status.success(), "{}", text(&o));
        assert!(stdout(&o).contains("report.html"), "{}", text(&o));
    }
    let runs = runs(&dir);
    assert_eq!(runs.len(), 2);
    let latest = &runs[1];
    let id = latest.file_name().unwrap().to_str().unwrap();

    // Written by the run: the size objective under a 50 % drop picks q8_0.
    let md = read(&latest.join("summary.md"));
    assert!(md.contains("# edgebench: reports"), "{md}");
    assert!(
        md.contains("Recommended: **q8\\_0**: lowest size on disk"),
        "{md}"
    );
    let html = read(&latest.join("report.html"));
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains(id));
    // The second run draws trend lines; the first says why it has none.
    let trend = html
        .split("<figure class=\"chart\" id=\"trend-decode-")
        .nth(1)
        .expect("a decode trend chart");
    assert!(trend.split("</figure>").next().unwrap().contains("<svg"));
    let first_html = read(&runs[0].join("report.html"));
    assert!(first_html.contains("no earlier runs of these cells in the store"));

    // Re-rendered to standard output: identical to what the run wrote.
    let o = edgebench_in(&dir, &["report", "latest", "--format", "md", "-o", "-"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(stdout(&o), md);
    let o = edgebench_in(&dir, &["report", id, "--format", "csv", "-o", "-"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(stdout(&o), read(&latest.join("results.csv")));

    // JSON: tables, recommendations and two-point trend lines per cell.
    let o = edgebench_in(&dir, &["report", id, "--format", "json", "-o", "-"]);
    assert!(o.status.success(), "{}", text(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["run_id"], id);
    assert_eq!(json["selection"]["objective"], "size");
    assert_eq!(json["recommendations"][0]["chosen"], "q8_0");
    assert_eq!(
        json["tables"][0]["recipes"],
        serde_json::json!(["f32", "q8_0"])
    );
    let trends = json["trends"].as_array().unwrap();
    assert_eq!(trends.len(), 4, "2 cells × decode and latency");
    for t in trends {
        assert_eq!(t["points"].as_array().unwrap().len(), 2, "{t}");
    }
    // The first run's report does not show the later run.
    let first = runs[0].file_name().unwrap().to_str().unwrap();
    let o = edgebench_in(&dir, &["report", first, "--format", "json", "-o", "-"]);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for t in json["trends"].as_array().unwrap() {
        assert_eq!(t["points"].as_array().unwrap().len(), 1, "{t}");
    }

    // HTML into the run directory by default, or where asked.
    std::fs::remove_file(latest.join("report.html")).unwrap();
    let o = edgebench_in(&dir, &["report", id]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        stdout(&o).trim_end().ends_with("report.html"),
        "{}",
        text(&o)
    );
    let again = read(&latest.join("report.html"));
    assert_eq!(again, html, "rendering is deterministic");
    let o = edgebench_in(&dir, &["report", id, "-o", "copy.html"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(read(&dir.join("copy.html")), html);

    // Without the store the report still renders, without trend lines.
    std::fs::remove_file(dir.join("runs/edgebench.sqlite")).unwrap();
    let o = edgebench_in(&dir, &["report", id, "--format", "json", "-o", "-"]);
    assert!(o.status.success(), "{}", text(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["trends"], serde_json::json!([]));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unknown_runs_and_bad_formats_are_clear_errors() {
    let dir = workspace("errors");
    let o = edgebench_in(&dir, &["report", "latest"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(stderr(&o).contains("no runs under runs"), "{}", text(&o));
    let o = edgebench_in(&dir, &["report", "20260101T000000.000Z-abcdef"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        stderr(&o).contains("20260101T000000.000Z-abcdef"),
        "{}",
        text(&o)
    );
    let o = edgebench_in(&dir, &["report", "../etc"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let o = edgebench_in(&dir, &["run", "matrix.toml"]);
    assert!(o.status.success(), "{}", text(&o));
    // A directory where the file should go: an error naming it, and no
    // temporary file left beside it.
    std::fs::create_dir(dir.join("out")).unwrap();
    let o = edgebench_in(&dir, &["report", "latest", "-o", "out"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(stderr(&o).contains("out"), "{}", text(&o));
    assert!(!dir.join("out.tmp").exists(), "temporary file left behind");
    let o = edgebench_in(&dir, &["report", "latest", "--format", "pdf"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(stderr(&o).contains("pdf"), "{}", text(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_malformed_select_table_names_the_file() {
    let dir = workspace("select");
    let o = edgebench_in(&dir, &["run", "matrix.toml"]);
    assert!(o.status.success(), "{}", text(&o));
    let run = &runs(&dir)[0];
    let matrix = run.join("matrix.toml");
    let bad = read(&matrix).replace("objective = \"size\"", "objective = \"speed\"");
    std::fs::write(&matrix, bad).unwrap();
    let id = run.file_name().unwrap().to_str().unwrap();
    let o = edgebench_in(&dir, &["report", id]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let err = stderr(&o);
    assert!(
        err.contains("matrix.toml") && err.contains("speed"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
