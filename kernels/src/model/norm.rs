//! RMSNorm and the SwiGLU gate, applied row by row.

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

/// `gate = silu(gate) * up`, element-wise.
pub(crate) fn swiglu(gate: &mut [f32], up: &[f32]) {
    for (g, &u) in gate.iter_mut().zip(up) {
        *g = *g / (1.0 + (-*g).exp()) * u;
    }
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
        let mut g = [0.0, 1.0, -1.0];
        swiglu(&mut g, &[5.0, 2.0, 1.0]);
        assert_eq!(g[0], 0.0);
        assert!((g[1] - 2.0 * 0.731_058_6).abs() < 1e-6);
        assert!((g[2] + 0.268_941_43).abs() < 1e-6);
    }
}
