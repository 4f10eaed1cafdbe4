//! aarch64 kernels (NEON, and NEON with dotprod).
//!
//! Each kernel is a `#[target_feature]` `unsafe fn` in [`float`] or
//! [`quant`]; this module wraps them in safe functions and hands those out
//! only through [`table`], which first checks that the CPU has the level.
//! The wrappers are private to this module so they cannot be reached any
//! other way.

mod asm;
mod float;
mod quant;

use super::{DotKernels, Isa};
use crate::quant::{BlockQ4_0, BlockQ4_1, BlockQ8_0, BlockQ8_1};
use quant::{Sdot, Widening};

/// The kernel table for an aarch64 level, or `None` when this CPU lacks it.
pub(crate) fn table(isa: Isa) -> Option<DotKernels> {
    // The kernels reinterpret little-endian bytes as vector lanes.
    if cfg!(target_endian = "big") || !isa.is_available() {
        return None;
    }
    // Fields added to `DotKernels` later fall back to the scalar reference.
    #[allow(
        clippy::needless_update,
        reason = "keeps new table entries defaulting to scalar"
    )]
    let neon = DotKernels {
        isa: Isa::Neon,
        f32: f32_neon,
        f16: f16_neon,
        bf16: bf16_neon,
        q8_0: q8_0_neon,
        q4_0: q4_0_neon,
        q4_1: q4_1_neon,
        ..DotKernels::SCALAR
    };
    match isa {
        Isa::Neon => Some(neon),
        // Float kernels are memory-bound FMA loops: dotprod adds nothing there.
        Isa::NeonDotprod => Some(DotKernels {
            isa: Isa::NeonDotprod,
            q8_0: q8_0_dotprod,
            q4_0: q4_0_dotprod,
            q4_1: q4_1_dotprod,
            ..neon
        }),
        _ => None,
    }
}

// Safe wrappers. SAFETY (all of them): reachable only through `table`, which
// returns them only for a level `Isa::is_available` confirmed on this CPU.

fn f32_neon(w: &[u8], x: &[f32]) -> f32 {
    // SAFETY: NEON is available (see above).
    unsafe { float::dot_f32(w, x) }
}

fn f16_neon(w: &[u8], x: &[f32]) -> f32 {
    // SAFETY: NEON is available (see above).
    unsafe { float::dot_f16(w, x) }
}

fn bf16_neon(w: &[u8], x: &[f32]) -> f32 {
    // SAFETY: NEON is available (see above).
    unsafe { float::dot_bf16(w, x) }
}

fn q8_0_neon(w: &[BlockQ8_0], x: &[BlockQ8_0]) -> f32 {
    // SAFETY: NEON is available (see above); `Widening` needs nothing more.
    unsafe { quant::dot_q8_0::<Widening>(w, x) }
}

fn q4_0_neon(w: &[BlockQ4_0], x: &[BlockQ8_0]) -> f32 {
    // SAFETY: NEON is available (see above); `Widening` needs nothing more.
    unsafe { quant::dot_q4_0::<Widening>(w, x) }
}

fn q4_1_neon(w: &[BlockQ4_1], x: &[BlockQ8_1]) -> f32 {
    // SAFETY: NEON is available (see above); `Widening` needs nothing more.
    unsafe { quant::dot_q4_1::<Widening>(w, x) }
}

/// Instantiates a quantized kernel with `sdot` inside a `dotprod` function,
/// so the generic kernel and its `sdot` steps inline into one loop, and wraps
/// it safely.
macro_rules! dotprod_entry {
    ($name:ident, $kernel:ident, $w:ty, $x:ty) => {
        fn $name(w: &[$w], x: &[$x]) -> f32 {
            /// # Safety
            /// The CPU must support NEON and dotprod.
            #[target_feature(enable = "neon,dotprod")]
            unsafe fn inner(w: &[$w], x: &[$x]) -> f32 {
                // SAFETY: this function's caller guarantees NEON and dotprod.
                unsafe { quant::$kernel::<Sdot>(w, x) }
            }
            // SAFETY: NEON and dotprod are available (see above).
            unsafe { inner(w, x) }
        }
    };
}

dotprod_entry!(q8_0_dotprod, dot_q8_0, BlockQ8_0, BlockQ8_0);
dotprod_entry!(q4_0_dotprod, dot_q4_0, BlockQ4_0, BlockQ8_0);
dotprod_entry!(q4_1_dotprod, dot_q4_1, BlockQ4_1, BlockQ8_1);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_follow_detection() {
        println!("available: {:?}", Isa::available());
        assert!(Isa::Neon.is_available(), "every aarch64 Linux CPU has NEON");
        for isa in [Isa::Neon, Isa::NeonDotprod] {
            let t = table(isa);
            assert_eq!(t.is_some(), isa.is_available(), "{isa}");
            if let Some(t) = t {
                assert_eq!(t.isa, isa);
            }
        }
        assert!(table(Isa::Avx2).is_none());
        assert!(table(Isa::Scalar).is_none());
    }
}
