//! Finding a stored run from what a person types: `latest`, a tag, a run
//! id, or the start of a run id. The reference of `--baseline` and of the
//! `runs` commands.

use rusqlite::params;

use super::StoreError;
use super::db::Store;
use super::db_query::RunRow;

/// The reference meaning the newest finished run.
pub const LATEST: &str = "latest";
/// Fewest characters of a run id that name it by prefix.
pub const MIN_PREFIX_LEN: usize = 6;
/// Runs listed in the error when nothing matches.
const HINT_RUNS: usize = 5;

impl Store {
    /// The run `reference` names, tried in this order:
    /// 1. `latest`: the newest run with status `finished` of the matrix
    ///    named `matrix_name`, or of any matrix when `None` (running,
    ///    interrupted and failed runs are never `latest`);
    /// 2. a tag name;
    /// 3. an exact run id;
    /// 4. the start of exactly one run id, at least [`MIN_PREFIX_LEN`]
    ///    characters.
    ///
    /// `matrix_name` narrows only `latest` (and the runs an error lists): a
    /// tag, an id or a prefix names its run whatever its matrix.
    ///
    /// # Errors
    /// [`StoreError::AmbiguousRunPrefix`] listing the run ids a prefix
    /// starts, [`StoreError::RunNotResolved`] listing the latest runs (of
    /// the matrix) and the tags, [`StoreError::Sqlite`].
    pub fn resolve_run(
        &self,
        reference: &str,
        matrix_name: Option<&str>,
    ) -> Result<RunRow, StoreError> {
        if reference == LATEST {
            return match self.latest_run(matrix_name, None)? {
                Some(run) => Ok(run),
                None => Err(self.not_resolved(reference, matrix_name)?),
            };
        }
        if let Some(tag) = self.tag(reference)? {
            return self.stored_run(&tag.run_id);
        }
        if let Some(run) = self.run(reference)? {
            return Ok(run);
        }
        if reference.chars().count() >= MIN_PREFIX_LEN {
            let mut candidates = self.run_ids_starting(reference)?;
            if candidates.len() == 1 {
                return self.stored_run(&candidates.remove(0));
            }
            if !candidates.is_empty() {
                return Err(StoreError::AmbiguousRunPrefix {
                    prefix: reference.to_owned(),
                    candidates,
                });
            }
        }
        Err(self.not_resolved(reference, matrix_name)?)
    }

    /// The run `run_id`, which the database was just seen to hold.
    fn stored_run(&self, run_id: &str) -> Result<RunRow, StoreError> {
        self.run(run_id)?.ok_or_else(|| StoreError::RunNotInStore {
            run_id: run_id.to_owned(),
            path: self.path.clone(),
        })
    }

    /// The ids of the runs whose id starts with `prefix`, newest first.
    fn run_ids_starting(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let mut q = self
            .conn
            .prepare(
                "SELECT id FROM runs WHERE substr(id, 1, length(?1)) = ?1
                 ORDER BY started DESC, id DESC",
            )
            .map_err(|e| self.sql(e))?;
        q.query_map(params![prefix], |r| r.get(0))
            .and_then(|rows| rows.collect())
            .map_err(|e| self.sql(e))
    }

    /// The error for a reference nothing answers, with what there is.
    fn not_resolved(
        &self,
        reference: &str,
        matrix_name: Option<&str>,
    ) -> Result<StoreError, StoreError> {
        let recent = self
            .run_summaries(matrix_name, Some(HINT_RUNS))?
            .into_iter()
            .map(|r| format!("{} ({})", r.id, r.status.name()))
            .collect();
        let tags = self
            .tags()?
            .into_iter()
            .map(|t| format!("{} ({})", t.name, t.run_id))
            .collect();
        Ok(StoreError::RunNotResolved {
            reference: reference.to_owned(),
            matrix_name: matrix_name.map(str::to_owned),
            recent,
            tags,
        })
    }
}
