//! Writing runs and results into the [`Store`], and re-syncing a run's rows
//! from its `results.jsonl`.

use std::collections::HashMap;

use rusqlite::{OptionalExtension, Transaction, params};

use super::cell::StoredResult;
use super::db::Store;
use super::db_query::RunRow;
use super::env::RunStatus;
use super::metric::Metric;
use super::{StoreError, sql_err};

/// What [`Store::sync_run`] changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Results added (in the JSONL, missing from the database).
    pub added: usize,
    /// Results replaced (stored differently from the JSONL).
    pub replaced: usize,
    /// Results removed (in the database, not in the JSONL).
    pub removed: usize,
}

impl Store {
    /// Inserts `run`, or updates its status, finish time and matrix when a
    /// row with its id exists.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn upsert_run(&self, run: &RunRow) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO runs (id, matrix_name, started, finished, status, matrix_text)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(id) DO UPDATE SET finished = excluded.finished,
                     status = excluded.status, matrix_name = excluded.matrix_name,
                     matrix_text = excluded.matrix_text",
                params![
                    run.id,
                    run.matrix_name,
                    run.started,
                    run.finished,
                    run.status.name(),
                    run.matrix_text
                ],
            )
            .map(drop)
            .map_err(|e| self.sql(e))
    }

    /// Sets a run's status and finish time.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn set_run_status(
        &self,
        run_id: &str,
        status: RunStatus,
        finished: Option<&str>,
    ) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE runs SET status = ?2, finished = ?3 WHERE id = ?1",
                params![run_id, status.name(), finished],
            )
            .map(drop)
            .map_err(|e| self.sql(e))
    }

    /// Inserts one result and its cell in one transaction.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`], also when the cell already has a result in
    /// this run (primary key).
    pub fn insert_result(&mut self, run_id: &str, stored: &StoredResult) -> Result<(), StoreError> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(sql_err(&path))?;
        // A retried cell's new result replaces its earlier one.
        tx.execute(
            "DELETE FROM cells WHERE run_id = ?1 AND cell_id = ?2",
            params![run_id, stored.result.cell_id],
        )
        .map_err(sql_err(&path))?;
        insert(&tx, run_id, stored).map_err(sql_err(&path))?;
        tx.commit().map_err(sql_err(&path))
    }

    /// Makes the run's cells and results exactly `records` (the JSONL's):
    /// adds missing ones, replaces ones stored differently, removes extra
    /// ones, all in one transaction.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn sync_run(
        &mut self,
        run_id: &str,
        records: &[StoredResult],
    ) -> Result<SyncReport, StoreError> {
        let path = self.path.clone();
        let err = sql_err(&path);
        let tx = self.conn.transaction().map_err(&err)?;
        let mut stored: HashMap<String, String> = HashMap::new();
        {
            let mut q = tx
                .prepare("SELECT cell_id, result_json FROM results WHERE run_id = ?1")
                .map_err(&err)?;
            let rows = q
                .query_map([run_id], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(&err)?;
            for row in rows {
                let (cell, json) = row.map_err(&err)?;
                stored.insert(cell, json);
            }
        }
        let mut report = SyncReport::default();
        for rec in records {
            let same = match stored.remove(&rec.result.cell_id) {
                Some(json) => Some(
                    json == rec.result.to_json() && cell_matches(&tx, run_id, rec).map_err(&err)?,
                ),
                None => None,
            };
            match same {
                Some(true) => continue,
                Some(false) => report.replaced += 1,
                None => report.added += 1,
            }
            delete(&tx, run_id, &rec.result.cell_id).map_err(&err)?;
            insert(&tx, run_id, rec).map_err(&err)?;
        }
        for cell in stored.keys() {
            delete(&tx, run_id, cell).map_err(&err)?;
            report.removed += 1;
        }
        tx.commit().map_err(&err)?;
        Ok(report)
    }
}

fn cell_matches(tx: &Transaction<'_>, run_id: &str, rec: &StoredResult) -> rusqlite::Result<bool> {
    let m = &rec.meta;
    let found: Option<i64> = tx
        .query_row(
            "SELECT 1 FROM cells WHERE run_id = ?1 AND cell_id = ?2 AND device = ?3
                 AND model = ?4 AND recipe = ?5 AND workload = ?6 AND status = ?7
                 AND runtime = ?8",
            params![
                run_id,
                rec.result.cell_id,
                m.device,
                m.model,
                m.recipe,
                m.workload(),
                rec.result.status.name(),
                m.runtime.name()
            ],
            |r| r.get(0),
        )
        .optional()?;
    Ok(found.is_some())
}

fn delete(tx: &Transaction<'_>, run_id: &str, cell_id: &str) -> rusqlite::Result<()> {
    tx.execute(
        "DELETE FROM results WHERE run_id = ?1 AND cell_id = ?2",
        [run_id, cell_id],
    )?;
    tx.execute(
        "DELETE FROM cells WHERE run_id = ?1 AND cell_id = ?2",
        [run_id, cell_id],
    )?;
    Ok(())
}

fn insert(tx: &Transaction<'_>, run_id: &str, stored: &StoredResult) -> rusqlite::Result<()> {
    let (m, r) = (&stored.meta, &stored.result);
    tx.execute(
        "INSERT INTO cells (run_id, cell_id, device, model, recipe, workload, status, runtime)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            run_id,
            r.cell_id,
            m.device,
            m.model,
            m.recipe,
            m.workload(),
            r.status.name(),
            m.runtime.name()
        ],
    )?;
    let columns: Vec<&str> = Metric::ALL.iter().map(|m| m.column()).collect();
    let placeholders: Vec<String> = (0..columns.len()).map(|i| format!("?{}", i + 4)).collect();
    let sql = format!(
        "INSERT INTO results (run_id, cell_id, result_json, {}) VALUES (?1, ?2, ?3, {})",
        columns.join(", "),
        placeholders.join(", ")
    );
    let json = r.to_json();
    let mut values: Vec<&dyn rusqlite::ToSql> = vec![&run_id, &r.cell_id, &json];
    let metrics: Vec<Option<f64>> = Metric::ALL.iter().map(|m| m.of(r)).collect();
    values.extend(metrics.iter().map(|v| v as &dyn rusqlite::ToSql));
    tx.prepare_cached(&sql)?.execute(values.as_slice())?;
    Ok(())
}
