//! `store verify`: which objects the device has, hashing only those whose
//! marker does not vouch for them.

use std::io;

use serde::Serialize;

use super::fs_util::{open_regular, remove_if_present};
use super::marker::{self, Marker};
use super::{ObjectId, ObjectStore, StoreError, sha256_hex};

/// The state of the objects asked about.
#[derive(Debug, Default, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// Objects whose bytes hash to their name.
    pub present: Vec<ObjectId>,
    /// Objects not in the store.
    pub missing: Vec<ObjectId>,
    /// Objects whose bytes did not hash to their name (or that were not
    /// regular files); they were deleted, to be uploaded again.
    pub corrupt: Vec<ObjectId>,
}

/// What one object turned out to be.
enum State {
    Present,
    Missing,
    Corrupt,
}

/// Checks each of `ids` (duplicates once): trusted by its marker, or
/// hashed, with the marker refreshed on a match and the object and marker
/// deleted on a mismatch. A present object's marker records the use. Also
/// creates the upload directory `DIR/.tmp` when missing, where this user
/// may.
///
/// # Errors
/// [`StoreError::Io`] when an object exists but cannot be read.
pub fn verify(store: &ObjectStore, ids: &[ObjectId]) -> Result<VerifyReport, StoreError> {
    // Uploads follow a verify; a user who may not create it finds out then.
    let _ = std::fs::create_dir(store.tmp_dir());
    let mut report = VerifyReport::default();
    for (i, id) in ids.iter().enumerate() {
        if ids[..i].contains(id) {
            continue;
        }
        let list = match check(store, id)? {
            State::Present => &mut report.present,
            State::Missing => &mut report.missing,
            State::Corrupt => &mut report.corrupt,
        };
        list.push(id.clone());
    }
    Ok(report)
}

fn check(store: &ObjectStore, id: &ObjectId) -> Result<State, StoreError> {
    let path = store.object_path(id);
    let marker_path = store.marker_path(id);
    if store.trusted(id).is_some() {
        // Last use is advisory: a marker this user may not write stays.
        let _ = marker::touch(&marker_path);
        return Ok(State::Present);
    }
    let (file, before) = match open_regular(&path) {
        Ok(opened) => opened,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(State::Missing),
        Err(e) if e.kind() == io::ErrorKind::InvalidInput || is_link(&e) => {
            discard(store, id);
            return Ok(State::Corrupt);
        }
        Err(e) => return Err(StoreError::io("open", &path)(e)),
    };
    let (found, _) = sha256_hex(&file).map_err(StoreError::io("read", &path))?;
    if found != id.as_str() {
        discard(store, id);
        return Ok(State::Corrupt);
    }
    // A file that changed while it was hashed gets no marker: the next
    // verify hashes it again.
    let after = file.metadata().map_err(StoreError::io("stat", &path))?;
    let marker = Marker::of(&before);
    if marker == Marker::of(&after) {
        // Without a marker (a directory this user may not write) the
        // object is only hashed again next time.
        let _ = marker.write(&marker_path);
    }
    Ok(State::Present)
}

/// Whether opening failed because the name is a symbolic link
/// (`O_NOFOLLOW`).
fn is_link(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::ELOOP)
}

/// Deletes a corrupt object and its marker, as far as this user may: one
/// that stays is replaced by the next commit or refused there, by name.
fn discard(store: &ObjectStore, id: &ObjectId) {
    let _ = remove_if_present(&store.object_path(id));
    let _ = remove_if_present(&store.marker_path(id));
}
