//! Matrix-vector and matrix-matrix products over a [`WeightMatrix`], on a
//! persistent [`ThreadPool`] with a chosen kernel table.
//!
//! Quantized weights multiply quantized activations: the activations are
//! quantized once per call (Q8_0 for Q8_0 and Q4_0 weights, Q8_1 for Q4_1),
//! however many matrices the call multiplies them with, into a scratch
//! buffer the driver keeps, so steady-state calls allocate nothing beyond
//! a few plan entries. Work is split over output rows in tiles of whole 16-row groups,
//! one thread per tile at a time. Inside a tile, the table's tile kernels
//! compute [`TILE_ROWS`] weight rows × up to [`TILE_BATCH`] activation rows
//! at once, with each group of weight rows read from memory once per pass
//! over the batch (see `tile_loop`). A matrix-vector product is the same
//! loop with a batch of one, so each output row of a product is computed
//! exactly the same way whatever the batch.

use super::pool::{ColumnTile, MAX_OUTPUTS, ThreadPool, TiledOutput};
use super::{
    DotKernels, FloatTile, Isa, Layout, OpsError, Q4_0PanelTile, Q4_0Tile, Q4_1Tile, Q8_0PanelTile,
    Q8_0Tile, TILE_BATCH, TILE_ROWS, WeightMatrix,
};
use crate::quant::{
    BlockQ4_0, BlockQ4_1, BlockQ8_0, BlockQ8_1, GgmlType, PANEL_ROWS, PanelQ4_0, PanelQ8_0, QK,
    quantize_q8_1,
};
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
/// Input values from which activations are quantized in parallel.
const PARALLEL_QUANTIZE: usize = 8 << 10;

