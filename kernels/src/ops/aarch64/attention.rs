//! NEON attention of one query position for the query heads sharing a
//! key/value head, with the arithmetic of the scalar reference (eight
//! partial sums per dot, products added without fusing, the softmax's sum
//! in position order): each cached key row is converted once (`fcvtl` for f16)
//! and multiplied into every head's accumulators, the softmax numerators use
//! the vector `exp`, and each value row is converted once and accumulated
//! into all heads' outputs, held in registers eight columns at a time.
//! Heads go four at a time.

use super::asm::f16x8_to_f32;
use super::math::{exp_shifted, max};
use crate::ops::{HeadQueries, KvHead};
use core::arch::aarch64::{
    float32x4_t, vaddq_f32, vdupq_n_f32, vld1q_f32, vld1q_u8, vmulq_f32, vmulq_n_f32,
    vreinterpretq_f32_u8, vreinterpretq_u16_u8, vst1q_f32,
};

/// Heads handled together (accumulators live in registers).
const HEADS: usize = 4;

/// Eight elements `j .. j + 8` of a cache row as two f32 vectors.
///
/// # Safety
/// The row must hold them; NEON must be available.
type Widen = unsafe fn(*const u8, usize) -> (float32x4_t, float32x4_t);

#[inline]
#[target_feature(enable = "neon")]
unsafe fn widen_f32(row: *const u8, j: usize) -> (float32x4_t, float32x4_t) {
    // SAFETY: the caller guarantees the 32 bytes are inside the row.
    unsafe {
        (
            vreinterpretq_f32_u8(vld1q_u8(row.add(4 * j))),
            vreinterpretq_f32_u8(vld1q_u8(row.add(4 * j + 16))),
        )
    }
}

#[inline]
#[target_feature(enable = "neon")]
unsafe fn widen_f16(row: *const u8, j: usize) -> (float32x4_t, float32x4_t) {
    // SAFETY: the caller guarantees the 16 bytes are inside the row.
    f16x8_to_f32(vreinterpretq_u16_u8(unsafe { vld1q_u8(row.add(2 * j)) }))
}

/// Attention for heads `h0 .. h0 + N` of `queries`. `P` key rows are
/// scored at once and `J` chunks of eight value columns accumulated at
/// once, so that several independent FMA chains are in flight whatever `N`.
///
/// # Safety
/// NEON must be available; the shape follows the attention contract
/// (checked by the caller) with `head_dim` a multiple of 8.
#[inline]
#[target_feature(enable = "neon")]
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
    let zero = vdupq_n_f32(0.0);
    // Rows are in bounds by the caller's shape check, and `j + 8 <= hd` for
    // every column chunk.
    let mut p = 0;
    while p < n_ctx {
        let rows = (n_ctx - p).min(P);
        let k: [*const u8; P] =
            std::array::from_fn(|i| keys.bytes[(p + i.min(rows - 1)) * keys.stride..].as_ptr());
        let mut acc = [[(zero, zero); N]; P];
        for j in (0..hd).step_by(8) {
            // SAFETY: `h * hd + j + 8 <= N * hd`, the length of `q`.
            let qv: [(float32x4_t, float32x4_t); N] = std::array::from_fn(|h| unsafe {
                let at = q.as_ptr().add(h * hd + j);
                (vld1q_f32(at), vld1q_f32(at.add(4)))
            });
            for (kr, a) in k.iter().zip(acc.iter_mut()) {
                // SAFETY: a row in bounds, `j + 8 <= hd`.
                let (k0, k1) = unsafe { widen(*kr, j) };
                for (a, (q0, q1)) in a.iter_mut().zip(qv) {
                    *a = (
                        vaddq_f32(a.0, vmulq_f32(q0, k0)),
                        vaddq_f32(a.1, vmulq_f32(q1, k1)),
                    );
                }
            }
        }
        for (i, a) in acc.iter().enumerate().take(rows) {
            for (h, a) in a.iter().enumerate() {
                let mut lanes = [0.0f32; 8];
                // SAFETY: `lanes` holds eight floats.
                unsafe {
                    vst1q_f32(lanes.as_mut_ptr(), a.0);
                    vst1q_f32(lanes.as_mut_ptr().add(4), a.1);
                }
                scores[h * n_ctx + p + i] = crate::ops::scalar::ordered_sum(lanes) * queries.scale;
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
        let mut acc = [[(zero, zero); J]; N];
        for p in 0..n_ctx {
            let row = values.bytes[p * values.stride..].as_ptr();
            // SAFETY: a row in bounds, chunks inside `hd`.
            let v: [(float32x4_t, float32x4_t); J] =
                std::array::from_fn(|c| unsafe { widen(row, j + 8 * c.min(chunks - 1)) });
            for (h, a) in acc.iter_mut().enumerate() {
                let w = vdupq_n_f32(scores[h * n_ctx + p]);
                for (a, (v0, v1)) in a.iter_mut().zip(v) {
                    *a = (
                        vaddq_f32(a.0, vmulq_f32(w, v0)),
                        vaddq_f32(a.1, vmulq_f32(w, v1)),
                    );
                }
            }
        }
        for (h, a) in acc.iter().enumerate() {
            for (c, a) in a.iter().enumerate().take(chunks) {
                let at = out.as_mut_ptr().wrapping_add((h0 + h) * hd + j + 8 * c);
                // SAFETY: eight floats inside `out` (heads × hd, checked).
                unsafe {
                    vst1q_f32(at, vmulq_n_f32(a.0, inv[h]));
                    vst1q_f32(at.add(4), vmulq_n_f32(a.1, inv[h]));
                }
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
#[target_feature(enable = "neon")]
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
                1 => heads::<1, 4, 4>(&queries, h0, kv, n_ctx, scores, out, widen),
                2 => heads::<2, 2, 2>(&queries, h0, kv, n_ctx, scores, out, widen),
                3 => heads::<3, 1, 1>(&queries, h0, kv, n_ctx, scores, out, widen),
                _ => heads::<4, 1, 1>(&queries, h0, kv, n_ctx, scores, out, widen),
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
        #[target_feature(enable = "neon")]
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

entry!(attend_f32, widen_f32, "f32");
entry!(attend_f16, widen_f16, "f16");
