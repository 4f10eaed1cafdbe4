//! Where the commands that read stored runs find the results database:
//! `--runs-dir` and `--store`, as `run` and `report` take them.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use crate::store::Store;

/// `--runs-dir DIR` and `--store PATH`.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// Directory of run directories and the store.
    #[arg(long, value_name = "DIR", default_value = "runs")]
    pub runs_dir: PathBuf,
    /// The SQLite store [default: RUNS_DIR/edgebench.sqlite].
    #[arg(long, value_name = "PATH")]
    pub store: Option<PathBuf>,
}

impl StoreArgs {
    /// The database file.
    pub fn path(&self) -> PathBuf {
        self.store
            .clone()
            .unwrap_or_else(|| Store::default_path(&self.runs_dir))
    }

    /// The database, or `None` when there is no file yet (nothing was run
    /// with this runs directory); a missing database is not created.
    ///
    /// # Errors
    /// The file exists and cannot be opened as a results database.
    pub fn open_existing(&self) -> anyhow::Result<Option<Store>> {
        let path = self.path();
        if !path.exists() {
            return Ok(None);
        }
        Store::open(&path)
            .map(Some)
            .with_context(|| format!("cannot open the results database '{}'", path.display()))
    }

    /// The database, which must exist.
    ///
    /// # Errors
    /// There is no database at the path, or it cannot be opened.
    pub fn open_required(&self) -> anyhow::Result<Store> {
        self.open_existing()?.with_context(|| {
            format!(
                "no results database at '{}': no run was stored there \
                 (see --runs-dir and --store)",
                self.path().display()
            )
        })
    }
}
