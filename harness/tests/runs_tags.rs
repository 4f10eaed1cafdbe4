//! `edgebench runs list|tag|untag` as the built binary, over runs stored
//! without measuring anything.

use std::path::Path;

use edgebench::store::{RunStatus, Store};

mod store_support;
mod support;
use store_support::{run_row, stored_run};
use support::*;

/// Runs `edgebench runs SUBCOMMAND --runs-dir ROOT ARGS…` (`args[0]` is
/// the subcommand).
fn runs(root: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["runs", args[0], "--runs-dir", root.to_str().unwrap()];
    all.extend_from_slice(&args[1..]);
    edgebench(&all)
}

/// Runs it and expects success; its stdout.
fn ok(root: &Path, args: &[&str]) -> String {
    let o = runs(root, args);
    assert!(o.status.success(), "{args:?}\n{}", text(&o));
    stdout(&o)
}

/// Runs it and expects exit code 1 and one `Error:` line; its stderr.
fn fails(root: &Path, args: &[&str]) -> String {
    let o = runs(root, args);
    assert_eq!(o.status.code(), Some(1), "{args:?}\n{}", text(&o));
    let err = stderr(&o);
    assert!(err.starts_with("Error: "), "{err}");
    err
}

fn json(out: &str) -> serde_json::Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[test]
fn list_without_runs_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("runs");
    let out = ok(&root, &["list"]);
    assert!(out.starts_with("no runs in "), "{out}");
    let v = json(&ok(&root, &["list", "--json", "--matrix", "m"]));
    assert_eq!(v["total"], 0);
    assert_eq!(v["matrix"], "m");
    assert_eq!(v["runs"], serde_json::json!([]));
    assert!(!root.exists(), "listing made the runs directory");
    let err = fails(&root, &["tag", "latest", "nightly"]);
    assert!(err.contains("no results database at"), "{err}");
}

#[test]
fn list_shows_runs_newest_first_with_cells_and_tags() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let a = stored_run(root, "alpha", 3, RunStatus::Finished);
    let b = stored_run(root, "beta-matrix", 1, RunStatus::Interrupted);
    let c = stored_run(root, "alpha", 2, RunStatus::Finished);
    ok(root, &["tag", &a, "first"]);
    ok(root, &["tag", &a, "v1"]);

    let out = ok(root, &["list"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 5, "{out}");
    assert!(
        lines[0].starts_with("id ") && lines[0].ends_with("tags"),
        "{out}"
    );
    for (line, (id, matrix, status, cells, tags)) in lines[1..4].iter().zip([
        (&c, "alpha", "finished", "2", ""),
        (&b, "beta-matrix", "interrupted", "1", ""),
        (&a, "alpha", "finished", "3", "first, v1"),
    ]) {
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(words[..3], [id.as_str(), matrix, status], "{line}");
        assert_eq!(words[4], cells, "{line}");
        assert_eq!(words[5..].join(" "), tags, "{line}");
        assert!(words[3].ends_with('Z'), "{line}");
    }
    assert!(lines[4].starts_with("3 of 3 runs in "), "{out}");

    let out = ok(root, &["list", "--matrix", "alpha", "--limit", "1"]);
    assert!(out.contains(&c) && !out.contains(&a), "{out}");
    assert!(out.contains("1 of 2 runs of matrix 'alpha'"), "{out}");
    let out = ok(root, &["list", "--matrix", "gamma"]);
    assert!(out.starts_with("no runs of matrix 'gamma' in "), "{out}");
}

#[test]
fn list_json_parses() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let a = stored_run(root, "alpha", 2, RunStatus::Finished);
    let b = stored_run(root, "alpha", 0, RunStatus::Running);
    ok(root, &["tag", &a, "nightly"]);
    let db = Store::default_path(root);
    // --store names the database explicitly.
    let v = json(&edgebench_ok(&[
        "runs",
        "list",
        "--json",
        "--limit",
        "0",
        "--store",
        db.to_str().unwrap(),
    ]));
    assert_eq!(v["total"], 2);
    assert_eq!(v["store"], db.to_str().unwrap());
    let listed = v["runs"].as_array().unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0]["id"], b.as_str());
    assert_eq!(listed[0]["status"], "running");
    assert_eq!(listed[0]["finished"], serde_json::Value::Null);
    assert_eq!(listed[1]["id"], a.as_str());
    assert_eq!(listed[1]["matrix_name"], "alpha");
    assert_eq!(listed[1]["status"], "finished");
    assert_eq!(listed[1]["cells"], 2);
    assert_eq!(listed[1]["tags"], serde_json::json!(["nightly"]));
    assert!(listed[1]["started"].as_str().unwrap().ends_with('Z'));
}

fn edgebench_ok(args: &[&str]) -> String {
    let o = edgebench(args);
    assert!(o.status.success(), "{args:?}\n{}", text(&o));
    stdout(&o)
}

