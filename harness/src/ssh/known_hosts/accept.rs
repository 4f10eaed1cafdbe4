//! [`accept_new`]: OpenSSH's `StrictHostKeyChecking accept-new`, safe for
//! many device threads accepting at once.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io::Write;
use std::path::Path;

use super::{HostKey, HostKeyCheck, KnownHosts, KnownHostsError, entry_line, entry_name};

/// What [`accept_new`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    /// The key was appended to the file.
    Added,
    /// The file already trusts the key for the host; nothing was written.
    AlreadyKnown,
}

/// Trusts `key` for `host` on `port` from now on by appending one line to
/// the known_hosts file `path`, unless the file already holds it.
///
/// The parent directory (mode 0700) and the file (mode 0600) are created
/// when missing. The file is read and checked again under an exclusive
/// lock, so concurrent callers never add the same host twice nor lose each
/// other's lines; an existing line is never rewritten. A key that the file
/// holds a different key of the same type for, or revokes, is refused: a
/// changed key is never accepted this way.
pub fn accept_new(
    path: &Path,
    host: &str,
    port: u16,
    key: &HostKey,
) -> Result<Accepted, KnownHostsError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        private_dir_builder()
            .create(dir)
            .map_err(KnownHostsError::io("create the directory of", path))?;
    }
    let mut file = open_private(path).map_err(KnownHostsError::io("open", path))?;
    file.lock().map_err(KnownHostsError::io("lock", path))?;
    let contents = super::read_bounded(&mut file, path)?;
    match KnownHosts::parse(path, &contents).check(host, port, key) {
        HostKeyCheck::Trusted { .. } => return Ok(Accepted::AlreadyKnown),
        HostKeyCheck::Changed { line, known, .. } => {
            return Err(KnownHostsError::Changed {
                path: path.to_owned(),
                line,
                name: entry_name(host, port),
                offered: Box::new(key.clone()),
                known: Box::new(known),
            });
        }
        HostKeyCheck::Revoked { line, .. } => {
            return Err(KnownHostsError::Revoked {
                path: path.to_owned(),
                line,
                name: entry_name(host, port),
                offered: Box::new(key.clone()),
            });
        }
        HostKeyCheck::Unknown { .. } => {}
    }
    let mut line = String::new();
    if contents.last().is_some_and(|&b| b != b'\n') {
        line.push('\n');
    }
    line.push_str(&entry_line(host, port, key));
    line.push('\n');
    // One write on an O_APPEND descriptor: the line lands whole at the end.
    file.write_all(line.as_bytes())
        .and_then(|()| file.sync_data())
        .map_err(KnownHostsError::io("append to", path))?;
    Ok(Accepted::Added)
}

/// Opens `path` for reading and appending, creating it private to the user.
fn open_private(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).append(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// A recursive directory builder whose new directories are private.
fn private_dir_builder() -> DirBuilder {
    let mut builder = DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
}
