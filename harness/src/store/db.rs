//! [`Store`]: the SQLite database of runs, cells, results and the accuracy
//! cache, opened in WAL mode with a busy timeout and migrated on open.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use super::StoreError;
use super::migrations::{MIGRATIONS, SCHEMA_VERSION};

/// File name of the database inside the runs directory.
pub const DEFAULT_DB_NAME: &str = "edgebench.sqlite";
/// How long a writer waits for another process's lock before failing.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The results database.
#[derive(Debug)]
pub struct Store {
    pub(crate) conn: Connection,
    pub(crate) path: PathBuf,
}

impl Store {
    /// The default database path for a runs directory:
    /// `<runs_root>/edgebench.sqlite`.
    pub fn default_path(runs_root: &Path) -> PathBuf {
        runs_root.join(DEFAULT_DB_NAME)
    }

    /// Opens (creating it and its directory if needed) the database at
    /// `path` and applies missing migrations.
    ///
    /// # Errors
    /// [`StoreError::DatabaseTooNew`] for a database of a newer edgebench,
    /// [`StoreError::Io`] when the directory cannot be created,
    /// [`StoreError::Sqlite`] for anything SQLite refuses (not a database,
    /// read-only, ...).
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::io("create database directory", dir, e))?;
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let sql = |source| StoreError::Sqlite {
            path: path.to_owned(),
            source,
        };
        let conn = Connection::open_with_flags(path, flags).map_err(sql)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(sql)?;
        // WAL: readers never block the writer; NORMAL sync is durable
        // against a crash of the process (the JSONL is the source of truth
        // against power loss).
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(sql)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(sql)?;
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(sql)?;
        let mut store = Store {
            conn,
            path: path.to_owned(),
        };
        store.migrate()?;
        Ok(store)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the open database (its `user_version`).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(|e| self.sql(e))
    }

    /// Applies the missing migrations, each in an immediate transaction
    /// that re-reads the version, so two processes opening the same
    /// database at once do not both apply one.
    fn migrate(&mut self) -> Result<(), StoreError> {
        let found = self.schema_version()?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::DatabaseTooNew {
                path: self.path.clone(),
                found,
                supported: SCHEMA_VERSION,
            });
        }
        for m in MIGRATIONS.iter().filter(|m| m.version > found) {
            let path = self.path.clone();
            let sql = |source| StoreError::Sqlite {
                path: path.clone(),
                source,
            };
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(sql)?;
            let now: i64 = tx
                .pragma_query_value(None, "user_version", |row| row.get(0))
                .map_err(sql)?;
            if now >= m.version {
                continue;
            }
            tx.execute_batch(m.sql).map_err(sql)?;
            tx.pragma_update(None, "user_version", m.version)
                .map_err(sql)?;
            tx.commit().map_err(sql)?;
        }
        Ok(())
    }

    /// Wraps a SQLite error with the database's path.
    pub(crate) fn sql(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }
}
