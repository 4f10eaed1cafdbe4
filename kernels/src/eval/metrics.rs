//! Per-position accuracy metrics over logits: log-softmax, negative
//! log-likelihood, KL divergence and top-1 agreement, all in f64, plus the
//! accumulators that turn them into perplexity and comparison figures.

/// Writes `log_softmax(logits)` into `out` (same length), computed in f64
/// with the maximum subtracted first.
pub fn log_softmax(logits: &[f32], out: &mut [f64]) {
    assert_eq!(logits.len(), out.len(), "log_softmax: output length");
    let max = logits.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v)) as f64;
    let sum: f64 = logits.iter().map(|&v| (v as f64 - max).exp()).sum();
    let log_z = max + sum.ln();
    for (o, &v) in out.iter_mut().zip(logits) {
        *o = v as f64 - log_z;
    }
}

/// Index of the largest value; the first one on ties.
pub fn argmax(values: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in values.iter().enumerate() {
        if v > values[best] {
            best = i;
        }
    }
    best
}

/// KL divergence `KL(P‖Q) = Σ p·(log p − log q)` from log-probabilities of
/// the reference `P` and the model under test `Q`.
pub fn kl_divergence(log_p: &[f64], log_q: &[f64]) -> f64 {
    assert_eq!(log_p.len(), log_q.len(), "kl_divergence: lengths");
    let kl: f64 = log_p
        .iter()
        .zip(log_q)
        .map(|(&lp, &lq)| {
            if lp == f64::NEG_INFINITY {
                0.0
            } else {
                lp.exp() * (lp - lq)
            }
        })
        .sum();
    // Rounding can make a divergence of identical distributions -1e-17.
    kl.max(0.0)
}

/// Running perplexity over scored tokens.
#[derive(Debug, Clone, Default)]
pub struct PerplexityAccumulator {
    sum: f64,
    sum_sq: f64,
    count: usize,
}

impl PerplexityAccumulator {
    /// Adds one token's negative log-likelihood.
    pub fn add(&mut self, nll: f64) {
        self.sum += nll;
        self.sum_sq += nll * nll;
        self.count += 1;
    }

    /// Tokens scored so far.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Mean negative log-likelihood (nats per token).
    pub fn mean_nll(&self) -> f64 {
        self.sum / self.count.max(1) as f64
    }

    /// `exp(mean NLL)`.
    pub fn perplexity(&self) -> f64 {
        self.mean_nll().exp()
    }

    /// Standard error of the perplexity as llama.cpp's perplexity tool
    /// estimates it: `ppl · sqrt(var(nll) / (n − 1))`; 0 with fewer than two
    /// tokens.
    pub fn perplexity_stderr(&self) -> f64 {
        if self.count < 2 {
            return 0.0;
        }
        let n = self.count as f64;
        let mean = self.sum / n;
        let var = (self.sum_sq / n - mean * mean).max(0.0);
        self.perplexity() * (var / (n - 1.0)).sqrt()
    }
}

/// The `q`-quantile (0..=1) of `values` by linear interpolation between
/// closest ranks; `None` when empty. Sorts `values` in place.
pub fn quantile(values: &mut [f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let pos = q.clamp(0.0, 1.0) * (values.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let frac = pos - lo as f64;
    Some(values[lo] + (values[hi] - values[lo]) * frac)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_softmax_by_hand() {
        // logits (0, ln 3): probabilities 1/4, 3/4.
        let mut out = [0.0; 2];
        log_softmax(&[0.0, 3f32.ln()], &mut out);
        assert!((out[0] - 0.25f64.ln()).abs() < 1e-7);
        assert!((out[1] - 0.75f64.ln()).abs() < 1e-7);
        // Large logits do not overflow.
        log_softmax(&[1000.0, 1000.0], &mut out);
        assert!((out[0] - 0.5f64.ln()).abs() < 1e-12);
    }

    #[test]
    fn kl_divergence_by_hand() {
        // P = (1/2, 1/2), Q = (1/4, 3/4):
        // KL = 1/2 ln(2) + 1/2 ln(2/3) = 1/2 ln(4/3).
        let p = [0.5f64.ln(), 0.5f64.ln()];
        let q = [0.25f64.ln(), 0.75f64.ln()];
        assert!((kl_divergence(&p, &q) - 0.5 * (4.0f64 / 3.0).ln()).abs() < 1e-12);
        assert_eq!(kl_divergence(&p, &p), 0.0);
        // A zero-probability reference token contributes nothing.
        let p0 = [0.0, f64::NEG_INFINITY];
        assert_eq!(kl_divergence(&p0, &[0.0, -5.0]), 0.0);
    }

    #[test]
    fn perplexity_by_hand() {
        // Probabilities 1/2 and 1/8: mean NLL = (ln 2 + ln 8)/2 = 2 ln 2, PPL 4.
        let mut acc = PerplexityAccumulator::default();
        acc.add(2f64.ln());
        acc.add(8f64.ln());
        assert!((acc.perplexity() - 4.0).abs() < 1e-12);
        // var = (ln2)^2, stderr = 4 * ln 2 / sqrt(1).
        assert!((acc.perplexity_stderr() - 4.0 * 2f64.ln()).abs() < 1e-9);
    }

    #[test]
    fn quantiles_and_argmax() {
        let mut v = [5.0, 1.0, 3.0, 2.0, 4.0];
        assert_eq!(quantile(&mut v, 0.5), Some(3.0));
        assert_eq!(quantile(&mut v, 1.0), Some(5.0));
        assert_eq!(quantile(&mut v, 0.99), Some(4.96));
        assert_eq!(quantile(&mut [], 0.5), None);
        assert_eq!(argmax(&[1.0, 3.0, 3.0, 2.0]), 1);
    }
}
