//! Matrix-vector and matrix-matrix products over a [`WeightMatrix`], on a
//! persistent [`ThreadPool`] with a chosen kernel table.
//!
//! Quantized weights multiply quantized activations: the activations are
//! quantized once per call (Q8_0 for Q8_0 and Q4_0 weights, Q8_1 for Q4_1)
//! into a scratch buffer the driver keeps, so steady-state calls do not
//! allocate. Work is split over output rows in tiles of whole 16-row groups;
//! inside a tile, a group of weight rows is reused for every activation row
//! of the batch while it is still in cache.

use super::pool::{ColumnTile, ThreadPool};
use super::{DotKernels, Isa, OpsError, WeightMatrix};
use crate::quant::{
    BlockQ4_0, BlockQ4_1, BlockQ8_0, BlockQ8_1, GgmlType, QK, quantize_q8_0, quantize_q8_1,
};
use bytemuck::Zeroable;

/// Output rows per group: tiles are whole groups, and a group of weight rows
/// is reused across the batch before moving on.
const GROUP: usize = 16;
/// Tiles per thread, so uneven progress still balances out.
const TILES_PER_THREAD: usize = 4;

/// A kernel table, a thread pool and activation scratch space.
#[derive(Debug)]
pub struct Matmul {
    kernels: DotKernels,
    pool: ThreadPool,
    q8_0: Vec<BlockQ8_0>,
    q8_1: Vec<BlockQ8_1>,
}

impl Matmul {
    /// The best kernels for this CPU on `threads` threads (the caller
    /// included; 0 counts as 1).
    ///
    /// # Errors
    /// [`OpsError::Spawn`] when a worker thread cannot be started.
    pub fn new(threads: usize) -> Result<Self, OpsError> {
        Self::with_kernels(*DotKernels::best(), threads)
    }

    /// The kernels of `isa`, for tests and benchmarks that compare levels.
    ///
    /// # Errors
    /// [`OpsError::IsaUnavailable`] when this CPU cannot run `isa`,
    /// [`OpsError::Spawn`] when a worker thread cannot be started.
    pub fn with_isa(isa: Isa, threads: usize) -> Result<Self, OpsError> {
        let kernels = DotKernels::for_isa(isa).ok_or(OpsError::IsaUnavailable { isa })?;
        Self::with_kernels(kernels, threads)
    }

    fn with_kernels(kernels: DotKernels, threads: usize) -> Result<Self, OpsError> {
        Ok(Self {
            kernels,
            pool: ThreadPool::new(threads)?,
            q8_0: Vec::new(),
            q8_1: Vec::new(),
        })
    }

    /// The instruction-set level of the kernels in use.
    pub fn isa(&self) -> Isa {
        self.kernels.isa
    }

    /// Threads taking part in a call, the caller included.
    pub fn threads(&self) -> usize {
        self.pool.threads()
    }

    /// The thread pool, for other data-parallel work between products (one
    /// pool per driver, so idle workers of a second pool never compete).
    pub fn pool_mut(&mut self) -> &mut ThreadPool {
        &mut self.pool
    }

    /// `y = W · x`: `x` has `w.cols()` values, `y` has `w.rows()`.
    ///
    /// # Errors
    /// [`OpsError::ActivationLength`] or [`OpsError::OutputLength`] on a
    /// length mismatch.
    pub fn matvec(
        &mut self,
        w: &WeightMatrix<'_>,
        x: &[f32],
        y: &mut [f32],
    ) -> Result<(), OpsError> {
        self.matmul(w, x, 1, y)
    }