/// A kernel table, a thread pool and activation scratch space.
#[derive(Debug)]
pub struct Matmul {
    kernels: DotKernels,
    pool: ThreadPool,
    q8_0: Vec<BlockQ8_0>,
    /// Quant sums of the blocks of `q8_0` (for Q4_0 panels).
    sums: Vec<i32>,
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
            sums: Vec::new(),
            q8_1: Vec::new(),
            act_quant: None,
        })
    }

    /// Times the quantization of activations, and the pool's waits, from
    /// now on (or stops). The quantization's time leaves out the pool's
    /// waits during it (see [`ThreadPool::take_wait`]).
    pub fn time_activation_quant(&mut self, on: bool) {
        self.act_quant = on.then_some(Duration::ZERO);
        self.pool.time_waits(on);
    }

    /// The time spent quantizing activations since the last call, when
    /// timed (see [`time_activation_quant`](Self::time_activation_quant)).
    pub fn take_activation_quant_time(&mut self) -> Option<Duration> {
        self.act_quant.as_mut().map(std::mem::take)
    }

    /// The kernel table in use (for other kernels run between products).
    pub fn kernels(&self) -> &DotKernels {
        &self.kernels
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
        self.matmul_each(x, n, &mut [Product::new(w, y)])
    }

    /// `Yⱼ = X · Wⱼᵀ` for several matrices of the same input (the query,
    /// key and value projections of a layer; its gate and up projections):
    /// `x` holds `n` rows of the matrices' common `cols()`, each product's
    /// `y` receives `n` rows of its matrix's `rows()`. The input is
    /// quantized once for all of them (in parallel for a batch) and their
    /// tiles share one parallel call. Each output equals that product's own
    /// [`matmul`](Self::matmul).
    ///
    /// # Errors
    /// [`OpsError::ActivationLength`], [`OpsError::OutputLength`] or
    /// [`OpsError::UnsupportedType`], before anything is computed.
    ///
    /// # Panics
    /// With more than [`MAX_OUTPUTS`] products.
    pub fn matmul_each(
        &mut self,
        x: &[f32],
        n: usize,
        products: &mut [Product<'_, '_>],
    ) -> Result<(), OpsError> {
        assert!(
            products.len() <= MAX_OUTPUTS,
            "more than {MAX_OUTPUTS} products"
        );
        for p in products.iter() {
            p.check(x.len(), n)?;
        }
        if n == 0 || products.is_empty() {
            return Ok(());
        }
        let cols = products[0].w.cols();
        let nb = cols / QK;
        let needs = |f: fn(GgmlType) -> bool| products.iter().any(|p| f(p.w.dtype()));
        let (q8_0, q8_1) = (
            needs(|t| matches!(t, GgmlType::Q8_0 | GgmlType::Q4_0)),
            needs(|t| t == GgmlType::Q4_1),
        );
        let start = (self.act_quant.is_some() && (q8_0 || q8_1)).then(Instant::now);
        let waited = self.pool.waited().unwrap_or_default();
        if q8_0 {
            let act = scratch(&mut self.q8_0, n * nb);
            quantize_rows(&mut self.pool, x, cols, act, self.kernels.quantize_q8_0);
            let q4_0_panels = products
                .iter()
                .any(|p| p.w.dtype() == GgmlType::Q4_0 && p.w.layout() == Layout::Panels);
            if q4_0_panels {
                let sums = scratch(&mut self.sums, n * nb);
                for (s, b) in sums.iter_mut().zip(act.iter()) {
                    *s = b.qs.iter().map(|&q| i32::from(q)).sum();
                }
            }
        }
        if q8_1 {
            let act = scratch(&mut self.q8_1, n * nb);
            quantize_rows(&mut self.pool, x, cols, act, quantize_q8_1);
        }
        if let (Some(t), Some(start)) = (self.act_quant.as_mut(), start) {
            // The pool's wait during a parallel quantization stays the pool's.
            let wait = self
                .pool
                .waited()
                .unwrap_or_default()
                .saturating_sub(waited);
            *t += start.elapsed().saturating_sub(wait);
        }
        let acts = Activations {
            f32: x,
            q8_0: self.q8_0.get(..n * nb).unwrap_or_default(),
            sums: self.sums.get(..n * nb).unwrap_or_default(),
            q8_1: self.q8_1.get(..n * nb).unwrap_or_default(),
        };
        let threads = self.pool.threads();
        let plans: [Option<Plan<'_>>; MAX_OUTPUTS] =
            std::array::from_fn(|j| products.get(j).map(|p| Plan::new(p.w, &self.kernels)));
        let outputs = products.iter_mut().map(|p| TiledOutput {
            cols: p.w.rows(),
            tile_cols: plan_tile(p.w.rows(), threads),
            out: &mut *p.y,
            rows: n,
        });
        self.pool.for_each_column_tile_of(outputs, &|j, mut t| {
            if let Some(plan) = &plans[j] {
                plan.fill(&mut t, n, &acts);
            }
        });
        Ok(())
    }
}

/// One product of [`Matmul::matmul_each`]: a weight matrix and the buffer
/// its output rows go to.
#[derive(Debug)]
pub struct Product<'w, 'y> {
    w: &'w WeightMatrix<'w>,
    y: &'y mut [f32],
}

impl<'w, 'y> Product<'w, 'y> {
    /// `y = W · x` rows into `y`.
    pub fn new(w: &'w WeightMatrix<'w>, y: &'y mut [f32]) -> Self {
        Product { w, y }
    }

    /// Checks the lengths of a product of `n` rows of `x_len / n` values,
    /// and that the matrix's format has kernels.
    fn check(&self, x_len: usize, n: usize) -> Result<(), OpsError> {
        let (rows, cols) = (self.w.rows(), self.w.cols());
        let expected = n.saturating_mul(cols);
        if x_len != expected {
            return Err(OpsError::ActivationLength {
                batch: n,
                cols,
                expected,
                actual: x_len,
            });
        }
        let expected = n.saturating_mul(rows);
        if self.y.len() != expected {
            return Err(OpsError::OutputLength {
                batch: n,
                rows,
                expected,
                actual: self.y.len(),
            });
        }
        match self.w.dtype() {
            GgmlType::F32
            | GgmlType::F16
            | GgmlType::BF16
            | GgmlType::Q8_0
            | GgmlType::Q4_0
            | GgmlType::Q4_1 => Ok(()),
            dtype => Err(OpsError::UnsupportedType { dtype }),
        }
    }
}

