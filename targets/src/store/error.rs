//! Why a store operation failed.

use std::path::PathBuf;

/// Everything that stops a store operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A name that is not a SHA-256 (so never a path).
    #[error("'{0}' is not a SHA-256: 64 lower-case hex digits expected")]
    BadId(String),
    /// The store directory is missing or not a directory.
    #[error("store directory '{path}': {reason}")]
    Dir {
        /// The directory.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// Anyone may write to the directory and it lacks the sticky bit, so
    /// anyone could replace an object.
    #[error(
        "store directory '{path}' is writable by everyone without the sticky bit (mode {mode:04o}); refusing to use it"
    )]
    WorldWritable {
        /// The directory.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// An upload to commit that is not a file directly inside `DIR/.tmp/`.
    #[error("'{path}' is not a file directly inside '{tmp_dir}', where uploads are committed from")]
    OutsideTmp {
        /// The upload's path as given.
        path: PathBuf,
        /// The store's upload directory.
        tmp_dir: PathBuf,
    },
    /// The upload's bytes do not hash to the name it is committed under;
    /// the upload was deleted.
    #[error(
        "'{path}' has sha256 {actual} ({bytes} bytes), expected {expected}; the upload was deleted"
    )]
    HashMismatch {
        /// The upload.
        path: PathBuf,
        /// The name it was to be committed under.
        expected: String,
        /// The hash of its bytes.
        actual: String,
        /// Its size.
        bytes: u64,
    },
    /// A file operation failed.
    #[error("cannot {action} '{path}': {source}")]
    Io {
        /// What was being done (`read`, `rename`, ...).
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl StoreError {
    /// An [`StoreError::Io`] for `action` on `path`.
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| StoreError::Io {
            action,
            path,
            source,
        }
    }
}
