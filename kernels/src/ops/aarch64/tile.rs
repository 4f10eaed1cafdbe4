//! Quantized tile kernels: four weight rows × one to four activation rows
//! per call, over the same 8-bit dot primitive as the row kernels
//! ([`Widening`](super::quant::Widening) or [`Sdot`](super::quant::Sdot)).
//!
//! Per 32-element block, each weight row is loaded (and unpacked) once and
//! each activation block once; every pair costs two 16-byte dot steps into
//! four i32 lanes. The four weight rows' lanes are then summed pairwise
//! (`addp`) into one vector of four exact block dots, converted once and
//! added to the activation row's accumulator with one FMA against the four
//! scale products (plus `m_w · s_x` for Q4_1). Lane `r` of accumulator `c`
//! follows the scalar recurrence of output `(r, c)` whatever the tile's
//! shape; a tile with fewer than four weight rows repeats its last row.

use super::asm::f16x8_to_f32;
use super::quant::{I8Dot, load_q8, unpack_q4};
use crate::ops::tile_shape::{rows_of, store};
use crate::quant::{BlockQ4_0, BlockQ4_1, BlockQ8_0, BlockQ8_1};
use core::arch::aarch64::{
    float32x4_t, int8x16_t, int32x4_t, vcvtq_f32_s32, vdupq_n_f32, vdupq_n_s8, vdupq_n_s32,
    vfmaq_f32, vfmaq_laneq_f32, vld1q_u16, vmulq_laneq_f32, vpaddq_s32, vst1q_f32, vsubq_s8,
};

/// An activation block format: Q8_0, or Q8_1 with its scaled sum.
pub(super) trait ActBlock {
    /// The 32 activations.
    ///
    /// # Safety
    /// The CPU must support NEON.
    unsafe fn act_quants(&self) -> (int8x16_t, int8x16_t);
    /// The scale and (Q8_1) scaled sum, raw f16 bits.
    fn act_scales(&self) -> (u16, u16);
}

impl ActBlock for BlockQ8_0 {
    #[inline]
    #[target_feature(enable = "neon")]
    unsafe fn act_quants(&self) -> (int8x16_t, int8x16_t) {
        // SAFETY: the caller guarantees NEON.
        unsafe { load_q8(&self.qs) }
    }
    fn act_scales(&self) -> (u16, u16) {
        (self.d.bits(), 0)
    }
}

impl ActBlock for BlockQ8_1 {
    #[inline]
    #[target_feature(enable = "neon")]
    unsafe fn act_quants(&self) -> (int8x16_t, int8x16_t) {
        // SAFETY: the caller guarantees NEON.
        unsafe { load_q8(&self.qs) }
    }
    fn act_scales(&self) -> (u16, u16) {
        (self.d.bits(), self.s.bits())
    }
}

/// A weight block format and the activation blocks it multiplies.
pub(super) trait QuantBlock {
    /// The activation blocks.
    type Act: ActBlock;
    /// Whether blocks carry a minimum multiplied by the activations' sum.
    const HAS_MIN: bool;
    /// The 32 weights as signed bytes (elements 0..16 and 16..32).
    ///
    /// # Safety
    /// The CPU must support NEON.
    unsafe fn quants(&self) -> (int8x16_t, int8x16_t);
    /// Scale and minimum (0 without one), raw f16 bits.
    fn scales(&self) -> (u16, u16);
}

impl QuantBlock for BlockQ8_0 {
    type Act = BlockQ8_0;
    const HAS_MIN: bool = false;
    #[inline]
    #[target_feature(enable = "neon")]
    unsafe fn quants(&self) -> (int8x16_t, int8x16_t) {
        // SAFETY: the caller guarantees NEON.
        unsafe { load_q8(&self.qs) }
    }
    fn scales(&self) -> (u16, u16) {
        (self.d.bits(), 0)
    }
}

impl QuantBlock for BlockQ4_0 {
    type Act = BlockQ8_0;
    const HAS_MIN: bool = false;
    #[inline]
    #[target_feature(enable = "neon")]
    unsafe fn quants(&self) -> (int8x16_t, int8x16_t) {
        // SAFETY: the caller guarantees NEON.
        let (lo, hi) = unsafe { unpack_q4(&self.qs) };
        let eight = vdupq_n_s8(8);
        (vsubq_s8(lo, eight), vsubq_s8(hi, eight))
    }
    fn scales(&self) -> (u16, u16) {
        (self.d.bits(), 0)
    }
}

