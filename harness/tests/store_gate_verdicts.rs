//! The regression gate's verdicts in the store: recorded per gated run,
//! queried for trend marks and canary false alarms, migrated into a
//! version-4 database.

use edgebench::store::{GateVerdict, MIGRATIONS, SCHEMA_VERSION, Store, StoreError};

fn verdict(cell: &str, canary: bool, metric: &str, v: &str) -> GateVerdict {
    GateVerdict {
        cell_id: cell.to_owned(),
        canary,
        metric: metric.to_owned(),
        verdict: v.to_owned(),
        change_pct: Some(-6.5),
        ci_low_pct: Some(-9.0),
        ci_high_pct: None,
        p: Some(1e-4),
        p_confirm: Some(2e-3),
        blocks: 15,
        invalid_blocks: 2,
        reason: None,
    }
}

/// A version-4 database with runs `n1`..`n3` of matrix `nightly` and one
/// run of another matrix.
fn v4_store(dir: &std::path::Path) -> Store {
    let path = dir.join("v4.sqlite");
    let conn = rusqlite::Connection::open(&path).unwrap();
    for m in &MIGRATIONS[..4] {
        conn.execute_batch(m.sql).unwrap();
    }
    conn.pragma_update(None, "user_version", 4).unwrap();
    for (id, matrix, day) in [
        ("n1", "nightly", 1),
        ("n2", "nightly", 2),
        ("n3", "nightly", 3),
        ("o1", "other", 2),
    ] {
        conn.execute(
            "INSERT INTO runs VALUES (?1, ?2, ?3, NULL, 'finished', '')",
            rusqlite::params![id, matrix, format!("2026-12-0{day}T02:00:00.000Z")],
        )
        .unwrap();
    }
    drop(conn);
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    store
}

#[test]
fn verdicts_are_recorded_per_run_and_replaced_whole() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = v4_store(dir.path());
    let first = [
        verdict("c1", false, "decode_tps_median", "REGRESSED"),
        verdict("c1", true, "decode_tps_median", "UNCHANGED"),
        verdict("c2", false, "*", "NOT COMPARABLE"),
    ];
    store.record_gate("n2", "n1", &first).unwrap();
    let back = store.gate_verdicts("n2").unwrap();
    assert_eq!(back.len(), 3);
    assert_eq!(back[0].baseline_run, "n1");
    assert_eq!(back[0].started, "2026-12-02T02:00:00.000Z");
    let got: Vec<&GateVerdict> = back.iter().map(|r| &r.verdict).collect();
    assert_eq!(got, [&first[0], &first[1], &first[2]]);
    // Recording again replaces the run's verdicts.
    store
        .record_gate(
            "n2",
            "n1",
            &[verdict("c1", false, "peak_rss_kib", "IMPROVED")],
        )
        .unwrap();
    assert_eq!(store.gate_verdicts("n2").unwrap().len(), 1);
    // A run the store does not hold is refused by name.
    let e = store.record_gate("nope", "n1", &first).unwrap_err();
    assert!(
        matches!(e, StoreError::RunNotInStore { ref run_id, .. } if run_id == "nope"),
        "{e}"
    );
}

#[test]
fn confirmed_changes_and_canaries_over_the_nights() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = v4_store(dir.path());
    store
        .record_gate(
            "n2",
            "n1",
            &[
                verdict("c1", false, "decode_tps_median", "REGRESSED"),
                verdict("c1", false, "e2e_median_s", "SUSPECT"),
                verdict("c1", true, "decode_tps_median", "IMPROVED"),
                verdict("c1", true, "e2e_median_s", "UNCHANGED"),
            ],
        )
        .unwrap();
    store
        .record_gate(
            "n3",
            "n2",
            &[
                verdict("c1", false, "decode_tps_median", "IMPROVED"),
                verdict("c2", false, "decode_tps_median", "REGRESSED"),
                verdict("c2", true, "decode_tps_median", "UNCHANGED"),
            ],
        )
        .unwrap();
    store
        .record_gate(
            "o1",
            "n1",
            &[verdict("c1", true, "decode_tps_median", "REGRESSED")],
        )
        .unwrap();
    let marks = store.confirmed_changes(&["c1"]).unwrap();
    let got: Vec<(&str, &str, &str)> = marks
        .iter()
        .map(|m| {
            (
                m.run_id.as_str(),
                m.verdict.metric.as_str(),
                m.verdict.verdict.as_str(),
            )
        })
        .collect();
    // Suspects and canaries are not marks; oldest run first.
    assert_eq!(
        got,
        [
            ("n2", "decode_tps_median", "REGRESSED"),
            ("n3", "decode_tps_median", "IMPROVED")
        ]
    );
    // Canaries of this matrix only, up to a run's start.
    let all = store
        .canary_verdicts("nightly", "2026-12-03T02:00:00.000Z")
        .unwrap();
    assert_eq!(all.len(), 3);
    assert!(all.iter().all(|r| r.verdict.canary && r.run_id != "o1"));
    let until_n2 = store
        .canary_verdicts("nightly", "2026-12-02T02:00:00.000Z")
        .unwrap();
    assert_eq!(until_n2.len(), 2);
    assert!(until_n2.iter().all(|r| r.run_id == "n2"));
}
