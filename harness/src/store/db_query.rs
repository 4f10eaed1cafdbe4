//! Reading the [`Store`]: runs, a run's results, trend lines of cells over
//! runs, and the latest run of a matrix (for `--baseline latest`).

use std::collections::BTreeMap;

use edgebench_schema::JobResult;
use rusqlite::{OptionalExtension, Row, params, params_from_iter};

use super::StoreError;
use super::db::Store;
use super::env::RunStatus;
use super::metric::Metric;

/// A row of the `runs` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRow {
    /// The run id.
    pub id: String,
    /// The matrix's name.
    pub matrix_name: String,
    /// Start, RFC 3339 UTC.
    pub started: String,
    /// End of the last session, RFC 3339 UTC.
    pub finished: Option<String>,
    /// Where it stands.
    pub status: RunStatus,
    /// The matrix file as run.
    pub matrix_text: String,
}

/// One point of a trend line: a cell's metric in one run.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TrendPoint {
    /// The run.
    pub run_id: String,
    /// When it started, RFC 3339 UTC.
    pub started: String,
    /// The metric's value.
    pub value: f64,
}

const RUN_COLUMNS: &str = "id, matrix_name, started, finished, status, matrix_text";

fn run_row(r: &Row<'_>) -> rusqlite::Result<RunRow> {
    Ok(RunRow {
        id: r.get(0)?,
        matrix_name: r.get(1)?,
        started: r.get(2)?,
        finished: r.get(3)?,
        status: status_column(r, 4)?,
        matrix_text: r.get(5)?,
    })
}

/// Column `idx` of `r` as a [`RunStatus`].
pub(super) fn status_column(r: &Row<'_>, idx: usize) -> rusqlite::Result<RunStatus> {
    let status: String = r.get(idx)?;
    RunStatus::from_name(&status).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            idx,
            rusqlite::types::Type::Text,
            format!("unknown run status '{status}'").into(),
        )
    })
}

impl Store {
    /// The run `run_id`, if stored.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn run(&self, run_id: &str) -> Result<Option<RunRow>, StoreError> {
        self.conn
            .query_row(
                &format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = ?1"),
                [run_id],
                run_row,
            )
            .optional()
            .map_err(|e| self.sql(e))
    }

    /// Every run, newest first.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn runs(&self) -> Result<Vec<RunRow>, StoreError> {
        let mut q = self
            .conn
            .prepare(&format!(
                "SELECT {RUN_COLUMNS} FROM runs ORDER BY started DESC, id DESC"
            ))
            .map_err(|e| self.sql(e))?;
        q.query_map([], run_row)
            .and_then(|rows| rows.collect())
            .map_err(|e| self.sql(e))
    }

    /// The newest `finished` run of the matrix named `matrix_name` (of any
    /// matrix when `None`), other than `exclude` (the run being compared),
    /// for `--baseline latest`.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn latest_run(
        &self,
        matrix_name: Option<&str>,
        exclude: Option<&str>,
    ) -> Result<Option<RunRow>, StoreError> {
        self.conn
            .query_row(
                &format!(
                    "SELECT {RUN_COLUMNS} FROM runs
                     WHERE (?1 IS NULL OR matrix_name = ?1) AND status = 'finished'
                         AND id IS NOT ?2
                     ORDER BY started DESC, id DESC LIMIT 1"
                ),
                params![matrix_name, exclude],
                run_row,
            )
            .optional()
            .map_err(|e| self.sql(e))
    }

    /// The results of a run in the order they were recorded.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`], or [`StoreError::StoredJson`] for a stored
    /// result that does not parse.
    pub fn run_results(&self, run_id: &str) -> Result<Vec<JobResult>, StoreError> {
        let mut q = self
            .conn
            .prepare("SELECT cell_id, result_json FROM results WHERE run_id = ?1 ORDER BY rowid")
            .map_err(|e| self.sql(e))?;
        let rows: Vec<(String, String)> = q
            .query_map([run_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(|rows| rows.collect())
            .map_err(|e| self.sql(e))?;
        rows.into_iter()
            .map(|(cell, json)| {
                serde_json::from_str(&json).map_err(|source| StoreError::StoredJson {
                    path: self.path.clone(),
                    what: "result",
                    key: format!("{run_id}/{cell}"),
                    source,
                })
            })
            .collect()
    }

    /// `metric` of each of `cell_ids` in every stored run where it has a
    /// value, oldest run first: cell id → trend line. Cells without any
    /// value are absent from the map.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn trend(
        &self,
        cell_ids: &[&str],
        metric: Metric,
    ) -> Result<BTreeMap<String, Vec<TrendPoint>>, StoreError> {
        let mut out: BTreeMap<String, Vec<TrendPoint>> = BTreeMap::new();
        // SQLite's default limit of host parameters is 32766: query in
        // chunks well below it.
        for chunk in cell_ids.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(", ");
            let col = metric.column();
            let sql = format!(
                "SELECT r.cell_id, r.run_id, u.started, r.{col} FROM results r
                 JOIN runs u ON u.id = r.run_id
                 WHERE r.cell_id IN ({marks}) AND r.{col} IS NOT NULL
                 ORDER BY u.started, u.id"
            );
            let mut q = self.conn.prepare(&sql).map_err(|e| self.sql(e))?;
            let rows = q
                .query_map(params_from_iter(chunk.iter()), |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        TrendPoint {
                            run_id: r.get(1)?,
                            started: r.get(2)?,
                            value: r.get(3)?,
                        },
                    ))
                })
                .map_err(|e| self.sql(e))?;
            for row in rows {
                let (cell, point) = row.map_err(|e| self.sql(e))?;
                out.entry(cell).or_default().push(point);
            }
        }
        Ok(out)
    }
}
