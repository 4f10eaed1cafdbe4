//! `edgebench runs artifacts list|prune`: the artifact store keeps what
//! baselines need (tagged runs, each matrix's newest finished run) and
//! prunes the rest; a baseline whose files were pruned is reported not
//! comparable, by name, never a crash.

mod support;

use std::path::{Path, PathBuf};

use support::{edgebench_in as edgebench, text};

fn matrix(preset: &str) -> String {
    format!(
        r#"name = "retention"
devices = ["local"]
recipes = ["q8_0"]

[[models]]
name = "m"
synthetic = {{ preset = "{preset}", seed = 5 }}

[workload]
threads = [1]
prompt_tokens = 8
gen_tokens = 4

[measure]
warmup_reps = 0
min_reps = 1
min_seconds = 0.0
idle_seconds = 0.0
meter = "none"
"#
    )
}

fn json(dir: &Path, args: &[&str]) -> serde_json::Value {
    let o = edgebench(dir, args);
    assert!(o.status.success(), "{}", text(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn run_ids(dir: &Path) -> Vec<String> {
    let mut ids: Vec<String> = std::fs::read_dir(dir.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("results.jsonl").exists())
        .map(|p: PathBuf| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    ids.sort();
    ids
}

#[test]
fn prune_keeps_what_baselines_need() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    std::fs::write(dir.join("matrix.toml"), matrix("tiny")).unwrap();
    let first = edgebench(dir, &["run", "matrix.toml"]);
    assert!(first.status.success(), "{}", text(&first));
    // The model behind the name changed: a new recipe file.
    std::fs::write(dir.join("matrix.toml"), matrix("small")).unwrap();
    let second = edgebench(dir, &["run", "matrix.toml"]);
    assert!(second.status.success(), "{}", text(&second));
    let ids = run_ids(dir);
    assert_eq!(ids.len(), 2);

    let listing = json(dir, &["runs", "artifacts", "list", "--json"]);
    let entries = listing["entries"].as_array().unwrap();
    // One agent, two recipe files.
    assert_eq!(entries.len(), 3, "{listing}");
    let unneeded: Vec<&serde_json::Value> = entries
        .iter()
        .filter(|e| e["needed_by"].as_array().unwrap().is_empty())
        .collect();
    assert_eq!(
        unneeded.len(),
        1,
        "only the first run's recipe file: {listing}"
    );
    let old_recipe = unneeded[0]["sha256"].as_str().unwrap().to_owned();

    // A tag protects the first run's files.
    let tag = edgebench(dir, &["runs", "tag", &ids[0], "before-export"]);
    assert!(tag.status.success(), "{}", text(&tag));
    let dry = json(
        dir,
        &["runs", "artifacts", "prune", "--keep-days", "0", "--json"],
    );
    assert_eq!(dry["removed"].as_array().unwrap().len(), 0, "{dry}");

    let untag = edgebench(dir, &["runs", "untag", "before-export"]);
    assert!(untag.status.success(), "{}", text(&untag));
    let dry = json(
        dir,
        &[
            "runs",
            "artifacts",
            "prune",
            "--keep-days",
            "0",
            "--dry-run",
            "--json",
        ],
    );
    assert_eq!(dry["removed"][0]["sha256"], old_recipe.as_str(), "{dry}");
    assert!(dir.join("runs/artifacts").join(&old_recipe).exists());
    // Files used within the kept days stay.
    let recent = json(
        dir,
        &["runs", "artifacts", "prune", "--keep-days", "30", "--json"],
    );
    assert_eq!(recent["removed"].as_array().unwrap().len(), 0, "{recent}");
    let pruned = edgebench(dir, &["runs", "artifacts", "prune", "--keep-days", "0"]);
    assert!(pruned.status.success(), "{}", text(&pruned));
    assert!(
        String::from_utf8_lossy(&pruned.stdout).contains("removed 1 files"),
        "{}",
        text(&pruned)
    );
    assert!(!dir.join("runs/artifacts").join(&old_recipe).exists());

    // The pruned run as a baseline: not comparable, saying why.
    let gated = edgebench(
        dir,
        &[
            "run",
            "matrix.toml",
            "--baseline",
            &ids[0],
            "--blocks",
            "7",
            "--reps",
            "1",
        ],
    );
    assert_eq!(gated.status.code(), Some(5), "{}", text(&gated));
    let out = String::from_utf8_lossy(&gated.stdout);
    assert!(
        out.contains("NOT COMPARABLE") && out.contains("no longer in the artifact store"),
        "{}",
        text(&gated)
    );
}
