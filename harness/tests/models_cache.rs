//! `edgebench models cache list|prune` as the built binary: the entries a
//! run leaves, with sizes, and pruning them by age.

use std::path::Path;

use edgebench::matrix::sha256_file;
use edgebench::recipe_files::RecipeCache;
use edgebench_kernels::synth::{self, Preset};

mod support;
use support::*;

/// A runs directory holding a synthetic model and its q8_0 and q4_0
/// recipe files, as a run leaves them.
fn runs_dir(root: &Path) -> std::path::PathBuf {
    let runs = root.join("runs");
    let models = runs.join("models");
    std::fs::create_dir_all(&models).unwrap();
    let src = models.join("synthetic-tiny-5.gguf");
    synth::write(Preset::Tiny, 5, &src).unwrap();
    let sha = sha256_file(&src).unwrap();
    let cache = RecipeCache::in_runs_dir(&runs);
    for r in ["q8_0", "q4_0"] {
        cache
            .get_or_make(&src, &sha, &r.parse().unwrap(), &())
            .unwrap();
    }
    runs
}

#[test]
fn list_shows_every_entry_with_its_size() {
    let dir = tempfile::tempdir().unwrap();
    let runs = runs_dir(dir.path());
    let r = runs.to_str().unwrap();
    let o = edgebench(&["models", "cache", "list", "--runs-dir", r]);
    assert!(o.status.success(), "{}", text(&o));
    let out = stdout(&o);
    for needle in [
        "recipe",
        "q8_0 of sha256:",
        "q4_0 of sha256:",
        "synthetic-tiny-5.gguf",
    ] {
        assert!(out.contains(needle), "{needle:?} missing in\n{out}");
    }
    assert!(out.contains("3 entries"), "{out}");

    let o = edgebench(&["models", "cache", "list", "--runs-dir", r, "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let entries = v["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3, "{v}");
    let total: u64 = entries.iter().map(|e| e["bytes"].as_u64().unwrap()).sum();
    assert_eq!(v["total_bytes"], total);
    assert!(
        entries
            .iter()
            .all(|e| e["last_used"].as_str().unwrap().ends_with('Z'))
    );

    // An empty or absent cache is not an error.
    let o = edgebench(&["models", "cache", "list", "--runs-dir", "/nonexistent/runs"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(stdout(&o).contains("0 entries"), "{}", text(&o));
}

#[test]
fn prune_removes_only_what_is_older_than_asked() {
    let dir = tempfile::tempdir().unwrap();
    let runs = runs_dir(dir.path());
    let r = runs.to_str().unwrap();
    let prune = |extra: &[&str]| {
        let mut args = vec!["models", "cache", "prune", "--runs-dir", r];
        args.extend(extra);
        edgebench(&args)
    };
    let o = prune(&["--keep-days", "30"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(stdout(&o).contains("removed 0 entries"), "{}", text(&o));

    std::thread::sleep(std::time::Duration::from_millis(20));
    let o = prune(&["--keep-days", "0", "--dry-run"]);
    assert!(
        stdout(&o).contains("would remove 3 entries"),
        "{}",
        text(&o)
    );
    assert!(runs.join("models/synthetic-tiny-5.gguf").exists());

    let o = prune(&["--keep-days", "0", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v["removed"].as_array().unwrap().len(), 3, "{v}");
    assert_eq!(v["kept"], 0);
    let left: Vec<_> = std::fs::read_dir(runs.join("models/recipes"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "{left:?}");

    // Bad input: a usage error, nothing removed.
    for bad in [&["--keep-days", "-1"][..], &[], &["--keep-days", "lots"]] {
        let o = prune(bad);
        assert_eq!(o.status.code(), Some(2), "{bad:?}: {}", text(&o));
        assert!(stderr(&o).contains("--keep-days"), "{}", text(&o));
    }
}

#[test]
fn help_names_the_actions_and_the_cache() {
    let o = edgebench(&["models", "cache", "--help"]);
    assert!(o.status.success());
    let help = stdout(&o);
    for needle in [
        "list",
        "prune",
        "RUNS_DIR/models/recipes",
        "--runs-dir",
        "Examples:",
    ] {
        assert!(help.contains(needle), "{needle:?} missing in\n{help}");
    }
}
