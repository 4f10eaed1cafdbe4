//! NEON quantization of activations into Q8_0 blocks, bit-identical to
//! [`quantize_q8_0`](crate::quant::quantize_q8_0).
//!
//! `fcvtas` converts to the nearest integer with ties away from zero, which
//! is the reference's `roundf` followed by a cast, and the saturating
//! narrows match the cast's saturation. The scale and its inverse come from
//! the same scalar code. A block holding a NaN or an infinity goes through
//! the scalar reference, whose `MAX` keeps ggml's order-dependent NaN
//! behaviour.

use crate::quant::{BlockQ8_0, QK, q8_0_scales, quantize_q8_0_block};
use core::arch::aarch64::{
    float32x4_t, vabsq_f32, vcombine_s8, vcombine_s16, vcvtaq_s32_f32, vdupq_n_f32, vld1q_f32,
    vmaxq_f32, vmaxvq_f32, vmulq_f32, vqmovn_s16, vqmovn_s32, vst1q_s8,
};

/// Quantizes `x` (`out.len() * 32` values) into `out`.
///
/// Needs NEON; safe to call from code compiled with it.
#[target_feature(enable = "neon")]
pub(super) fn quantize_q8_0(x: &[f32], out: &mut [BlockQ8_0]) {
    for (xb, yb) in x.chunks_exact(QK).zip(out.iter_mut()) {
        let xb: &[f32; QK] = xb.try_into().expect("chunks of 32");
        block(xb, yb);
    }
}

/// One block of [`quantize_q8_0`].
#[inline]
#[target_feature(enable = "neon")]
fn block(xb: &[f32; QK], yb: &mut BlockQ8_0) {
    // SAFETY: `xb` holds 32 floats, eight loads of four.
    let v: [float32x4_t; 8] = std::array::from_fn(|i| unsafe { vld1q_f32(xb.as_ptr().add(4 * i)) });
    // `fmax` returns NaN when either input is, so a NaN reaches `amax`.
    let m = v
        .iter()
        .fold(vdupq_n_f32(0.0), |m, &x| vmaxq_f32(m, vabsq_f32(x)));
    let amax = vmaxvq_f32(m);
    if !amax.is_finite() {
        quantize_q8_0_block(xb, yb);
        return;
    }
    let (d, id) = q8_0_scales(amax);
    yb.d = d;
    let id = vdupq_n_f32(id);
    let q = v.map(|x| vcvtaq_s32_f32(vmulq_f32(x, id)));
    let h: [_; 4] =
        std::array::from_fn(|i| vcombine_s16(vqmovn_s32(q[2 * i]), vqmovn_s32(q[2 * i + 1])));
    let lo = vcombine_s8(vqmovn_s16(h[0]), vqmovn_s16(h[1]));
    let hi = vcombine_s8(vqmovn_s16(h[2]), vqmovn_s16(h[3]));
    // SAFETY: `qs` is 32 bytes; two unaligned stores of sixteen.
    unsafe {
        vst1q_s8(yb.qs.as_mut_ptr(), lo);
        vst1q_s8(yb.qs.as_mut_ptr().add(16), hi);
    }
}
