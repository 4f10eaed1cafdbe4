//! x86-64 kernels (AVX2 + FMA + F16C, AVX-512).
//!
//! The `#[target_feature]` functions are private and `unsafe`; the safe
//! wrappers below check the length contract and are only placed in a
//! [`DotKernels`] table after [`Isa::is_available`] confirmed the features
//! (see `table.rs`), which is what makes calling them sound.

mod avx2_float;
mod avx2_quant;
mod avx512;

use super::{DotKernels, Isa};
use crate::quant::{BlockQ4_0, BlockQ4_1, BlockQ8_0, BlockQ8_1};

/// The kernel table for an x86 level the CPU has been checked to support.
pub(crate) fn table(isa: Isa) -> Option<DotKernels> {
    match isa {
        Isa::Avx2 => Some(AVX2),
        Isa::Avx512 if std::arch::is_x86_feature_detected!("avx512vnni") => Some(AVX512_VNNI),
        Isa::Avx512 => Some(AVX512),
        _ => None,
    }
}

/// AVX2 + FMA + F16C kernels. The struct update keeps the table compiling
/// (with the scalar kernel) when an entry is added before it has a SIMD twin.
#[allow(clippy::needless_update)]
const AVX2: DotKernels = DotKernels {
    isa: Isa::Avx2,
    f32: avx2_f32,
    f16: avx2_f16,
    bf16: avx2_bf16,
    q8_0: avx2_q8_0,
    q4_0: avx2_q4_0,
    q4_1: avx2_q4_1,
    ..DotKernels::SCALAR
};

/// AVX-512 F/BW/VL kernels (with the AVX2 features every such CPU has).
#[allow(clippy::needless_update)]
const AVX512: DotKernels = DotKernels {
    isa: Isa::Avx512,
    f32: avx512_f32,
    f16: avx512_f16,
    bf16: avx512_bf16,
    q8_0: avx512_q8_0,
    q4_0: avx512_q4_0,
    q4_1: avx512_q4_1,
    ..DotKernels::SCALAR
};

/// [`AVX512`] with the VNNI byte dot (`vpdpbusd`) in the quantized kernels;
/// only handed out after `avx512vnni` was detected.
#[allow(clippy::needless_update)]
const AVX512_VNNI: DotKernels = DotKernels {
    q8_0: avx512_vnni_q8_0,
    q4_0: avx512_vnni_q4_0,
    q4_1: avx512_vnni_q4_1,
    ..AVX512
};

/// Declares a safe wrapper around a `#[target_feature]` kernel that asserts
/// the length contract first.
macro_rules! wrapper {
    ($name:ident, $imp:path, $w:ty, $x:ty, $ratio:expr) => {
        fn $name(w: &[$w], x: &[$x]) -> f32 {
            assert_eq!(
                w.len(),
                x.len() * $ratio,
                concat!(stringify!($name), ": length mismatch")
            );
            // SAFETY: this function is only reachable through a table built
            // for a level `Isa::is_available` confirmed (and, for the VNNI
            // kernels, after `avx512vnni` was detected), which implies every
            // feature the kernel enables; lengths were checked above.
            unsafe { $imp(w, x) }
        }
    };
}

wrapper!(avx2_f32, avx2_float::dot_f32, u8, f32, 4);
wrapper!(avx2_f16, avx2_float::dot_f16, u8, f32, 2);
wrapper!(avx2_bf16, avx2_float::dot_bf16, u8, f32, 2);
wrapper!(avx2_q8_0, avx2_quant::dot_q8_0, BlockQ8_0, BlockQ8_0, 1);
wrapper!(avx2_q4_0, avx2_quant::dot_q4_0, BlockQ4_0, BlockQ8_0, 1);
wrapper!(avx2_q4_1, avx2_quant::dot_q4_1, BlockQ4_1, BlockQ8_1, 1);
wrapper!(avx512_f32, avx512::dot_f32, u8, f32, 4);
wrapper!(avx512_f16, avx512::dot_f16, u8, f32, 2);
wrapper!(avx512_bf16, avx512::dot_bf16, u8, f32, 2);
wrapper!(avx512_q8_0, avx512::dot_q8_0, BlockQ8_0, BlockQ8_0, 1);
wrapper!(avx512_q4_0, avx512::dot_q4_0, BlockQ4_0, BlockQ8_0, 1);
wrapper!(avx512_q4_1, avx512::dot_q4_1, BlockQ4_1, BlockQ8_1, 1);
wrapper!(
    avx512_vnni_q8_0,
    avx512::dot_q8_0_vnni,
    BlockQ8_0,
    BlockQ8_0,
    1
);
wrapper!(
    avx512_vnni_q4_0,
    avx512::dot_q4_0_vnni,
    BlockQ4_0,
    BlockQ8_0,
    1
);
wrapper!(
    avx512_vnni_q4_1,
    avx512::dot_q4_1_vnni,
    BlockQ4_1,
    BlockQ8_1,
    1
);
