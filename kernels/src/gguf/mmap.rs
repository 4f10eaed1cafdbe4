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

/// Drops the pages of bytes `offset .. offset + len` of `map` (and the rest
/// of the pages they touch) from this process's resident set: a later read
/// faults them back in from the file. Used once a tensor's bytes have been
/// copied into another layout, so the mapped original stops counting in
/// the resident memory. Best effort: a refusal changes nothing else.
pub(crate) fn release(map: &Mmap, offset: usize, len: usize) {
    // SAFETY: the map is read-only and never written, so dropping its pages
    // loses nothing: every byte reads back unchanged from the file (the
    // same assumption as `map`), and no reference into the map dangles.
    let _ = unsafe { map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, offset, len) };
}

/// Tells the kernel that bytes `offset .. offset + len` of `map` are read
/// at random (row lookups), so a fault maps the page it needs rather than
/// reading ahead. Best effort.
pub(crate) fn advise_random(map: &Mmap, offset: usize, len: usize) {
    let _ = map.advise_range(memmap2::Advice::Random, offset, len);
}
