//! [`StoreError`]: what can go wrong reading or writing stored results.

use std::path::PathBuf;

use edgebench_schema::SchemaError;

/// A results-store operation that failed: which file or database, and why.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A file or directory could not be read, written or created.
    #[error("cannot {op} '{}': {source}", path.display())]
    Io {
        /// What was being done (`create run directory`, `append to`, ...).
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A line of `results.jsonl` is not a result this build can read.
    #[error("{}:{line}: {source}", path.display())]
    BadLine {
        /// The JSONL file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong with it (schema version, malformed JSON, ...).
        #[source]
        source: SchemaError,
    },
    /// The same cell appears on two lines of `results.jsonl`.
    #[error("{}:{line}: cell '{cell_id}' was already recorded on line {first_line}", path.display())]
    DuplicateLine {
        /// The JSONL file.
        path: PathBuf,
        /// 1-based line number of the second occurrence.
        line: usize,
        /// Line of the first occurrence.
        first_line: usize,
        /// The cell.
        cell_id: String,
    },
    /// [`RunStore::record`](super::RunStore::record) was called for a cell
    /// that already has a result in this run; nothing was written.
    #[error("cell '{cell_id}' already has a result in run '{run_id}'")]
    AlreadyRecorded {
        /// The run.
        run_id: String,
        /// The cell.
        cell_id: String,
    },
    /// A result that would not read back once written (a non-finite number
    /// where the schema needs one); nothing was written.
    #[error("the result of cell '{cell_id}' cannot be stored: {source}")]
    Unstorable {
        /// The cell.
        cell_id: String,
        /// Why it does not read back.
        #[source]
        source: SchemaError,
    },
    /// A result without a cell id cannot be stored.
    #[error("a result without a cell id cannot be recorded (status {status})")]
    MissingCellId {
        /// The result's status, to help find it.
        status: &'static str,
    },
    /// A run id that is not of the form this store writes.
    #[error(
        "'{run_id}' is not a run id (expected the form YYYYMMDDTHHMMSS.mmmZ-xxxxxx, \
         e.g. 20260101T120000.000Z-1a2b3c)"
    )]
    BadRunId {
        /// What was given.
        run_id: String,
    },
    /// No run with this id under the runs directory.
    #[error("no run '{run_id}': '{}' does not exist{}", path.display(), known_runs(latest))]
    RunNotFound {
        /// The run asked for.
        run_id: String,
        /// The directory looked for.
        path: PathBuf,
        /// The most recent runs that do exist, newest first.
        latest: Vec<String>,
    },
    /// Another controller has the run open.
    #[error("'{}' is locked by another edgebench process recording this run", path.display())]
    RunInUse {
        /// The locked `results.jsonl`.
        path: PathBuf,
    },
    /// A run directory that already exists (two runs in the same
    /// millisecond with the same suffix).
    #[error("run directory '{}' already exists", path.display())]
    RunExists {
        /// The directory.
        path: PathBuf,
    },
    /// The SQLite store failed.
    #[error("results database '{}': {source}", path.display())]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    /// The database was written by a newer edgebench.
    #[error(
        "results database '{}' has schema version {found}, this edgebench knows versions up to \
         {supported}: use a newer edgebench or another database (--db)",
        path.display()
    )]
    DatabaseTooNew {
        /// The database file.
        path: PathBuf,
        /// Its `user_version`.
        found: i64,
        /// The newest version this build can migrate to.
        supported: i64,
    },
    /// A stored JSON document (result, accuracy report) does not parse.
    #[error("results database '{}': stored {what} for '{key}' is not valid: {source}", path.display())]
    StoredJson {
        /// The database file.
        path: PathBuf,
        /// `result` or `accuracy report`.
        what: &'static str,
        /// Which row.
        key: String,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// The CSV file could not be written.
    #[error("cannot write '{}': {source}", path.display())]
    Csv {
        /// The CSV file.
        path: PathBuf,
        /// The writer's error.
        #[source]
        source: csv::Error,
    },
    /// `env.json` does not parse.
    #[error("'{}' is not a valid environment file: {source}", path.display())]
    BadEnv {
        /// The file.
        path: PathBuf,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
}

fn known_runs(latest: &[String]) -> String {
    if latest.is_empty() {
        " (there are no runs there yet)".to_owned()
    } else {
        format!(" (latest runs: {})", latest.join(", "))
    }
}

impl StoreError {
    /// An I/O error on `path` while doing `op`.
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        StoreError::Io {
            op,
            path: path.into(),
            source,
        }
    }
}
