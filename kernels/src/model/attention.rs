//! Causal grouped-query attention over the KV cache on the matrix driver's
//! thread pool, one task per group of query heads and block of query rows,
//! the blocks of the last rows (which see the most positions) first. The
//! kernel table's attention kernels read f16 cache rows directly and share
//! each key and value row among the query heads of its group.

use std::sync::{Mutex, TryLockError};

use super::kv_cache::Rows;
use crate::ops::{DotKernels, HeadQueries, KvHead, ThreadPool};

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
    /// Room for `threads` tasks of up to `heads` query heads attending over
    /// `context` positions.
    pub(crate) fn new(threads: usize, heads: usize, context: usize) -> Self {
        let slots = (0..threads.max(1))
            .map(|_| Mutex::new(vec![0.0; heads.max(1) * context]))
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
///
/// A task takes the query heads of one key/value head (or, for a single
/// query with fewer key/value heads than two per thread, one query head, so
/// the threads stay busy) for a block of query rows.
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
    let n_kv = n_head / group;
    let scale = 1.0 / (hd as f32).sqrt();
    let (attend, elem) = match keys {
        Rows::F32(_) => (kernels.attend_f32, 4),
        Rows::F16(_) => (kernels.attend_f16, 2),
    };
    let (kb, vb) = (keys.all_bytes(), values.all_bytes());
    let stride = n_kv * hd * elem;
    let per_task = if n == 1 && n_kv < 2 * pool.threads() {
        1
    } else {
        group
    };
    pool.for_each_block(
        out,
        (n, q_dim),
        (QUERY_BLOCK, per_task * hd),
        &|mut tile| {
            let h0 = tile.start() / hd;
            let at = (h0 / group) * hd * elem;
            let (k, v) = (
                KvHead {
                    bytes: &kb[at..],
                    stride,
                },
                KvHead {
                    bytes: &vb[at..],
                    stride,
                },
            );
            scratch.with_scores(|scores| {
                for t in tile.row_range() {
                    let queries = HeadQueries {
                        q: &q[t * q_dim + h0 * hd..][..per_task * hd],
                        head_dim: hd,
                        scale,
                    };
                    attend(queries, k, v, pos0 + t + 1, scores, tile.row_mut(t));
                }
            })
        },
    );
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
        let scratch = AttnScratch::new(1, 2, 4);
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
