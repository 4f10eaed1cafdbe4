//! OpenSSH known_hosts files, read by our own parser and checked the way
//! OpenSSH checks them, but aware of key types.
//!
//! A host is looked up under the name OpenSSH uses: `host` on port 22,
//! `[host]:port` on any other (no fallback from one to the other). A line
//! matches when one of its comma-separated patterns (`*`, `?`) matches and
//! none of its `!`-negated ones does, or when its hashed name
//! (`|1|salt|hmac`, `ssh-keygen -H`) is the name's. `@revoked` lines revoke
//! their key for their hosts; `@cert-authority` lines are not host keys and
//! are ignored.
//!
//! Unlike libssh2's check, an entry of another key type never makes a key
//! "changed": only an entry of the same type with a different key does.
//! [`KnownHosts::key_types`] and [`host_key_algorithms`] let the transport
//! ask a device for a type that known_hosts records, and
//! [`accept_new`] adds a first key as OpenSSH's
//! `StrictHostKeyChecking accept-new` does.

mod accept;
mod error;
#[cfg(test)]
mod fixtures;
mod host_key;
mod host_key_error;
mod line;
mod pattern;
#[cfg(test)]
mod tests;

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

pub use accept::{Accepted, accept_new};
pub use error::KnownHostsError;
pub use host_key::{BlobError, HostKey, entry_line, entry_name, fingerprint, host_key_algorithms};
pub use host_key_error::HostKeyError;

use line::{Line, Marker, parse_line};

/// The largest known_hosts file read, in bytes.
pub const MAX_FILE_BYTES: u64 = 16 << 20;

/// The verdict on a host's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKeyCheck {
    /// An entry for the host holds this key.
    Trusted {
        /// The file of the entry.
        file: PathBuf,
        /// Its line number, from 1.
        line: usize,
    },
    /// No entry for the host holds a key of this type.
    Unknown {
        /// The key types that entries for the host do hold (file order,
        /// each once); the device offered none of these.
        other_types: Vec<String>,
    },
    /// An entry for the host holds a different key of the same type.
    Changed {
        /// The file of the entry.
        file: PathBuf,
        /// Its line number, from 1.
        line: usize,
        /// The key it holds.
        known: HostKey,
    },
    /// An `@revoked` line revokes this key for the host.
    Revoked {
        /// The file of the `@revoked` line.
        file: PathBuf,
        /// Its line number, from 1.
        line: usize,
    },
}

/// A line that was skipped because it cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The file.
    pub file: PathBuf,
    /// The line number, from 1.
    pub line: usize,
    /// What is wrong with it.
    pub reason: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.reason)
    }
}

/// A usable line and where it is.
#[derive(Debug, Clone)]
struct Entry {
    /// Index into [`KnownHosts::files`].
    file: usize,
    /// Line number, from 1.
    line: usize,
    /// What it says.
    data: Line,
}

/// The entries of some known_hosts files, in file and line order.
#[derive(Debug, Clone, Default)]
pub struct KnownHosts {
    files: Vec<PathBuf>,
    entries: Vec<Entry>,
    warnings: Vec<Warning>,
}

impl KnownHosts {
    /// Reads `files` in order (the user's before the global ones, as
    /// OpenSSH does). A missing file counts as empty; a file that cannot
    /// be read, or is larger than [`MAX_FILE_BYTES`], is an error. Lines
    /// that cannot be read are skipped and kept as [`warnings`](Self::warnings).
    pub fn load(files: &[PathBuf]) -> Result<KnownHosts, KnownHostsError> {
        let mut known = KnownHosts::default();
        for path in files {
            let bytes = match std::fs::File::open(path) {
                Ok(file) => read_bounded(file, path)?,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
                Err(e) => return Err(KnownHostsError::io("read", path)(e)),
            };
            known.add_file(path, &bytes);
        }
        Ok(known)
    }

    /// The entries of one file's contents, `file` naming it in verdicts
    /// and warnings.
    pub fn parse(file: &Path, contents: &[u8]) -> KnownHosts {
        let mut known = KnownHosts::default();
        known.add_file(file, contents);
        known
    }

