//! The SQLite store: migrations from an older database, refusal of a newer
//! one, connection settings, the accuracy cache, trend and baseline queries.

mod store_support;

use edgebench::store::{
    AccuracyKey, MIGRATIONS, Metric, RunStatus, SCHEMA_VERSION, Store, StoreError,
};
use edgebench_schema::Runtime;
use rand::SeedableRng;
use rand::rngs::StdRng;
use store_support::{accuracy, cell_id, meta, new_run, result};

#[test]
fn a_version_1_database_is_migrated_and_keeps_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite");
    let r = result(0, 7);
    {
        // A database as the first release wrote it.
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(MIGRATIONS[0].sql).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute(
            "INSERT INTO runs VALUES ('r1', 'old-matrix', '2025-01-01T00:00:00.000Z', NULL,
             'finished', 'name = \"old\"')",
            [],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO cells VALUES ('r1', ?1, 'local', 'tiny', 'f32', 't1-p16-g8', 'ok')",
            [&r.cell_id],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO results (run_id, cell_id, result_json, decode_tps_median)
             VALUES ('r1', ?1, ?2, ?3)",
            rusqlite::params![r.cell_id, r.to_json(), Metric::DecodeTpsMedian.of(&r)],
        )
        .unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(SCHEMA_VERSION, 6);
    assert_eq!(store.run_results("r1").unwrap(), vec![r.clone()]);
    let run = store.run("r1").unwrap().unwrap();
    assert_eq!(
        (run.matrix_name.as_str(), run.status),
        ("old-matrix", RunStatus::Finished)
    );
    // Columns added by migration 2 are filled from the stored JSON.
    for metric in [
        Metric::PrefillTpsMedian,
        Metric::DecodeMjPerTokenMedian,
        Metric::RecipeBytes,
        Metric::PplDeltaPct,
    ] {
        let trend = store.trend(&[&r.cell_id], metric).unwrap();
        let points = &trend[&r.cell_id];
        assert_eq!(points.len(), 1, "{metric:?}");
        assert_eq!(Some(points[0].value), metric.of(&r), "{metric:?}");
    }
    // The accuracy cache exists now.
    let key = key();
    assert_eq!(store.accuracy().get(&key).unwrap(), None);
    // Opening again changes nothing.
    drop(store);
    assert_eq!(
        Store::open(&path).unwrap().schema_version().unwrap(),
        SCHEMA_VERSION
    );
}

#[test]
fn accuracy_cached_before_runtimes_is_the_kernels() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v5.sqlite");
    let mut rng = StdRng::seed_from_u64(5);
    let report = accuracy(&mut rng);
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        for m in &MIGRATIONS[..5] {
            conn.execute_batch(m.sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 5).unwrap();
        let k = key();
        conn.execute(
            "INSERT INTO accuracy_by_file VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'then')",
            rusqlite::params![
                k.file_sha256,
                k.reference_sha256,
                k.recipe,
                k.reference,
                k.text_sha256,
                k.ctx,
                k.windows,
                serde_json::to_string(&report).unwrap()
            ],
        )
        .unwrap();
    }
    let store = Store::open(&path).unwrap();
    let cache = store.accuracy();
    assert_eq!(cache.get(&key()).unwrap(), Some(report.clone()));
    let llama = AccuracyKey {
        runtime: Runtime::LlamaCpp,
        ..key()
    };
    assert_eq!(cache.get(&llama).unwrap(), None);
    let mut other = report.clone();
    other.ppl += 1.0;
    other.runtime = Runtime::LlamaCpp;
    cache.put(&llama, &other).unwrap();
    assert_eq!(cache.get(&llama).unwrap(), Some(other));
    assert_eq!(cache.get(&key()).unwrap(), Some(report));
}

#[test]
fn a_database_of_a_newer_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.sqlite");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE future (x INTEGER);")
            .unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
    }
    let err = Store::open(&path).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::DatabaseTooNew {
                found,
                supported,
                ..
            } if found == SCHEMA_VERSION + 1 && supported == SCHEMA_VERSION
        ),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("new.sqlite")
            && msg.contains(&format!("schema version {}", SCHEMA_VERSION + 1))
            && msg.contains(&format!("up to {SCHEMA_VERSION}")),
        "{msg}"
    );
    let conn = rusqlite::Connection::open(&path).unwrap();
    let v: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(v, SCHEMA_VERSION + 1, "the newer database was left alone");
}

#[test]
fn a_file_that_is_not_a_database_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("junk.sqlite");
    std::fs::write(&path, vec![b'x'; 4096]).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::Sqlite { .. }), "{err:?}");
    assert!(err.to_string().contains("junk.sqlite"), "{err}");
}

#[test]
fn the_database_is_created_with_its_directory_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/dir/edgebench.sqlite");
    let _store = Store::open(&path).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let mode: String = conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    assert_eq!(
        Store::default_path(dir.path()),
        dir.path().join("edgebench.sqlite")
    );
}

