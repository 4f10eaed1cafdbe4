//! The results store of the controller.
//!
//! A run lives in `runs/<run-id>/`:
//! - `matrix.toml`: the matrix as run, verbatim;
//! - `results.jsonl`: one [`JobResult`](edgebench_schema::JobResult) per
//!   line, with the cell's names under an extra `cell` key; appended and
//!   synced per cell; the source of truth;
//! - `results.csv`: one flat row per cell ([`CSV_COLUMNS`]), rewritten from
//!   the JSONL when the run is resumed and when it ends;
//! - `env.json`: controller version, git revision, host, times, command
//!   line ([`EnvInfo`]).
//!
//! The SQLite database ([`Store`], by default `runs/edgebench.sqlite`)
//! holds every run's cells and results with indexed metrics, for trend
//! lines and baselines, and the accuracy cache ([`AccuracyCache`]).
//!
//! Runs are named by [`Store::resolve_run`] from `latest`, a tag
//! ([`Store::tag_run`]), a run id or its first characters, and listed by
//! [`Store::run_summaries`]; cells by [`Store::resolve_cell`] from an id
//! or its first characters.
//!
//! [`RunStore::create`] starts a run, [`RunStore::record`] stores each
//! result, [`RunStore::finish`] ends it; [`RunStore::open`] resumes an
//! interrupted one with [`RunStore::finished_cells`] telling which cells
//! not to measure again.

mod accuracy;
mod cell;
mod cell_lookup;
mod clock;
mod csv_table;
mod db;
mod db_query;
mod db_write;
mod env;
mod error;
mod gate_verdicts;
mod jsonl;
mod metric;
mod migrations;
mod resolve;
mod run;
mod run_dir;
mod run_id;
mod run_list;
mod tags;

use std::path::Path;

pub use accuracy::{AccuracyCache, AccuracyKey};
pub use cell::{CellMeta, StoredResult};
pub use cell_lookup::StoredCell;
pub use clock::UtcTime;
pub use csv_table::{CSV_COLUMNS, csv_bytes, csv_row, write_csv};
pub use db::{BUSY_TIMEOUT, DEFAULT_DB_NAME, Store};
pub use db_query::{RunRow, TrendPoint};
pub use db_write::SyncReport;
pub use env::{
    CONTROLLER_VERSION, EnvInfo, GIT_REVISION, Resumption, RunStatus, host_facts, write_atomically,
};
pub use error::StoreError;
pub use gate_verdicts::{GateVerdict, RunVerdict};
pub use jsonl::{JsonlContents, TornTail};
pub use metric::Metric;
pub use migrations::{MIGRATIONS, Migration, SCHEMA_VERSION};
pub use resolve::{LATEST, MIN_PREFIX_LEN};
pub use run::{NewRun, RunStore};
pub use run_dir::{
    ENV_FILE, MATRIX_FILE, RESULTS_CSV, RESULTS_JSONL, RunFiles, RunPaths, TORN_FILE, list_runs,
    locate, read_run,
};
pub use run_id::RunId;
pub use run_list::RunSummary;
pub use tags::{MAX_TAG_LEN, Tag, TagOutcome, check_tag_name};

/// Reads a `results.jsonl` file: its results, and a torn last line if any.
///
/// # Errors
/// [`StoreError::Io`], [`StoreError::BadLine`] or [`StoreError::DuplicateLine`]
/// naming the file and line.
pub fn read_results_jsonl(path: &Path) -> Result<JsonlContents, StoreError> {
    jsonl::read(path)
}

/// A mapper from SQLite errors to [`StoreError::Sqlite`] naming `path`.
pub(crate) fn sql_err(path: &Path) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
    move |source| StoreError::Sqlite {
        path: path.to_owned(),
        source,
    }
}

impl Store {
    /// An immediate transaction about run `run_id`, which the database must
    /// hold.
    ///
    /// # Errors
    /// [`StoreError::RunNotInStore`], [`StoreError::Sqlite`].
    pub(crate) fn run_transaction(
        &mut self,
        run_id: &str,
    ) -> Result<rusqlite::Transaction<'_>, StoreError> {
        let path = self.path.clone();
        let err = sql_err(&path);
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(&err)?;
        let known: bool = tx
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM runs WHERE id = ?1)",
                [run_id],
                |r| r.get(0),
            )
            .map_err(&err)?;
        if !known {
            return Err(StoreError::RunNotInStore {
                run_id: run_id.to_owned(),
                path: path.clone(),
            });
        }
        Ok(tx)
    }
}
