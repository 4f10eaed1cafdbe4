//! aarch64 kernels (NEON, and NEON with dotprod).

use super::{DotKernels, Isa};

/// The kernel table for an aarch64 level the CPU has been checked to support.
pub(crate) fn table(isa: Isa) -> Option<DotKernels> {
    let _ = isa;
    None
}
