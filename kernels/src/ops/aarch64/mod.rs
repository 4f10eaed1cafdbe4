//! aarch64 kernels (NEON, and NEON with dotprod).
//!
//! Each kernel is a `#[target_feature]` `unsafe fn` in [`float`] or
//! [`quant`]; this module wraps them in safe functions and hands those out
//! only through [`table`], which first checks that the CPU has the level.
//! The wrappers are private to this module so they cannot be reached any
//! other way.

mod act_quant;
mod asm;
mod attention;
mod float;
mod math;
mod panel;
mod quant;
mod tile;

use super::scalar::{self, attend_shape, panel_shape, tile as tile_by_rows, tile_shape};
use super::{DotKernels, Isa};
use super::{HeadQueries, KvHead};
use crate::quant::{BlockQ4_0, BlockQ4_1, BlockQ8_0, BlockQ8_1, PanelQ4_0, PanelQ8_0, QK};
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
        f32_tile: f32_neon_tile,
        f16_tile: f16_neon_tile,
        bf16_tile: bf16_neon_tile,
        q8_0_tile: q8_0_neon_tile,
        q4_0_tile: q4_0_neon_tile,
        q4_1_tile: q4_1_neon_tile,
        quantize_q8_0: quantize_q8_0_neon,
        attend_f32: attend_f32_neon,
        attend_f16: attend_f16_neon,
        swiglu: swiglu_neon,
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
            q8_0_tile: q8_0_dotprod_tile,
            q4_0_tile: q4_0_dotprod_tile,
            q4_1_tile: q4_1_dotprod_tile,
            q8_0_panel: q8_0_dotprod_panel,
            q4_0_panel: q4_0_dotprod_panel,
            prefers_panels: true,
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

checked_attend!(
    attend_f32_neon,
    attention::attend_f32,
    scalar::attend_f32,
    4
);
checked_attend!(
    attend_f16_neon,
    attention::attend_f16,
    scalar::attend_f16,
    2
);

fn swiglu_neon(gate: &mut [f32], up: &[f32]) {
    assert_eq!(gate.len(), up.len(), "swiglu: length mismatch");
    // SAFETY: NEON is available (see above).
    unsafe { math::swiglu(gate, up) }
}

