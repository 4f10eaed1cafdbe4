//! `store clean`: frees the device's disk of objects not used for a while
//! and of abandoned uploads.

use std::time::SystemTime;

use serde::Serialize;

use super::fs_util::{remove_if_present, unix_seconds};
use super::list::{Listing, PartialEntry, list};
use super::object_id::is_object_id;
use super::{ObjectId, ObjectStore, PARTIAL_MAX_AGE_SECONDS, StoreError};

/// What to clean.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CleanOptions {
    /// Objects used within this many days stay.
    pub keep_days: u64,
    /// Objects that stay whatever their last use.
    pub keep: Vec<ObjectId>,
    /// Report what would be removed without removing it.
    pub dry_run: bool,
}

/// What `store clean` reports.
#[derive(Debug, Default, PartialEq, Eq, Serialize)]
pub struct CleanReport {
    /// Objects removed (or that would be, in a dry run).
    pub removed: Vec<Removed>,
    /// Abandoned uploads removed.
    pub removed_partial: Vec<PartialEntry>,
    /// Bytes freed by both.
    pub freed_bytes: u64,
    /// Bytes of the objects that stay.
    pub kept_bytes: u64,
    /// Whether nothing was actually removed.
    pub dry_run: bool,
}

/// One removed object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Removed {
    /// Its name.
    pub sha256: ObjectId,
    /// Its size.
    pub bytes: u64,
}

/// Removes, as of `now`, the objects last used more than
/// `options.keep_days` days ago except the kept ones (with their markers),
/// uploads not written for [`PARTIAL_MAX_AGE_SECONDS`], and markers whose
/// object is gone.
///
/// # Errors
/// [`StoreError::Io`] when a directory cannot be read or a file removed.
pub fn clean(
    store: &ObjectStore,
    options: &CleanOptions,
    now: SystemTime,
) -> Result<CleanReport, StoreError> {
    let Listing { objects, partial } = list(store, now)?;
    let max_age = i64::try_from(options.keep_days.saturating_mul(86_400)).unwrap_or(i64::MAX);
    let cutoff = unix_seconds(now).saturating_sub(max_age);
    let mut report = CleanReport {
        dry_run: options.dry_run,
        ..CleanReport::default()
    };
    for object in objects {
        if object.last_used_unix > cutoff || options.keep.contains(&object.sha256) {
            report.kept_bytes += object.bytes;
            continue;
        }
        if !options.dry_run {
            let path = store.object_path(&object.sha256);
            remove_if_present(&path).map_err(StoreError::io("remove", &path))?;
            let marker = store.marker_path(&object.sha256);
            remove_if_present(&marker).map_err(StoreError::io("remove", &marker))?;
        }
        report.freed_bytes += object.bytes;
        report.removed.push(Removed {
            sha256: object.sha256,
            bytes: object.bytes,
        });
    }
    for upload in partial {
        if upload.age_seconds <= PARTIAL_MAX_AGE_SECONDS {
            continue;
        }
        if !options.dry_run {
            let path = store.tmp_dir().join(&upload.name);
            remove_if_present(&path).map_err(StoreError::io("remove", &path))?;
        }
        report.freed_bytes += upload.bytes;
        report.removed_partial.push(upload);
    }
    if !options.dry_run {
        remove_orphan_markers(store)?;
    }
    Ok(report)
}

/// Removes `<sha256>.ok` files whose object is gone.
fn remove_orphan_markers(store: &ObjectStore) -> Result<(), StoreError> {
    let dir = store.dir();
    for entry in std::fs::read_dir(dir).map_err(StoreError::io("read", dir))? {
        let entry = entry.map_err(StoreError::io("read", dir))?;
        let name = entry.file_name();
        let Some(sha) = name.to_str().and_then(|n| n.strip_suffix(".ok")) else {
            continue;
        };
        if is_object_id(sha) && std::fs::symlink_metadata(dir.join(sha)).is_err() {
            let path = entry.path();
            remove_if_present(&path).map_err(StoreError::io("remove", &path))?;
        }
    }
    Ok(())
}
