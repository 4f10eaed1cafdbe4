//! The files of a run directory, `runs/<run-id>/`, locating runs under the
//! runs root, and reading a run without changing it (for reports).

use std::path::{Path, PathBuf};

use super::StoreError;
use super::env::EnvInfo;
use super::jsonl::{self, JsonlContents};
use super::run_id::RunId;

/// The matrix as run, copied verbatim.
pub const MATRIX_FILE: &str = "matrix.toml";
/// One result per line, the source of truth.
pub const RESULTS_JSONL: &str = "results.jsonl";
/// One flat row per cell.
pub const RESULTS_CSV: &str = "results.csv";
/// Controller, host, times, command line.
pub const ENV_FILE: &str = "env.json";
/// Partial lines cut from `results.jsonl` on resume, kept for inspection.
pub const TORN_FILE: &str = "results.jsonl.torn";

/// The paths of a run's files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunPaths {
    /// `runs/<run-id>/`.
    pub dir: PathBuf,
    /// `matrix.toml`.
    pub matrix: PathBuf,
    /// `results.jsonl`.
    pub jsonl: PathBuf,
    /// `results.csv`.
    pub csv: PathBuf,
    /// `env.json`.
    pub env: PathBuf,
}

impl RunPaths {
    /// The files of run `id` under `runs_root`.
    pub fn new(runs_root: &Path, id: &RunId) -> RunPaths {
        let dir = runs_root.join(id.as_str());
        RunPaths {
            matrix: dir.join(MATRIX_FILE),
            jsonl: dir.join(RESULTS_JSONL),
            csv: dir.join(RESULTS_CSV),
            env: dir.join(ENV_FILE),
            dir,
        }
    }
}

/// The ids of the runs under `runs_root`, newest first (empty when the
/// directory does not exist).
pub fn list_runs(runs_root: &Path) -> Vec<RunId> {
    let mut ids: Vec<RunId> = std::fs::read_dir(runs_root)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| RunId::parse(e.file_name().to_str()?).ok())
        .filter(|id| runs_root.join(id.as_str()).join(RESULTS_JSONL).is_file())
        .collect();
    ids.sort_unstable_by(|a, b| b.cmp(a));
    ids
}

/// The paths of run `run_id`, checking that it exists.
///
/// # Errors
/// [`StoreError::BadRunId`] for text that is not a run id,
/// [`StoreError::RunNotFound`] (listing the latest runs) when there is no
/// `results.jsonl` for it.
pub fn locate(runs_root: &Path, run_id: &str) -> Result<(RunId, RunPaths), StoreError> {
    let id = RunId::parse(run_id)?;
    let paths = RunPaths::new(runs_root, &id);
    if !paths.jsonl.is_file() {
        let path = if paths.dir.is_dir() {
            paths.jsonl
        } else {
            paths.dir
        };
        return Err(StoreError::RunNotFound {
            run_id: run_id.to_owned(),
            path,
            latest: list_runs(runs_root)
                .into_iter()
                .take(5)
                .map(|id| id.to_string())
                .collect(),
        });
    }
    Ok((id, paths))
}

/// A run as read from its directory.
#[derive(Debug, Clone)]
pub struct RunFiles {
    /// The run.
    pub id: RunId,
    /// Its files.
    pub paths: RunPaths,
    /// `env.json`.
    pub env: EnvInfo,
    /// `matrix.toml`.
    pub matrix_text: String,
    /// `results.jsonl`.
    pub results: JsonlContents,
    /// What was tolerated (a torn last line), as messages.
    pub warnings: Vec<String>,
}

/// Reads run `run_id` without changing anything.
///
/// # Errors
/// As [`locate`], then [`StoreError::Io`], [`StoreError::BadEnv`],
/// [`StoreError::BadLine`] or [`StoreError::DuplicateLine`] naming the file.
pub fn read_run(runs_root: &Path, run_id: &str) -> Result<RunFiles, StoreError> {
    let (id, paths) = locate(runs_root, run_id)?;
    let env = EnvInfo::read(&paths.env)?;
    let matrix_text = std::fs::read_to_string(&paths.matrix)
        .map_err(|e| StoreError::io("read", &paths.matrix, e))?;
    let results = jsonl::read(&paths.jsonl)?;
    let warnings = results
        .torn
        .iter()
        .map(|t| torn_warning(&paths.jsonl, t))
        .collect();
    Ok(RunFiles {
        id,
        paths,
        env,
        matrix_text,
        results,
        warnings,
    })
}

/// The message for a partial last line.
pub(crate) fn torn_warning(path: &Path, t: &jsonl::TornTail) -> String {
    format!(
        "{}:{}: ignored a partial last line ({} bytes) left by an interrupted write",
        path.display(),
        t.line,
        t.len
    )
}