    fn add_file(&mut self, path: &Path, contents: &[u8]) {
        let file = self.files.len();
        self.files.push(path.to_owned());
        for (i, bytes) in contents.split(|&b| b == b'\n').enumerate() {
            let line = i + 1;
            let parsed = std::str::from_utf8(bytes)
                .map_err(|_| "the line is not UTF-8".to_owned())
                .and_then(parse_line);
            match parsed {
                Ok(Some(data)) => self.entries.push(Entry { file, line, data }),
                Ok(None) => {}
                Err(reason) => self.warnings.push(Warning {
                    file: path.to_owned(),
                    line,
                    reason,
                }),
            }
        }
    }

    /// The files read, missing ones included, in order.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// The lines skipped because they cannot be read.
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// How many usable lines were read (host keys, `@revoked` and
    /// `@cert-authority` lines).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no usable line was read.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries for `host` on `port` with `marker`.
    fn for_host(&self, host: &str, port: u16, marker: Marker) -> impl Iterator<Item = &Entry> {
        let name = entry_name(host, port);
        self.entries
            .iter()
            .filter(move |e| e.data.marker == marker && e.data.hosts.matches(&name))
    }

    /// The `@revoked` line that revokes `key` for `host` on `port`.
    fn revocation(&self, host: &str, port: u16, key: &HostKey) -> Option<&Entry> {
        self.for_host(host, port, Marker::Revoked)
            .find(|e| e.data.key == *key)
    }

    /// The key types recorded for `host` on `port`, in file order, each
    /// once, leaving out keys revoked for the host. Hand them to the
    /// transport through [`host_key_algorithms`].
    pub fn key_types(&self, host: &str, port: u16) -> Vec<String> {
        let mut types: Vec<String> = Vec::new();
        for entry in self.for_host(host, port, Marker::None) {
            let key = &entry.data.key;
            if !types.contains(&key.key_type) && self.revocation(host, port, key).is_none() {
                types.push(key.key_type.clone());
            }
        }
        types
    }

    /// Checks `key`, offered by `host` on `port`. A revocation wins over
    /// everything; then an entry with this key; then an entry of the same
    /// type with another key (the first one in order); else the key is
    /// unknown, and entries of other types are only listed.
    pub fn check(&self, host: &str, port: u16, key: &HostKey) -> HostKeyCheck {
        if let Some(entry) = self.revocation(host, port, key) {
            return HostKeyCheck::Revoked {
                file: self.files[entry.file].clone(),
                line: entry.line,
            };
        }
        let mut changed = None;
        let mut other_types: Vec<String> = Vec::new();
        for entry in self.for_host(host, port, Marker::None) {
            let known = &entry.data.key;
            if known == key {
                return HostKeyCheck::Trusted {
                    file: self.files[entry.file].clone(),
                    line: entry.line,
                };
            }
            if known.key_type == key.key_type {
                changed.get_or_insert(entry);
            } else if !other_types.contains(&known.key_type) {
                other_types.push(known.key_type.clone());
            }
        }
        match changed {
            Some(entry) => HostKeyCheck::Changed {
                file: self.files[entry.file].clone(),
                line: entry.line,
                known: entry.data.key.clone(),
            },
            None => HostKeyCheck::Unknown { other_types },
        }
    }

    /// [`check`](Self::check) as a result: `Ok` when trusted, else the
    /// error to show for device `device`, whose fix adds the key to
    /// `add_to` (the user's first known_hosts file); boxed, as it carries
    /// keys and file lists.
    pub fn verify(
        &self,
        device: &str,
        host: &str,
        port: u16,
        key: &HostKey,
        add_to: &Path,
    ) -> Result<(), Box<HostKeyError>> {
        let check = self.check(host, port, key);
        match HostKeyError::from_check(device, host, port, key, check, &self.files, add_to) {
            Some(error) => Err(Box::new(error)),
            None => Ok(()),
        }
    }
}

/// All of `reader`, refused beyond [`MAX_FILE_BYTES`].
fn read_bounded(reader: impl Read, path: &Path) -> Result<Vec<u8>, KnownHostsError> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(KnownHostsError::io("read", path))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(KnownHostsError::TooLarge {
            path: path.to_owned(),
            limit: MAX_FILE_BYTES,
        });
    }
    Ok(bytes)
}
