//! [`KnownHostsError`]: why a known_hosts file could not be read or added to.

use std::path::PathBuf;

use super::HostKey;

/// Everything that keeps known_hosts files from being read, or a key from
/// being added to one.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KnownHostsError {
    /// A file or directory cannot be read, created, locked or written.
    #[error("cannot {action} known_hosts file {}", path.display())]
    Io {
        /// What was being done (`read`, `open`, `lock`, `append to`, ...).
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A file is larger than any sane known_hosts file.
    #[error(
        "known_hosts file {} is larger than {limit} bytes; is it the right file?",
        path.display()
    )]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The limit, [`MAX_FILE_BYTES`](super::MAX_FILE_BYTES).
        limit: u64,
    },
    /// A key was to be added for a host that the file already holds a
    /// different key of the same type for.
    #[error(
        "not adding the {} key {} for `{name}` to {}: line {line} holds a different {} key {} \
         for it; a changed key is never accepted, not even with --accept-new-host-keys",
        offered.key_type,
        offered.fingerprint(),
        path.display(),
        known.key_type,
        known.fingerprint()
    )]
    Changed {
        /// The file.
        path: PathBuf,
        /// The line of the other key, from 1.
        line: usize,
        /// The host as known_hosts names it.
        name: String,
        /// The key offered.
        offered: Box<HostKey>,
        /// The key recorded.
        known: Box<HostKey>,
    },
    /// A key was to be added that the file revokes for the host.
    #[error(
        "not adding the {} key {} for `{name}` to {}: line {line} marks it @revoked; a revoked \
         key is never accepted",
        offered.key_type,
        offered.fingerprint(),
        path.display()
    )]
    Revoked {
        /// The file.
        path: PathBuf,
        /// The `@revoked` line, from 1.
        line: usize,
        /// The host as known_hosts names it.
        name: String,
        /// The key offered.
        offered: Box<HostKey>,
    },
}

impl KnownHostsError {
    /// An [`Io`](KnownHostsError::Io) error for `path`.
    pub(super) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| KnownHostsError::Io {
            action,
            path,
            source,
        }
    }
}
