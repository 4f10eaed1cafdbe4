//! Quantized row dots (Q8_0·Q8_0, Q4_0·Q8_0, Q4_1·Q8_1), written once over
//! an 8-bit dot primitive with two implementations:
//!
//! - [`Widening`] (plain NEON, e.g. Cortex-A72): `smull`/`smull2` into 16-bit
//!   products, then `sadalp` pairwise-adds them into 32-bit lanes. Products
//!   are at most 128·128 = 16384, so no 16-bit sum is ever formed (two such
//!   products would overflow `i16`).
//! - [`Sdot`] (Armv8.2 dotprod, e.g. Cortex-A76/A78): one `sdot` per 16 bytes.
//!
//! As in ggml's NEON kernels, two blocks are processed per iteration into two
//! float accumulators, so the two blocks' integer chains (load → unpack →
//! dot → `scvtf` → `fmla`) overlap. Per block of 32: Widening issues 4
//! `smull(2)` + 4 `sadalp`, Sdot 2 `sdot`; Q4 adds `and`/`ushr` (and a
//! `sub` for Q4_0) to unpack nibbles. Block scales are converted with a
//! scalar `fcvt`; the only loop-carried dependencies are the two `fmla`
//! accumulators.

use super::asm::{f16_to_f32, sdot};
use crate::quant::{BlockQ4_0, BlockQ4_1, BlockQ8_0, BlockQ8_1, F16Bytes};
use core::arch::aarch64::{
    float32x4_t, int8x16_t, int32x4_t, vaddq_f32, vaddvq_f32, vandq_u8, vcvtq_f32_s32, vdupq_n_f32,
    vdupq_n_s8, vdupq_n_s32, vdupq_n_u8, vfmaq_n_f32, vget_low_s8, vld1q_s8, vld1q_u8,
    vmull_high_s8, vmull_s8, vpadalq_s16, vreinterpretq_s8_u8, vshrq_n_u8, vsubq_s8,
};

/// An 8-bit integer dot-product step.
pub(super) trait I8Dot {
    /// `acc` plus the products `a[j] * b[j]`, spread over the four lanes
    /// (which lane gets which products is unspecified: only the lane total is
    /// meaningful). Exact for all inputs.
    ///
    /// # Safety
    /// The CPU must support the implementation's target features.
    unsafe fn dot(acc: int32x4_t, a: int8x16_t, b: int8x16_t) -> int32x4_t;
}

/// Plain NEON: widening multiplies and pairwise accumulation.
pub(super) struct Widening;

impl I8Dot for Widening {
    #[inline]
    #[target_feature(enable = "neon")]
    unsafe fn dot(acc: int32x4_t, a: int8x16_t, b: int8x16_t) -> int32x4_t {
        let lo = vmull_s8(vget_low_s8(a), vget_low_s8(b));
        let hi = vmull_high_s8(a, b);
        vpadalq_s16(vpadalq_s16(acc, lo), hi)
    }
}

/// Armv8.2 dotprod: `sdot`.
pub(super) struct Sdot;

impl I8Dot for Sdot {
    #[inline]
    #[target_feature(enable = "neon,dotprod")]
    unsafe fn dot(acc: int32x4_t, a: int8x16_t, b: int8x16_t) -> int32x4_t {
        // SAFETY: the caller guarantees dotprod.
        unsafe { sdot(acc, a, b) }
    }
}

/// Product of two block scales, as the scalar reference computes it.
#[inline]
#[target_feature(enable = "neon")]
fn scale(a: F16Bytes, b: F16Bytes) -> f32 {
    f16_to_f32(a.bits()) * f16_to_f32(b.bits())
}

/// The 16 + 16 quantized activations of a block.
///
/// # Safety
/// The CPU must support NEON.
#[inline]
#[target_feature(enable = "neon")]
pub(super) unsafe fn load_q8(qs: &[i8; 32]) -> (int8x16_t, int8x16_t) {
    // SAFETY: both 16-byte loads lie inside the 32-byte array; `ld1 {.16b}`
    // has no alignment requirement.
    unsafe { (vld1q_s8(qs.as_ptr()), vld1q_s8(qs.as_ptr().add(16))) }
}

