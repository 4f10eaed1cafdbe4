//! Tags of stored runs and the resolution of a run reference: `latest`, a
//! tag, a run id, a prefix of one, and every error.

mod store_support;

use edgebench::store::{MIGRATIONS, RunStatus, SCHEMA_VERSION, Store, StoreError, TagOutcome};
use store_support::{run_row, stored_run};

fn open(root: &std::path::Path) -> Store {
    Store::open(&Store::default_path(root)).unwrap()
}

#[test]
fn tags_are_created_moved_listed_and_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let a = stored_run(dir.path(), "m", 2, RunStatus::Finished);
    let b = stored_run(dir.path(), "m", 1, RunStatus::Finished);
    let mut store = open(dir.path());

    assert_eq!(store.tag_run("nightly", &a).unwrap(), TagOutcome::Created);
    assert_eq!(store.tag_run("nightly", &a).unwrap(), TagOutcome::Unchanged);
    assert_eq!(store.tag_run("v1", &a).unwrap(), TagOutcome::Created);
    assert_eq!(
        store.tag_run("nightly", &b).unwrap(),
        TagOutcome::Moved { from: a.clone() }
    );
    let tags = store.tags().unwrap();
    let pairs: Vec<(&str, &str)> = tags
        .iter()
        .map(|t| (t.name.as_str(), t.run_id.as_str()))
        .collect();
    assert_eq!(pairs, vec![("nightly", b.as_str()), ("v1", a.as_str())]);
    assert!(tags.iter().all(|t| t.created.ends_with('Z')));
    let names = |run: &str| -> Vec<String> {
        store
            .tags_of(run)
            .unwrap()
            .into_iter()
            .map(|t| t.name)
            .collect()
    };
    assert_eq!(names(&a), vec!["v1"]);
    assert_eq!(names(&b), vec!["nightly"]);

    let listed = store.run_summaries(None, None).unwrap();
    assert_eq!(listed[0].id, b);
    assert_eq!((listed[0].cells, listed[0].tags.clone()), (1, names(&b)));
    assert_eq!((listed[1].cells, listed[1].tags.clone()), (2, names(&a)));

    let removed = store.delete_tag("v1").unwrap();
    assert_eq!(
        (removed.name.as_str(), removed.run_id.as_str()),
        ("v1", a.as_str())
    );
    assert!(names(&a).is_empty());
    let err = store.delete_tag("v1").unwrap_err();
    assert!(matches!(err, StoreError::UnknownTag { .. }), "{err:?}");
    assert_eq!(err.to_string(), "no tag 'v1' (tags: nightly)");
}

#[test]
fn a_bad_name_or_an_unknown_run_tags_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let a = stored_run(dir.path(), "m", 0, RunStatus::Finished);
    let mut store = open(dir.path());
    for bad in ["", "latest", "-f", "a b", "123456", &"x".repeat(65)] {
        let err = store.tag_run(bad, &a).unwrap_err();
        assert!(
            matches!(err, StoreError::BadTagName { .. }),
            "{bad}: {err:?}"
        );
    }
    let err = store
        .tag_run("nightly", "20000101T000000.000Z-000000")
        .unwrap_err();
    assert!(matches!(err, StoreError::RunNotInStore { .. }), "{err:?}");
    assert!(
        err.to_string().contains("20000101T000000.000Z-000000"),
        "{err}"
    );
    assert!(store.tags().unwrap().is_empty());
}

#[test]
fn latest_is_the_newest_finished_run_of_the_matrix() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let a1 = stored_run(root, "a", 1, RunStatus::Finished);
    let a2 = stored_run(root, "a", 1, RunStatus::Finished);
    let _a3 = stored_run(root, "a", 1, RunStatus::Interrupted);
    let b1 = stored_run(root, "b", 1, RunStatus::Finished);
    let _b2 = stored_run(root, "b", 0, RunStatus::Failed);
    let _b3 = stored_run(root, "b", 0, RunStatus::Running);
    let store = open(root);
    assert_eq!(store.resolve_run("latest", Some("a")).unwrap().id, a2);
    assert_eq!(store.resolve_run("latest", Some("b")).unwrap().id, b1);
    assert_eq!(store.resolve_run("latest", None).unwrap().id, b1);
    assert_eq!(
        store.latest_run(Some("a"), Some(&a2)).unwrap().unwrap().id,
        a1
    );
}