/// A call's input in every form a kernel takes: f32 rows and, when some
/// product needs them, their Q8_0 and Q8_1 quantizations.
struct Activations<'a> {
    f32: &'a [f32],
    q8_0: &'a [BlockQ8_0],
    /// The quant sum of each Q8_0 block, when a Q4_0 panel product needs it.
    sums: &'a [i32],
    q8_1: &'a [BlockQ8_1],
}

/// How one product is computed: its weights and the tile kernel of their
/// format.
struct Plan<'a> {
    kernel: PlanKernel<'a>,
    /// Elements of a weight row (floats) or blocks of a row (quantized).
    k: usize,
}

enum PlanKernel<'a> {
    Float(&'a [u8], usize, FloatTile),
    Q8_0(&'a [BlockQ8_0], Q8_0Tile),
    Q4_0(&'a [BlockQ4_0], Q4_0Tile),
    Q4_1(&'a [BlockQ4_1], Q4_1Tile),
    Q8_0Panels(&'a [PanelQ8_0], Q8_0PanelTile),
    Q4_0Panels(&'a [PanelQ4_0], Q4_0PanelTile),
}

impl<'a> Plan<'a> {
    /// The plan of `w` (of a format [`Product::check`] accepted).
    fn new(w: &WeightMatrix<'a>, k: &DotKernels) -> Self {
        let data = w.data();
        let nb = w.cols() / QK;
        if w.layout() == Layout::Panels {
            let kernel = if w.dtype() == GgmlType::Q8_0 {
                PlanKernel::Q8_0Panels(bytemuck::cast_slice(data), k.q8_0_panel)
            } else {
                PlanKernel::Q4_0Panels(bytemuck::cast_slice(data), k.q4_0_panel)
            };
            return Plan { kernel, k: nb };
        }
        let (kernel, len) = match w.dtype() {
            GgmlType::F32 => (PlanKernel::Float(data, w.row_bytes(), k.f32_tile), w.cols()),
            GgmlType::F16 => (PlanKernel::Float(data, w.row_bytes(), k.f16_tile), w.cols()),
            GgmlType::BF16 => (
                PlanKernel::Float(data, w.row_bytes(), k.bf16_tile),
                w.cols(),
            ),
            GgmlType::Q8_0 => (
                PlanKernel::Q8_0(bytemuck::cast_slice(data), k.q8_0_tile),
                w.cols() / QK,
            ),
            GgmlType::Q4_0 => (
                PlanKernel::Q4_0(bytemuck::cast_slice(data), k.q4_0_tile),
                w.cols() / QK,
            ),
            _ => (
                PlanKernel::Q4_1(bytemuck::cast_slice(data), k.q4_1_tile),
                w.cols() / QK,
            ),
        };
        Plan { kernel, k: len }
    }

    /// Fills one column tile of the output (`n` activation rows).
    fn fill(&self, t: &mut ColumnTile<'_, f32>, n: usize, x: &Activations<'_>) {
        let k = self.k;
        match self.kernel {
            PlanKernel::Float(w, row, kernel) => fill_tile(t, n, w, row, x.f32, k, kernel),
            PlanKernel::Q8_0(w, kernel) => fill_tile(t, n, w, k, x.q8_0, k, kernel),
            PlanKernel::Q4_0(w, kernel) => fill_tile(t, n, w, k, x.q8_0, k, kernel),
            PlanKernel::Q4_1(w, kernel) => fill_tile(t, n, w, k, x.q8_1, k, kernel),
            PlanKernel::Q8_0Panels(w, kernel) => {
                fill_panels(t, n, w, x.q8_0, k, |w, xs, _, out| kernel(w, xs, k, out))
            }
            PlanKernel::Q4_0Panels(w, kernel) => {
                fill_panels(t, n, w, x.q8_0, k, |w, xs, i, out| {
                    kernel(w, xs, &x.sums[i.start * k..i.end * k], k, out)
                })
            }
        }
    }
}

/// Fills a column tile of a panel matrix: `w` holds panels of `nb` blocks
/// (panel `p` from `p · nb`), `x` activation rows of `nb` blocks, and
/// `kernel(panel, activation rows, their range, out)` fills one panel ×
/// up to [`TILE_BATCH`] rows.
fn fill_panels<W>(
    t: &mut ColumnTile<'_, f32>,
    n: usize,
    w: &[W],
    x: &[BlockQ8_0],
    nb: usize,
    kernel: impl Fn(&[W], &[BlockQ8_0], Range<usize>, &mut [f32]),
) {
    let pass = pass_rows(nb * size_of::<BlockQ8_0>());
    tile_loop(t, n, pass, PANEL_ROWS, |r, i, out| {
        let p = r.start / PANEL_ROWS;
        kernel(
            &w[p * nb..(p + 1) * nb],
            &x[i.start * nb..i.end * nb],
            i,
            out,
        )
    })
}

/// Output rows per column tile of a matrix of `rows` rows: whole groups,
/// [`TILES_PER_THREAD`] tiles per thread.
fn plan_tile(rows: usize, threads: usize) -> usize {
    rows.div_ceil(threads * TILES_PER_THREAD)
        .next_multiple_of(GROUP)
}

/// Fills a column tile with a tile kernel: weight rows are `w_row`
/// elements of `w`, activation rows `k` elements of `x`, and `k` is the
/// row length the kernel is given.
fn fill_tile<W, X>(
    t: &mut ColumnTile<'_, f32>,
    n: usize,
    w: &[W],
    w_row: usize,
    x: &[X],
    k: usize,
    kernel: fn(&[W], &[X], usize, &mut [f32]),
) {
    let pass = pass_rows(k * size_of::<X>());
    tile_loop(t, n, pass, TILE_ROWS, |r, i, out| {
        let (wr, xi) = (
            &w[r.start * w_row..r.end * w_row],
            &x[i.start * k..i.end * k],
        );
        kernel(wr, xi, k, out)
    })
}

/// Quantizes the rows of `x` (each `cols` values) into `out` with
/// `quantize`: on the calling thread for a few rows, in parallel over
/// groups of rows for a batch.
fn quantize_rows<B: Send>(
    pool: &mut ThreadPool,
    x: &[f32],
    cols: usize,
    out: &mut [B],
    quantize: fn(&[f32], &mut [B]),
) {
    let n = x.len() / cols;
    if x.len() < PARALLEL_QUANTIZE || pool.threads() == 1 {
        quantize(x, out);
        return;
    }
    let nb = cols / QK;
    let rows_per_chunk = n.div_ceil(pool.threads() * TILES_PER_THREAD);
    pool.for_each_column_tile(out, 1, n * nb, rows_per_chunk * nb, &|mut t| {
        let (start, width) = (t.start(), t.width());
        quantize(&x[start * QK..(start + width) * QK], t.row_mut(0));
    });
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
/// each group of `step` weight rows ([`TILE_ROWS`], or a panel) is read
/// once (into L1) and multiplied with every activation row of the pass
/// (kept in L2) in tiles of [`TILE_BATCH`]; `kernel(weight rows,
/// activation rows, out)` fills one tile, activation-major.
fn tile_loop(
    t: &mut ColumnTile<'_, f32>,
    n: usize,
    pass: usize,
    step: usize,
    kernel: impl Fn(Range<usize>, Range<usize>, &mut [f32]),
) {
    let (start, width) = (t.start(), t.width());
    let mut buf = [0.0f32; PANEL_ROWS * TILE_BATCH];
    for p in (0..n).step_by(pass) {
        let p_end = (p + pass).min(n);
        for r in (0..width).step_by(step) {
            let r_end = (r + step).min(width);
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
