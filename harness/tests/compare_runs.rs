//! `edgebench compare RUN_A RUN_B` as the built binary, over two runs
//! stored without measuring: cells 0–3 in A, 2–5 in B.

use std::path::Path;

use edgebench::store::RunStatus;
use edgebench_schema::JobResult;

mod store_support;
mod support;
use store_support::{meta, new_run, result};
use support::*;

const AGENT_A: &str = "a1";
const AGENT_B: &str = "b2";

/// Result of cell `i` in a run whose agent hashes to `agent`.
fn with_agent(i: usize, seed: u64, agent: &str) -> JobResult {
    let mut r = result(i, seed);
    r.agent.binary_sha256 = Some(agent.repeat(32));
    r
}

/// Stores run A (cells 0–3) and run B (cells 2–5) under `root`; their ids.
///
/// Cell 2: same files, B's decode reps far above A's (apart). Cell 3: a
/// new agent, the same reps as A (overlap).
fn two_runs(root: &Path) -> (String, String) {
    let mut a = new_run(root);
    for i in 0..4 {
        a.record(&with_agent(i, 1, AGENT_A), &meta(i)).unwrap();
    }
    a.finish(RunStatus::Finished).unwrap();
    let mut b = new_run(root);
    for i in 2..6 {
        let mut r = with_agent(i, 2, if i == 3 { AGENT_B } else { AGENT_A });
        if i == 2 {
            for (k, rep) in r.reps.iter_mut().enumerate() {
                rep.decode_tps = 1000.0 + k as f64;
            }
        }
        if i == 3 {
            r.reps = result(3, 1).reps;
        }
        b.record(&r, &meta(i)).unwrap();
    }
    b.finish(RunStatus::Finished).unwrap();
    (a.id().to_string(), b.id().to_string())
}

/// Runs `edgebench compare A B --runs-dir ROOT ARGS…`.
fn compare(root: &Path, a: &str, b: &str, args: &[&str]) -> std::process::Output {
    let mut all = vec!["compare", a, b, "--runs-dir", root.to_str().unwrap()];
    all.extend_from_slice(args);
    edgebench(&all)
}

/// Runs it and expects exit code 0; its stdout.
fn ok(root: &Path, a: &str, b: &str, args: &[&str]) -> String {
    let o = compare(root, a, b, args);
    assert_eq!(o.status.code(), Some(0), "{args:?}\n{}", text(&o));
    stdout(&o)
}

/// Runs it and expects exit code 1 and an `Error:` line; its stderr.
fn fails(root: &Path, a: &str, b: &str, args: &[&str]) -> String {
    let o = compare(root, a, b, args);
    assert_eq!(o.status.code(), Some(1), "{args:?}\n{}", text(&o));
    let err = stderr(&o);
    assert!(err.starts_with("Error: "), "{err}");
    err
}

fn json(root: &Path, a: &str, b: &str, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let out = ok(root, a, b, &all);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// The matched cell of `recipe` in a JSON comparison.
fn cell<'a>(v: &'a serde_json::Value, recipe: &str) -> &'a serde_json::Value {
    v["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["recipe"] == recipe)
        .unwrap_or_else(|| panic!("no cell {recipe}: {v}"))
}

fn metric<'a>(c: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    c["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"] == name)
        .unwrap_or_else(|| panic!("no metric {name}: {c}"))
}