#[test]
fn latest_without_a_finished_run_lists_the_runs_there_are() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let ids: Vec<String> = (0..6)
        .map(|_| stored_run(root, "a", 0, RunStatus::Interrupted))
        .collect();
    let mut store = open(root);
    store.tag_run("kept", &ids[0]).unwrap();
    let err = store.resolve_run("latest", Some("a")).unwrap_err();
    let StoreError::RunNotResolved { recent, tags, .. } = &err else {
        panic!("{err:?}")
    };
    // The five newest, newest first.
    let expected: Vec<String> = ids[1..]
        .iter()
        .rev()
        .map(|id| format!("{id} (interrupted)"))
        .collect();
    assert_eq!(recent, &expected);
    assert_eq!(tags, &[format!("kept ({})", ids[0])]);
    let msg = err.to_string();
    assert!(
        msg.starts_with("no finished run of matrix 'a' for 'latest'; latest runs of matrix 'a': "),
        "{msg}"
    );
    assert!(msg.contains(&format!("tags: kept ({})", ids[0])), "{msg}");

    let err = store.resolve_run("latest", Some("other")).unwrap_err();
    assert!(
        err.to_string()
            .contains("there are no runs of matrix 'other'"),
        "{err}"
    );
    let empty = tempfile::tempdir().unwrap();
    let err = open(empty.path()).resolve_run("latest", None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no finished run for 'latest'; there are no runs; there are no tags"
    );
}

#[test]
fn tags_ids_and_prefixes_resolve_whatever_the_matrix() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let a = stored_run(root, "a", 1, RunStatus::Interrupted);
    let b = stored_run(root, "b", 1, RunStatus::Finished);
    let mut store = open(root);
    store.tag_run("base", &a).unwrap();
    assert_eq!(store.resolve_run("base", Some("b")).unwrap().id, a);
    assert_eq!(store.resolve_run(&b, Some("a")).unwrap().id, b);
    // The time part of an id is unique among the runs of one process.
    assert_eq!(store.resolve_run(&a[..20], None).unwrap().id, a);
    let run = store.resolve_run(&b[..21], None).unwrap();
    assert_eq!((run.id, run.matrix_name), (b, "b".to_owned()));
}

#[test]
fn an_ambiguous_prefix_lists_its_candidates() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let ids = [
        "20260601T101500.000Z-aaaaaa",
        "20260601T101501.000Z-bbbbbb",
        "20260602T080000.000Z-cccccc",
    ];
    for id in ids {
        run_row(&store, id, "m", RunStatus::Finished);
    }
    let err = store.resolve_run("20260601", None).unwrap_err();
    let StoreError::AmbiguousRunPrefix { candidates, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(candidates, &[ids[1], ids[0]]);
    assert_eq!(
        err.to_string(),
        format!(
            "'20260601' is the start of 2 run ids: {}, {}; give more of the id",
            ids[1], ids[0]
        )
    );
    assert_eq!(store.resolve_run("20260602", None).unwrap().id, ids[2]);
    assert_eq!(
        store.resolve_run("20260601T101501", None).unwrap().id,
        ids[1]
    );
}

#[test]
fn nothing_found_says_what_was_looked_for() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    run_row(
        &store,
        "20260601T101500.000Z-aaaaaa",
        "m",
        RunStatus::Finished,
    );
    // Shorter than a prefix may be, and an id-like text no run has.
    for reference in [
        "20260",
        "20270101",
        "nightly",
        "20260601T101500.000Z-aaaaab",
    ] {
        let err = store.resolve_run(reference, Some("m")).unwrap_err();
        assert!(matches!(err, StoreError::RunNotResolved { .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            format!(
                "no run '{reference}': it is not a tag, a run id or the start of one (at least \
                 6 characters); latest runs of matrix 'm': 20260601T101500.000Z-aaaaaa \
                 (finished); there are no tags"
            )
        );
    }
}

#[test]
fn a_version_3_database_gains_tags_that_go_with_their_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v3.sqlite");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        for m in &MIGRATIONS[..3] {
            conn.execute_batch(m.sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 3).unwrap();
        conn.execute(
            "INSERT INTO runs VALUES ('r1', 'm', '2025-01-01T00:00:00.000Z', NULL,
             'finished', '')",
            [],
        )
        .unwrap();
    }
    let mut store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(store.tag_run("old", "r1").unwrap(), TagOutcome::Created);
    assert_eq!(store.resolve_run("old", None).unwrap().id, "r1");
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "foreign_keys", true).unwrap();
    conn.execute("DELETE FROM runs WHERE id = 'r1'", [])
        .unwrap();
    let left: i64 = conn
        .query_row("SELECT count(*) FROM tags", [], |r| r.get(0))
        .unwrap();
    assert_eq!(left, 0, "a removed run's tags go with it");
}
