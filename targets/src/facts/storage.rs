//! Free and total space of the filesystem holding a path (`statvfs`).

use std::ffi::CString;
use std::io;
use std::mem::MaybeUninit;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// Space on one filesystem, bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilesystemSpace {
    /// Bytes an unprivileged user may still write (`f_bavail`).
    pub free_bytes: u64,
    /// The filesystem's size (`f_blocks`).
    pub total_bytes: u64,
}

/// The space of the filesystem holding `path`.
///
/// # Errors
/// `path` contains a NUL byte, or `statvfs` fails (missing path, no
/// permission).
// The block counts and sizes are u64 here, u32 on some 32-bit targets.
#[allow(clippy::useless_conversion)]
pub fn filesystem_space(path: &Path) -> io::Result<FilesystemSpace> {
    let c_path = CString::new(path.as_os_str().as_bytes())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let mut st = MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `c_path` is a NUL-terminated string that outlives the call,
    // and `st` points to writable memory of the size of a `statvfs`, which
    // the call fills on success.
    let ret = unsafe { libc::statvfs(c_path.as_ptr(), st.as_mut_ptr()) };
    if ret != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: statvfs returned 0, so it initialised every field of `st`.
    let st = unsafe { st.assume_init() };
    let fragment = u64::from(st.f_frsize);
    Ok(FilesystemSpace {
        free_bytes: u64::from(st.f_bavail).saturating_mul(fragment),
        total_bytes: u64::from(st.f_blocks).saturating_mul(fragment),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn space_of_the_temp_dir_and_of_nothing() {
        let s = filesystem_space(&std::env::temp_dir()).unwrap();
        assert!(s.total_bytes > 0 && s.free_bytes <= s.total_bytes, "{s:?}");
        let e = filesystem_space(Path::new("/no/such/edgebench/path")).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        assert!(filesystem_space(Path::new("a\0b")).is_err());
    }
}
