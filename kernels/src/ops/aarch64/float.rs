//! Float-weight row dots (f32, f16, bf16 little-endian bytes · f32) with NEON.
//!
//! Weight rows are byte slices of alignment 1 (rows inside a mapped GGUF
//! file). They are loaded with `vld1q_u8` on the byte pointer and
//! reinterpreted as lanes: `ld1 {v.16b}` has no alignment requirement, and no
//! misaligned `*const f32`/`*const u16` is ever formed. (aarch64 lanes are
//! little-endian, the GGUF byte order; `table` refuses big-endian builds.)
//!
//! Inner loop: 16 elements per iteration into 4 independent FMA chains.
//! f32 issues 8 q-register loads and 4 `fmla` per iteration: a Cortex-A72
//! (one load per cycle) is load-bound at ~8 cycles; an A76/A78 (two loads per
//! cycle, 4-cycle `fmla` on two pipes) keeps 4 chains just fed. f16 adds two
//! `fcvtl`/`fcvtl2` pairs and bf16 two `shll`/`shll2` pairs per iteration,
//! while loading half the weight bytes.

use super::asm::{f16_to_f32, f16x8_to_f32};
use core::arch::aarch64::{
    float32x4_t, uint16x8_t, vaddq_f32, vaddvq_f32, vdupq_n_f32, vfmaq_f32, vget_low_u16,
    vld1q_f32, vld1q_u8, vreinterpretq_f32_u8, vreinterpretq_f32_u32, vreinterpretq_u16_u8,
    vshll_high_n_u16, vshll_n_u16,
};

/// Sum of all lanes of four accumulators.
#[inline]
#[target_feature(enable = "neon")]
fn hsum4(acc: [float32x4_t; 4]) -> f32 {
    vaddvq_f32(vaddq_f32(
        vaddq_f32(acc[0], acc[1]),
        vaddq_f32(acc[2], acc[3]),
    ))
}

/// f32 weights · f32 with NEON.
///
/// # Safety
/// The CPU must support NEON.
///
/// # Panics
/// If `w.len() != 4 * x.len()`.
#[target_feature(enable = "neon")]
pub(super) unsafe fn dot_f32(w: &[u8], x: &[f32]) -> f32 {
    assert_eq!(w.len(), x.len() * 4, "dot_f32: length mismatch");
    let n = x.len();
    let (wp, xp) = (w.as_ptr(), x.as_ptr());
    let mut acc = [vdupq_n_f32(0.0); 4];
    let mut i = 0;
    while i + 16 <= n {
        for (k, a) in acc.iter_mut().enumerate() {
            let e = i + 4 * k;
            // SAFETY: e + 4 <= i + 16 <= n, so bytes 4e..4e+16 of `w` and
            // elements e..e+4 of `x` are in bounds; the byte load has no
            // alignment requirement and `x` is a properly aligned `[f32]`.
            let (wv, xv) = unsafe {
                (
                    vreinterpretq_f32_u8(vld1q_u8(wp.add(4 * e))),
                    vld1q_f32(xp.add(e)),
                )
            };
            *a = vfmaq_f32(*a, wv, xv);
        }
        i += 16;
    }
    while i + 4 <= n {
        // SAFETY: i + 4 <= n, as above.
        let (wv, xv) = unsafe {
            (
                vreinterpretq_f32_u8(vld1q_u8(wp.add(4 * i))),
                vld1q_f32(xp.add(i)),
            )
        };
        acc[0] = vfmaq_f32(acc[0], wv, xv);
        i += 4;
    }
    let mut sum = hsum4(acc);
    for (b, &v) in w[4 * i..].chunks_exact(4).zip(&x[i..]) {
        sum += f32::from_le_bytes([b[0], b[1], b[2], b[3]]) * v;
    }
    sum
}

/// A 16-bit float storage format widened to f32.
trait HalfFormat {
    /// Widens eight raw values to lanes 0..4 and 4..8.
    ///
    /// # Safety
    /// The CPU must support NEON.
    unsafe fn widen8(h: uint16x8_t) -> (float32x4_t, float32x4_t);
    /// Widens one raw value.
    ///
    /// # Safety
    /// The CPU must support NEON.
    unsafe fn widen1(bits: u16) -> f32;
}

/// IEEE binary16 (`fcvtl`/`fcvtl2`).
struct F16;