#[test]
fn text_is_labelled_unpaired_and_lists_lone_cells() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = two_runs(dir.path());
    // B by a prefix of its id (the start time is unique here).
    let out = ok(dir.path(), &a, &b[..20], &[]);
    let first = out.lines().next().unwrap();
    assert!(
        first.starts_with("UNPAIRED comparison of two sessions"),
        "{out}"
    );
    assert!(
        first.contains("edgebench run MATRIX --baseline RUN"),
        "{out}"
    );
    assert!(out.contains(&format!("A: {a} ")) && out.contains(&format!("B: {b} ")));
    assert!(out.contains("only in A (2):") && out.contains("only in B (2):"));
    assert!(
        out.contains("same files") && out.contains("agent changed"),
        "{out}"
    );
    assert!(out.contains("2 cells in both runs, 2 only in A, 2 only in B"));
    assert!(out.contains("overstates significance"), "{out}");
    let decode: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("decode_tps_median"))
        .collect();
    assert_eq!(decode.len(), 2, "{out}");
    assert!(decode.iter().any(|l| l.contains("3/3 apart")), "{out}");
    assert!(decode.iter().any(|l| l.contains("3/3 overlap")), "{out}");
    let ppl = out.lines().find(|l| l.contains("ppl_delta_pct")).unwrap();
    assert!(ppl.contains(" pp"), "{ppl}");
}

