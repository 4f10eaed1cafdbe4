//! x86-64 kernels (AVX2 + FMA + F16C, AVX-512).
//!
//! The `#[target_feature]` functions are private and `unsafe`; the safe
//! wrappers below check the length contract and are only placed in a
//! [`DotKernels`] table after [`Isa::is_available`] confirmed the features
//! (see `table.rs`), which is what makes calling them sound.

mod avx2_act_quant;
mod avx2_attention;
mod avx2_float;
mod avx2_math;
mod avx2_panel;
mod avx2_quant;
mod avx2_tile;
mod avx2_tile_float;
mod avx512;

use super::scalar::{self, attend_shape, panel_shape, tile_shape};
use super::{DotKernels, Isa};
use super::{HeadQueries, KvHead};
use crate::quant::{BlockQ4_0, BlockQ4_1, BlockQ8_0, BlockQ8_1, PanelQ4_0, PanelQ8_0, QK};

/// The kernel table for an x86 level the CPU has been checked to support.
pub(crate) fn table(isa: Isa) -> Option<DotKernels> {
    match isa {
        Isa::Avx2 if std::arch::is_x86_feature_detected!("avxvnni") => Some(AVX2_VNNI),
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
    f32_tile: avx2_f32_tile,
    f16_tile: avx2_f16_tile,
    bf16_tile: avx2_bf16_tile,
    q8_0_tile: avx2_q8_0_tile,
    q4_0_tile: avx2_q4_0_tile,
    q4_1_tile: avx2_q4_1_tile,
    quantize_q8_0: avx2_quantize_q8_0,
    q8_0_panel: avx2_q8_0_panel,
    q4_0_panel: avx2_q4_0_panel,
    attend_f32: avx2_attend_f32,
    attend_f16: avx2_attend_f16,
    swiglu: avx2_swiglu,
    prefers_panels: true,
    ..DotKernels::SCALAR
};

/// [`AVX2`] with the AVX-VNNI byte dot in the quantized tiles; only handed
/// out after `avxvnni` was detected.
const AVX2_VNNI: DotKernels = DotKernels {
    q8_0_tile: avxvnni_q8_0_tile,
    q4_0_tile: avxvnni_q4_0_tile,
    q4_1_tile: avxvnni_q4_1_tile,
    q8_0_panel: avxvnni_q8_0_panel,
    q4_0_panel: avxvnni_q4_0_panel,
    ..AVX2
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
    // Tiles are compute-bound on 256-bit registers: the AVX2 ones serve.
    ..AVX2
};

/// [`AVX512`] with the VNNI byte dot (`vpdpbusd`) in the quantized kernels;
/// only handed out after `avx512vnni` was detected.
#[allow(clippy::needless_update)]
const AVX512_VNNI: DotKernels = DotKernels {
    q8_0: avx512_vnni_q8_0,
    q4_0: avx512_vnni_q4_0,
    q4_1: avx512_vnni_q4_1,
    q8_0_tile: avx512vnni_q8_0_tile,
    q4_0_tile: avx512vnni_q4_0_tile,
    q4_1_tile: avx512vnni_q4_1_tile,
    q8_0_panel: avx512vnni_q8_0_panel,
    q4_0_panel: avx512vnni_q4_0_panel,
    ..AVX512
};

fn avx2_quantize_q8_0(x: &[f32], out: &mut [BlockQ8_0]) {
    assert_eq!(x.len(), out.len() * QK, "quantize_q8_0: length mismatch");
    // SAFETY: reachable only through a table built for a level
    // `Isa::is_available` confirmed, which implies AVX2.
    unsafe { avx2_act_quant::quantize_q8_0(x, out) }
}

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

/// Declares a safe wrapper around a `#[target_feature]` tile kernel that
/// checks the tile contract first; `$bytes` is the weight elements' size
/// relative to the activations' row unit (bytes per element for float
/// weights, 1 for blocks).
macro_rules! tile_wrapper {
    ($name:ident, $imp:path, $w:ty, $x:ty, $bytes:expr) => {
        fn $name(w: &[$w], x: &[$x], k: usize, out: &mut [f32]) {
            tile_shape(w.len(), k * $bytes, x.len(), k, out.len());
            // SAFETY: as for `wrapper!` (the VNNI tiles sit only in tables
            // handed out after their feature was detected); the shape was
            // checked above.
            unsafe { $imp(w, x, k, out) }
        }
    };
}

tile_wrapper!(avx2_f32_tile, avx2_tile_float::f32, u8, f32, 4);
tile_wrapper!(avx2_f16_tile, avx2_tile_float::f16, u8, f32, 2);
tile_wrapper!(avx2_bf16_tile, avx2_tile_float::bf16, u8, f32, 2);
tile_wrapper!(avx2_q8_0_tile, avx2_tile::q8_0, BlockQ8_0, BlockQ8_0, 1);
tile_wrapper!(avx2_q4_0_tile, avx2_tile::q4_0, BlockQ4_0, BlockQ8_0, 1);
tile_wrapper!(avx2_q4_1_tile, avx2_tile::q4_1, BlockQ4_1, BlockQ8_1, 1);
tile_wrapper!(
    avxvnni_q8_0_tile,
    avx2_tile::q8_0_avxvnni,
    BlockQ8_0,
    BlockQ8_0,
    1
);
tile_wrapper!(
    avxvnni_q4_0_tile,
    avx2_tile::q4_0_avxvnni,
    BlockQ4_0,
    BlockQ8_0,
    1
);
tile_wrapper!(
    avxvnni_q4_1_tile,
    avx2_tile::q4_1_avxvnni,
    BlockQ4_1,
    BlockQ8_1,
    1
);
tile_wrapper!(
    avx512vnni_q8_0_tile,
    avx2_tile::q8_0_avx512vnni,
    BlockQ8_0,
    BlockQ8_0,
    1
);
tile_wrapper!(
    avx512vnni_q4_0_tile,
    avx2_tile::q4_0_avx512vnni,
    BlockQ4_0,
    BlockQ8_0,
    1
);
tile_wrapper!(
    avx512vnni_q4_1_tile,
    avx2_tile::q4_1_avx512vnni,
    BlockQ4_1,
    BlockQ8_1,
    1
);

/// Declares safe wrappers around the `#[target_feature]` panel kernels of
/// one byte-dot flavour that check the panel tile contract first.
macro_rules! panel_wrappers {
    ($q8_0:ident, $q8_0_imp:path, $q4_0:ident, $q4_0_imp:path) => {
        fn $q8_0(w: &[PanelQ8_0], x: &[BlockQ8_0], nb: usize, out: &mut [f32]) {
            panel_shape(w.len(), x.len(), nb, out.len());
            // SAFETY: as for `tile_wrapper!`; the shape was checked above.
            unsafe { $q8_0_imp(w, x, nb, out) }
        }

        fn $q4_0(w: &[PanelQ4_0], x: &[BlockQ8_0], sums: &[i32], nb: usize, out: &mut [f32]) {
            panel_shape(w.len(), x.len(), nb, out.len());
            assert_eq!(
                sums.len(),
                x.len(),
                "panel tile: one sum per activation block"
            );
            // SAFETY: as for `tile_wrapper!`; the shape was checked above.
            unsafe { $q4_0_imp(w, x, sums, nb, out) }
        }
    };
}

panel_wrappers!(
    avx2_q8_0_panel,
    avx2_panel::q8_0,
    avx2_q4_0_panel,
    avx2_panel::q4_0
);
panel_wrappers!(
    avxvnni_q8_0_panel,
    avx2_panel::q8_0_avxvnni,
    avxvnni_q4_0_panel,
    avx2_panel::q4_0_avxvnni
);
panel_wrappers!(
    avx512vnni_q8_0_panel,
    avx2_panel::q8_0_avx512vnni,
    avx512vnni_q4_0_panel,
    avx2_panel::q4_0_avx512vnni
);

checked_attend!(
    avx2_attend_f32,
    avx2_attention::attend_f32,
    scalar::attend_f32,
    4
);
checked_attend!(
    avx2_attend_f16,
    avx2_attention::attend_f16,
    scalar::attend_f16,
    2
);

fn avx2_swiglu(gate: &mut [f32], up: &[f32]) {
    assert_eq!(gate.len(), up.len(), "swiglu: length mismatch");
    // SAFETY: as for `wrapper!` (AVX2 implies FMA in these tables).
    unsafe { avx2_math::swiglu(gate, up) }
}