/// The 32 nibbles of a Q4 block as bytes 0..16 (elements 0..16, low nibbles)
/// and 16..32 (high nibbles), unsigned 0..=15.
///
/// # Safety
/// The CPU must support NEON.
#[inline]
#[target_feature(enable = "neon")]
pub(super) unsafe fn unpack_q4(qs: &[u8; 16]) -> (int8x16_t, int8x16_t) {
    // SAFETY: the load reads exactly the 16-byte array.
    let v = unsafe { vld1q_u8(qs.as_ptr()) };
    (
        vreinterpretq_s8_u8(vandq_u8(v, vdupq_n_u8(0x0F))),
        vreinterpretq_s8_u8(vshrq_n_u8::<4>(v)),
    )
}

/// Σ w·x over one Q8_0 block pair, spread over four lanes.
///
/// # Safety
/// The CPU must support NEON and `D`'s features.
#[inline]
#[target_feature(enable = "neon")]
unsafe fn block_q8_0<D: I8Dot>(w: &BlockQ8_0, x: &BlockQ8_0) -> int32x4_t {
    // SAFETY: the caller guarantees NEON and D's features.
    unsafe {
        let (w0, w1) = load_q8(&w.qs);
        let (x0, x1) = load_q8(&x.qs);
        D::dot(D::dot(vdupq_n_s32(0), w0, x0), w1, x1)
    }
}

/// Σ (q-8)·x over one Q4_0 × Q8_0 block pair, spread over four lanes.
///
/// # Safety
/// The CPU must support NEON and `D`'s features.
#[inline]
#[target_feature(enable = "neon")]
unsafe fn block_q4_0<D: I8Dot>(w: &BlockQ4_0, x: &BlockQ8_0) -> int32x4_t {
    // SAFETY: the caller guarantees NEON and D's features.
    unsafe {
        let (lo, hi) = unpack_q4(&w.qs);
        let eight = vdupq_n_s8(8);
        let (x0, x1) = load_q8(&x.qs);
        D::dot(
            D::dot(vdupq_n_s32(0), vsubq_s8(lo, eight), x0),
            vsubq_s8(hi, eight),
            x1,
        )
    }
}

/// Σ q·x over one Q4_1 × Q8_1 block pair, spread over four lanes.
///
/// # Safety
/// The CPU must support NEON and `D`'s features.
#[inline]
#[target_feature(enable = "neon")]
unsafe fn block_q4_1<D: I8Dot>(w: &BlockQ4_1, x: &BlockQ8_1) -> int32x4_t {
    // SAFETY: the caller guarantees NEON and D's features.
    unsafe {
        let (lo, hi) = unpack_q4(&w.qs);
        let (x0, x1) = load_q8(&x.qs);
        D::dot(D::dot(vdupq_n_s32(0), lo, x0), hi, x1)
    }
}

/// `acc + lanes * d`, the per-block float accumulation.
#[inline]
#[target_feature(enable = "neon")]
fn accumulate(acc: float32x4_t, lanes: int32x4_t, d: f32) -> float32x4_t {
    vfmaq_n_f32(acc, vcvtq_f32_s32(lanes), d)
}

