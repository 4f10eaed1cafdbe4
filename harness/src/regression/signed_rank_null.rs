//! [`SignedRankNull`]: the exact null distribution of a signed-rank sum.
//!
//! Under the null hypothesis each of `n` ranks carries a plus sign with
//! probability 1/2, independently. The distribution of the sum of the
//! ranks with a plus sign is computed by dynamic programming over the
//! ranks: `O(n · Σ ranks)` additions, about 8 million for 200 ranks. The
//! ranks are integers (the Wilcoxon test passes doubled ranks, so average
//! ranks of ties stay integral), so every attainable sum has its own cell
//! and the distribution is exact up to floating-point rounding of the
//! probabilities.

use super::error::RegressionError;

/// The most ranks (paired blocks) a distribution is computed for.
pub const MAX_BLOCKS: usize = 200;

/// The exact distribution of the plus-signed rank sum under random signs.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedRankNull {
    /// `at_least[s]` = P(sum ≥ s), for `s` in `0..=total`.
    at_least: Vec<f64>,
    /// `at_most[s]` = P(sum ≤ s), for `s` in `0..=total`.
    at_most: Vec<f64>,
    /// Number of ranks.
    n: usize,
}

impl SignedRankNull {
    /// The distribution for the given integer ranks (any positive
    /// integers, ties allowed, in any order).
    ///
    /// Errors when there are more than [`MAX_BLOCKS`] ranks or one of them
    /// is 0 (a zero rank cannot be signed).
    pub fn new(ranks: &[u32]) -> Result<Self, RegressionError> {
        if ranks.len() > MAX_BLOCKS {
            return Err(RegressionError::TooManyBlocks {
                n: ranks.len(),
                max: MAX_BLOCKS,
            });
        }
        if let Some(index) = ranks.iter().position(|&r| r == 0) {
            return Err(RegressionError::ZeroRank { index });
        }
        let total: usize = ranks.iter().map(|&r| r as usize).sum();
        let mut mass = vec![0.0_f64; total + 1];
        mass[0] = 1.0;
        let mut reach = 0;
        for &r in ranks {
            let r = r as usize;
            reach += r;
            for s in (r..=reach).rev() {
                mass[s] = 0.5 * (mass[s] + mass[s - r]);
            }
            for m in &mut mass[..r] {
                *m *= 0.5;
            }
        }
        // Tails are summed from their far end so that small probabilities
        // are not lost against large ones.
        let mut at_least = vec![0.0_f64; total + 1];
        let mut acc = 0.0;
        for s in (0..=total).rev() {
            acc += mass[s];
            at_least[s] = acc.min(1.0);
        }
        let mut at_most = vec![0.0_f64; total + 1];
        acc = 0.0;
        for s in 0..=total {
            acc += mass[s];
            at_most[s] = acc.min(1.0);
        }
        Ok(SignedRankNull {
            at_least,
            at_most,
            n: ranks.len(),
        })
    }

    /// The distribution for untied ranks `1..=n` (the classic Wilcoxon
    /// signed-rank statistic).
    pub fn untied(n: usize) -> Result<Self, RegressionError> {
        if n > MAX_BLOCKS {
            return Err(RegressionError::TooManyBlocks { n, max: MAX_BLOCKS });
        }
        let ranks: Vec<u32> = (1..=n as u32).collect();
        SignedRankNull::new(&ranks)
    }

    /// Number of ranks.
    pub fn n(&self) -> usize {
        self.n
    }

    /// The largest attainable sum (all signs plus).
    pub fn total(&self) -> usize {
        self.at_least.len() - 1
    }

    /// P(sum ≥ `s`): 1 for `s` = 0, 0 beyond [`total`](Self::total).
    pub fn at_least(&self, s: usize) -> f64 {
        self.at_least.get(s).copied().unwrap_or(0.0)
    }

    /// P(sum ≤ `s`): 1 from [`total`](Self::total) on.
    pub fn at_most(&self, s: usize) -> f64 {
        self.at_most.get(s).copied().unwrap_or(1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_ranks_give_four_equally_likely_sums() {
        let d = SignedRankNull::new(&[1, 2]).unwrap();
        assert_eq!(d.total(), 3);
        assert_eq!(d.at_least(0), 1.0);
        assert_eq!(d.at_least(1), 0.75);
        assert_eq!(d.at_least(3), 0.25);
        assert_eq!(d.at_least(4), 0.0);
        assert_eq!(d.at_most(0), 0.25);
        assert_eq!(d.at_most(3), 1.0);
    }

    #[test]
    fn the_top_sum_has_probability_two_to_the_minus_n() {
        for n in [1usize, 5, 7, 30, 200] {
            let d = SignedRankNull::untied(n).unwrap();
            assert_eq!(d.at_least(d.total()), 0.5_f64.powi(n as i32));
            assert_eq!(d.at_most(0), 0.5_f64.powi(n as i32));
        }
    }

    #[test]
    fn the_distribution_is_symmetric() {
        let d = SignedRankNull::new(&[2, 3, 3, 8, 10, 10, 10]).unwrap();
        for s in 0..=d.total() {
            let diff = d.at_least(s) - d.at_most(d.total() - s);
            assert!(diff.abs() < 1e-15, "s={s}: {diff}");
        }
    }

    #[test]
    fn too_many_or_zero_ranks_are_errors() {
        assert!(matches!(
            SignedRankNull::untied(MAX_BLOCKS + 1),
            Err(RegressionError::TooManyBlocks { .. })
        ));
        assert!(SignedRankNull::new(&[1, 0, 2]).is_err());
    }

    #[test]
    fn no_ranks_put_all_mass_on_zero() {
        let d = SignedRankNull::new(&[]).unwrap();
        assert_eq!(d.total(), 0);
        assert_eq!(d.at_least(0), 1.0);
        assert_eq!(d.at_most(0), 1.0);
    }
}
