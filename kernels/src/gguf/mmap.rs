//! Read-only memory mapping of a model file: the one place this module
//! needs `unsafe`.

use std::fs::File;

use memmap2::Mmap;

/// Maps `file` read-only.
///
/// The mapping reflects later changes to the file by other processes; the
/// reader validates every field of the header once, so a file truncated or
/// rewritten underneath a running process is outside what it defends against
/// (as for every mmap-based model loader).
pub(crate) fn map(file: &File) -> std::io::Result<Mmap> {
    // SAFETY: the map is read-only and private to this process; model files
    // are not modified while loaded (see the function docs), so the bytes
    // behind the returned slice stay valid for the map's lifetime.
    unsafe { Mmap::map(file) }
}