fn quantize_q8_0_neon(x: &[f32], out: &mut [BlockQ8_0]) {
    assert_eq!(x.len(), out.len() * QK, "quantize_q8_0: length mismatch");
    // SAFETY: NEON is available (see above).
    unsafe { act_quant::quantize_q8_0(x, out) }
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

fn q8_0_dotprod_panel(w: &[PanelQ8_0], x: &[BlockQ8_0], nb: usize, out: &mut [f32]) {
    panel_shape(w.len(), x.len(), nb, out.len());
    // SAFETY: NEON and dotprod are available (see above); the shape was
    // checked.
    unsafe { panel::q8_0(w, x, nb, out) }
}

fn q4_0_dotprod_panel(w: &[PanelQ4_0], x: &[BlockQ8_0], sums: &[i32], nb: usize, out: &mut [f32]) {
    panel_shape(w.len(), x.len(), nb, out.len());
    assert_eq!(
        sums.len(),
        x.len(),
        "panel tile: one sum per activation block"
    );
    // SAFETY: NEON and dotprod are available (see above); the shape was
    // checked.
    unsafe { panel::q4_0(w, x, sums, nb, out) }
}

// Float tiles are memory-bound like the row dots: one NEON row dot per
// output keeps matrix-vector and matrix-matrix products identical.

fn f32_neon_tile(w: &[u8], x: &[f32], len: usize, out: &mut [f32]) {
    tile_by_rows(w, 4 * len, x, len, out, f32_neon);
}

fn f16_neon_tile(w: &[u8], x: &[f32], len: usize, out: &mut [f32]) {
    tile_by_rows(w, 2 * len, x, len, out, f16_neon);
}

fn bf16_neon_tile(w: &[u8], x: &[f32], len: usize, out: &mut [f32]) {
    tile_by_rows(w, 2 * len, x, len, out, bf16_neon);
}

/// Wraps a quantized tile kernel for one dot primitive: checks the tile
/// contract, then runs the kernel inside a function compiled with the
/// primitive's features so that everything inlines into one loop.
macro_rules! tile_entry {
    ($name:ident, $features:literal, $dot:ty, $w:ty, $x:ty) => {
        fn $name(w: &[$w], x: &[$x], nb: usize, out: &mut [f32]) {
            /// # Safety
            /// The CPU must support every feature enabled here; the shape
            /// follows the tile contract.
            #[target_feature(enable = $features)]
            unsafe fn inner(w: &[$w], x: &[$x], nb: usize, out: &mut [f32]) {
                // SAFETY: forwarded caller contract.
                unsafe { tile::run::<$w, $dot>(w, x, nb, out) }
            }
            tile_shape(w.len(), nb, x.len(), nb, out.len());
            // SAFETY: the features are available (see the wrappers above);
            // the shape was checked.
            unsafe { inner(w, x, nb, out) }
        }
    };
}

tile_entry!(q8_0_neon_tile, "neon", Widening, BlockQ8_0, BlockQ8_0);
tile_entry!(q4_0_neon_tile, "neon", Widening, BlockQ4_0, BlockQ8_0);
tile_entry!(q4_1_neon_tile, "neon", Widening, BlockQ4_1, BlockQ8_1);
tile_entry!(
    q8_0_dotprod_tile,
    "neon,dotprod",
    Sdot,
    BlockQ8_0,
    BlockQ8_0
);
tile_entry!(
    q4_0_dotprod_tile,
    "neon,dotprod",
    Sdot,
    BlockQ4_0,
    BlockQ8_0
);
tile_entry!(
    q4_1_dotprod_tile,
    "neon,dotprod",
    Sdot,
    BlockQ4_1,
    BlockQ8_1
);

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

    fn tables() -> Vec<DotKernels> {
        [Isa::Neon, Isa::NeonDotprod]
            .into_iter()
            .filter_map(table)
            .collect()
    }

    /// `bytes` copied to offset 1 of a fresh buffer, so it is misaligned for
    /// every type wider than a byte.
    fn misaligned(bytes: &[u8]) -> Vec<u8> {
        let mut v = vec![0u8; bytes.len() + 1];
        v[1..].copy_from_slice(bytes);
        v
    }

    #[test]
    fn half_rows_at_odd_addresses_and_special_values() {
        let s = DotKernels::SCALAR;
        // Subnormals, ±0, the largest finite value and ordinary values, for
        // every length up to three full 16-element iterations plus tails.
        let pattern: [u16; 7] = [0x0001, 0x83FF, 0x8000, 0x0000, 0x7BFF, 0x3C00, 0xB555];
        for k in tables() {
            for n in 0..56 {
                let bits: Vec<u16> = (0..n).map(|i| pattern[i % pattern.len()]).collect();
                let x: Vec<f32> = (0..n).map(|i| 1.0 - i as f32 / 64.0).collect();
                let w: Vec<u8> = bits.iter().flat_map(|b| b.to_le_bytes()).collect();
                let w = misaligned(&w);
                let (w, want16, wantb) = (&w[1..], (s.f16)(&w[1..], &x), (s.bf16)(&w[1..], &x));
                let (got16, gotb) = ((k.f16)(w, &x), (k.bf16)(w, &x));
                let tol = 1e-6 * want16.abs().max(1.0);
                assert!(
                    (got16 - want16).abs() <= tol,
                    "{} f16 n={n}: {got16} vs {want16}",
                    k.isa
                );
                let tol = 1e-6 * wantb.abs().max(1.0);
                assert!(
                    (gotb - wantb).abs() <= tol,
                    "{} bf16 n={n}: {gotb} vs {wantb}",
                    k.isa
                );
            }
            // Infinity and NaN weights propagate as in the reference.
            for (bits, want_nan) in [(0x7C00u16, false), (0x7E00, true), (0x7C01, true)] {
                let w: Vec<u8> = (0..19).flat_map(|_| bits.to_le_bytes()).collect();
                let got = (k.f16)(&w, &[1.0; 19]);
                assert_eq!(got.is_nan(), want_nan, "{} f16 {bits:#06x}: {got}", k.isa);
                assert!(
                    want_nan || got == f32::INFINITY,
                    "{} f16 {bits:#06x}: {got}",
                    k.isa
                );
            }
        }
    }

    #[test]
    fn quantized_rows_at_odd_addresses() {
        let s = DotKernels::SCALAR;
        let byte = |i: usize| (i.wrapping_mul(73) % 251) as u8;
        for k in tables() {
            for nb in [0usize, 1, 2, 3, 6] {
                // Scales: small positive halves (0x2xxx); quants: anything.
                let block = |len: usize, scales: usize| -> Vec<u8> {
                    (0..nb * len)
                        .map(|i| {
                            if i % len < 2 * scales {
                                [0x66, 0x2A][i % 2]
                            } else {
                                byte(i)
                            }
                        })
                        .collect()
                };
                let (w8, x8) = (misaligned(&block(34, 1)), misaligned(&block(34, 1)));
                let (w4, w41, x81) = (
                    misaligned(&block(18, 1)),
                    misaligned(&block(20, 2)),
                    misaligned(&block(36, 2)),
                );
                let w8: &[BlockQ8_0] = bytemuck::cast_slice(&w8[1..]);
                let x8: &[BlockQ8_0] = bytemuck::cast_slice(&x8[1..]);
                let w4: &[BlockQ4_0] = bytemuck::cast_slice(&w4[1..]);
                let w41: &[BlockQ4_1] = bytemuck::cast_slice(&w41[1..]);
                let x81: &[BlockQ8_1] = bytemuck::cast_slice(&x81[1..]);
                let close = |got: f32, want: f32, what: &str| {
                    let tol = 1e-5 * want.abs().max(1.0);
                    assert!(
                        (got - want).abs() <= tol,
                        "{} {what} nb={nb}: {got} vs {want}",
                        k.isa
                    );
                };
                close((k.q8_0)(w8, x8), (s.q8_0)(w8, x8), "q8_0");
                close((k.q4_0)(w4, x8), (s.q4_0)(w4, x8), "q4_0");
                close((k.q4_1)(w41, x81), (s.q4_1)(w41, x81), "q4_1");
            }
        }
    }
}
