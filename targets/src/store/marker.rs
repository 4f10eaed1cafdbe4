//! An object's marker, `<sha256>.ok`: what the object looked like when its
//! bytes last hashed to its name. Size, mtime and inode all unchanged means
//! nobody wrote or replaced it since, so it need not be hashed again. The
//! marker's own mtime records the object's last use.

use std::fs::{File, FileTimes, Metadata};
use std::io::{self, Read, Write};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::fs_util::{open_regular, open_regular_for_write};

/// Most bytes read from a marker; a real one is well below.
const MARKER_LIMIT: u64 = 4096;

/// The identity of an object's file when it was hashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Marker {
    /// Size in bytes.
    pub bytes: u64,
    /// Modification time, nanoseconds since the Unix epoch.
    pub mtime_ns: i64,
    /// Inode number.
    pub inode: u64,
}

impl Marker {
    /// The marker of a file with metadata `meta`.
    pub fn of(meta: &Metadata) -> Marker {
        Marker {
            bytes: meta.len(),
            mtime_ns: meta
                .mtime()
                .saturating_mul(1_000_000_000)
                .saturating_add(meta.mtime_nsec()),
            inode: meta.ino(),
        }
    }

    /// Parses the marker in an opened file; `None` when it does not parse.
    pub fn read_from(file: File) -> Option<Marker> {
        let mut text = String::new();
        file.take(MARKER_LIMIT).read_to_string(&mut text).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Writes the marker to `path` (a regular file, never through a link),
    /// which makes its mtime now.
    pub fn write(&self, path: &Path) -> io::Result<()> {
        let (mut file, _) = open_regular_for_write(path, true)?;
        let text = serde_json::to_string(self).map_err(io::Error::other)?;
        file.write_all(text.as_bytes())?;
        file.write_all(b"\n")
    }
}

/// The marker at `path` and the metadata of its file, when it is a regular
/// file that parses.
pub(crate) fn read(path: &Path) -> Option<(Marker, Metadata)> {
    let (file, meta) = open_regular(path).ok()?;
    Some((Marker::read_from(file)?, meta))
}

/// Records a use: sets the marker's mtime to now.
pub(crate) fn touch(path: &Path) -> io::Result<()> {
    let (file, _) = open_regular_for_write(path, false)?;
    file.set_times(FileTimes::new().set_modified(SystemTime::now()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marker_round_trips_and_junk_does_not_parse() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let object = dir.join("object");
        std::fs::write(&object, b"bytes").unwrap();
        let m = Marker::of(&std::fs::metadata(&object).unwrap());
        assert_eq!(m.bytes, 5);
        let path = dir.join("object.ok");
        m.write(&path).unwrap();
        assert_eq!(read(&path).map(|(m, _)| m), Some(m));
        std::fs::write(&path, b"{\"bytes\": 5}").unwrap();
        assert!(read(&path).is_none());
        std::fs::write(&path, vec![b' '; 10_000]).unwrap();
        assert!(read(&path).is_none());
        // A link is not followed, for reading or writing.
        std::fs::remove_file(&path).unwrap();
        std::os::unix::fs::symlink(&object, &path).unwrap();
        assert!(m.write(&path).is_err());
        assert_eq!(std::fs::read(&object).unwrap(), b"bytes");
        assert!(touch(&path).is_err());
    }
}
