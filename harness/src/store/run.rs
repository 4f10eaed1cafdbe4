//! [`RunStore`]: one run being measured. Every result is appended to
//! `results.jsonl` and synced to disk before [`RunStore::record`] returns,
//! then inserted into the database; a crash or SIGKILL loses nothing
//! already recorded, and [`RunStore::open`] resumes the run.

use std::collections::BTreeSet;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;

use edgebench_schema::JobResult;

use super::StoreError;
use super::cell::{CellMeta, StoredResult};
use super::clock::UtcTime;
use super::csv_table::write_csv;
use super::db::Store;
use super::db_query::RunRow;
use super::db_write::SyncReport;
use super::env::{
    CONTROLLER_VERSION, EnvInfo, GIT_REVISION, Resumption, RunStatus, write_atomically,
};
use super::jsonl;
use super::run_dir::{RunPaths, TORN_FILE, locate, torn_warning};
use super::run_id::RunId;

/// What the controller knows when it starts a run.
#[derive(Debug, Clone)]
pub struct NewRun {
    /// The matrix's name (runs of the same name are compared).
    pub matrix_name: String,
    /// The matrix file's text, stored verbatim.
    pub matrix_text: String,
    /// The controller's command line.
    pub command_line: Vec<String>,
    /// Host facts for `env.json` (see [`host_facts`](super::host_facts)).
    pub host: serde_json::Value,
}

/// A run directory open for recording.
///
/// Recording a cell that already has a result is an error
/// ([`StoreError::AlreadyRecorded`]) and writes nothing: a cell is never
/// measured twice in a run, and asking to record it twice is a bug of the
/// caller. The exception is a retryable result (its device was
/// unreachable): the cell stays to be run, and its next result replaces it.
#[derive(Debug)]
pub struct RunStore {
    id: RunId,
    paths: RunPaths,
    jsonl: File,
    store: Store,
    env: EnvInfo,
    records: Vec<StoredResult>,
    finished: BTreeSet<String>,
    warnings: Vec<String>,
    resync: SyncReport,
    db_stale: bool,
}