impl HalfFormat for F16 {
    #[inline]
    #[target_feature(enable = "neon")]
    unsafe fn widen8(h: uint16x8_t) -> (float32x4_t, float32x4_t) {
        f16x8_to_f32(h)
    }
    #[inline]
    #[target_feature(enable = "neon")]
    unsafe fn widen1(bits: u16) -> f32 {
        f16_to_f32(bits)
    }
}

/// bfloat16: the top half of an f32, widened exactly by a 16-bit left shift
/// (`shll`/`shll2`).
struct Bf16;

impl HalfFormat for Bf16 {
    #[inline]
    #[target_feature(enable = "neon")]
    unsafe fn widen8(h: uint16x8_t) -> (float32x4_t, float32x4_t) {
        (
            vreinterpretq_f32_u32(vshll_n_u16::<16>(vget_low_u16(h))),
            vreinterpretq_f32_u32(vshll_high_n_u16::<16>(h)),
        )
    }
    #[inline]
    #[target_feature(enable = "neon")]
    unsafe fn widen1(bits: u16) -> f32 {
        f32::from_bits(u32::from(bits) << 16)
    }
}

/// 16-bit float weights · f32, generic over the storage format.
///
/// # Safety
/// The CPU must support NEON.
#[inline]
#[target_feature(enable = "neon")]
unsafe fn dot_half<H: HalfFormat>(w: &[u8], x: &[f32]) -> f32 {
    let n = x.len();
    let (wp, xp) = (w.as_ptr(), x.as_ptr());
    let mut acc = [vdupq_n_f32(0.0); 4];
    let mut i = 0;
    while i + 16 <= n {
        // SAFETY: i + 16 <= n, so bytes 2i..2i+32 of `w` and elements
        // i..i+16 of `x` are in bounds; byte loads need no alignment; the
        // caller guarantees NEON for `widen8`.
        unsafe {
            let (w0, w1) = H::widen8(vreinterpretq_u16_u8(vld1q_u8(wp.add(2 * i))));
            let (w2, w3) = H::widen8(vreinterpretq_u16_u8(vld1q_u8(wp.add(2 * i + 16))));
            acc[0] = vfmaq_f32(acc[0], w0, vld1q_f32(xp.add(i)));
            acc[1] = vfmaq_f32(acc[1], w1, vld1q_f32(xp.add(i + 4)));
            acc[2] = vfmaq_f32(acc[2], w2, vld1q_f32(xp.add(i + 8)));
            acc[3] = vfmaq_f32(acc[3], w3, vld1q_f32(xp.add(i + 12)));
        }
        i += 16;
    }
    if i + 8 <= n {
        // SAFETY: i + 8 <= n, as above.
        unsafe {
            let (w0, w1) = H::widen8(vreinterpretq_u16_u8(vld1q_u8(wp.add(2 * i))));
            acc[0] = vfmaq_f32(acc[0], w0, vld1q_f32(xp.add(i)));
            acc[1] = vfmaq_f32(acc[1], w1, vld1q_f32(xp.add(i + 4)));
        }
        i += 8;
    }
    let mut sum = hsum4(acc);
    for (b, &v) in w[2 * i..].chunks_exact(2).zip(&x[i..]) {
        // SAFETY: the caller guarantees NEON.
        sum += unsafe { H::widen1(u16::from_le_bytes([b[0], b[1]])) } * v;
    }
    sum
}

/// f16 weights · f32 with NEON.
///
/// # Safety
/// The CPU must support NEON.
///
/// # Panics
/// If `w.len() != 2 * x.len()`.
#[target_feature(enable = "neon")]
pub(super) unsafe fn dot_f16(w: &[u8], x: &[f32]) -> f32 {
    assert_eq!(w.len(), x.len() * 2, "dot_f16: length mismatch");
    // SAFETY: the caller guarantees NEON.
    unsafe { dot_half::<F16>(w, x) }
}

/// bf16 weights · f32 with NEON.
///
/// # Safety
/// The CPU must support NEON.
///
/// # Panics
/// If `w.len() != 2 * x.len()`.
#[target_feature(enable = "neon")]
pub(super) unsafe fn dot_bf16(w: &[u8], x: &[f32]) -> f32 {
    assert_eq!(w.len(), x.len() * 2, "dot_bf16: length mismatch");
    // SAFETY: the caller guarantees NEON.
    unsafe { dot_half::<Bf16>(w, x) }
}
