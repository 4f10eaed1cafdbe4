//! Causal grouped-query attention over the KV cache on the matrix driver's
//! thread pool: one task per query head and block of query rows, the
//! blocks of the last rows (which see the most positions) first. Scores
//! and the value-weighted sum go through the kernel table's float dots and
//! axpys, which read f16 cache rows directly.

use std::sync::{Mutex, TryLockError};

use super::kv_cache::Rows;
use crate::ops::{DotKernels, ThreadPool};

/// Query rows per task in a batch (prefill).
const QUERY_BLOCK: usize = 16;

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

/// Score buffers for the tasks running at once, allocated once for the
/// context length: a task takes any free one.
#[derive(Debug)]
pub(crate) struct AttnScratch {
    slots: Vec<Mutex<Vec<f32>>>,
}

impl AttnScratch {
    /// Room for `threads` tasks attending over `context` positions.
    pub(crate) fn new(threads: usize, context: usize) -> Self {
        let slots = (0..threads.max(1))
            .map(|_| Mutex::new(vec![0.0; context]))
            .collect();
        AttnScratch { slots }
    }

    /// Runs `f` with a free score buffer. Each of the pool's threads runs
    /// one task at a time, so with a slot per thread one is always free.
    fn with_scores<T>(&self, f: impl FnOnce(&mut [f32]) -> T) -> T {
        loop {
            for slot in &self.slots {
                match slot.try_lock() {
                    Ok(mut s) => return f(&mut s),
                    Err(TryLockError::Poisoned(p)) => return f(&mut p.into_inner()),
                    Err(TryLockError::WouldBlock) => {}
                }
            }
            std::hint::spin_loop();
        }
    }
}

/// `out` (`n` rows of `n_head × head_dim`) = softmax(q·Kᵀ / √head_dim)·V for
/// the `n` queries `q` at positions `pos0 ..`, query `t` seeing cache
/// positions `0 ..= pos0 + t`; query head `h` reads key/value head
/// `h / group`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn attention(
    pool: &mut ThreadPool,
    kernels: &DotKernels,
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
    let (dot, axpy) = match keys {
        Rows::F32(_) => (kernels.f32, kernels.axpy_f32),
        Rows::F16(_) => (kernels.f16, kernels.axpy_f16),
    };
    pool.for_each_block(out, (n, q_dim), (QUERY_BLOCK, hd), &|mut tile| {
        let h = tile.start() / hd;
        let kv_off = (h / group) * hd;
        scratch.with_scores(|scores| {
            for t in tile.row_range() {
                let qh = &q[t * q_dim + h * hd..][..hd];
                let n_ctx = pos0 + t + 1;
                let scores = &mut scores[..n_ctx];
                let mut max = f32::NEG_INFINITY;
                for (p, s) in scores.iter_mut().enumerate() {
                    *s = dot(keys.bytes(p * kv_dim + kv_off, hd), qh) * scale;
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
                    axpy(w, values.bytes(p * kv_dim + kv_off, hd), o);
                }
                let inv = 1.0 / sum;
                o.iter_mut().for_each(|v| *v *= inv);
            }
        })
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_single_position_returns_its_value() {
        let shape = AttnShape {
            n_head: 2,
            group: 2,
            head_dim: 2,
        };
        let mut pool = ThreadPool::new(1).unwrap();
        let scratch = AttnScratch::new(1, 4);
        let (k, v) = ([1.0, 2.0], [3.0, -4.0]);
        let mut out = [0.0; 4];
        let q = [0.5, 0.5, -1.0, 7.0];
        attention(
            &mut pool,
            DotKernels::best(),
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
