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
    /// A name that cannot be a tag.
    #[error(
        "'{name}' cannot be a tag name: {reason} (a tag name is 1 to 64 ASCII letters, digits, \
         '.', '_' or '-', not starting with '-')"
    )]
    BadTagName {
        /// What was given.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// No tag of this name.
    #[error("no tag '{name}' ({})", some_or(tags, "there are no tags", "tags: "))]
    UnknownTag {
        /// The name asked for.
        name: String,
        /// Every tag name, sorted.
        tags: Vec<String>,
    },
    /// No run with this id in the database.
    #[error("no run '{run_id}' in results database '{}'", path.display())]
    RunNotInStore {
        /// The run asked for.
        run_id: String,
        /// The database file.
        path: PathBuf,
    },
    /// A run id prefix that starts more than one run id.
    #[error(
        "'{prefix}' is the start of {} run ids: {}; give more of the id",
        candidates.len(),
        some_or(candidates, "", "")
    )]
    AmbiguousRunPrefix {
        /// What was given.
        prefix: String,
        /// Every matching run id, newest first.
        candidates: Vec<String>,
    },
    /// No stored run answers a reference (`latest`, a tag, a run id or the
    /// start of one).
    #[error("{}", not_resolved(reference, matrix_name.as_deref(), recent, tags))]
    RunNotResolved {
        /// What was given.
        reference: String,
        /// The matrix `latest` was looked for in, if any.
        matrix_name: Option<String>,
        /// The most recent runs (of that matrix), newest first, as
        /// `ID (status)`.
        recent: Vec<String>,
        /// Every tag, sorted, as `NAME (RUN_ID)`.
        tags: Vec<String>,
    },
    /// A cell id prefix that starts more than one stored cell id.
    #[error(
        "'{prefix}' is the start of several cell ids: {}; give more of the id",
        some_or(candidates, "", "")
    )]
    AmbiguousCellPrefix {
        /// What was given.
        prefix: String,
        /// Matching cell ids, sorted (possibly not all of them).
        candidates: Vec<String>,
    },
    /// No stored cell has this id or starts with it.
    #[error(
        "no cell '{reference}' in results database '{}'{}",
        path.display(),
        if *too_short {
            format!(" (a cell id, or at least {} of its first characters)", super::MIN_PREFIX_LEN)
        } else {
            String::new()
        }
    )]
    UnknownCell {
        /// What was given.
        reference: String,
        /// The database file.
        path: PathBuf,
        /// Whether it was too short to be read as a prefix.
        too_short: bool,
    },
}

/// At most this many names in a message listing tags or runs.
const LISTED: usize = 10;

/// `items` joined after `prefix`, at most [`LISTED`] of them and a count of
/// the rest, or `empty` when there are none.
fn some_or(items: &[String], empty: &str, prefix: &str) -> String {
    if items.is_empty() {
        return empty.to_owned();
    }
    let mut text = format!("{prefix}{}", items[..items.len().min(LISTED)].join(", "));
    if items.len() > LISTED {
        text.push_str(&format!(" and {} more", items.len() - LISTED));
    }
    text
}

fn not_resolved(
    reference: &str,
    matrix_name: Option<&str>,
    recent: &[String],
    tags: &[String],
) -> String {
    let of_matrix = matrix_name.map_or_else(String::new, |m| format!(" of matrix '{m}'"));
    let sought = if reference == super::LATEST {
        format!("no finished run{of_matrix} for 'latest'")
    } else {
        format!(
            "no run '{reference}': it is not a tag, a run id or the start of one \
             (at least {} characters)",
            super::MIN_PREFIX_LEN
        )
    };
    let runs = some_or(
        recent,
        &format!("there are no runs{of_matrix}"),
        &format!("latest runs{of_matrix}: "),
    );
    let tags = some_or(tags, "there are no tags", "tags: ");
    format!("{sought}; {runs}; {tags}")
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
