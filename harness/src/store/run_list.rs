//! Listing the stored runs: one [`RunSummary`] per run, newest first, with
//! its number of results and its tags.

use std::collections::HashMap;

use rusqlite::params;
use serde::Serialize;

use super::StoreError;
use super::db::Store;
use super::db_query::status_column;
use super::env::RunStatus;

/// A run as `edgebench runs list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunSummary {
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
    /// Cells with a result.
    pub cells: usize,
    /// Its tags, by name.
    pub tags: Vec<String>,
}

impl Store {
    /// The runs of the matrix named `matrix_name` (of every matrix when
    /// `None`), newest first, at most `limit` of them (all when `None`).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn run_summaries(
        &self,
        matrix_name: Option<&str>,
        limit: Option<usize>,
    ) -> Result<Vec<RunSummary>, StoreError> {
        // SQLite reads a negative LIMIT as none.
        let limit = limit.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX));
        let mut q = self
            .conn
            .prepare(
                "SELECT u.id, u.matrix_name, u.started, u.finished, u.status,
                     (SELECT count(*) FROM results r WHERE r.run_id = u.id)
                 FROM runs u WHERE ?1 IS NULL OR u.matrix_name = ?1
                 ORDER BY u.started DESC, u.id DESC LIMIT ?2",
            )
            .map_err(|e| self.sql(e))?;
        let mut runs: Vec<RunSummary> = q
            .query_map(params![matrix_name, limit], |r| {
                Ok(RunSummary {
                    id: r.get(0)?,
                    matrix_name: r.get(1)?,
                    started: r.get(2)?,
                    finished: r.get(3)?,
                    status: status_column(r, 4)?,
                    cells: usize::try_from(r.get::<_, i64>(5)?).unwrap_or(0),
                    tags: Vec::new(),
                })
            })
            .and_then(|rows| rows.collect())
            .map_err(|e| self.sql(e))?;
        let mut tags: HashMap<String, Vec<String>> = HashMap::new();
        for tag in self.tags()? {
            tags.entry(tag.run_id).or_default().push(tag.name);
        }
        for run in &mut runs {
            run.tags = tags.remove(&run.id).unwrap_or_default();
        }
        Ok(runs)
    }

    /// How many runs the matrix named `matrix_name` has (every matrix when
    /// `None`).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn run_count(&self, matrix_name: Option<&str>) -> Result<usize, StoreError> {
        self.conn
            .query_row(
                "SELECT count(*) FROM runs WHERE ?1 IS NULL OR matrix_name = ?1",
                [matrix_name],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| usize::try_from(n).unwrap_or(0))
            .map_err(|e| self.sql(e))
    }
}