impl RunStore {
    /// Starts a new run under `runs_root` (created if needed): writes
    /// `matrix.toml`, an empty `results.jsonl`, `results.csv` with its
    /// header, `env.json`, and the run's row in `store`.
    ///
    /// # Errors
    /// [`StoreError::Io`] naming the directory or file that cannot be
    /// created, [`StoreError::RunExists`], [`StoreError::Sqlite`].
    pub fn create(runs_root: &Path, store: Store, new: NewRun) -> Result<RunStore, StoreError> {
        std::fs::create_dir_all(runs_root)
            .map_err(|e| StoreError::io("create runs directory", runs_root, e))?;
        let (id, started) = RunId::generate();
        let paths = RunPaths::new(runs_root, &id);
        std::fs::create_dir(&paths.dir).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                StoreError::RunExists {
                    path: paths.dir.clone(),
                }
            } else {
                StoreError::io("create run directory", &paths.dir, e)
            }
        })?;
        write_atomically(&paths.matrix, new.matrix_text.as_bytes())?;
        let env = EnvInfo {
            run_id: id.to_string(),
            matrix_name: new.matrix_name,
            controller_version: CONTROLLER_VERSION.to_owned(),
            git_revision: GIT_REVISION.to_owned(),
            host: new.host,
            command_line: new.command_line,
            started: started.rfc3339(),
            resumed: Vec::new(),
            finished: None,
            status: RunStatus::Running,
        };
        env.write(&paths.env)?;
        let jsonl = open_jsonl(&paths.jsonl, true)?;
        write_csv(&paths.csv, id.as_str(), &[])?;
        sync_dir(&paths.dir)?;
        store.upsert_run(&run_row(&env, new.matrix_text))?;
        Ok(RunStore {
            id,
            paths,
            jsonl,
            store,
            env,
            records: Vec::new(),
            finished: BTreeSet::new(),
            warnings: Vec::new(),
            resync: SyncReport::default(),
            db_stale: false,
        })
    }

    /// Resumes run `run_id` under `runs_root`: reads `results.jsonl`, cuts a
    /// partial last line left by a crash (kept in `results.jsonl.torn`, and
    /// reported in [`warnings`](Self::warnings)), re-syncs the database's
    /// rows of the run from the JSONL, marks the run running again and
    /// rewrites `results.csv`. `command_line` is recorded in `env.json`.
    ///
    /// # Errors
    /// [`StoreError::BadRunId`], [`StoreError::RunNotFound`] (listing the
    /// latest runs), [`StoreError::BadLine`] or [`StoreError::DuplicateLine`]
    /// naming the line, [`StoreError::RunInUse`] when another controller has
    /// it open, [`StoreError::Io`], [`StoreError::Sqlite`].
    pub fn open(
        runs_root: &Path,
        mut store: Store,
        run_id: &str,
        command_line: Vec<String>,
    ) -> Result<RunStore, StoreError> {
        let (id, paths) = locate(runs_root, run_id)?;
        let mut jsonl = open_jsonl(&paths.jsonl, false)?;
        let mut env = EnvInfo::read(&paths.env)?;
        let matrix_text = std::fs::read_to_string(&paths.matrix)
            .map_err(|e| StoreError::io("read", &paths.matrix, e))?;
        let bytes =
            std::fs::read(&paths.jsonl).map_err(|e| StoreError::io("read", &paths.jsonl, e))?;
        let contents = jsonl::parse(&paths.jsonl, &bytes)?;
        let mut warnings = Vec::new();
        if let Some(t) = &contents.torn {
            warnings.push(torn_warning(&paths.jsonl, t));
            cut_torn_tail(&paths, &bytes, t.offset)?;
        } else if contents.missing_newline {
            jsonl
                .write_all(b"\n")
                .and_then(|()| jsonl.sync_data())
                .map_err(|e| StoreError::io("append to", &paths.jsonl, e))?;
        }
        env.resumed.push(Resumption {
            at: UtcTime::now().rfc3339(),
            command_line,
            git_revision: GIT_REVISION.to_owned(),
        });
        env.status = RunStatus::Running;
        env.finished = None;
        env.write(&paths.env)?;
        store.upsert_run(&run_row(&env, matrix_text))?;
        let resync = store.sync_run(id.as_str(), &contents.records)?;
        if resync != SyncReport::default() {
            warnings.push(format!(
                "results database '{}' re-synced from '{}': {} added, {} replaced, {} removed",
                store.path().display(),
                paths.jsonl.display(),
                resync.added,
                resync.replaced,
                resync.removed
            ));
        }
        write_csv(&paths.csv, id.as_str(), &contents.records)?;
        let finished = contents
            .records
            .iter()
            .filter(|r| !r.result.status.is_retryable())
            .map(|r| r.result.cell_id.clone())
            .collect();
        Ok(RunStore {
            id,
            paths,
            jsonl,
            store,
            env,
            records: contents.records,
            finished,
            warnings,
            resync,
            db_stale: false,
        })
    }

    /// Records the result of one cell: appends it to `results.jsonl` and
    /// syncs it to disk, then inserts it into the database. Once the JSONL
    /// line is written the result is kept: a database failure after it only
    /// adds a warning, and the database is re-synced at [`finish`](Self::finish)
    /// or the next [`open`](Self::open).
    ///
    /// # Errors
    /// [`StoreError::MissingCellId`], [`StoreError::AlreadyRecorded`],
    /// [`StoreError::Unstorable`] or [`StoreError::Io`]; nothing is recorded
    /// then.
    pub fn record(&mut self, result: &JobResult, meta: &CellMeta) -> Result<(), StoreError> {
        if result.cell_id.is_empty() {
            return Err(StoreError::MissingCellId {
                status: result.status.name(),
            });
        }
        if self.finished.contains(&result.cell_id) {
            return Err(StoreError::AlreadyRecorded {
                run_id: self.id.to_string(),
                cell_id: result.cell_id.clone(),
            });
        }
        let line = jsonl::encode(result, meta)?;
        jsonl::append_line(&mut self.jsonl, &self.paths.jsonl, &line)?;
        let stored = StoredResult {
            meta: meta.clone(),
            result: result.clone(),
        };
        if let Err(e) = self.store.insert_result(self.id.as_str(), &stored) {
            self.warnings.push(format!(
                "{e} (the result is kept in '{}')",
                self.paths.jsonl.display()
            ));
            self.db_stale = true;
        }
        if !result.status.is_retryable() {
            self.finished.insert(result.cell_id.clone());
        }
        match self
            .records
            .iter_mut()
            .find(|r| r.result.cell_id == result.cell_id)
        {
            Some(earlier) => *earlier = stored,
            None => self.records.push(stored),
        }
        Ok(())
    }

    /// Ends this session of the run: rewrites `results.csv` from the
    /// results, records the end time and `status` in `env.json` and the
    /// database (re-syncing the database first if a write to it failed).
    ///
    /// # Errors
    /// [`StoreError::Io`], [`StoreError::Csv`], [`StoreError::Sqlite`].
    pub fn finish(&mut self, status: RunStatus) -> Result<&RunPaths, StoreError> {
        write_csv(&self.paths.csv, self.id.as_str(), &self.records)?;
        let now = UtcTime::now().rfc3339();
        self.env.finished = Some(now.clone());
        self.env.status = status;
        self.env.write(&self.paths.env)?;
        if self.db_stale {
            self.resync = self.store.sync_run(self.id.as_str(), &self.records)?;
            self.db_stale = false;
        }
        self.store
            .set_run_status(self.id.as_str(), status, Some(&now))?;
        Ok(&self.paths)
    }

    /// The run id.
    pub fn id(&self) -> &RunId {
        &self.id
    }

    /// The run's files.
    pub fn paths(&self) -> &RunPaths {
        &self.paths
    }

    /// The cells that have a result (of any status): the ones a resumed run
    /// must not measure again.
    pub fn finished_cells(&self) -> &BTreeSet<String> {
        &self.finished
    }

    /// Every result recorded so far, in order.
    pub fn results(&self) -> &[StoredResult] {
        &self.records
    }

    /// `env.json` as it stands.
    pub fn env(&self) -> &EnvInfo {
        &self.env
    }

    /// The database.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The database, to record more about the run (its gate verdicts).
    pub fn store_mut(&mut self) -> &mut Store {
        &mut self.store
    }

    /// What [`open`](Self::open) (or a re-sync at [`finish`](Self::finish))
    /// had to repair in the database.
    pub fn resync_report(&self) -> SyncReport {
        self.resync
    }

    /// What was tolerated or repaired, as messages for the user (a torn
    /// JSONL line, a database re-sync, a failed database write).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }
}

