//! AVX2 quantization of activations into Q8_0 blocks, bit-identical to
//! [`quantize_q8_0`](crate::quant::quantize_q8_0).
//!
//! The scalar reference rounds half away from zero (`roundf`). Here
//! `trunc(m + copysign(0.49999997, m))` does the same for every `m` the
//! quantizer can produce (|m| ≤ 127.00002): adding the largest float below
//! one half moves exactly the values at or above a half-way point past the
//! next integer. The scale and its inverse come from the same scalar code,
//! so only the per-element work is vectorized. A block holding a NaN or an
//! infinity goes through the scalar reference, whose `MAX` keeps ggml's
//! order-dependent NaN behaviour.

use crate::quant::{BlockQ8_0, QK, q8_0_scales, quantize_q8_0_block};
use std::arch::x86_64::*;

/// Quantizes `x` (`out.len() * 32` values) into `out`.
///
/// Needs AVX2; safe to call from code compiled with it.
#[target_feature(enable = "avx2")]
pub(super) fn quantize_q8_0(x: &[f32], out: &mut [BlockQ8_0]) {
    for (xb, yb) in x.chunks_exact(QK).zip(out.iter_mut()) {
        let xb: &[f32; QK] = xb.try_into().expect("chunks of 32");
        block(xb, yb);
    }
}

/// One block of [`quantize_q8_0`].
#[inline]
#[target_feature(enable = "avx2")]
fn block(xb: &[f32; QK], yb: &mut BlockQ8_0) {
    let sign = _mm256_set1_ps(-0.0);
    // SAFETY: `xb` holds 32 floats, four unaligned loads of eight.
    let v: [__m256; 4] =
        std::array::from_fn(|i| unsafe { _mm256_loadu_ps(xb.as_ptr().add(8 * i)) });
    let unordered = v.iter().fold(_mm256_setzero_ps(), |acc, &x| {
        _mm256_or_ps(acc, _mm256_cmp_ps::<_CMP_UNORD_Q>(x, x))
    });
    let abs = v.map(|x| _mm256_andnot_ps(sign, x));
    let m = _mm256_max_ps(_mm256_max_ps(abs[0], abs[1]), _mm256_max_ps(abs[2], abs[3]));
    let amax = hmax(m);
    if _mm256_movemask_ps(unordered) != 0 || amax == f32::INFINITY {
        quantize_q8_0_block(xb, yb);
        return;
    }
    let (d, id) = q8_0_scales(amax);
    yb.d = d;
    let id = _mm256_set1_ps(id);
    let half = _mm256_set1_ps(0.499_999_97);
    let q = v.map(|x| {
        let m = _mm256_mul_ps(x, id);
        let bias = _mm256_or_ps(_mm256_and_ps(m, sign), half);
        let r =
            _mm256_round_ps::<{ _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC }>(_mm256_add_ps(m, bias));
        _mm256_cvttps_epi32(r)
    });
    // Saturating packs interleave 128-bit lanes; the permute restores order.
    let lo = _mm256_packs_epi32(q[0], q[1]);
    let hi = _mm256_packs_epi32(q[2], q[3]);
    let bytes = _mm256_packs_epi16(lo, hi);
    let order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    let bytes = _mm256_permutevar8x32_epi32(bytes, order);
    // SAFETY: `qs` is 32 bytes; an unaligned store.
    unsafe { _mm256_storeu_si256(yb.qs.as_mut_ptr().cast(), bytes) };
}

/// The largest of eight lanes.
#[inline]
#[target_feature(enable = "avx2")]
fn hmax(v: __m256) -> f32 {
    let m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
    let m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    let m = _mm_max_ss(m, _mm_movehdup_ps(m));
    _mm_cvtss_f32(m)
}
