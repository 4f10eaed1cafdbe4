//! [`AccuracyCache`]: accuracy is a property of the recipe file, the
//! runtime, the reference file and the eval text, not of the device, so it
//! is computed once and kept in the database under every input that
//! changes it.

use edgebench_schema::{AccuracyReport, Runtime};
use rusqlite::{OptionalExtension, params};

use super::StoreError;
use super::clock::UtcTime;
use super::db::Store;

/// Everything an accuracy figure depends on: the two files' bytes, the
/// text and the windows. The recipe names are stored beside it for people
/// and are not part of the key (the same bytes under another name are the
/// same figure).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccuracyKey {
    /// Lower-case hex SHA-256 of the recipe file scored.
    pub file_sha256: String,
    /// Lower-case hex SHA-256 of the reference recipe's file.
    pub reference_sha256: String,
    /// Canonical recipe evaluated.
    pub recipe: String,
    /// Canonical reference recipe it is compared with.
    pub reference: String,
    /// SHA-256 of the evaluation text.
    pub text_sha256: String,
    /// Window length in tokens.
    pub ctx: u32,
    /// Windows evaluated.
    pub windows: u32,
    /// The runtime whose logits were scored.
    pub runtime: Runtime,
}

/// The accuracy cache of a [`Store`].
#[derive(Debug, Clone, Copy)]
pub struct AccuracyCache<'a> {
    store: &'a Store,
}

impl Store {
    /// The accuracy cache in this database.
    pub fn accuracy(&self) -> AccuracyCache<'_> {
        AccuracyCache { store: self }
    }
}

impl AccuracyKey {
    fn label(&self) -> String {
        format!(
            "file {} recipe {} on {} reference file {} ({}) text {} ctx {} windows {}",
            self.file_sha256,
            self.recipe,
            self.runtime,
            self.reference_sha256,
            self.reference,
            self.text_sha256,
            self.ctx,
            self.windows
        )
    }
}

impl AccuracyCache<'_> {
    /// The report stored under `key`, if any.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`], or [`StoreError::StoredJson`] when the stored
    /// report does not parse.
    pub fn get(&self, key: &AccuracyKey) -> Result<Option<AccuracyReport>, StoreError> {
        let s = self.store;
        let json: Option<String> = s
            .conn
            .query_row(
                "SELECT report_json FROM accuracy_by_runtime
                 WHERE file_sha256 = ?1 AND reference_sha256 = ?2
                   AND text_sha256 = ?3 AND ctx = ?4 AND windows = ?5 AND runtime = ?6",
                params![
                    key.file_sha256,
                    key.reference_sha256,
                    key.text_sha256,
                    key.ctx,
                    key.windows,
                    key.runtime.name()
                ],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| s.sql(e))?;
        json.map(|j| {
            serde_json::from_str(&j).map_err(|source| StoreError::StoredJson {
                path: s.path.clone(),
                what: "accuracy report",
                key: key.label(),
                source,
            })
        })
        .transpose()
    }

    /// Stores `report` under `key`, replacing an earlier one.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`], or [`StoreError::StoredJson`] when the report
    /// would not read back (a non-finite number).
    pub fn put(&self, key: &AccuracyKey, report: &AccuracyReport) -> Result<(), StoreError> {
        let s = self.store;
        let bad = |source| StoreError::StoredJson {
            path: s.path.clone(),
            what: "accuracy report",
            key: key.label(),
            source,
        };
        let json = serde_json::to_string(report).map_err(bad)?;
        serde_json::from_str::<AccuracyReport>(&json).map_err(bad)?;
        s.conn
            .execute(
                "INSERT OR REPLACE INTO accuracy_by_runtime
                 (file_sha256, reference_sha256, recipe, reference, text_sha256, ctx, windows,
                  runtime, report_json, created)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    key.file_sha256,
                    key.reference_sha256,
                    key.recipe,
                    key.reference,
                    key.text_sha256,
                    key.ctx,
                    key.windows,
                    key.runtime.name(),
                    json,
                    UtcTime::now().rfc3339()
                ],
            )
            .map(drop)
            .map_err(|e| s.sql(e))
    }
}