fn run_row(env: &EnvInfo, matrix_text: String) -> RunRow {
    RunRow {
        id: env.run_id.clone(),
        matrix_name: env.matrix_name.clone(),
        started: env.started.clone(),
        finished: env.finished.clone(),
        status: env.status,
        matrix_text,
    }
}

/// Opens `results.jsonl` for appending (creating it when `create`) and
/// takes an exclusive lock on it, so two controllers never write one run.
fn open_jsonl(path: &Path, create: bool) -> Result<File, StoreError> {
    let file = OpenOptions::new()
        .append(true)
        .create_new(create)
        .open(path)
        .map_err(|e| StoreError::io("open", path, e))?;
    file.try_lock().map_err(|e| match e {
        std::fs::TryLockError::WouldBlock => StoreError::RunInUse {
            path: path.to_owned(),
        },
        std::fs::TryLockError::Error(e) => StoreError::io("lock", path, e),
    })?;
    if create {
        file.sync_all()
            .map_err(|e| StoreError::io("sync", path, e))?;
    }
    Ok(file)
}

/// Moves the partial last line of `bytes` (the JSONL's contents, from
/// `offset`) to `results.jsonl.torn` and truncates the JSONL before it.
fn cut_torn_tail(paths: &RunPaths, bytes: &[u8], offset: u64) -> Result<(), StoreError> {
    let start = usize::try_from(offset)
        .unwrap_or(bytes.len())
        .min(bytes.len());
    let torn_path = paths.dir.join(TORN_FILE);
    let mut torn = OpenOptions::new()
        .append(true)
        .create(true)
        .open(&torn_path)
        .map_err(|e| StoreError::io("open", &torn_path, e))?;
    torn.write_all(&bytes[start..])
        .and_then(|()| torn.write_all(b"\n"))
        .and_then(|()| torn.sync_data())
        .map_err(|e| StoreError::io("append to", &torn_path, e))?;
    let f = OpenOptions::new()
        .write(true)
        .open(&paths.jsonl)
        .map_err(|e| StoreError::io("open", &paths.jsonl, e))?;
    f.set_len(offset)
        .and_then(|()| f.sync_all())
        .map_err(|e| StoreError::io("truncate", &paths.jsonl, e))
}

/// Syncs a directory so the files just created in it survive a power loss.
fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StoreError::io("sync", dir, e))
}
