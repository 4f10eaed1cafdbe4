//! Rotary position embedding: per-dimension frequencies computed once, the
//! sine/cosine of a batch's positions once per forward call, then applied to
//! every head of Q and K.

use super::{ModelConfig, RopeScaling, RopeStyle};

/// The frequencies of a model's RoPE and how it pairs dimensions.
#[derive(Debug, Clone)]
pub(crate) struct Rope {
    style: RopeStyle,
    head_dim: usize,
    /// `base^(-2i/rope_dim) / freq_factor[i] / linear_factor`, per pair `i`.
    freqs: Vec<f64>,
}

impl Rope {
    /// The RoPE of `config`, with optional per-pair frequency divisors
    /// (`rope_freqs.weight`, `rope_dim / 2` values).
    pub(crate) fn new(config: &ModelConfig, freq_factors: Option<&[f32]>) -> Self {
        let half = config.rope_dim / 2;
        let base = f64::from(config.rope_freq_base);
        let pos_scale = match config.rope_scaling {
            RopeScaling::None => 1.0,
            RopeScaling::Linear { factor } => 1.0 / f64::from(factor),
        };
        let freqs = (0..half)
            .map(|i| {
                let f = base.powf(-2.0 * i as f64 / config.rope_dim as f64) * pos_scale;
                match freq_factors {
                    Some(ff) => f / f64::from(ff[i]),
                    None => f,
                }
            })
            .collect();
        Rope {
            style: config.arch.rope_style(),
            head_dim: config.head_dim,
            freqs,
        }
    }

    /// Pairs rotated per head (`rope_dim / 2`).
    pub(crate) fn pairs(&self) -> usize {
        self.freqs.len()
    }

    /// Fills `cos` and `sin` (`n × pairs` values) for positions
    /// `pos0 .. pos0 + n`.
    pub(crate) fn angles(&self, pos0: usize, n: usize, cos: &mut [f32], sin: &mut [f32]) {
        let half = self.pairs();
        for t in 0..n {
            let pos = (pos0 + t) as f64;
            let (c, s) = (
                &mut cos[t * half..(t + 1) * half],
                &mut sin[t * half..(t + 1) * half],
            );
            for ((c, s), &f) in c.iter_mut().zip(s.iter_mut()).zip(&self.freqs) {
                let (sv, cv) = (pos * f).sin_cos();
                *c = cv as f32;
                *s = sv as f32;
            }
        }
    }

    /// Rotates every head of every row of `x` (rows of `n_heads × head_dim`
    /// values, row `t` at the position whose angles are row `t` of
    /// `cos`/`sin`).
    pub(crate) fn apply(&self, x: &mut [f32], n_heads: usize, cos: &[f32], sin: &[f32]) {
        let half = self.pairs();
        if half == 0 {
            return;
        }
        let width = n_heads * self.head_dim;
        for (t, row) in x.chunks_exact_mut(width).enumerate() {
            let (c, s) = (
                &cos[t * half..(t + 1) * half],
                &sin[t * half..(t + 1) * half],
            );
            for head in row.chunks_exact_mut(self.head_dim) {
                match self.style {
                    RopeStyle::Normal => {
                        for (i, pair) in head[..2 * half].chunks_exact_mut(2).enumerate() {
                            let (x0, x1) = (pair[0], pair[1]);
                            pair[0] = x0 * c[i] - x1 * s[i];
                            pair[1] = x0 * s[i] + x1 * c[i];
                        }
                    }
                    RopeStyle::NeoX => {
                        let (lo, hi) = head[..2 * half].split_at_mut(half);
                        for i in 0..half {
                            let (x0, x1) = (lo[i], hi[i]);
                            lo[i] = x0 * c[i] - x1 * s[i];
                            hi[i] = x0 * s[i] + x1 * c[i];
                        }
                    }
                }
            }
        }
    }
}
