//! `store list`: the objects with their size and last use, and the uploads
//! in progress (or abandoned).

use std::io;
use std::time::SystemTime;

use serde::Serialize;

use super::fs_util::{age_seconds, unix_seconds};
use super::{ObjectId, ObjectStore, StoreError};

/// The content of a store.
#[derive(Debug, Default, PartialEq, Eq, Serialize)]
pub struct Listing {
    /// Objects, by name.
    pub objects: Vec<ObjectEntry>,
    /// Files in `DIR/.tmp`, by name.
    pub partial: Vec<PartialEntry>,
}

/// One object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectEntry {
    /// Its name.
    pub sha256: ObjectId,
    /// Its size.
    pub bytes: u64,
    /// Its last use (marker mtime, else file mtime), seconds since the
    /// Unix epoch.
    pub last_used_unix: i64,
}

/// One file in the upload directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartialEntry {
    /// Its file name.
    pub name: String,
    /// Its size so far.
    pub bytes: u64,
    /// Seconds since it was last written, as of the listing.
    pub age_seconds: u64,
}

/// Lists the store at `now`. Entries that are neither objects nor markers
/// are left out.
///
/// # Errors
/// [`StoreError::Io`] when a directory cannot be read.
pub fn list(store: &ObjectStore, now: SystemTime) -> Result<Listing, StoreError> {
    let mut objects = Vec::new();
    let dir = store.dir();
    for entry in std::fs::read_dir(dir).map_err(StoreError::io("read", dir))? {
        let entry = entry.map_err(StoreError::io("read", dir))?;
        let Some(Ok(id)) = entry.file_name().to_str().map(ObjectId::parse) else {
            continue;
        };
        // Gone since the directory was read: not there any more.
        let Ok(meta) = entry.metadata() else {
            continue;
        };
        if !meta.is_file() {
            continue;
        }
        let last_used = store.last_used(&id, &meta).map_or(0, unix_seconds);
        objects.push(ObjectEntry {
            sha256: id,
            bytes: meta.len(),
            last_used_unix: last_used,
        });
    }
    objects.sort_by(|a, b| a.sha256.cmp(&b.sha256));
    Ok(Listing {
        objects,
        partial: partial(store, now)?,
    })
}

/// The files in `DIR/.tmp`; none when it does not exist.
fn partial(store: &ObjectStore, now: SystemTime) -> Result<Vec<PartialEntry>, StoreError> {
    let tmp = store.tmp_dir();
    let entries = match std::fs::read_dir(&tmp) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        other => other.map_err(StoreError::io("read", &tmp))?,
    };
    let mut partial = Vec::new();
    for entry in entries {
        let entry = entry.map_err(StoreError::io("read", &tmp))?;
        let Ok(meta) = entry.metadata() else {
            continue;
        };
        if meta.is_dir() {
            continue;
        }
        partial.push(PartialEntry {
            name: entry.file_name().to_string_lossy().into_owned(),
            bytes: meta.len(),
            age_seconds: meta.modified().map_or(0, |t| age_seconds(t, now)),
        });
    }
    partial.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(partial)
}
