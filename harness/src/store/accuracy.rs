//! [`AccuracyCache`]: accuracy is a property of model × recipe × eval text,
//! not of the device, so it is computed once and kept in the database under
//! every input that changes it.

use edgebench_schema::AccuracyReport;
use rusqlite::{OptionalExtension, params};

use super::StoreError;
use super::clock::UtcTime;
use super::db::Store;

/// Everything an accuracy figure depends on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccuracyKey {
    /// Lower-case hex SHA-256 of the model file.
    pub model_sha256: String,
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
            "model {} recipe {} reference {} text {} ctx {} windows {}",
            self.model_sha256,
            self.recipe,
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
                "SELECT report_json FROM accuracy_cache
                 WHERE model_sha256 = ?1 AND recipe = ?2 AND reference = ?3
                   AND text_sha256 = ?4 AND ctx = ?5 AND windows = ?6",
                params![
                    key.model_sha256,
                    key.recipe,
                    key.reference,
                    key.text_sha256,
                    key.ctx,
                    key.windows
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
                "INSERT OR REPLACE INTO accuracy_cache
                 (model_sha256, recipe, reference, text_sha256, ctx, windows, report_json, created)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    key.model_sha256,
                    key.recipe,
                    key.reference,
                    key.text_sha256,
                    key.ctx,
                    key.windows,
                    json,
                    UtcTime::now().rfc3339()
                ],
            )
            .map(drop)
            .map_err(|e| s.sql(e))
    }
}
