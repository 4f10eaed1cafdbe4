//! AVX2 + FMA + F16C attention of one query position for the query heads
//! sharing a key/value head, with the arithmetic of the scalar reference
//! (eight partial sums per dot, products added without fusing, the
//! softmax's sum in position order) and an `exp` that returns `f32::exp`'s
//! results, so outputs match it bit for bit.
//!
//! Each cached key row is converted once (`vcvtph2ps` for f16) and
//! multiplied into every head's accumulator, so grouped-query heads share
//! the loads and conversions; the softmax numerators use the vector `exp`;
//! then, eight value columns at a time, every position's value row is
//! converted once and accumulated into all heads' outputs, held in
//! registers across the positions. Heads go four at a time.

use super::avx2_float::Widen;
use super::avx2_math::{exp_shifted, max};
use crate::ops::{HeadQueries, KvHead};
use std::arch::x86_64::*;

/// Heads handled together (accumulators live in registers).
const HEADS: usize = 4;

/// The eight lanes of `v` added in lane order (as the scalar reference's
/// eight partial sums are).
#[inline]
#[target_feature(enable = "avx")]
fn lane_sum(v: __m256) -> f32 {
    let mut lanes = [0.0f32; 8];
    // SAFETY: `lanes` holds eight floats.
    unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), v) };
    crate::ops::scalar::ordered_sum(lanes)
}

/// Attention for heads `h0 .. h0 + N` of `queries` (see the module docs).
/// `P` key rows are scored at once and `J` chunks of eight value columns
/// accumulated at once, so that about eight independent FMA chains are in
/// flight whatever `N`.
///
/// # Safety
/// AVX2, FMA and F16C must be available; the shape follows the attention
/// contract (checked by the caller) with `head_dim` a multiple of 8, and
/// `widen` reads eight elements of a row at a time.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn heads<const N: usize, const P: usize, const J: usize>(
    queries: &HeadQueries<'_>,
    h0: usize,
    (keys, values): (KvHead<'_>, KvHead<'_>),
    n_ctx: usize,
    scores: &mut [f32],
    out: &mut [f32],
    widen: Widen,
) {
    let hd = queries.head_dim;
    let q = &queries.q[h0 * hd..(h0 + N) * hd];
    let scores = &mut scores[..N * n_ctx];
    // Rows are in bounds by the caller's shape check, and `j + 8 <= hd` for
    // every column chunk.
    let mut p = 0;
    while p < n_ctx {
        let rows = (n_ctx - p).min(P);
        let k: [*const u8; P] =
            std::array::from_fn(|i| keys.bytes[(p + i.min(rows - 1)) * keys.stride..].as_ptr());
        let mut acc = [[_mm256_setzero_ps(); N]; P];
        for j in (0..hd).step_by(8) {
            // SAFETY: `h * hd + j + 8 <= N * hd`, the length of `q`.
            let qv: [__m256; N] =
                std::array::from_fn(|h| unsafe { _mm256_loadu_ps(q.as_ptr().add(h * hd + j)) });
            for (kr, a) in k.iter().zip(acc.iter_mut()) {
                // SAFETY: a row in bounds, `j + 8 <= hd`.
                let kj = unsafe { widen(*kr, j) };
                for (a, qv) in a.iter_mut().zip(qv) {
                    *a = _mm256_add_ps(*a, _mm256_mul_ps(qv, kj));
                }
            }
        }
        for (i, a) in acc.iter().enumerate().take(rows) {
            for (h, &a) in a.iter().enumerate() {
                scores[h * n_ctx + p + i] = lane_sum(a) * queries.scale;
            }
        }
        p += rows;
    }
    let mut inv = [0.0f32; N];
    for (h, s) in scores.chunks_exact_mut(n_ctx).enumerate() {
        let m = max(s);
        inv[h] = 1.0 / exp_shifted(s, m);
    }
    let mut j = 0;
    while j < hd {
        let chunks = ((hd - j) / 8).min(J);
        let mut acc = [[_mm256_setzero_ps(); J]; N];
        for p in 0..n_ctx {
            let row = values.bytes[p * values.stride..].as_ptr();
            // SAFETY: a row in bounds, chunks inside `hd`.
            let v: [__m256; J] =
                std::array::from_fn(|c| unsafe { widen(row, j + 8 * c.min(chunks - 1)) });
            for (h, a) in acc.iter_mut().enumerate() {
                let w = _mm256_set1_ps(scores[h * n_ctx + p]);
                for (a, v) in a.iter_mut().zip(v) {
                    *a = _mm256_add_ps(*a, _mm256_mul_ps(w, v));
                }
            }
        }
        for (h, a) in acc.iter().enumerate() {
            let scale = _mm256_set1_ps(inv[h]);
            for (c, &a) in a.iter().enumerate().take(chunks) {
                let at = (h0 + h) * hd + j + 8 * c;
                // SAFETY: `at + 8 <= out.len()` (heads × hd, checked).
                unsafe { _mm256_storeu_ps(out.as_mut_ptr().add(at), _mm256_mul_ps(a, scale)) };
            }
        }
        j += 8 * chunks;
    }
}

/// Attention for every head of `queries`, [`HEADS`] at a time.
///
/// # Safety
/// As [`heads`].
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn attend(
    queries: HeadQueries<'_>,
    kv: (KvHead<'_>, KvHead<'_>),
    n_ctx: usize,
    scores: &mut [f32],
    out: &mut [f32],
    widen: Widen,
) {
    let total = queries.q.len() / queries.head_dim;
    let mut h0 = 0;
    // SAFETY: forwarded caller contract (every arm).
    unsafe {
        while h0 < total {
            let n = (total - h0).min(HEADS);
            match n {
                1 => heads::<1, 4, 8>(&queries, h0, kv, n_ctx, scores, out, widen),
                2 => heads::<2, 2, 4>(&queries, h0, kv, n_ctx, scores, out, widen),
                3 => heads::<3, 1, 2>(&queries, h0, kv, n_ctx, scores, out, widen),
                _ => heads::<4, 1, 2>(&queries, h0, kv, n_ctx, scores, out, widen),
            }
            h0 += n;
        }
    }
}

/// Declares the entry point for one cache element type: [`attend`] with
/// its row reader fixed, so the reader inlines into the loops.
macro_rules! entry {
    ($name:ident, $widen:path, $what:literal) => {
        #[doc = concat!("Attention over an ", $what, " cache.")]
        ///
        /// # Safety
        /// As [`heads`].
        #[target_feature(enable = "avx2,fma,f16c")]
        pub(super) unsafe fn $name(
            queries: HeadQueries<'_>,
            keys: KvHead<'_>,
            values: KvHead<'_>,
            n_ctx: usize,
            scores: &mut [f32],
            out: &mut [f32],
        ) {
            // SAFETY: forwarded caller contract.
            unsafe { attend(queries, (keys, values), n_ctx, scores, out, $widen) }
        }
    };
}

entry!(attend_f32, super::avx2_float::widen_f32, "f32");
entry!(attend_f16, super::avx2_float::widen_f16, "f16");
