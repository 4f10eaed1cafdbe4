//! Summary statistics of a sample: median, tail percentiles, mean, standard
//! deviation and a seeded bootstrap 95 % confidence interval of the median.

use serde::{Deserialize, Serialize};

/// Bootstrap resamples used for the confidence interval.
pub const BOOTSTRAP_RESAMPLES: usize = 2000;
/// Seed of the bootstrap when the caller has none to give.
pub const DEFAULT_SEED: u64 = 0x5EED_0EB5;

/// What a set of samples of one metric says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Number of samples.
    pub n: usize,
    /// Median (linear interpolation between closest ranks).
    pub median: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (n − 1); 0 for one sample.
    pub std_dev: f64,
    /// Smallest sample.
    pub min: f64,
    /// Largest sample.
    pub max: f64,
    /// Lower end of the 95 % bootstrap confidence interval of the median.
    pub median_ci_low: f64,
    /// Upper end of the 95 % bootstrap confidence interval of the median.
    pub median_ci_high: f64,
    /// Seed of the bootstrap resampling, so the interval can be reproduced.
    pub bootstrap_seed: u64,
}

impl Summary {
    /// Summarizes `samples`; `None` when there are none or any is not finite.
    pub fn of(samples: &[f64], seed: u64) -> Option<Summary> {
        if samples.is_empty() || samples.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let mean = sorted.iter().sum::<f64>() / n as f64;
        let std_dev = if n > 1 {
            let ss: f64 = sorted.iter().map(|v| (v - mean).powi(2)).sum();
            (ss / (n - 1) as f64).sqrt()
        } else {
            0.0
        };
        let (median_ci_low, median_ci_high) = bootstrap_median_ci(&sorted, seed);
        Some(Summary {
            n,
            median: quantile_sorted(&sorted, 0.5),
            p90: quantile_sorted(&sorted, 0.9),
            p99: quantile_sorted(&sorted, 0.99),
            mean,
            std_dev,
            min: sorted[0],
            max: sorted[n - 1],
            median_ci_low,
            median_ci_high,
            bootstrap_seed: seed,
        })
    }
}

/// The `q`-quantile of sorted, non-empty `sorted`, interpolating linearly
/// between closest ranks (R's type 7, numpy's default).
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    assert!(!sorted.is_empty(), "quantile of an empty sample");
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// A small, seedable generator (SplitMix64) for resampling.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform index below `n` (n > 0), by widening multiplication.
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }
}

/// Percentile bootstrap 95 % interval of the median of sorted `sorted`.
fn bootstrap_median_ci(sorted: &[f64], seed: u64) -> (f64, f64) {
    let n = sorted.len();
    if n == 1 {
        return (sorted[0], sorted[0]);
    }
    let mut rng = SplitMix64::new(seed);
    let mut resample = vec![0.0; n];
    let mut medians = Vec::with_capacity(BOOTSTRAP_RESAMPLES);
    for _ in 0..BOOTSTRAP_RESAMPLES {
        for v in resample.iter_mut() {
            *v = sorted[rng.below(n)];
        }
        resample.sort_unstable_by(f64::total_cmp);
        medians.push(quantile_sorted(&resample, 0.5));
    }
    medians.sort_unstable_by(f64::total_cmp);
    (
        quantile_sorted(&medians, 0.025),
        quantile_sorted(&medians, 0.975),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_by_hand() {
        let s = Summary::of(&[4.0, 1.0, 3.0, 2.0, 5.0], 7).unwrap();
        assert_eq!(
            (s.n, s.median, s.min, s.max, s.mean),
            (5, 3.0, 1.0, 5.0, 3.0)
        );
        assert!((s.p90 - 4.6).abs() < 1e-12);
        assert!((s.p99 - 4.96).abs() < 1e-12);
        assert!((s.std_dev - 2.5f64.sqrt()).abs() < 1e-12);
        assert!(s.median_ci_low <= s.median && s.median <= s.median_ci_high);
        assert!(s.median_ci_low >= 1.0 && s.median_ci_high <= 5.0);
    }

    #[test]
    fn bootstrap_is_reproducible_and_narrows_with_more_samples() {
        let small: Vec<f64> = (0..10).map(|i| (i * 7 % 10) as f64).collect();
        let large: Vec<f64> = (0..1000).map(|i| (i * 7 % 10) as f64).collect();
        let a = Summary::of(&small, 1).unwrap();
        assert_eq!(a, Summary::of(&small, 1).unwrap());
        let b = Summary::of(&large, 1).unwrap();
        assert!(
            b.median_ci_high - b.median_ci_low < a.median_ci_high - a.median_ci_low,
            "{a:?} {b:?}"
        );
    }

    #[test]
    fn degenerate_samples() {
        assert_eq!(Summary::of(&[], 0), None);
        assert_eq!(Summary::of(&[1.0, f64::NAN], 0), None);
        let one = Summary::of(&[2.5], 0).unwrap();
        assert_eq!(
            (one.std_dev, one.median_ci_low, one.median_ci_high),
            (0.0, 2.5, 2.5)
        );
    }

    #[test]
    fn below_stays_in_range() {
        let mut r = SplitMix64::new(3);
        let mut seen = [false; 5];
        for _ in 0..200 {
            seen[r.below(5)] = true;
        }
        assert!(seen.iter().all(|&s| s));
    }
}
