//! [`ObjectStore`]: a checked store directory and the paths inside it.

use std::fs::Metadata;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::fs_util::effective_uid;
use super::marker::{self, Marker};
use super::{ObjectId, StoreError};

/// Name of the upload directory inside a store.
const TMP_DIR: &str = ".tmp";

/// A store directory that exists and that not everyone may write to
/// without the sticky bit.
#[derive(Debug, Clone)]
pub struct ObjectStore {
    dir: PathBuf,
    /// The directory's owner.
    owner: u32,
    /// This process's effective user.
    me: u32,
}

impl ObjectStore {
    /// Checks `dir` and opens it as a store.
    ///
    /// # Errors
    /// [`StoreError::Dir`] when it is missing or not a directory,
    /// [`StoreError::WorldWritable`] when anyone may write to it and it
    /// lacks the sticky bit.
    pub fn open(dir: impl Into<PathBuf>) -> Result<ObjectStore, StoreError> {
        let dir = dir.into();
        let meta = std::fs::metadata(&dir).map_err(|e| StoreError::Dir {
            path: dir.clone(),
            reason: e.to_string(),
        })?;
        if !meta.is_dir() {
            return Err(StoreError::Dir {
                path: dir,
                reason: "not a directory".to_owned(),
            });
        }
        let mode = meta.permissions().mode() & 0o7777;
        if mode & 0o002 != 0 && mode & 0o1000 == 0 {
            return Err(StoreError::WorldWritable { path: dir, mode });
        }
        Ok(ObjectStore {
            dir,
            owner: meta.uid(),
            me: effective_uid(),
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where object `id` lives.
    pub fn object_path(&self, id: &ObjectId) -> PathBuf {
        self.dir.join(id.as_str())
    }

    /// Where the marker of `id` lives.
    pub fn marker_path(&self, id: &ObjectId) -> PathBuf {
        self.dir.join(id.marker_name())
    }

    /// The upload directory, `DIR/.tmp`.
    pub fn tmp_dir(&self) -> PathBuf {
        self.dir.join(TMP_DIR)
    }

    /// Whether a file owned by `uid` may vouch for an object: one of this
    /// user, the directory's owner or root wrote it, not a stranger
    /// sharing a sticky directory.
    fn trusts_owner(&self, uid: u32) -> bool {
        uid == self.me || uid == self.owner || uid == 0
    }

    /// The metadata of object `id` when it is a regular file whose marker
    /// matches it (same size, mtime and inode), so its bytes still hash to
    /// its name; `None` when it must be hashed.
    pub fn trusted(&self, id: &ObjectId) -> Option<Metadata> {
        let object = std::fs::symlink_metadata(self.object_path(id)).ok()?;
        let (marker, marker_meta) = marker::read(&self.marker_path(id))?;
        let trusted = object.is_file()
            && self.trusts_owner(object.uid())
            && self.trusts_owner(marker_meta.uid())
            && marker == Marker::of(&object);
        trusted.then_some(object)
    }

    /// When object `id`, whose file has metadata `object`, was last used:
    /// its marker's mtime, else the file's.
    pub fn last_used(&self, id: &ObjectId, object: &Metadata) -> Option<SystemTime> {
        std::fs::symlink_metadata(self.marker_path(id))
            .ok()
            .filter(Metadata::is_file)
            .and_then(|m| m.modified().ok())
            .or_else(|| object.modified().ok())
    }
}

/// The size of the file at `path` when it is an object of a store under
/// its own name `sha256` with a matching marker: its hash is known without
/// reading it. Records the use on the marker. `None` when the file must be
/// hashed.
pub fn trusted_size(path: &Path, sha256: &str) -> Option<u64> {
    let id = ObjectId::parse(&sha256.to_ascii_lowercase()).ok()?;
    if path.file_name()? != id.as_str() {
        return None;
    }
    let dir = match path.parent()? {
        p if p.as_os_str().is_empty() => Path::new("."),
        p => p,
    };
    let store = ObjectStore::open(dir).ok()?;
    let meta = store.trusted(&id)?;
    // Last use is advisory: a marker this user may not write stays as is.
    let _ = marker::touch(&store.marker_path(&id));
    Some(meta.len())
}
