//! AVX2 + FMA element-wise math: `exp` on eight lanes, the SwiGLU gate and
//! the softmax numerators built on it.
//!
//! `exp` is Cephes' `expf`: `x = n·ln 2 + r` with `n` the nearest integer
//! to `x·log₂e` and `r` taken off in two parts, a degree-5 polynomial for
//! `eʳ` and `2ⁿ` built in the exponent bits. Inputs are clamped to
//! [-87.34, 88.38], where `2ⁿ` stays a normal float: within 2 ulp of
//! `f32::exp` there (tested against it); below, the smallest normal float
//! (instead of a subnormal or zero), above, infinity; NaN stays NaN.

use std::arch::x86_64::*;

/// Largest input: `x·log₂e` stays below 127.5, so `2ⁿ` is finite.
pub(super) const EXP_HI: f32 = 88.376_26;
/// Smallest input: `n` stays at or above -126, so `2ⁿ` is normal.
pub(super) const EXP_LO: f32 = -87.336_54;
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

/// `eˣ` on eight lanes (see the module docs).
#[inline]
#[target_feature(enable = "avx2,fma")]
pub(super) fn exp8(x: __m256) -> __m256 {
    let hi = _mm256_set1_ps(EXP_HI);
    let overflow = _mm256_cmp_ps::<_CMP_GT_OQ>(x, hi);
    // NaN passes through both (each returns its second operand on NaN).
    let x = _mm256_min_ps(hi, _mm256_max_ps(_mm256_set1_ps(EXP_LO), x));
    let n = _mm256_round_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(_mm256_mul_ps(
        x,
        _mm256_set1_ps(LOG2E),
    ));
    let r = _mm256_fnmadd_ps(n, _mm256_set1_ps(LN2_HI), x);
    let r = _mm256_fnmadd_ps(n, _mm256_set1_ps(LN2_LO), r);
    let mut y = _mm256_set1_ps(P[0]);
    for &c in &P[1..] {
        y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(c));
    }
    let y = _mm256_fmadd_ps(
        y,
        _mm256_mul_ps(r, r),
        _mm256_add_ps(r, _mm256_set1_ps(1.0)),
    );
    let pow2 = _mm256_slli_epi32::<23>(_mm256_add_epi32(
        _mm256_cvtps_epi32(n),
        _mm256_set1_epi32(127),
    ));
    let e = _mm256_mul_ps(y, _mm256_castsi256_ps(pow2));
    _mm256_blendv_ps(e, _mm256_set1_ps(f32::INFINITY), overflow)
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

/// Replaces each score `s` by `e^(s − max)` and returns their sum.
///
/// Needs AVX2 and FMA; safe to call from code compiled with them.
#[inline]
#[target_feature(enable = "avx2,fma")]
pub(super) fn exp_shifted(scores: &mut [f32], max: f32) -> f32 {
    let n = scores.len();
    let p = scores.as_mut_ptr();
    let m = _mm256_set1_ps(max);
    let mut acc = _mm256_setzero_ps();
    let mut i = 0;
    while i + 8 <= n {
        // SAFETY: i + 8 <= n.
        unsafe {
            let e = exp8(_mm256_sub_ps(_mm256_loadu_ps(p.add(i)), m));
            _mm256_storeu_ps(p.add(i), e);
            acc = _mm256_add_ps(acc, e);
        }
        i += 8;
    }
    let mut sum = super::avx2_float::hsum_ps(acc);
    for s in &mut scores[i..] {
        *s = (*s - max).exp();
        sum += *s;
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