impl QuantBlock for BlockQ4_1 {
    type Act = BlockQ8_1;
    const HAS_MIN: bool = true;
    #[inline]
    #[target_feature(enable = "neon")]
    unsafe fn quants(&self) -> (int8x16_t, int8x16_t) {
        // SAFETY: the caller guarantees NEON.
        unsafe { unpack_q4(&self.qs) }
    }
    fn scales(&self) -> (u16, u16) {
        (self.d.bits(), self.m.bits())
    }
}

/// Eight f16 values (raw bits) as two f32 vectors (lanes 0..4, 4..8).
#[inline]
#[target_feature(enable = "neon")]
fn halves8(h: [u16; 8]) -> (float32x4_t, float32x4_t) {
    // SAFETY: the array holds the eight values read.
    f16x8_to_f32(unsafe { vld1q_u16(h.as_ptr()) })
}

/// The outputs of four weight rows × `C` activation rows of `nb` blocks.
///
/// # Safety
/// The CPU must support NEON and `D`'s features; every row holds the same
/// number of blocks.
#[inline]
#[target_feature(enable = "neon")]
unsafe fn tile<B: QuantBlock, D: I8Dot, const C: usize>(
    w: [&[B]; 4],
    x: [&[B::Act]; C],
) -> [[f32; 4]; C] {
    let nb = w[0].len();
    let mut acc = [vdupq_n_f32(0.0); C];
    for b in 0..nb {
        let s: [(u16, u16); 4] = std::array::from_fn(|r| w[r][b].scales());
        let (dw, mw) = halves8([
            s[0].0, s[1].0, s[2].0, s[3].0, s[0].1, s[1].1, s[2].1, s[3].1,
        ]);
        // SAFETY: the caller guarantees NEON.
        let q: [(int8x16_t, int8x16_t); 4] = std::array::from_fn(|r| unsafe { w[r][b].quants() });
        for c in 0..C {
            let a = &x[c][b];
            // SAFETY: the caller guarantees NEON and `D`'s features.
            let p: [int32x4_t; 4] = unsafe {
                let (x0, x1) = a.act_quants();
                q.map(|(q0, q1)| D::dot(D::dot(vdupq_n_s32(0), q0, x0), q1, x1))
            };
            let dots = vpaddq_s32(vpaddq_s32(p[0], p[1]), vpaddq_s32(p[2], p[3]));
            let (d, sum) = a.act_scales();
            let (ds, _) = halves8([d, sum, 0, 0, 0, 0, 0, 0]);
            let scale = vmulq_laneq_f32::<0>(dw, ds);
            acc[c] = vfmaq_f32(acc[c], vcvtq_f32_s32(dots), scale);
            if B::HAS_MIN {
                acc[c] = vfmaq_laneq_f32::<1>(acc[c], mw, ds);
            }
        }
    }
    let mut out = [[0.0f32; 4]; C];
    for (o, a) in out.iter_mut().zip(acc) {
        // SAFETY: `o` holds the four f32 stored.
        unsafe { vst1q_f32(o.as_mut_ptr(), a) };
    }
    out
}

/// A whole tile call: pads the weight rows and picks the batch width.
///
/// # Safety
/// The CPU must support NEON and `D`'s features; the shape follows the tile
/// contract (checked by the caller).
#[inline]
#[target_feature(enable = "neon")]
pub(super) unsafe fn run<B: QuantBlock, D: I8Dot>(
    w: &[B],
    x: &[B::Act],
    nb: usize,
    out: &mut [f32],
) {
    let rows = w.len() / nb;
    let wr = rows_of::<B, 4>(w, nb);
    // SAFETY: forwarded caller contract (every arm).
    unsafe {
        match x.len() / nb {
            1 => store(tile::<B, D, 1>(wr, rows_of(x, nb)), rows, out),
            2 => store(tile::<B, D, 2>(wr, rows_of(x, nb)), rows, out),
            3 => store(tile::<B, D, 3>(wr, rows_of(x, nb)), rows, out),
            _ => store(tile::<B, D, 4>(wr, rows_of(x, nb)), rows, out),
        }
    }
}
