//! The SQLite schema as an ordered list of migrations. The database's
//! `PRAGMA user_version` is the number of migrations applied; opening a
//! database applies the missing ones in order, each in its own transaction,
//! and refuses a database from a newer edgebench.
//!
//! Migrations are never edited once released: a change of schema is a new
//! migration appended to [`MIGRATIONS`].

/// One step of the schema.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// The `user_version` after this step (1-based, consecutive).
    pub version: i64,
    /// What it changes.
    pub description: &'static str,
    /// The statements, run as one batch.
    pub sql: &'static str,
}

/// Every migration, oldest first.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "runs, cells and results",
        sql: "
CREATE TABLE runs (
    id          TEXT PRIMARY KEY,
    matrix_name TEXT NOT NULL,
    started     TEXT NOT NULL,
    finished    TEXT,
    status      TEXT NOT NULL,
    matrix_text TEXT NOT NULL
);
CREATE TABLE cells (
    run_id   TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    cell_id  TEXT NOT NULL,
    device   TEXT NOT NULL,
    model    TEXT NOT NULL,
    recipe   TEXT NOT NULL,
    workload TEXT NOT NULL,
    status   TEXT NOT NULL,
    PRIMARY KEY (run_id, cell_id)
);
CREATE TABLE results (
    run_id            TEXT NOT NULL,
    cell_id           TEXT NOT NULL,
    result_json       TEXT NOT NULL,
    ttft_median_s     REAL,
    decode_tps_median REAL,
    e2e_median_s      REAL,
    peak_rss_kib      INTEGER,
    energy_j_median   REAL,
    PRIMARY KEY (run_id, cell_id),
    FOREIGN KEY (run_id, cell_id) REFERENCES cells(run_id, cell_id) ON DELETE CASCADE
);
",
    },
    Migration {
        version: 2,
        description: "more indexed metrics, trend and baseline indexes, accuracy cache",
        sql: "
ALTER TABLE results ADD COLUMN prefill_tps_median REAL;
ALTER TABLE results ADD COLUMN decode_mj_per_token_median REAL;
ALTER TABLE results ADD COLUMN recipe_bytes INTEGER;
ALTER TABLE results ADD COLUMN ppl_delta_pct REAL;
UPDATE results SET
    prefill_tps_median = json_extract(result_json, '$.latency.prefill_tps.median'),
    decode_mj_per_token_median =
        json_extract(result_json, '$.energy.decode_mj_per_token.median'),
    recipe_bytes = json_extract(result_json, '$.model.recipe_bytes'),
    ppl_delta_pct = json_extract(result_json, '$.accuracy.ppl_delta_pct');
CREATE INDEX results_by_cell ON results(cell_id);
CREATE INDEX runs_by_matrix ON runs(matrix_name, started);
CREATE TABLE accuracy_cache (
    model_sha256 TEXT NOT NULL,
    recipe       TEXT NOT NULL,
    reference    TEXT NOT NULL,
    text_sha256  TEXT NOT NULL,
    ctx          INTEGER NOT NULL,
    windows      INTEGER NOT NULL,
    report_json  TEXT NOT NULL,
    created      TEXT NOT NULL,
    PRIMARY KEY (model_sha256, recipe, reference, text_sha256, ctx, windows)
);
",
    },
    Migration {
        version: 3,
        description: "accuracy cached by recipe file and reference file",
        sql: "
DROP TABLE accuracy_cache;
CREATE TABLE accuracy_by_file (
    file_sha256      TEXT NOT NULL,
    reference_sha256 TEXT NOT NULL,
    recipe           TEXT NOT NULL,
    reference        TEXT NOT NULL,
    text_sha256      TEXT NOT NULL,
    ctx              INTEGER NOT NULL,
    windows          INTEGER NOT NULL,
    report_json      TEXT NOT NULL,
    created          TEXT NOT NULL,
    PRIMARY KEY (file_sha256, reference_sha256, text_sha256, ctx, windows)
);
",
    },
    Migration {
        version: 4,
        description: "tags: names for runs",
        sql: "
CREATE TABLE tags (
    name    TEXT PRIMARY KEY,
    run_id  TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    created TEXT NOT NULL
);
CREATE INDEX tags_by_run ON tags(run_id);
",
    },
    Migration {
        version: 5,
        description: "the regression gate's verdicts per gated run",
        sql: "
CREATE TABLE gate_verdicts (
    run_id         TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    baseline_run   TEXT NOT NULL,
    cell_id        TEXT NOT NULL,
    canary         INTEGER NOT NULL,
    metric         TEXT NOT NULL,
    verdict        TEXT NOT NULL,
    change_pct     REAL,
    ci_low_pct     REAL,
    ci_high_pct    REAL,
    p              REAL,
    p_confirm      REAL,
    blocks         INTEGER NOT NULL,
    invalid_blocks INTEGER NOT NULL,
    reason         TEXT,
    PRIMARY KEY (run_id, cell_id, canary, metric)
);
CREATE INDEX gate_verdicts_by_cell ON gate_verdicts(cell_id);
",
    },
    Migration {
        version: 6,
        description: "runtimes: per cell, and accuracy cached per runtime",
        sql: "
ALTER TABLE cells ADD COLUMN runtime TEXT NOT NULL DEFAULT 'edgebench';
CREATE TABLE accuracy_by_runtime (
    file_sha256      TEXT NOT NULL,
    reference_sha256 TEXT NOT NULL,
    recipe           TEXT NOT NULL,
    reference        TEXT NOT NULL,
    text_sha256      TEXT NOT NULL,
    ctx              INTEGER NOT NULL,
    windows          INTEGER NOT NULL,
    runtime          TEXT NOT NULL,
    report_json      TEXT NOT NULL,
    created          TEXT NOT NULL,
    PRIMARY KEY (file_sha256, reference_sha256, text_sha256, ctx, windows, runtime)
);
INSERT INTO accuracy_by_runtime
    SELECT file_sha256, reference_sha256, recipe, reference, text_sha256, ctx, windows,
           'edgebench', report_json, created
    FROM accuracy_by_file;
DROP TABLE accuracy_by_file;
",
    },
];

/// The schema version this build creates and reads.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_consecutive() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as i64 + 1, "{}", m.description);
        }
    }
}
