//! File operations the store needs that refuse symbolic links and special
//! files: another user of a sticky shared directory may plant either under
//! a name the store is about to use.

use std::fs::{File, Metadata, OpenOptions};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

/// `O_NOFOLLOW` refuses a symbolic link; `O_NONBLOCK` keeps a FIFO from
/// blocking the open (it changes nothing for a regular file).
const SAFE_FLAGS: i32 = libc::O_NOFOLLOW | libc::O_NONBLOCK;

/// Checks that an opened file is a regular file.
fn regular(file: File, path: &Path) -> io::Result<(File, Metadata)> {
    let meta = file.metadata()?;
    if meta.is_file() {
        Ok((file, meta))
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("'{}' is not a regular file", path.display()),
        ))
    }
}

/// Opens `path` for reading when it is a regular file (not a link), with
/// its metadata.
pub(crate) fn open_regular(path: &Path) -> io::Result<(File, Metadata)> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(SAFE_FLAGS)
        .open(path)?;
    regular(file, path)
}

/// Opens `path` for writing, created with mode 0644 when missing and
/// truncated when `truncate`, when it is a regular file (not a link).
pub(crate) fn open_regular_for_write(path: &Path, truncate: bool) -> io::Result<(File, Metadata)> {
    let file = OpenOptions::new()
        .write(true)
        .create(truncate)
        .truncate(truncate)
        .mode(0o644)
        .custom_flags(SAFE_FLAGS)
        .open(path)?;
    regular(file, path)
}

/// Removes `path`; one already gone is fine.
pub(crate) fn remove_if_present(path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Flushes a directory's entries (a rename into it) to the disk.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// The effective user id of this process.
pub(crate) fn effective_uid() -> u32 {
    // SAFETY: geteuid takes no arguments, touches no memory and cannot
    // fail.
    unsafe { libc::geteuid() }
}

/// Seconds since the Unix epoch (negative before it).
pub(crate) fn unix_seconds(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// Whole seconds from `then` to `now`, 0 when `then` is in the future.
pub(crate) fn age_seconds(then: SystemTime, now: SystemTime) -> u64 {
    now.duration_since(then).map_or(0, |d| d.as_secs())
}