/// Q8_0 · Q8_0.
///
/// # Safety
/// The CPU must support NEON and `D`'s features.
///
/// # Panics
/// If the slices differ in length.
#[inline]
#[target_feature(enable = "neon")]
pub(super) unsafe fn dot_q8_0<D: I8Dot>(w: &[BlockQ8_0], x: &[BlockQ8_0]) -> f32 {
    assert_eq!(w.len(), x.len(), "dot_q8_0: length mismatch");
    let (mut s0, mut s1) = (vdupq_n_f32(0.0), vdupq_n_f32(0.0));
    let (mut wp, mut xp) = (w.chunks_exact(2), x.chunks_exact(2));
    for (w2, x2) in (&mut wp).zip(&mut xp) {
        // SAFETY: the caller guarantees NEON and D's features.
        let (p0, p1) = unsafe {
            (
                block_q8_0::<D>(&w2[0], &x2[0]),
                block_q8_0::<D>(&w2[1], &x2[1]),
            )
        };
        s0 = accumulate(s0, p0, scale(w2[0].d, x2[0].d));
        s1 = accumulate(s1, p1, scale(w2[1].d, x2[1].d));
    }
    for (a, b) in wp.remainder().iter().zip(xp.remainder()) {
        // SAFETY: as above.
        let p = unsafe { block_q8_0::<D>(a, b) };
        s0 = accumulate(s0, p, scale(a.d, b.d));
    }
    vaddvq_f32(vaddq_f32(s0, s1))
}

/// Q4_0 · Q8_0.
///
/// # Safety
/// The CPU must support NEON and `D`'s features.
///
/// # Panics
/// If the slices differ in length.
#[inline]
#[target_feature(enable = "neon")]
pub(super) unsafe fn dot_q4_0<D: I8Dot>(w: &[BlockQ4_0], x: &[BlockQ8_0]) -> f32 {
    assert_eq!(w.len(), x.len(), "dot_q4_0: length mismatch");
    let (mut s0, mut s1) = (vdupq_n_f32(0.0), vdupq_n_f32(0.0));
    let (mut wp, mut xp) = (w.chunks_exact(2), x.chunks_exact(2));
    for (w2, x2) in (&mut wp).zip(&mut xp) {
        // SAFETY: the caller guarantees NEON and D's features.
        let (p0, p1) = unsafe {
            (
                block_q4_0::<D>(&w2[0], &x2[0]),
                block_q4_0::<D>(&w2[1], &x2[1]),
            )
        };
        s0 = accumulate(s0, p0, scale(w2[0].d, x2[0].d));
        s1 = accumulate(s1, p1, scale(w2[1].d, x2[1].d));
    }
    for (a, b) in wp.remainder().iter().zip(xp.remainder()) {
        // SAFETY: as above.
        let p = unsafe { block_q4_0::<D>(a, b) };
        s0 = accumulate(s0, p, scale(a.d, b.d));
    }
    vaddvq_f32(vaddq_f32(s0, s1))
}

/// Q4_1 · Q8_1: the integer dot scaled by `d_w·d_x`, plus `m_w·s_x` per block.
///
/// # Safety
/// The CPU must support NEON and `D`'s features.
///
/// # Panics
/// If the slices differ in length.
#[inline]
#[target_feature(enable = "neon")]
pub(super) unsafe fn dot_q4_1<D: I8Dot>(w: &[BlockQ4_1], x: &[BlockQ8_1]) -> f32 {
    assert_eq!(w.len(), x.len(), "dot_q4_1: length mismatch");
    let (mut s0, mut s1) = (vdupq_n_f32(0.0), vdupq_n_f32(0.0));
    let mut mins = 0.0f32;
    let (mut wp, mut xp) = (w.chunks_exact(2), x.chunks_exact(2));
    for (w2, x2) in (&mut wp).zip(&mut xp) {
        // SAFETY: the caller guarantees NEON and D's features.
        let (p0, p1) = unsafe {
            (
                block_q4_1::<D>(&w2[0], &x2[0]),
                block_q4_1::<D>(&w2[1], &x2[1]),
            )
        };
        s0 = accumulate(s0, p0, scale(w2[0].d, x2[0].d));
        s1 = accumulate(s1, p1, scale(w2[1].d, x2[1].d));
        mins += scale(w2[0].m, x2[0].s) + scale(w2[1].m, x2[1].s);
    }
    for (a, b) in wp.remainder().iter().zip(xp.remainder()) {
        // SAFETY: as above.
        let p = unsafe { block_q4_1::<D>(a, b) };
        s0 = accumulate(s0, p, scale(a.d, b.d));
        mins += scale(a.m, b.s);
    }
    vaddvq_f32(vaddq_f32(s0, s1)) + mins
}
