//! x86-64 kernels (AVX2 + FMA + F16C, AVX-512).

use super::{DotKernels, Isa};

/// The kernel table for an x86 level the CPU has been checked to support.
pub(crate) fn table(isa: Isa) -> Option<DotKernels> {
    let _ = isa;
    None
}
