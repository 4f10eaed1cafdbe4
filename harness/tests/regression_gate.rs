//! `edgebench run --baseline` end to end on this machine: an A/A run
//! against its own artifacts passes; a model file that really got slower
//! under the same name is compared artifact against artifact and fails the
//! run; a device whose facts changed since the baseline is not comparable;
//! an unknown baseline is an error. JUnit, Markdown and JSON are written.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn matrix(preset: &str) -> String {
    format!(
        r#"name = "gate"
devices = ["local"]
recipes = ["q8_0"]

[[models]]
name = "m"
synthetic = {{ preset = "{preset}", seed = 3 }}

[workload]
threads = [1]
prompt_tokens = 8
gen_tokens = 8

[measure]
warmup_reps = 0
min_reps = 1
min_seconds = 0.0
idle_seconds = 0.0
meter = "none"
"#
    )
}

fn workspace(tag: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("edgebench-gate-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("matrix.toml"), text).unwrap();
    dir
}

fn edgebench(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_edgebench"))
        .current_dir(dir)
        .args(args)
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

const GATED: [&str; 8] = [
    "run",
    "matrix.toml",
    "--baseline",
    "latest",
    "--blocks",
    "8",
    "--reps",
    "1",
];

/// The newest run directory holding a gate report.
fn gate_json(dir: &Path) -> serde_json::Value {
    let run = newest_run(dir);
    let junit = std::fs::read_to_string(run.join("regression-junit.xml")).unwrap();
    let doc = roxmltree::Document::parse(&junit).expect("well-formed JUnit XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    for suite in root.children().filter(|n| n.is_element()) {
        assert_eq!(suite.tag_name().name(), "testsuite");
        let tests: usize = suite.attribute("tests").unwrap().parse().unwrap();
        let cases = suite
            .children()
            .filter(|n| n.has_tag_name("testcase"))
            .count();
        assert_eq!(tests, cases);
        for case in suite.children().filter(|n| n.has_tag_name("testcase")) {
            assert!(case.attribute("classname").is_some() && case.attribute("name").is_some());
        }
    }
    assert!(run.join("regression.md").exists());
    serde_json::from_str(&std::fs::read_to_string(run.join("regression.json")).unwrap()).unwrap()
}

/// The newest run directory holding a gate report.
fn newest_run(dir: &Path) -> PathBuf {
    let mut runs: Vec<PathBuf> = std::fs::read_dir(dir.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("regression.json").exists())
        .collect();
    runs.sort();
    runs.pop().expect("a gated run")
}

fn verdicts(json: &serde_json::Value) -> Vec<String> {
    json["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["verdict"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn unchanged_artifacts_pass_and_a_slower_model_under_the_same_name_fails() {
    let with_canary = |preset: &str| format!("{}\n[regression]\ncanaries = 1\n", matrix(preset));
    let dir = workspace("aa", &with_canary("tiny"));
    let first = edgebench(&dir, &["run", "matrix.toml"]);
    assert!(first.status.success(), "{}", text(&first));

    let aa = edgebench(&dir, &GATED);
    assert_eq!(aa.status.code(), Some(0), "{}", text(&aa));
    assert!(
        String::from_utf8_lossy(&aa.stdout).contains("A/A canaries"),
        "{}",
        text(&aa)
    );
    let json = gate_json(&dir);
    let rows = json["rows"].as_array().unwrap();
    assert!(!rows.is_empty());
    // The one cell ran twice: against the baseline, and as its own canary.
    let canaries = rows.iter().filter(|r| r["canary"] == true).count();
    assert!(canaries > 0 && canaries < rows.len(), "{json}");
    assert!(
        rows.iter().all(|r| r["same_artifacts"] == true),
        "A/A: {json}"
    );
    assert!(!verdicts(&json).contains(&"REGRESSED".to_owned()), "{json}");
    assert!(
        rows.iter().any(|r| r["metric"] == "decode_tps_median"),
        "{json}"
    );

    // The nightly export behind the model's name changed: a model five
    // times the size is measured against the stored one, artifact against
    // artifact.
    std::fs::write(dir.join("matrix.toml"), with_canary("small")).unwrap();
    let slower = edgebench(&dir, &GATED);
    assert_eq!(slower.status.code(), Some(1), "{}", text(&slower));
    let json = gate_json(&dir);
    let rows = json["rows"].as_array().unwrap();
    // The canary runs the new artifacts against themselves: never failing.
    let (canaries, cells): (Vec<_>, Vec<_>) = rows.iter().partition(|r| r["canary"] == true);
    assert!(cells.iter().all(|r| r["same_artifacts"] == false));
    assert!(canaries.iter().all(|r| r["same_artifacts"] == true));
    assert!(!canaries.is_empty());
    // The report shows the verdicts and both nights' canaries.
    let newest = newest_run(&dir);
    let html = std::fs::read_to_string(newest.join("report.html")).unwrap();
    assert!(html.contains("Regression gate"), "gate section");
    let nights = html
        .split("id=\"calibration-nights\"")
        .nth(1)
        .and_then(|t| t.split("<tbody>").nth(1))
        .and_then(|t| t.split("</tbody>").next())
        .expect("a calibration table");
    assert_eq!(
        nights.matches("<tr>").count(),
        2,
        "one row per gated night: {nights}"
    );
    let decode = rows
        .iter()
        .find(|r| r["metric"] == "decode_tps_median")
        .expect("decode compared");
    assert_eq!(decode["verdict"], "REGRESSED", "{json}");
    assert!(decode["change_pct"].as_f64().unwrap() < -20.0, "{decode}");
    let size = rows
        .iter()
        .find(|r| r["metric"] == "recipe_bytes")
        .expect("size compared");
    assert_eq!(size["verdict"], "REGRESSED", "a bigger file: {size}");
    let out = String::from_utf8_lossy(&slower.stdout);
    assert!(out.contains("REGRESSED"), "{out}");
}

#[test]
fn a_device_that_changed_since_the_baseline_is_not_comparable() {
    let dir = workspace("facts", &matrix("tiny"));
    let first = edgebench(&dir, &["run", "matrix.toml"]);
    assert!(first.status.success(), "{}", text(&first));
    // The baseline was measured under another kernel.
    let run = std::fs::read_dir(dir.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.join("results.jsonl").exists())
        .unwrap();
    let jsonl = run.join("results.jsonl");
    let mut lines = Vec::new();
    for line in std::fs::read_to_string(&jsonl).unwrap().lines() {
        let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v["device"]["before"]["kernel_release"].is_string(), "{v}");
        v["device"]["before"]["kernel_release"] = "6.6.31+rpt-rpi-2712".into();
        lines.push(v.to_string());
    }
    std::fs::write(&jsonl, lines.join("\n") + "\n").unwrap();
    let gated = edgebench(&dir, &GATED);
    assert_eq!(
        gated.status.code(),
        Some(5),
        "nothing comparable: {}",
        text(&gated)
    );
    let json = gate_json(&dir);
    assert_eq!(verdicts(&json), ["NOT COMPARABLE"], "{json}");
    let reason = json["rows"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("changed since the baseline"), "{reason}");
}

#[test]
fn an_unknown_baseline_is_an_error_with_exit_code_2() {
    let dir = workspace("unknown", &matrix("tiny"));
    let out = edgebench(&dir, &["run", "matrix.toml", "--baseline", "release-9"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("release-9"),
        "{}",
        text(&out)
    );
}