    /// `Y = X · Wᵀ` for a batch: `x` holds `n` rows of `w.cols()` values,
    /// `y` receives `n` rows of `w.rows()` values (row `i` of `y` is the
    /// [`matvec`](Self::matvec) of row `i` of `x`).
    ///
    /// # Errors
    /// [`OpsError::ActivationLength`] or [`OpsError::OutputLength`] on a
    /// length mismatch.
    pub fn matmul(
        &mut self,
        w: &WeightMatrix<'_>,
        x: &[f32],
        n: usize,
        y: &mut [f32],
    ) -> Result<(), OpsError> {
        let (rows, cols) = (w.rows(), w.cols());
        let expected = n.saturating_mul(cols);
        if x.len() != expected {
            return Err(OpsError::ActivationLength {
                batch: n,
                cols,
                expected,
                actual: x.len(),
            });
        }
        let expected = n.saturating_mul(rows);
        if y.len() != expected {
            return Err(OpsError::OutputLength {
                batch: n,
                rows,
                expected,
                actual: y.len(),
            });
        }
        if n == 0 {
            return Ok(());
        }
        let per_tile = rows.div_ceil(self.pool.threads() * TILES_PER_THREAD);
        let tile = per_tile.next_multiple_of(GROUP);
        let k = self.kernels;
        let data = w.data();
        let nb = cols / QK;
        match w.dtype() {
            GgmlType::F32 | GgmlType::F16 | GgmlType::BF16 => {
                let dot = match w.dtype() {
                    GgmlType::F32 => k.f32,
                    GgmlType::F16 => k.f16,
                    _ => k.bf16,
                };
                let rb = w.row_bytes();
                self.pool.for_each_column_tile(y, n, rows, tile, &|mut t| {
                    tile_loop(&mut t, n, |r, i| {
                        dot(&data[r * rb..(r + 1) * rb], &x[i * cols..(i + 1) * cols])
                    })
                });
            }
            GgmlType::Q8_0 | GgmlType::Q4_0 => {
                let act = scratch(&mut self.q8_0, n * nb);
                for (xr, ar) in x.chunks_exact(cols).zip(act.chunks_exact_mut(nb)) {
                    quantize_q8_0(xr, ar);
                }
                let act = &*act;
                let xi = |i: usize| &act[i * nb..(i + 1) * nb];
                if w.dtype() == GgmlType::Q8_0 {
                    let wb: &[BlockQ8_0] = bytemuck::cast_slice(data);
                    self.pool.for_each_column_tile(y, n, rows, tile, &|mut t| {
                        tile_loop(&mut t, n, |r, i| (k.q8_0)(&wb[r * nb..(r + 1) * nb], xi(i)))
                    });
                } else {
                    let wb: &[BlockQ4_0] = bytemuck::cast_slice(data);
                    self.pool.for_each_column_tile(y, n, rows, tile, &|mut t| {
                        tile_loop(&mut t, n, |r, i| (k.q4_0)(&wb[r * nb..(r + 1) * nb], xi(i)))
                    });
                }
            }
            GgmlType::Q4_1 => {
                let act = scratch(&mut self.q8_1, n * nb);
                for (xr, ar) in x.chunks_exact(cols).zip(act.chunks_exact_mut(nb)) {
                    quantize_q8_1(xr, ar);
                }
                let act = &*act;
                let wb: &[BlockQ4_1] = bytemuck::cast_slice(data);
                self.pool.for_each_column_tile(y, n, rows, tile, &|mut t| {
                    tile_loop(&mut t, n, |r, i| {
                        (k.q4_1)(&wb[r * nb..(r + 1) * nb], &act[i * nb..(i + 1) * nb])
                    })
                });
            }
            dtype => return Err(OpsError::UnsupportedType { dtype }),
        }
        Ok(())
    }
}

/// The first `len` elements of `buf`, grown (once) if it is shorter.
fn scratch<T: Zeroable + Clone>(buf: &mut Vec<T>, len: usize) -> &mut [T] {
    if buf.len() < len {
        buf.resize(len, T::zeroed());
    }
    &mut buf[..len]
}

/// Fills a tile: for each group of weight rows, every activation row.
fn tile_loop(t: &mut ColumnTile<'_, f32>, n: usize, dot: impl Fn(usize, usize) -> f32) {
    let (start, width) = (t.start(), t.width());
    for g in (0..width).step_by(GROUP) {
        let g_end = (g + GROUP).min(width);
        for i in 0..n {
            let out = &mut t.row_mut(i)[g..g_end];
            for (j, o) in out.iter_mut().enumerate() {
                *o = dot(start + g + j, i);
            }
        }
    }
}
