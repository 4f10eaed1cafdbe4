//! Weight values with the statistics of trained language models, so that
//! quantization error on them resembles the error on a real checkpoint:
//!
//! - matrices: zero-mean, standard deviation `gain / sqrt(fan_in)`, a
//!   heavy-tailed scale mixture of Gaussians (excess kurtosis about 4), a
//!   log-normal spread of row scales, and a handful of outlier input
//!   channels (whole columns scaled ×5 to ×20);
//! - token embeddings: the same, with a wider spread of row norms (frequent
//!   and rare tokens);
//! - norm weights: log-normal around 1.

use super::rng::Rng;

/// How a tensor is initialised.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Init {
    /// A norm weight vector: positive, around 1.
    Norm,
    /// A weight matrix; `gain` scales the `1 / sqrt(fan_in)` deviation.
    Matrix {
        /// Multiplier of the standard deviation.
        gain: f32,
    },
    /// The token embedding (rows are tokens).
    Embedding,
}

/// Spread (σ of the logarithm) of norm weights.
const NORM_SPREAD: f64 = 0.2;
/// Spread of matrix row scales.
const ROW_SPREAD: f64 = 0.15;
/// Spread of embedding row norms.
const EMBEDDING_ROW_SPREAD: f64 = 0.35;
/// One outlier input channel per this many columns (at least one).
const COLUMNS_PER_OUTLIER: usize = 192;
/// Outlier channels are scaled by a factor log-uniform in this range.
const OUTLIER_SCALE: (f64, f64) = (5.0, 20.0);

/// The scale mixture: out of 256, this many elements get ×2 and this many
/// ×4; everything else ×1. Normalised below to unit variance.
const MIX_X2: u8 = 18;
const MIX_X4: u8 = 3;

/// `E[s²]` of the mixture, to keep the overall deviation at its target.
fn mixture_rms() -> f64 {
    let (p2, p4) = (f64::from(MIX_X2) / 256.0, f64::from(MIX_X4) / 256.0);
    ((1.0 - p2 - p4) + 4.0 * p2 + 16.0 * p4).sqrt()
}

/// The f32 values of a tensor with `dims` (row length first), as
/// little-endian bytes, from a stream seeded by `seed`.
pub(crate) fn generate(init: Init, dims: &[usize], seed: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let cols = dims.first().copied().unwrap_or(0);
    let rows: usize = dims.iter().skip(1).product();
    let mut out = vec![0u8; cols * rows * 4];
    if cols == 0 {
        return out;
    }
    match init {
        Init::Norm => {
            let mut row = vec![0f32; cols];
            for r in out.chunks_exact_mut(cols * 4) {
                for v in &mut row {
                    *v = (NORM_SPREAD * rng.normal()).exp() as f32;
                }
                encode(&row, r);
            }
        }
        Init::Matrix { gain } => {
            let std = f64::from(gain) / (cols as f64).sqrt();
            fill_matrix(&mut rng, &mut out, cols, std, ROW_SPREAD);
        }
        Init::Embedding => {
            let std = 1.0 / (cols as f64).sqrt();
            fill_matrix(&mut rng, &mut out, cols, std, EMBEDDING_ROW_SPREAD);
        }
    }
    out
}

fn fill_matrix(rng: &mut Rng, out: &mut [u8], cols: usize, std: f64, row_spread: f64) {
    let outliers = outlier_columns(rng, cols);
    let base = std / mixture_rms();
    let mut row = vec![0f32; cols];
    for r in out.chunks_exact_mut(cols * 4) {
        let scale = base * (row_spread * rng.normal()).exp();
        fill_heavy_tailed(rng, &mut row, scale);
        for &(c, f) in &outliers {
            row[c] *= f;
        }
        encode(&row, r);
    }
}

/// A few distinct columns and their scale factors.
fn outlier_columns(rng: &mut Rng, cols: usize) -> Vec<(usize, f32)> {
    let n = (cols / COLUMNS_PER_OUTLIER).max(1).min(cols);
    let mut picked: Vec<(usize, f32)> = Vec::with_capacity(n);
    let (lo, hi) = (OUTLIER_SCALE.0.ln(), OUTLIER_SCALE.1.ln());
    while picked.len() < n {
        let c = rng.below(cols as u64) as usize;
        if picked.iter().all(|&(p, _)| p != c) {
            let f = (lo + (hi - lo) * rng.uniform()).exp() as f32;
            picked.push((c, f));
        }
    }
    picked
}

/// Fills `row` with `scale` × (standard normal × mixture factor).
fn fill_heavy_tailed(rng: &mut Rng, row: &mut [f32], scale: f64) {
    let mut mix_bits = 0u64;
    for (i, pair) in row.chunks_mut(2).enumerate() {
        if i % 4 == 0 {
            mix_bits = rng.next_u64();
        }
        let (a, b) = rng.normal_pair();
        for (v, z) in pair.iter_mut().zip([a, b]) {
            let byte = mix_bits as u8;
            mix_bits >>= 8;
            let s = if byte < MIX_X4 {
                4.0
            } else if byte < MIX_X4 + MIX_X2 {
                2.0
            } else {
                1.0
            };
            *v = (z * s * scale) as f32;
        }
    }
}

fn encode(values: &[f32], out: &mut [u8]) {
    for (dst, v) in out.chunks_exact_mut(4).zip(values) {
        dst.copy_from_slice(&v.to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn floats(bytes: &[u8]) -> Vec<f32> {
        bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect()
    }

    #[test]
    fn matrices_have_the_target_deviation_and_heavy_tails() {
        let (cols, rows) = (512, 256);
        let v = floats(&generate(Init::Matrix { gain: 1.0 }, &[cols, rows], 3));
        let n = v.len() as f64;
        let m2 = v.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>() / n;
        let m4 = v.iter().map(|&x| f64::from(x).powi(4)).sum::<f64>() / n;
        let target = 1.0 / (cols as f64).sqrt();
        // Outlier columns add variance on top of the target.
        assert!(
            m2.sqrt() > target && m2.sqrt() < 2.5 * target,
            "{} vs {target}",
            m2.sqrt()
        );
        assert!(m4 / (m2 * m2) > 4.0, "kurtosis {}", m4 / (m2 * m2));
    }

    #[test]
    fn norms_are_positive_around_one() {
        let v = floats(&generate(Init::Norm, &[1000], 1));
        let mean = v.iter().sum::<f32>() / v.len() as f32;
        assert!(v.iter().all(|&x| x > 0.0));
        assert!((0.9..1.15).contains(&mean), "{mean}");
        assert!(v.iter().any(|&x| x > 1.3) && v.iter().any(|&x| x < 0.75));
    }

    #[test]
    fn odd_row_lengths_are_filled() {
        let v = floats(&generate(Init::Matrix { gain: 1.0 }, &[3, 2], 9));
        assert!(v.iter().all(|&x| x != 0.0), "{v:?}");
    }
}
