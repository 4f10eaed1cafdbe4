//! Causal grouped-query attention over the KV cache, one task per query head
//! on the matrix driver's thread pool.

use std::sync::{Mutex, PoisonError};

use super::kv_cache::Rows;
use crate::ops::ThreadPool;

/// Head counts and widths of one attention call.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AttnShape {
    /// Query heads.
    pub(crate) n_head: usize,
    /// Query heads per key/value head.
    pub(crate) group: usize,
    /// Width of a head.
    pub(crate) head_dim: usize,
}

/// Per-head working memory, allocated once for the context length.
#[derive(Debug)]
pub(crate) struct AttnScratch {
    heads: Vec<Mutex<HeadScratch>>,
}

#[derive(Debug)]
struct HeadScratch {
    scores: Vec<f32>,
    row: Vec<f32>,
}

impl AttnScratch {
    /// Room for `n_head` heads attending over `context` positions.
    pub(crate) fn new(n_head: usize, context: usize, head_dim: usize) -> Self {
        let heads = (0..n_head)
            .map(|_| {
                Mutex::new(HeadScratch {
                    scores: vec![0.0; context],
                    row: vec![0.0; head_dim],
                })
            })
            .collect();
        AttnScratch { heads }
    }
}

/// `out` (`n` rows of `n_head × head_dim`) = softmax(q·Kᵀ / √head_dim)·V for
/// the `n` queries `q` at positions `pos0 ..`, query `t` seeing cache
/// positions `0 ..= pos0 + t`; query head `h` reads key/value head
/// `h / group`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn attention(
    pool: &mut ThreadPool,
    shape: AttnShape,
    q: &[f32],
    keys: Rows<'_>,
    values: Rows<'_>,
    pos0: usize,
    n: usize,
    scratch: &AttnScratch,
    out: &mut [f32],
) {
    let AttnShape {
        n_head,
        group,
        head_dim: hd,
    } = shape;
    let q_dim = n_head * hd;
    let kv_dim = n_head / group * hd;
    let scale = 1.0 / (hd as f32).sqrt();
    pool.for_each_column_tile(out, n, q_dim, hd, &|mut tile| {
        let h = tile.start() / hd;
        let kv_off = (h / group) * hd;
        let mut guard = scratch.heads[h]
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let HeadScratch { scores, row } = &mut *guard;
        for t in 0..n {
            let qh = &q[t * q_dim + h * hd..][..hd];
            let n_ctx = pos0 + t + 1;
            let scores = &mut scores[..n_ctx];
            let mut max = f32::NEG_INFINITY;
            for (p, s) in scores.iter_mut().enumerate() {
                *s = dot(qh, keys.get(p * kv_dim + kv_off, row)) * scale;
                max = max.max(*s);
            }
            let mut sum = 0.0f32;
            for s in scores.iter_mut() {
                *s = (*s - max).exp();
                sum += *s;
            }
            let o = tile.row_mut(t);
            o.fill(0.0);
            for (p, &w) in scores.iter().enumerate() {
                axpy(w, values.get(p * kv_dim + kv_off, row), o);
            }
            let inv = 1.0 / sum;
            o.iter_mut().for_each(|v| *v *= inv);
        }
    });
}

/// Dot product with eight independent partial sums (vectorisable).
#[inline]
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let (ac, bc) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ac
        .remainder()
        .iter()
        .zip(bc.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ac.zip(bc) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// `y += a · x`.
#[inline]
fn axpy(a: f32, x: &[f32], y: &mut [f32]) {
    for (y, &x) in y.iter_mut().zip(x) {
        *y += a * x;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_matches_a_plain_sum_for_every_tail_length() {
        for n in 0..20 {
            let a: Vec<f32> = (0..n).map(|i| i as f32 - 3.0).collect();
            let b: Vec<f32> = (0..n).map(|i| 0.5 * i as f32).collect();
            let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert_eq!(dot(&a, &b), plain, "n = {n}");
        }
    }

    #[test]
    fn a_single_position_returns_its_value() {
        let shape = AttnShape {
            n_head: 2,
            group: 2,
            head_dim: 2,
        };
        let mut pool = ThreadPool::new(1).unwrap();
        let scratch = AttnScratch::new(2, 4, 2);
        let (k, v) = ([1.0, 2.0], [3.0, -4.0]);
        let mut out = [0.0; 4];
        let q = [0.5, 0.5, -1.0, 7.0];
        attention(
            &mut pool,
            shape,
            &q,
            Rows::F32(&k),
            Rows::F32(&v),
            0,
            1,
            &scratch,
            &mut out,
        );
        assert_eq!(out, [3.0, -4.0, 3.0, -4.0]);
    }
}
