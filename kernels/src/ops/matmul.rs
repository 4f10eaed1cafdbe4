//! Matrix-vector and matrix-matrix products over a [`WeightMatrix`], on a
//! persistent [`ThreadPool`] with a chosen kernel table.
//!
//! Quantized weights multiply quantized activations: the activations are
//! quantized once per call (Q8_0 for Q8_0 and Q4_0 weights, Q8_1 for Q4_1)
//! into a scratch buffer the driver keeps, so steady-state calls do not
//! allocate. Work is split over output rows in tiles of whole 16-row groups,
//! one thread per tile at a time. Inside a tile, the table's tile kernels
//! compute [`TILE_ROWS`] weight rows × up to [`TILE_BATCH`] activation rows
//! at once, with each group of weight rows read from memory once per pass
//! over the batch (see `tile_loop`). A matrix-vector product is the same
//! loop with a batch of one, so each output row of a product is computed
//! exactly the same way whatever the batch.

use super::pool::{ColumnTile, ThreadPool};
use super::{DotKernels, Isa, OpsError, TILE_BATCH, TILE_ROWS, WeightMatrix};
use crate::quant::{BlockQ8_0, BlockQ8_1, GgmlType, QK, quantize_q8_0, quantize_q8_1};
use bytemuck::Zeroable;
use std::ops::Range;
use std::time::{Duration, Instant};

/// Output rows per group: the pool's column tiles are whole groups.
const GROUP: usize = 16;
/// Tiles per thread, so uneven progress still balances out.
const TILES_PER_THREAD: usize = 4;
/// Bytes of (quantized) activations multiplied with a weight tile per pass:
/// they stay in L2 while each group of weight rows streams through L1.
const PASS_BYTES: usize = 128 << 10;

/// A kernel table, a thread pool and activation scratch space.
#[derive(Debug)]
pub struct Matmul {
    kernels: DotKernels,
    pool: ThreadPool,
    q8_0: Vec<BlockQ8_0>,
    q8_1: Vec<BlockQ8_1>,
    /// Time spent quantizing activations since last taken, when timed.
    act_quant: Option<Duration>,
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
            act_quant: None,
        })
    }

    /// Times the quantization of activations from now on (or stops).
    pub fn time_activation_quant(&mut self, on: bool) {
        self.act_quant = on.then_some(Duration::ZERO);
    }

    /// The time spent quantizing activations since the last call, when
    /// timed (see [`time_activation_quant`](Self::time_activation_quant)).
    pub fn take_activation_quant_time(&mut self) -> Option<Duration> {
        self.act_quant.as_mut().map(std::mem::take)
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
        let output = Output {
            pool: &mut self.pool,
            y,
            n,
            rows,
            tile: per_tile.next_multiple_of(GROUP),
        };
        let k = self.kernels;
        let data = w.data();
        let nb = cols / QK;
        match w.dtype() {
            GgmlType::F32 | GgmlType::F16 | GgmlType::BF16 => {
                let kernel = match w.dtype() {
                    GgmlType::F32 => k.f32_tile,
                    GgmlType::F16 => k.f16_tile,
                    _ => k.bf16_tile,
                };
                output.fill(data, w.row_bytes(), x, cols, kernel);
            }
            GgmlType::Q8_0 | GgmlType::Q4_0 => {
                let start = self.act_quant.is_some().then(Instant::now);
                let act = scratch(&mut self.q8_0, n * nb);
                for (xr, ar) in x.chunks_exact(cols).zip(act.chunks_exact_mut(nb)) {
                    quantize_q8_0(xr, ar);
                }
                if let (Some(t), Some(start)) = (self.act_quant.as_mut(), start) {
                    *t += start.elapsed();
                }
                if w.dtype() == GgmlType::Q8_0 {
                    output.fill(bytemuck::cast_slice(data), nb, act, nb, k.q8_0_tile);
                } else {
                    output.fill(bytemuck::cast_slice(data), nb, act, nb, k.q4_0_tile);
                }
            }
            GgmlType::Q4_1 => {
                let start = self.act_quant.is_some().then(Instant::now);
                let act = scratch(&mut self.q8_1, n * nb);
                for (xr, ar) in x.chunks_exact(cols).zip(act.chunks_exact_mut(nb)) {
                    quantize_q8_1(xr, ar);
                }
                if let (Some(t), Some(start)) = (self.act_quant.as_mut(), start) {
                    *t += start.elapsed();
                }
                output.fill(bytemuck::cast_slice(data), nb, act, nb, k.q4_1_tile);
            }
            dtype => return Err(OpsError::UnsupportedType { dtype }),
        }
        Ok(())
    }
}

