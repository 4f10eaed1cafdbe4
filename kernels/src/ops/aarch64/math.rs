//! NEON element-wise math: `exp` on four lanes, the SwiGLU gate and the
//! softmax numerators built on it. `exp` is the x86 kernels' f64
//! computation (`x = n·ln 2 + r`, Taylor series of `eʳ` to degree 12, `2ⁿ`
//! in the exponent bits, one rounding to f32), lanes near a rounding
//! midpoint taken from `f32::exp`: every normal result is exactly the C
//! library's `expf`'s. Below `e⁻¹⁰⁴` the result is 0, above `e⁸⁹`
//! infinity, and NaN stays NaN.

use crate::ops::exp_consts::{BELOW_F32, MIDPOINT, NEAR_MIDPOINT};
use core::arch::aarch64::{
    float32x4_t, float64x2_t, vaddq_f32, vaddq_s64, vcombine_f32, vcvt_f32_f64, vcvt_f64_f32,
    vcvt_high_f64_f32, vcvtnq_s64_f64, vdivq_f32, vdupq_n_f32, vdupq_n_f64, vdupq_n_s64, vfmaq_f64,
    vfmsq_f64, vget_low_f32, vld1q_f32, vmaxq_f32, vmaxvq_f32, vminq_f32, vmulq_f32, vmulq_f64,
    vnegq_f32, vreinterpretq_f64_s64, vrndnq_f64, vshlq_n_s64, vst1q_f32, vsubq_f32,
};
use core::arch::aarch64::{
    uint64x2_t, vabsq_s64, vandq_u64, vcltq_s64, vdupq_n_u64, vgetq_lane_u64, vmaxvq_u32,
    vorrq_u64, vreinterpretq_s64_u64, vreinterpretq_u32_u64, vreinterpretq_u64_f64, vsubq_s64,
};

use crate::ops::exp_consts::{EXP_MAX, EXP_MIN, INV_FACT, LN2_HI, LN2_LO, LOG2E};

/// `eˣ` on two f64 lanes, for `x` in [-104, 89] (or NaN), and which lanes
/// lie near an f32 rounding midpoint (all ones there).
#[inline]
#[target_feature(enable = "neon")]
fn exp2_pd(x: float64x2_t) -> (float64x2_t, uint64x2_t) {
    let n = vrndnq_f64(vmulq_f64(x, vdupq_n_f64(LOG2E)));
    let r = vfmsq_f64(x, n, vdupq_n_f64(LN2_HI));
    let r = vfmsq_f64(r, n, vdupq_n_f64(LN2_LO));
    let mut p = vdupq_n_f64(INV_FACT[0]);
    for &c in &INV_FACT[1..] {
        p = vfmaq_f64(vdupq_n_f64(c), p, r);
    }
    let one = vdupq_n_f64(1.0);
    let p = vfmaq_f64(one, vfmaq_f64(one, p, r), r);
    let k = vaddq_s64(vcvtnq_s64_f64(n), vdupq_n_s64(1023));
    let y = vmulq_f64(p, vreinterpretq_f64_s64(vshlq_n_s64::<52>(k)));
    let below = vandq_u64(vreinterpretq_u64_f64(y), vdupq_n_u64(BELOW_F32));
    let off = vsubq_s64(vreinterpretq_s64_u64(below), vdupq_n_s64(MIDPOINT as i64));
    let near = vcltq_s64(vabsq_s64(off), vdupq_n_s64(NEAR_MIDPOINT as i64));
    (y, near)
}

/// `eˣ` on four lanes (see the module docs).
#[inline]
#[target_feature(enable = "neon")]
pub(super) fn exp4(x: float32x4_t) -> float32x4_t {
    // `fmax`/`fmin` return NaN for a NaN input, so NaN passes through.
    let x = vminq_f32(vmaxq_f32(x, vdupq_n_f32(EXP_MIN)), vdupq_n_f32(EXP_MAX));
    let (low, near_low) = exp2_pd(vcvt_f64_f32(vget_low_f32(x)));
    let (high, near_high) = exp2_pd(vcvt_high_f64_f32(x));
    let e = vcombine_f32(vcvt_f32_f64(low), vcvt_f32_f64(high));
    if vmaxvq_u32(vreinterpretq_u32_u64(vorrq_u64(near_low, near_high))) == 0 {
        return e;
    }
    let near = [
        vgetq_lane_u64::<0>(near_low),
        vgetq_lane_u64::<1>(near_low),
        vgetq_lane_u64::<0>(near_high),
        vgetq_lane_u64::<1>(near_high),
    ];
    let (mut xs, mut es) = ([0.0f32; 4], [0.0f32; 4]);
    // SAFETY: both arrays hold four floats.
    unsafe {
        vst1q_f32(xs.as_mut_ptr(), x);
        vst1q_f32(es.as_mut_ptr(), e);
    }
    for ((e, x), near) in es.iter_mut().zip(xs).zip(near) {
        if near != 0 {
            *e = x.exp();
        }
    }
    // SAFETY: `es` holds four floats.
    unsafe { vld1q_f32(es.as_ptr()) }
}

/// `gate = silu(gate) · up` element-wise.
///
/// Needs NEON; safe to call from code compiled with it.
#[target_feature(enable = "neon")]
pub(super) fn swiglu(gate: &mut [f32], up: &[f32]) {
    let n = gate.len().min(up.len());
    let (gp, upp) = (gate.as_mut_ptr(), up.as_ptr());
    let one = vdupq_n_f32(1.0);
    let mut i = 0;
    while i + 4 <= n {
        // SAFETY: i + 4 <= n, the length of both slices.
        unsafe {
            let g = vld1q_f32(gp.add(i));
            let s = vdivq_f32(g, vaddq_f32(one, exp4(vnegq_f32(g))));
            vst1q_f32(gp.add(i), vmulq_f32(s, vld1q_f32(upp.add(i))));
        }
        i += 4;
    }
    for (g, &u) in gate[i..n].iter_mut().zip(&up[i..n]) {
        *g = *g / (1.0 + (-*g).exp()) * u;
    }
}

/// Replaces each score `s` by `e^(s − max)` and returns their sum, added
/// in order as the scalar reference adds them.
#[inline]
#[target_feature(enable = "neon")]
pub(super) fn exp_shifted(scores: &mut [f32], max: f32) -> f32 {
    let n = scores.len();
    let p = scores.as_mut_ptr();
    let m = vdupq_n_f32(max);
    let mut i = 0;
    while i + 4 <= n {
        // SAFETY: i + 4 <= n.
        unsafe {
            let e = exp4(vsubq_f32(vld1q_f32(p.add(i)), m));
            vst1q_f32(p.add(i), e);
        }
        i += 4;
    }
    for s in &mut scores[i..] {
        *s = (*s - max).exp();
    }
    let mut sum = 0.0f32;
    for &s in scores.iter() {
        sum += s;
    }
    sum
}

/// The largest value (`-∞` for none).
#[inline]
#[target_feature(enable = "neon")]
pub(super) fn max(v: &[f32]) -> f32 {
    let mut acc = vdupq_n_f32(f32::NEG_INFINITY);
    let mut chunks = v.chunks_exact(4);
    for c in &mut chunks {
        // SAFETY: the chunk holds four floats.
        acc = vmaxq_f32(acc, unsafe { vld1q_f32(c.as_ptr()) });
    }
    chunks
        .remainder()
        .iter()
        .fold(vmaxvq_f32(acc), |m, &x| m.max(x))
}