fn key() -> AccuracyKey {
    AccuracyKey {
        file_sha256: "ab".repeat(32),
        reference_sha256: "12".repeat(32),
        recipe: "q4_0".into(),
        reference: "f32".into(),
        text_sha256: "cd".repeat(32),
        ctx: 64,
        windows: 4,
        runtime: Runtime::Edgebench,
    }
}

#[test]
fn accuracy_cache_hits_only_on_every_key_part() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("a.sqlite")).unwrap();
    let cache = store.accuracy();
    let mut rng = StdRng::seed_from_u64(3);
    let report = accuracy(&mut rng);
    assert_eq!(cache.get(&key()).unwrap(), None);
    cache.put(&key(), &report).unwrap();
    assert_eq!(cache.get(&key()).unwrap(), Some(report.clone()));

    let variants: Vec<(&str, AccuracyKey)> = vec![
        (
            "file",
            AccuracyKey {
                file_sha256: "ef".repeat(32),
                ..key()
            },
        ),
        (
            "reference file",
            AccuracyKey {
                reference_sha256: "34".repeat(32),
                ..key()
            },
        ),
        (
            "text",
            AccuracyKey {
                text_sha256: "00".repeat(32),
                ..key()
            },
        ),
        ("ctx", AccuracyKey { ctx: 128, ..key() }),
        (
            "windows",
            AccuracyKey {
                windows: 5,
                ..key()
            },
        ),
        (
            "runtime",
            AccuracyKey {
                runtime: Runtime::LlamaCpp,
                ..key()
            },
        ),
    ];
    for (part, k) in &variants {
        assert_eq!(cache.get(k).unwrap(), None, "a different {part} must miss");
    }
    // Accuracy belongs to the bytes: the same files under other recipe
    // names are the same entry.
    let renamed = AccuracyKey {
        recipe: "q4_0+token_embd=q4_0".into(),
        reference: "f32+output=f32".into(),
        ..key()
    };
    assert_eq!(cache.get(&renamed).unwrap(), Some(report.clone()));
    // Each variant is its own entry; a put replaces only its own key.
    let other = accuracy(&mut rng);
    cache.put(&variants[1].1, &other).unwrap();
    assert_eq!(cache.get(&variants[1].1).unwrap(), Some(other.clone()));
    assert_eq!(cache.get(&key()).unwrap(), Some(report));
    cache.put(&key(), &other).unwrap();
    assert_eq!(cache.get(&key()).unwrap(), Some(other));

    // Survives reopening.
    drop(store);
    let store = Store::open(&dir.path().join("a.sqlite")).unwrap();
    assert!(store.accuracy().get(&variants[1].1).unwrap().is_some());
}

#[test]
fn a_non_finite_accuracy_report_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("a.sqlite")).unwrap();
    let mut report = accuracy(&mut StdRng::seed_from_u64(1));
    report.ppl = f64::INFINITY;
    let err = store.accuracy().put(&key(), &report).unwrap_err();
    assert!(matches!(err, StoreError::StoredJson { .. }), "{err:?}");
    assert_eq!(store.accuracy().get(&key()).unwrap(), None);
}

#[test]
fn trends_and_the_latest_run_of_a_matrix() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let mut ids = Vec::new();
    for (seed, status) in [
        (1, RunStatus::Finished),
        (2, RunStatus::Finished),
        (3, RunStatus::Interrupted),
    ] {
        let mut run = new_run(root);
        for i in 0..3 {
            run.record(&result(i, seed), &meta(i)).unwrap();
        }
        run.finish(status).unwrap();
        ids.push(run.id().to_string());
    }
    let store = Store::open(&Store::default_path(root)).unwrap();
    let cells = [cell_id(0), cell_id(2), "absent".to_owned()];
    let cell_refs: Vec<&str> = cells.iter().map(String::as_str).collect();
    let trend = store.trend(&cell_refs, Metric::DecodeTpsMedian).unwrap();
    assert_eq!(trend.len(), 2, "the absent cell has no line");
    for cell in [0, 2] {
        let points = &trend[&cell_id(cell)];
        let runs: Vec<&str> = points.iter().map(|p| p.run_id.as_str()).collect();
        assert_eq!(runs, ids.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(points.windows(2).all(|w| w[0].started <= w[1].started));
        for (p, seed) in points.iter().zip([1, 2, 3]) {
            assert_eq!(
                Some(p.value),
                Metric::DecodeTpsMedian.of(&result(cell, seed))
            );
        }
    }

    let latest = store.latest_run(Some("store-test"), None).unwrap().unwrap();
    assert_eq!(latest.id, ids[1], "the interrupted run is not a baseline");
    assert_eq!(latest.matrix_text, store_support::MATRIX);
    let before = store
        .latest_run(Some("store-test"), Some(&ids[1]))
        .unwrap()
        .unwrap();
    assert_eq!(before.id, ids[0]);
    assert_eq!(store.latest_run(Some("another"), None).unwrap(), None);

    let runs = store.runs().unwrap();
    let listed: Vec<&str> = runs.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        listed,
        vec![ids[2].as_str(), ids[1].as_str(), ids[0].as_str()]
    );
    assert_eq!(store.run_results(&ids[0]).unwrap().len(), 3);
}
