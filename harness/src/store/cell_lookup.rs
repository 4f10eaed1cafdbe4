//! Finding a stored cell from what a person types: its id or the start of
//! it, with the names it was last stored under.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::StoreError;
use super::db::Store;
use super::resolve::MIN_PREFIX_LEN;

/// A cell as the store last recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredCell {
    /// The cell id.
    pub id: String,
    /// Device name.
    pub device: String,
    /// Model name in the matrix.
    pub model: String,
    /// Canonical recipe.
    pub recipe: String,
    /// Workload label, `t2-p64-g32`.
    pub workload: String,
}

/// Candidates listed when a prefix starts several cell ids.
const LISTED: usize = 10;

impl Store {
    /// The cell `reference` names: an exact cell id, or the start of
    /// exactly one, at least [`MIN_PREFIX_LEN`] characters; with its names
    /// in the newest run that has it.
    ///
    /// # Errors
    /// [`StoreError::AmbiguousCellPrefix`] listing the ids a prefix starts,
    /// [`StoreError::UnknownCell`], [`StoreError::Sqlite`].
    pub fn resolve_cell(&self, reference: &str) -> Result<StoredCell, StoreError> {
        if let Some(cell) = self.stored_cell(reference)? {
            return Ok(cell);
        }
        let long_enough = reference.chars().count() >= MIN_PREFIX_LEN;
        if long_enough {
            let mut ids = self.cell_ids_starting(reference)?;
            if ids.len() > 1 {
                return Err(StoreError::AmbiguousCellPrefix {
                    prefix: reference.to_owned(),
                    candidates: ids,
                });
            }
            if let Some(id) = ids.pop()
                && let Some(cell) = self.stored_cell(&id)?
            {
                return Ok(cell);
            }
        }
        Err(StoreError::UnknownCell {
            reference: reference.to_owned(),
            path: self.path.clone(),
            too_short: !long_enough,
        })
    }

    /// The cell `cell_id` with its names in the newest run that has it, if
    /// stored.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn stored_cell(&self, cell_id: &str) -> Result<Option<StoredCell>, StoreError> {
        self.conn
            .query_row(
                "SELECT c.cell_id, c.device, c.model, c.recipe, c.workload
                 FROM cells c JOIN runs u ON u.id = c.run_id
                 WHERE c.cell_id = ?1 ORDER BY u.started DESC, u.id DESC LIMIT 1",
                [cell_id],
                |r| {
                    Ok(StoredCell {
                        id: r.get(0)?,
                        device: r.get(1)?,
                        model: r.get(2)?,
                        recipe: r.get(3)?,
                        workload: r.get(4)?,
                    })
                },
            )
            .optional()
            .map_err(|e| self.sql(e))
    }

    /// The distinct cell ids starting with `prefix`, sorted, at most one
    /// more than are listed in an error.
    fn cell_ids_starting(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let mut q = self
            .conn
            .prepare(
                "SELECT DISTINCT cell_id FROM cells WHERE substr(cell_id, 1, length(?1)) = ?1
                 ORDER BY cell_id LIMIT ?2",
            )
            .map_err(|e| self.sql(e))?;
        q.query_map(params![prefix, LISTED as i64 + 1], |r| r.get(0))
            .and_then(|rows| rows.collect())
            .map_err(|e| self.sql(e))
    }
}
