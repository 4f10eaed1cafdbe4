//! AVX2 + FMA element-wise math: `exp` on eight lanes, the SwiGLU gate and
//! the softmax numerators built on it.
//!
//! `exp` works in f64: `x = n·ln 2 + r` with `n` the nearest integer to
//! `x·log₂e`, `eʳ` by its Taylor series to degree 12 (|r| ≤ 0.35, so the
//! result carries about 1e-16 relative error), `2ⁿ` built in the exponent
//! bits, then one rounding to f32. The f32 result is therefore the
//! correctly rounded `eˣ` but for values within ~1e-8 ulp of a rounding
//! boundary; lanes near one are taken from `f32::exp` (see
//! [`NEAR_MIDPOINT`]), so every normal result is exactly the C library's
//! `expf`'s and a model's activations come out as with `f32::exp`. Below
//! `e⁻¹⁰⁴` the result is 0, above `e⁸⁹` infinity, and NaN stays NaN.

use std::arch::x86_64::*;

use crate::ops::exp_consts::{
    BELOW_F32, EXP_MAX, EXP_MIN, INV_FACT, LN2_HI, LN2_LO, LOG2E, MIDPOINT, NEAR_MIDPOINT,
};

/// `eˣ` on four f64 lanes, for `x` in [-104, 89] (or NaN), and which lanes
/// lie near an f32 rounding midpoint (all ones there).
#[inline]
#[target_feature(enable = "avx2,fma")]
fn exp4_pd(x: __m256d) -> (__m256d, __m256i) {
    let n = _mm256_round_pd::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(_mm256_mul_pd(
        x,
        _mm256_set1_pd(LOG2E),
    ));
    let r = _mm256_fnmadd_pd(n, _mm256_set1_pd(LN2_HI), x);
    let r = _mm256_fnmadd_pd(n, _mm256_set1_pd(LN2_LO), r);
    let mut p = _mm256_set1_pd(INV_FACT[0]);
    for &c in &INV_FACT[1..] {
        p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(c));
    }
    let one = _mm256_set1_pd(1.0);
    let p = _mm256_fmadd_pd(_mm256_fmadd_pd(p, r, one), r, one);
    let k = _mm256_cvtepi32_epi64(_mm256_cvtpd_epi32(n));
    let pow2 = _mm256_slli_epi64::<52>(_mm256_add_epi64(k, _mm256_set1_epi64x(1023)));
    let y = _mm256_mul_pd(p, _mm256_castsi256_pd(pow2));
    let below = _mm256_and_si256(_mm256_castpd_si256(y), _mm256_set1_epi64x(BELOW_F32 as i64));
    let off = _mm256_sub_epi64(below, _mm256_set1_epi64x(MIDPOINT as i64));
    let t = NEAR_MIDPOINT as i64;
    let near = _mm256_and_si256(
        _mm256_cmpgt_epi64(off, _mm256_set1_epi64x(-t)),
        _mm256_cmpgt_epi64(_mm256_set1_epi64x(t), off),
    );
    (y, near)
}

/// `eˣ` on eight lanes (see the module docs).
#[inline]
#[target_feature(enable = "avx2,fma")]
pub(super) fn exp8(x: __m256) -> __m256 {
    // NaN passes through both bounds (each returns its second operand).
    let lo = _mm256_set1_ps(EXP_MIN);
    let hi = _mm256_set1_ps(EXP_MAX);
    let x = _mm256_min_ps(hi, _mm256_max_ps(lo, x));
    let (low, near_low) = exp4_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(x)));
    let (high, near_high) = exp4_pd(_mm256_cvtps_pd(_mm256_extractf128_ps::<1>(x)));
    let e = _mm256_set_m128(_mm256_cvtpd_ps(high), _mm256_cvtpd_ps(low));
    let near = _mm256_movemask_pd(_mm256_castsi256_pd(near_low))
        | _mm256_movemask_pd(_mm256_castsi256_pd(near_high)) << 4;
    if near == 0 {
        return e;
    }
    let (mut xs, mut es) = ([0.0f32; 8], [0.0f32; 8]);
    // SAFETY: both arrays hold eight floats.
    unsafe {
        _mm256_storeu_ps(xs.as_mut_ptr(), x);
        _mm256_storeu_ps(es.as_mut_ptr(), e);
    }
    for (i, (e, x)) in es.iter_mut().zip(xs).enumerate() {
        if near & (1 << i) != 0 {
            *e = x.exp();
        }
    }
    // SAFETY: `es` holds eight floats.
    unsafe { _mm256_loadu_ps(es.as_ptr()) }
}

/// `gate = silu(gate) · up` element-wise.
///
/// Needs AVX2 and FMA; safe to call from code compiled with them.
#[target_feature(enable = "avx2,fma")]
pub(super) fn swiglu(gate: &mut [f32], up: &[f32]) {
    let n = gate.len().min(up.len());
    let (gp, upp) = (gate.as_mut_ptr(), up.as_ptr());
    let one = _mm256_set1_ps(1.0);
    let mut i = 0;
    while i + 8 <= n {
        // SAFETY: i + 8 <= n, the length of both slices.
        unsafe {
            let g = _mm256_loadu_ps(gp.add(i));
            let e = exp8(_mm256_sub_ps(_mm256_setzero_ps(), g));
            let s = _mm256_div_ps(g, _mm256_add_ps(one, e));
            _mm256_storeu_ps(gp.add(i), _mm256_mul_ps(s, _mm256_loadu_ps(upp.add(i))));
        }
        i += 8;
    }
    for (g, &u) in gate[i..n].iter_mut().zip(&up[i..n]) {
        *g = *g / (1.0 + (-*g).exp()) * u;
    }
}

/// Replaces each score `s` by `e^(s − max)` and returns their sum, added
/// in order as the scalar reference adds them.
///
/// Needs AVX2 and FMA; safe to call from code compiled with them.
#[inline]
#[target_feature(enable = "avx2,fma")]
pub(super) fn exp_shifted(scores: &mut [f32], max: f32) -> f32 {
    let n = scores.len();
    let p = scores.as_mut_ptr();
    let m = _mm256_set1_ps(max);
    let mut i = 0;
    while i + 8 <= n {
        // SAFETY: i + 8 <= n.
        unsafe {
            let e = exp8(_mm256_sub_ps(_mm256_loadu_ps(p.add(i)), m));
            _mm256_storeu_ps(p.add(i), e);
        }
        i += 8;
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
///
/// Needs AVX; safe to call from code compiled with it.
#[inline]
#[target_feature(enable = "avx")]
pub(super) fn max(v: &[f32]) -> f32 {
    let mut acc = _mm256_set1_ps(f32::NEG_INFINITY);
    let mut chunks = v.chunks_exact(8);
    for c in &mut chunks {
        // SAFETY: the chunk holds eight floats.
        acc = _mm256_max_ps(acc, unsafe { _mm256_loadu_ps(c.as_ptr()) });
    }
    let mut lanes = [0.0f32; 8];
    // SAFETY: `lanes` holds eight floats.
    unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), acc) };
    lanes
        .into_iter()
        .chain(chunks.remainder().iter().copied())
        .fold(f32::NEG_INFINITY, f32::max)
}