#[test]
fn tag_retag_and_untag() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let a = stored_run(root, "alpha", 1, RunStatus::Finished);
    let b = stored_run(root, "alpha", 1, RunStatus::Finished);

    let out = ok(root, &["tag", &a, "nightly"]);
    assert_eq!(out, format!("tag nightly names {a} (alpha)\n"));
    let out = ok(root, &["tag", "nightly", "nightly"]);
    assert_eq!(out, format!("tag nightly already names {a} (alpha)\n"));
    let out = ok(root, &["tag", "latest", "nightly"]);
    assert_eq!(out, format!("tag nightly moved from {a} to {b} (alpha)\n"));
    let v = json(&ok(root, &["tag", &a, "nightly", "--json"]));
    assert_eq!(
        v,
        serde_json::json!({
            "name": "nightly", "run_id": a, "outcome": "moved", "moved_from": b
        })
    );

    let v = json(&ok(root, &["untag", "nightly", "--json"]));
    assert_eq!(v["name"], "nightly");
    assert_eq!(v["run_id"], a.as_str());
    assert!(!ok(root, &["list"]).contains("nightly"));
    ok(root, &["tag", &b, "v1"]);
    assert_eq!(
        ok(root, &["untag", "v1"]),
        format!("removed tag v1 (it named {b})\n")
    );
    let err = fails(root, &["untag", "v1"]);
    assert!(err.contains("no tag 'v1' (there are no tags)"), "{err}");
}

#[test]
fn bad_tag_names_are_refused_before_anything_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("nothing-here");
    let long = "x".repeat(65);
    for (name, why) in [
        ("latest", "'latest' always means the newest finished run"),
        ("-f", "it starts with '-'"),
        ("a b", "it holds other characters"),
        ("x/y", "it holds other characters"),
        ("123456", "it looks like a run id"),
        ("20260601T1015", "it looks like a run id"),
        (long.as_str(), "it is longer than 64 characters"),
    ] {
        let err = fails(&root, &["tag", "latest", "--", name]);
        assert!(
            err.contains(&format!("'{name}' cannot be a tag name: {why}")),
            "{name}: {err}"
        );
    }
    assert!(!root.exists());
}

#[test]
fn latest_ignores_unfinished_runs() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    stored_run(root, "alpha", 1, RunStatus::Interrupted);
    let err = fails(root, &["tag", "latest", "base"]);
    assert!(err.contains("no finished run for 'latest'"), "{err}");
    assert!(err.contains("(interrupted)"), "{err}");

    let a = stored_run(root, "alpha", 1, RunStatus::Finished);
    stored_run(root, "beta", 1, RunStatus::Interrupted);
    stored_run(root, "alpha", 0, RunStatus::Failed);
    stored_run(root, "alpha", 0, RunStatus::Running);
    let out = ok(root, &["tag", "latest", "base"]);
    assert_eq!(out, format!("tag base names {a} (alpha)\n"));
}

#[test]
fn prefixes_resolve_when_unique() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    {
        let store = Store::open(&Store::default_path(root)).unwrap();
        for id in [
            "20260601T101500.000Z-aaaaaa",
            "20260601T101501.000Z-bbbbbb",
            "20260602T080000.000Z-cccccc",
        ] {
            run_row(&store, id, "m", RunStatus::Finished);
        }
    }
    let out = ok(root, &["tag", "20260602", "june2"]);
    assert_eq!(out, "tag june2 names 20260602T080000.000Z-cccccc (m)\n");
    let out = ok(root, &["tag", "20260601T101500", "first"]);
    assert_eq!(out, "tag first names 20260601T101500.000Z-aaaaaa (m)\n");

    let err = fails(root, &["tag", "20260601", "x"]);
    assert!(
        err.contains(
            "'20260601' is the start of 2 run ids: 20260601T101501.000Z-bbbbbb, \
             20260601T101500.000Z-aaaaaa; give more of the id"
        ),
        "{err}"
    );
    let err = fails(root, &["tag", "20260", "x"]);
    assert!(err.contains("no run '20260'"), "{err}");
    let err = fails(root, &["tag", "nope", "x"]);
    assert!(
        err.contains("latest runs: 20260602T080000.000Z-cccccc (finished)")
            && err.contains("tags: first (20260601T101500.000Z-aaaaaa), june2"),
        "{err}"
    );
}

#[test]
fn help_names_the_commands_and_the_references() {
    let o = edgebench(&["runs", "--help"]);
    assert!(o.status.success(), "{}", text(&o));
    let help = stdout(&o);
    for needle in ["list", "tag", "untag"] {
        assert!(help.contains(needle), "{needle:?} missing in\n{help}");
    }
    for (cmd, needles) in [
        (
            "list",
            &[
                "--matrix",
                "--limit",
                "--json",
                "--runs-dir",
                "--store",
                "Examples:",
            ][..],
        ),
        (
            "tag",
            &["latest", "6 or more", "--runs-dir", "--store", "Examples:"][..],
        ),
        ("untag", &["NAME", "--runs-dir", "Examples:"][..]),
    ] {
        let o = edgebench(&["runs", cmd, "--help"]);
        assert!(o.status.success(), "{}", text(&o));
        let help = stdout(&o);
        for needle in needles {
            assert!(
                help.contains(needle),
                "{cmd}: {needle:?} missing in\n{help}"
            );
        }
    }
}
