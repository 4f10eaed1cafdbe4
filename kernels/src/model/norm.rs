//! RMSNorm, the SwiGLU gate over a batch and the residual adds.

use crate::ops::{SwigluFn, ThreadPool};

/// Elements from which the SwiGLU gate is applied in parallel.
const PARALLEL_SWIGLU: usize = 16 << 10;

/// `out = x * w / sqrt(mean(x²) + eps)` for every row of `x` (rows of
/// `w.len()` values).
pub(crate) fn rms_norm_rows(x: &[f32], w: &[f32], eps: f32, out: &mut [f32]) {
    let n = w.len();
    debug_assert_eq!(x.len(), out.len());
    for (xr, yr) in x.chunks_exact(n).zip(out.chunks_exact_mut(n)) {
        let sum: f64 = xr.iter().map(|&v| f64::from(v) * f64::from(v)).sum();
        let scale = (1.0 / (sum / n as f64 + f64::from(eps)).sqrt()) as f32;
        for ((y, &v), &g) in yr.iter_mut().zip(xr).zip(w) {
            *y = v * scale * g;
        }
    }
}

/// `gate = silu(gate) * up`, element-wise, with the kernel table's
/// `swiglu`: on the calling thread for a token, in parallel for a batch.
pub(crate) fn swiglu(pool: &mut ThreadPool, kernel: SwigluFn, gate: &mut [f32], up: &[f32]) {
    let n = gate.len();
    if n < PARALLEL_SWIGLU || pool.threads() == 1 {
        return kernel(gate, up);
    }
    let chunk = n.div_ceil(pool.threads() * 4).next_multiple_of(64);
    pool.for_each_column_tile(gate, 1, n, chunk, &|mut t| {
        let (start, width) = (t.start(), t.width());
        kernel(t.row_mut(0), &up[start..start + width]);
    });
}

/// `x += y`, element-wise.
pub(crate) fn add_into(x: &mut [f32], y: &[f32]) {
    for (a, &b) in x.iter_mut().zip(y) {
        *a += b;
    }
}

/// Adds `bias` to every row of `x` (rows of `bias.len()` values).
pub(crate) fn add_bias_rows(x: &mut [f32], bias: &[f32]) {
    for row in x.chunks_exact_mut(bias.len()) {
        add_into(row, bias);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rms_norm_scales_each_row_to_unit_rms() {
        let x = [3.0, 4.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0];
        let w = [1.0, 2.0, 1.0, 1.0];
        let mut y = [0.0; 8];
        rms_norm_rows(&x, &w, 0.0, &mut y);
        // Row 0: mean of squares 25/4, rms 2.5.
        assert_eq!(&y[..4], &[1.2, 3.2, 0.0, 0.0]);
        assert_eq!(&y[4..], &[1.0, 2.0, 1.0, 1.0]);
    }

    #[test]
    fn swiglu_gates_with_silu() {
        let mut pool = ThreadPool::new(2).unwrap();
        let mut g = [0.0, 1.0, -1.0];
        swiglu(
            &mut pool,
            crate::ops::DotKernels::best().swiglu,
            &mut g,
            &[5.0, 2.0, 1.0],
        );
        assert_eq!(g[0], 0.0);
        assert!((g[1] - 2.0 * 0.731_058_6).abs() < 1e-6);
        assert!((g[2] + 0.268_941_43).abs() < 1e-6);
    }

    #[test]
    fn a_batch_gated_in_parallel_equals_one_call() {
        let kernel = crate::ops::DotKernels::best().swiglu;
        let n = 3 * PARALLEL_SWIGLU + 13;
        let gate: Vec<f32> = (0..n).map(|i| (i % 97) as f32 * 0.13 - 6.0).collect();
        let up: Vec<f32> = (0..n).map(|i| (i % 31) as f32 * 0.07 - 1.0).collect();
        let mut whole = gate.clone();
        kernel(&mut whole, &up);
        for threads in [1, 2, 3] {
            let mut pool = ThreadPool::new(threads).unwrap();
            let mut split = gate.clone();
            swiglu(&mut pool, kernel, &mut split, &up);
            assert_eq!(split, whole, "{threads} threads");
        }
    }
}
