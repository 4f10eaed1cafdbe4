//! `edgebench run` end to end through the real agent (the controller runs
//! itself as the agent's child process), and a run killed with SIGKILL and
//! resumed.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod support;
use edgebench::matrix::sha256_file;
use support::*;

/// A fresh directory holding `matrix.toml` and the runs.
fn workspace(tag: &str, matrix: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("edgebench-run-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("matrix.toml"), matrix).unwrap();
    dir
}

fn matrix(recipes: &str, threads: &str, idle_seconds: f64) -> String {
    format!(
        r#"name = "e2e"
devices = ["local"]
recipes = [{recipes}]

[[models]]
name = "tiny"
synthetic = {{ preset = "tiny", seed = 2 }}

[workload]
threads = [{threads}]
prompt_tokens = 8
gen_tokens = 4

[measure]
warmup_reps = 0
min_reps = 2
min_seconds = 0.0
idle_seconds = {idle_seconds}
meter = "none"

[accuracy]
text = "builtin"
ctx = 64
windows = 2
"#
    )
}

fn run_in(dir: &Path, extra: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_edgebench"));
    c.current_dir(dir).args(["run", "matrix.toml"]).args(extra);
    c
}

fn only_run(dir: &Path) -> PathBuf {
    let runs: Vec<PathBuf> = std::fs::read_dir(dir.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("results.jsonl").exists())
        .collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    runs.into_iter().next().unwrap()
}

fn lines(run: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(run.join("results.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn db_cells(dir: &Path, run_id: &str) -> Vec<String> {
    let db = rusqlite::Connection::open(dir.join("runs/edgebench.sqlite")).unwrap();
    let mut st = db
        .prepare("SELECT cell_id FROM results WHERE run_id = ?1 ORDER BY cell_id")
        .unwrap();
    st.query_map([run_id], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn cell_ids(lines: &[serde_json::Value]) -> Vec<String> {
    let mut ids: Vec<String> = lines
        .iter()
        .map(|v| v["cell_id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

#[test]
fn a_tiny_matrix_runs_through_the_real_agent() {
    let dir = workspace("tiny", &matrix(r#""f32", "q8_0""#, "1", 0.0));
    let o = run_in(&dir, &[]).output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let out = stdout(&o);
    assert!(
        out.contains("model tiny on local") && out.contains("q8_0"),
        "{out}"
    );
    let run = only_run(&dir);
    let results = lines(&run);
    assert_eq!(results.len(), 2);
    for r in &results {
        assert_eq!(r["status"], "ok", "{r}");
        assert!(r["latency"]["decode_tps"]["median"].as_f64().unwrap() > 0.0);
        assert!(r["memory"]["peak_rss_kib"].as_u64().unwrap() > 0);
        assert!(
            r["energy"]["energy_j"].is_null() && r["energy"]["reason"].is_string(),
            "{r}"
        );
    }
    let q8 = results
        .iter()
        .find(|r| r["cell"]["recipe"] == "q8_0")
        .unwrap();
    assert!(q8["accuracy"]["kld_mean"].as_f64().unwrap() >= 0.0, "{q8}");
    assert_eq!(q8["accuracy"]["reference"], "f32");
    // The store and the JSONL agree; the CSV has one row per cell.
    let id = run.file_name().unwrap().to_str().unwrap();
    assert_eq!(db_cells(&dir, id), cell_ids(&results));
    let csv = std::fs::read_to_string(run.join("results.csv")).unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    // Each cell ran its recipe file as it is: the file's hash, real size
    // and source are in the result, and the file is in the cache.
    let err = stderr(&o);
    assert!(
        err.contains("recipe files: 2 made, 0 from the cache"),
        "{err}"
    );
    for r in &results {
        let m = &r["model"];
        let path = PathBuf::from(m["path"].as_str().unwrap());
        assert!(path.starts_with(dir.join("runs/models/recipes")), "{m}");
        assert_eq!(
            m["file_bytes"],
            std::fs::metadata(&path).unwrap().len(),
            "{m}"
        );
        assert_eq!(m["sha256"].as_str().unwrap(), sha256_file(&path).unwrap());
        assert_eq!(m["applied_at_load"], false, "{m}");
        assert_eq!(m["source_sha256"].as_str().unwrap().len(), 64, "{m}");
    }
    assert_eq!(q8["accuracy"]["file_sha256"], q8["model"]["sha256"], "{q8}");
    let f32 = results
        .iter()
        .find(|r| r["cell"]["recipe"] == "f32")
        .unwrap();
    assert_eq!(q8["accuracy"]["reference_sha256"], f32["model"]["sha256"]);
    // A second run reuses the cached model, recipe files and accuracy and
    // gets the same cell ids.
    let o = run_in(&dir, &[]).output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let err = stderr(&o);
    assert!(
        !err.contains("accuracy:"),
        "accuracy was cached: {}",
        text(&o)
    );
    assert!(
        err.contains("recipe files: 0 made, 2 from the cache"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_run_killed_mid_way_resumes_without_measuring_twice() {
    let recipes = r#""f32", "f16", "q8_0", "q4_0""#;
    // Each cell idles 0.4 s first, so the kill lands between cells or in one.
    let dir = workspace("kill", &matrix(recipes, "1, 2", 0.4));
    let mut child = run_in(&dir, &[])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill the controller once some but not all cells are saved.
    let start = Instant::now();
    let run = loop {
        if let Ok(entries) = std::fs::read_dir(dir.join("runs")) {
            let done = entries
                .map(|e| e.unwrap().path())
                .find(|p| p.join("results.jsonl").exists() && lines(p).len() >= 2);
            if let Some(p) = done {
                break p;
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "no results appeared"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    child.kill().unwrap();
    child.wait().unwrap();
    let before = lines(&run).len();
    assert!((2..8).contains(&before), "{before} results before the kill");

    let id = run.file_name().unwrap().to_str().unwrap().to_owned();
    let o = run_in(&dir, &["--resume", &id]).output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let results = lines(&run);
    let ids = cell_ids(&results);
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!(
        (ids.len(), unique.len()),
        (8, 8),
        "exactly one result per cell"
    );
    assert_eq!(db_cells(&dir, &id), ids);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_matrix_and_unknown_run_exit_1() {
    let dir = workspace("bad", &matrix(r#""q4_O""#, "0", 0.0));
    let o = run_in(&dir, &[]).output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let err = stderr(&o);
    assert!(
        err.contains("matrix.toml:3:") && err.contains("q4_0"),
        "{err}"
    );
    assert!(!dir.join("runs").exists(), "nothing ran");
    let dir = workspace("unknown", &matrix(r#""f32""#, "1", 0.0));
    let o = run_in(&dir, &["--resume", "20260101T000000.000Z-abcdef"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Peak RSS of `results` by recipe.
fn peak_rss(results: &[serde_json::Value]) -> std::collections::BTreeMap<String, u64> {
    results
        .iter()
        .map(|r| {
            assert_eq!(r["status"], "ok", "{r}");
            (
                r["cell"]["recipe"].as_str().unwrap().to_owned(),
                r["memory"]["peak_rss_kib"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn peak_rss_follows_the_deployed_recipe_files() {
    // SmolLM2-135M's shapes: what a device pays is the recipe file it maps
    // (plus KV cache and scratch), never a conversion from f32.
    let dir = workspace(
        "rss",
        r#"name = "rss"
devices = ["local"]
recipes = ["f32", "f16", "q8_0", "q4_0", "q4_0+heads25"]

[[models]]
name = "smollm-shape"
synthetic = { preset = "smollm-135m-shape", seed = 1 }

[workload]
threads = [1]
prompt_tokens = 16
gen_tokens = 4

[measure]
warmup_reps = 0
min_reps = 1
max_reps = 1
min_seconds = 0.0
idle_seconds = 0.0
meter = "none"
counters = false

[accuracy]
enabled = false
"#,
    );
    let o = run_in(&dir, &[]).output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let results = lines(&only_run(&dir));
    let rss = peak_rss(&results);
    println!("peak RSS KiB by recipe: {rss:?}");
    let order = ["f32", "f16", "q8_0", "q4_0"];
    for pair in order.windows(2) {
        assert!(
            rss[pair[0]] > rss[pair[1]],
            "peak RSS of {} is not above {}: {rss:?}",
            pair[0],
            pair[1]
        );
    }
    assert!(rss["q4_0+heads25"] <= rss["q4_0"], "{rss:?}");
    // The f32 file is mapped, not copied: the anonymous part stays small.
    let f32 = results
        .iter()
        .find(|r| r["cell"]["recipe"] == "f32")
        .unwrap();
    let anon = f32["memory"]["rss_anon_kib"].as_u64().unwrap();
    let file = f32["memory"]["rss_file_kib"].as_u64().unwrap();
    assert!(file > 8 * anon, "anon {anon} KiB, file {file} KiB");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn cells_that_cannot_fit_are_skipped_without_making_files() {
    let m = matrix(r#""q8_0""#, "1", 0.0).replace(
        "[workload]",
        "[[device]]\nname = \"local\"\nmemory_mib = 1\n\n[workload]",
    );
    let dir = workspace("fit", &m);
    let o = run_in(&dir, &[]).output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let results = lines(&only_run(&dir));
    assert_eq!(results.len(), 1);
    let r = &results[0];
    assert_eq!(r["status"], "skipped", "{r}");
    let error = r["error"].as_str().unwrap();
    assert!(error.contains("has 1.0 MiB: weights"), "{error}");
    // No cell runs, so no recipe file (nor accuracy) was made for it.
    assert!(!dir.join("runs/models/recipes").exists(), "{}", text(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Both runtimes on the same recipe files, on this machine: the controller
/// builds the agent with llama.cpp, every cell is measured, llama.cpp's
/// cells name its build, accuracy is scored per runtime and the report puts
/// the runtimes side by side. (The suite's script builds that agent first;
/// building it needs cmake and libclang.)
#[test]
fn both_runtimes_run_side_by_side_on_the_same_recipe_files() {
    let both = matrix(r#""f32", "q8_0""#, "2", 0.0).replace(
        "recipes = [",
        "runtimes = [\"edgebench\", \"llama.cpp\"]\nrecipes = [",
    );
    let dir = workspace("runtimes", &both);
    let o = run_in(&dir, &[]).output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let err = stderr(&o);
    assert!(
        err.contains("(built with the matrix's runtimes)"),
        "the agent's build: {err}"
    );
    assert!(err.contains("tiny q8_0 (llama.cpp) on local"), "{err}");
    let run = only_run(&dir);
    let results = lines(&run);
    assert_eq!(results.len(), 4);
    let find = |recipe: &str, runtime: &str| {
        results
            .iter()
            .find(|r| {
                r["cell"]["recipe"] == recipe
                    && r["cell"]["runtime"].as_str().unwrap_or("edgebench") == runtime
            })
            .unwrap_or_else(|| panic!("no {recipe} on {runtime}"))
    };
    for recipe in ["f32", "q8_0"] {
        let (ours, theirs) = (find(recipe, "edgebench"), find(recipe, "llama.cpp"));
        for r in [ours, theirs] {
            assert_eq!(r["status"], "ok", "{r}");
            assert!(r["latency"]["decode_tps"]["median"].as_f64().unwrap() > 0.0);
            assert!(r["memory"]["peak_rss_kib"].as_u64().unwrap() > 0);
        }
        // The same bytes on both runtimes.
        assert_eq!(ours["model"]["sha256"], theirs["model"]["sha256"]);
        assert_eq!(ours["runtime"]["name"], "edgebench");
        assert_eq!(theirs["runtime"]["name"], "llama.cpp");
        assert!(
            theirs["runtime"]["version"]
                .as_str()
                .unwrap()
                .contains("llama-cpp-sys-2"),
            "{theirs}"
        );
        assert_ne!(ours["cell_id"], theirs["cell_id"]);
    }
    // Accuracy per runtime: llama.cpp's f32 against the kernel's f32 is
    // its own drift, tiny; its q8_0 is scored on its own logits.
    let drift = find("f32", "llama.cpp")["accuracy"]["ppl_delta_pct"]
        .as_f64()
        .expect("llama.cpp's f32 is scored");
    assert!(drift.abs() < 0.5, "{drift}");
    assert!(find("f32", "edgebench")["accuracy"].is_null());
    for runtime in ["edgebench", "llama.cpp"] {
        let a = &find("q8_0", runtime)["accuracy"];
        assert!(
            a["ppl_delta_pct"].as_f64().is_some_and(f64::is_finite),
            "{a}"
        );
        assert_eq!(a["reference"], "f32", "{a}");
    }
    assert_eq!(
        find("q8_0", "llama.cpp")["accuracy"]["runtime"],
        "llama.cpp"
    );
    let html = std::fs::read_to_string(run.join("report.html")).unwrap();
    assert!(html.contains("q8_0 · llama.cpp"), "runtime columns");
    let csv = std::fs::read_to_string(run.join("results.csv")).unwrap();
    assert_eq!(csv.matches(",llama.cpp,").count(), 2, "{csv}");
    let _ = std::fs::remove_dir_all(&dir);
}