#[test]
fn json_matches_cells_by_key_with_changes_and_rank_tests() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = two_runs(dir.path());
    let tagged = edgebench(&[
        "runs",
        "tag",
        &a,
        "release-1",
        "--runs-dir",
        dir.path().to_str().unwrap(),
    ]);
    assert!(tagged.status.success(), "{}", text(&tagged));
    let v = json(dir.path(), "release-1", "latest", &[]);
    assert_eq!(v["paired"], false);
    assert!(v["note"].as_str().unwrap().starts_with("UNPAIRED"));
    assert_eq!(v["run_a"]["id"], a.as_str());
    assert_eq!(v["run_b"]["id"], b.as_str());
    assert_eq!(v["cells"].as_array().unwrap().len(), 2);
    let lone = |k: &str| -> Vec<String> {
        v[k].as_array()
            .unwrap()
            .iter()
            .map(|c| c["cell_id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(lone("only_in_a"), ["cell000", "cell001"]);
    assert_eq!(lone("only_in_b"), ["cell004", "cell005"]);

    // Cell 2 (recipe q4_0+heads25): same files; B's reps far above A's.
    let c2 = cell(&v, &meta(2).recipe);
    assert_eq!(c2["files"], "same files");
    assert_eq!(c2["metrics"].as_array().unwrap().len(), 9);
    let d = metric(c2, "decode_tps_median");
    let (x, y) = (d["a"].as_f64().unwrap(), d["b"].as_f64().unwrap());
    let change = d["change_pct"].as_f64().unwrap();
    assert!((change - (y / x - 1.0) * 100.0).abs() < 1e-9, "{d}");
    assert!((d["difference"].as_f64().unwrap() - (y - x)).abs() < 1e-9);
    let s = &d["samples"];
    assert_eq!((s["n_a"].as_u64(), s["n_b"].as_u64()), (Some(3), Some(3)));
    assert_eq!(s["overlap"], false);
    assert_eq!(s["u"], 0.0);
    assert!((s["p_unpaired"].as_f64().unwrap() - 0.080_855_6).abs() < 1e-6);
    assert!(metric(c2, "recipe_bytes")["samples"].is_null());
    // A percent changes by points, not by a percent of itself.
    let ppl = metric(c2, "ppl_delta_pct");
    assert!(ppl["change_pct"].is_null(), "{ppl}");
    let points = ppl["b"].as_f64().unwrap() - ppl["a"].as_f64().unwrap();
    assert!((ppl["difference"].as_f64().unwrap() - points).abs() < 1e-9);
    assert!(metric(c2, "peak_rss_kib")["samples"].is_null());

    // Cell 3: a new agent, identical reps.
    let c3 = cell(&v, &meta(3).recipe);
    assert_eq!(c3["files"], "agent changed");
    let s = &metric(c3, "ttft_median_s")["samples"];
    assert_eq!(s["overlap"], true);
    assert_eq!(s["p_unpaired"], 1.0);
}

#[test]
fn csv_and_markdown_carry_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = two_runs(dir.path());
    let v = json(dir.path(), &a, &b, &[]);

    let out = ok(dir.path(), &a, &b, &["--format", "csv", "-o", "-"]);
    let mut reader = csv::Reader::from_reader(out.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let metric_rows: usize = v["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["metrics"].as_array().unwrap().len())
        .sum();
    assert_eq!(rows.len(), metric_rows + 4, "{out}");
    assert!(rows.iter().all(|r| &r[col("comparison")] == "unpaired"));
    assert!(rows.iter().all(|r| &r[col("run_a")] == a.as_str()));
    let lone: Vec<(&str, &str)> = rows
        .iter()
        .filter(|r| &r[col("in")] != "both")
        .map(|r| (&r[col("in")], &r[col("recipe")]))
        .collect();
    assert_eq!(lone.len(), 4);
    let c2 = cell(&v, &meta(2).recipe);
    let d = metric(c2, "decode_tps_median");
    let row = rows
        .iter()
        .find(|r| r[col("recipe")] == meta(2).recipe && &r[col("metric")] == "decode_tps_median")
        .unwrap();
    for (column, key) in [("a", "a"), ("b", "b"), ("change_pct", "change_pct")] {
        let x: f64 = row[col(column)].parse().unwrap();
        assert_eq!(x, d[key].as_f64().unwrap(), "{column}");
    }
    assert_eq!(&row[col("reps_overlap")], "false");
    assert_eq!(&row[col("files")], "same files");
    let p: f64 = row[col("p_unpaired")].parse().unwrap();
    assert_eq!(p, d["samples"]["p_unpaired"].as_f64().unwrap());

    let path = dir.path().join("compare.md");
    let printed = ok(
        dir.path(),
        &a,
        &b,
        &["--format", "md", "-o", path.to_str().unwrap()],
    );
    assert_eq!(printed.trim(), path.to_str().unwrap());
    let md = std::fs::read_to_string(&path).unwrap();
    assert!(md.contains("**UNPAIRED comparison of two sessions"), "{md}");
    assert!(md.contains("| device | model | recipe | workload | files | metric |"));
    assert!(md.contains("### Only in A") && md.contains("### Only in B"));
    let table_rows = md
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains(" | tiny | "))
        .count();
    assert_eq!(table_rows, metric_rows + 4, "{md}");
}

#[test]
fn metric_option_chooses_and_orders_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = two_runs(dir.path());
    let v = json(
        dir.path(),
        &a,
        &b,
        &[
            "--metric",
            "ttft_median_s",
            "--metric",
            "decode_tps_median",
            "--metric",
            "ttft_median_s",
        ],
    );
    for c in v["cells"].as_array().unwrap() {
        let names: Vec<&str> = c["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["metric"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["ttft_median_s", "decode_tps_median"]);
    }
}

#[test]
fn unknown_runs_and_metrics_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (a, _) = two_runs(dir.path());
    let err = fails(dir.path(), &a, "no-such-run", &[]);
    assert!(err.contains("RUN_B `no-such-run`"), "{err}");
    let err = fails(dir.path(), "nightly-42", &a, &[]);
    assert!(err.contains("`nightly-42`"), "{err}");
    let err = fails(dir.path(), &a, &a, &["--metric", "tokens_per_second"]);
    assert!(err.contains("unknown metric 'tokens_per_second'"), "{err}");
    for name in ["decode_tps_median", "ttft_median_s", "ppl_delta_pct"] {
        assert!(err.contains(name), "{err}");
    }
    let empty = tempfile::tempdir().unwrap();
    let err = fails(empty.path(), "latest", "latest", &[]);
    assert!(err.contains("no results database"), "{err}");
}

#[test]
fn help_says_unpaired() {
    let o = edgebench(&["compare", "--help"]);
    assert!(o.status.success(), "{}", text(&o));
    let help = stdout(&o);
    assert!(help.contains("--baseline RUN") && help.contains("--metric <NAME>"));
}
