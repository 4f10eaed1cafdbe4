//! `store commit`: an upload becomes an object once its bytes hash to the
//! object's name.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use serde::Serialize;

use super::fs_util::{open_regular, remove_if_present, sync_dir};
use super::marker::Marker;
use super::{ObjectId, ObjectStore, StoreError, sha256_hex};

/// What `store commit` reports.
#[derive(Debug, PartialEq, Eq, Serialize)]
pub struct Committed {
    /// The object's name.
    pub committed: ObjectId,
    /// Its size.
    pub bytes: u64,
}

/// Hashes the upload `tmp`, a regular file directly inside `DIR/.tmp/`;
/// when it hashes to `id`, gives it mode 0755 (`executable`) or 0644,
/// flushes it and renames it to `DIR/<id>` (atomically replacing any file
/// there: same name, same bytes), then writes its marker where it may.
///
/// # Errors
/// [`StoreError::OutsideTmp`] for an upload elsewhere,
/// [`StoreError::HashMismatch`] (the upload is deleted), or
/// [`StoreError::Io`].
pub fn commit(
    store: &ObjectStore,
    tmp: &Path,
    id: &ObjectId,
    executable: bool,
) -> Result<Committed, StoreError> {
    check_inside_tmp(store, tmp)?;
    let (file, _) = open_regular(tmp).map_err(StoreError::io("open", tmp))?;
    let (actual, bytes) = sha256_hex(&file).map_err(StoreError::io("read", tmp))?;
    if actual != id.as_str() {
        drop(file);
        remove_if_present(tmp).map_err(StoreError::io("remove", tmp))?;
        return Err(StoreError::HashMismatch {
            path: tmp.to_owned(),
            expected: id.to_string(),
            actual,
            bytes,
        });
    }
    let mode = if executable { 0o755 } else { 0o644 };
    file.set_permissions(std::fs::Permissions::from_mode(mode))
        .map_err(StoreError::io("set the mode of", tmp))?;
    file.sync_all().map_err(StoreError::io("flush", tmp))?;
    let object = store.object_path(id);
    std::fs::rename(tmp, &object).map_err(StoreError::io("rename the upload to", &object))?;
    sync_dir(store.dir()).map_err(StoreError::io("flush", store.dir()))?;
    // The renamed file is the one still open; its size, mtime and inode
    // are the object's. Without a marker (one another user wrote and this
    // one may not replace) the object is only hashed again by the next
    // verify.
    let meta = file.metadata().map_err(StoreError::io("stat", &object))?;
    let _ = Marker::of(&meta).write(&store.marker_path(id));
    Ok(Committed {
        committed: id.clone(),
        bytes,
    })
}

/// Checks that `tmp` names an entry directly inside the store's upload
/// directory, itself a real directory (not a link elsewhere).
fn check_inside_tmp(store: &ObjectStore, tmp: &Path) -> Result<(), StoreError> {
    let tmp_dir = store.tmp_dir();
    let outside = || StoreError::OutsideTmp {
        path: tmp.to_owned(),
        tmp_dir: tmp_dir.clone(),
    };
    let tmp_dir_is_dir = std::fs::symlink_metadata(&tmp_dir).is_ok_and(|m| m.is_dir());
    let name_is_plain = tmp
        .file_name()
        .is_some_and(|n| n != "." && n != ".." && !n.is_empty());
    let parent = tmp.parent().filter(|p| !p.as_os_str().is_empty());
    let (Some(parent), true, true) = (parent, tmp_dir_is_dir, name_is_plain) else {
        return Err(outside());
    };
    let same = match (parent.canonicalize(), tmp_dir.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same { Ok(()) } else { Err(outside()) }
}
