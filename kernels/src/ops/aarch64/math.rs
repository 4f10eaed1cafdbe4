//! NEON element-wise math: `exp` on four lanes, the SwiGLU gate and the
//! softmax numerators built on it (the same Cephes `expf` as the x86
//! kernels: `x = n·ln 2 + r`, a degree-5 polynomial for `eʳ`, `2ⁿ` in the
//! exponent bits, inputs clamped to [-87.34, 88.38]: below, the smallest
//! normal float, above, infinity; NaN stays NaN).

use core::arch::aarch64::{
    float32x4_t, vaddq_f32, vaddq_s32, vaddvq_f32, vbslq_f32, vcgtq_f32, vcvtnq_s32_f32,
    vcvtq_f32_s32, vdivq_f32, vdupq_n_f32, vdupq_n_s32, vfmaq_f32, vfmsq_f32, vld1q_f32, vmaxq_f32,
    vmaxvq_f32, vminq_f32, vmulq_f32, vnegq_f32, vreinterpretq_f32_s32, vshlq_n_s32, vst1q_f32,
    vsubq_f32,
};

const EXP_HI: f32 = 88.376_26;
const EXP_LO: f32 = -87.336_54;
const LOG2E: f32 = std::f32::consts::LOG2_E;
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
const P: [f32; 6] = [
    1.987_569_1e-4,
    1.398_2e-3,
    8.333_452e-3,
    4.166_579_6e-2,
    0.166_666_65,
    0.5,
];

/// `eˣ` on four lanes.
#[inline]
#[target_feature(enable = "neon")]
pub(super) fn exp4(x: float32x4_t) -> float32x4_t {
    let overflow = vcgtq_f32(x, vdupq_n_f32(EXP_HI));
    // `fmax`/`fmin` return NaN for a NaN input, so NaN passes through.
    let x = vminq_f32(vmaxq_f32(x, vdupq_n_f32(EXP_LO)), vdupq_n_f32(EXP_HI));
    let n = vcvtnq_s32_f32(vmulq_f32(x, vdupq_n_f32(LOG2E)));
    let nf = vcvtq_f32_s32(n);
    let r = vfmsq_f32(x, nf, vdupq_n_f32(LN2_HI));
    let r = vfmsq_f32(r, nf, vdupq_n_f32(LN2_LO));
    let mut y = vdupq_n_f32(P[0]);
    for &c in &P[1..] {
        y = vfmaq_f32(vdupq_n_f32(c), y, r);
    }
    let y = vfmaq_f32(vaddq_f32(r, vdupq_n_f32(1.0)), y, vmulq_f32(r, r));
    let pow2 = vshlq_n_s32::<23>(vaddq_s32(n, vdupq_n_s32(127)));
    let e = vmulq_f32(y, vreinterpretq_f32_s32(pow2));
    vbslq_f32(overflow, vdupq_n_f32(f32::INFINITY), e)
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

/// Replaces each score `s` by `e^(s − max)` and returns their sum.
#[inline]
#[target_feature(enable = "neon")]
pub(super) fn exp_shifted(scores: &mut [f32], max: f32) -> f32 {
    let n = scores.len();
    let p = scores.as_mut_ptr();
    let m = vdupq_n_f32(max);
    let mut acc = vdupq_n_f32(0.0);
    let mut i = 0;
    while i + 4 <= n {
        // SAFETY: i + 4 <= n.
        unsafe {
            let e = exp4(vsubq_f32(vld1q_f32(p.add(i)), m));
            vst1q_f32(p.add(i), e);
            acc = vaddq_f32(acc, e);
        }
        i += 4;
    }
    let mut sum = vaddvq_f32(acc);
    for s in &mut scores[i..] {
        *s = (*s - max).exp();
        sum += *s;
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