/// One product's output (`n` rows of `rows` values) and the pool that
/// fills it in column tiles of `tile` weight rows.
struct Output<'a> {
    pool: &'a mut ThreadPool,
    y: &'a mut [f32],
    n: usize,
    rows: usize,
    tile: usize,
}

impl Output<'_> {
    /// Fills the output with a tile kernel: weight rows are `w_row`
    /// elements of `w`, activation rows `k` elements of `x`, and `k` is the
    /// row length the kernel is given.
    fn fill<W: Sync, X: Sync>(
        self,
        w: &[W],
        w_row: usize,
        x: &[X],
        k: usize,
        kernel: fn(&[W], &[X], usize, &mut [f32]),
    ) {
        let (n, pass) = (self.n, pass_rows(k * size_of::<X>()));
        let (rows, tile) = (self.rows, self.tile);
        self.pool
            .for_each_column_tile(self.y, n, rows, tile, &|mut t| {
                tile_loop(&mut t, n, pass, |r, i, out| {
                    let (wr, xi) = (
                        &w[r.start * w_row..r.end * w_row],
                        &x[i.start * k..i.end * k],
                    );
                    kernel(wr, xi, k, out)
                })
            });
    }
}

/// Activation rows per pass over a tile's weights: as many as fit in
/// [`PASS_BYTES`], in whole tile batches.
fn pass_rows(row_bytes: usize) -> usize {
    (PASS_BYTES / row_bytes.max(1) / TILE_BATCH).max(1) * TILE_BATCH
}

/// The first `len` elements of `buf`, grown (once) if it is shorter.
fn scratch<T: Zeroable + Clone>(buf: &mut Vec<T>, len: usize) -> &mut [T] {
    if buf.len() < len {
        buf.resize(len, T::zeroed());
    }
    &mut buf[..len]
}

/// Fills a tile of the output. For each pass of `pass` activation rows,
/// each group of [`TILE_ROWS`] weight rows is read once (into L1) and
/// multiplied with every activation row of the pass (kept in L2) in tiles of
/// [`TILE_BATCH`]; `kernel(weight rows, activation rows, out)` fills one
/// tile, activation-major.
fn tile_loop(
    t: &mut ColumnTile<'_, f32>,
    n: usize,
    pass: usize,
    kernel: impl Fn(Range<usize>, Range<usize>, &mut [f32]),
) {
    let (start, width) = (t.start(), t.width());
    let mut buf = [0.0f32; TILE_ROWS * TILE_BATCH];
    for p in (0..n).step_by(pass) {
        let p_end = (p + pass).min(n);
        for r in (0..width).step_by(TILE_ROWS) {
            let r_end = (r + TILE_ROWS).min(width);
            let nr = r_end - r;
            for i in (p..p_end).step_by(TILE_BATCH) {
                let i_end = (i + TILE_BATCH).min(p_end);
                let out = &mut buf[..nr * (i_end - i)];
                kernel(start + r..start + r_end, i..i_end, out);
                for (row, o) in (i..i_end).zip(out.chunks_exact(nr)) {
                    t.row_mut(row)[r..r_end].copy_from_slice(o);
                }
            }
        }
    }
}
