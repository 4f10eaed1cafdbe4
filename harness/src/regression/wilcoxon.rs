//! The exact one-sided Wilcoxon signed-rank test on paired log-ratios.
//!
//! Under the null hypothesis (baseline and candidate exchangeable within
//! each block, which randomizing their order makes true) every log-ratio
//! is symmetric about 0, so each rank's sign is a fair coin and the null
//! distribution of W+ is exact ([`SignedRankNull`]).
//!
//! Conventions:
//! - **zeros** (a log-ratio exactly 0.0) are dropped before ranking
//!   (Wilcoxon's convention) and counted in [`SignedRankTest::zeros`];
//! - **ties** in |d| (exact equality) get the average of their ranks; the
//!   ranks are doubled so that averages stay integers and the null
//!   distribution, conditional on the tie pattern, stays exact;
//! - at most [`MAX_BLOCKS`] non-zero log-ratios; more is an error, not a
//!   normal approximation.

use super::error::RegressionError;
use super::signed_rank_null::{MAX_BLOCKS, SignedRankNull};

/// The outcome of the signed-rank test on one set of log-ratios.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SignedRankTest {
    /// Log-ratios used (non-zero).
    pub n: usize,
    /// Log-ratios exactly 0, dropped.
    pub zeros: usize,
    /// W+: the sum of the (average) ranks of the positive log-ratios.
    pub w_plus: f64,
    /// P(W+ ≥ observed) under the null: the p-value against "the
    /// candidate is worse" (median log-ratio > 0).
    pub p_worse: f64,
    /// P(W+ ≤ observed) under the null: the p-value against "the
    /// candidate is better" (median log-ratio < 0).
    pub p_better: f64,
    /// The smallest p-value either tail could reach with these `n`
    /// log-ratios: 2^−n.
    pub min_p: f64,
}

/// The exact one-sided signed-rank test of the log-ratios `d`, both tails.
///
/// With no non-zero log-ratio both p-values are 1. Errors on a NaN or
/// infinite log-ratio, or on more than [`MAX_BLOCKS`] non-zero ones.
pub fn signed_rank(d: &[f64]) -> Result<SignedRankTest, RegressionError> {
    if let Some(index) = d.iter().position(|x| !x.is_finite()) {
        return Err(RegressionError::NonFinite {
            index,
            value: d[index],
        });
    }
    let nonzero: Vec<f64> = d.iter().copied().filter(|&x| x != 0.0).collect();
    if nonzero.len() > MAX_BLOCKS {
        return Err(RegressionError::TooManyBlocks {
            n: nonzero.len(),
            max: MAX_BLOCKS,
        });
    }
    let ranks = doubled_ranks(&nonzero);
    let null = SignedRankNull::new(&ranks)?;
    let w2: usize = nonzero
        .iter()
        .zip(&ranks)
        .filter(|(x, _)| **x > 0.0)
        .map(|(_, &r)| r as usize)
        .sum();
    Ok(SignedRankTest {
        n: nonzero.len(),
        zeros: d.len() - nonzero.len(),
        w_plus: w2 as f64 / 2.0,
        p_worse: null.at_least(w2),
        p_better: null.at_most(w2),
        min_p: 0.5_f64.powi(nonzero.len() as i32),
    })
}

/// Twice the average rank of each |x|, in input order: a tie group over
/// 1-based sorted positions `a..=b` gets `a + b`.
fn doubled_ranks(x: &[f64]) -> Vec<u32> {
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&i, &j| x[i].abs().total_cmp(&x[j].abs()));
    let mut ranks = vec![0u32; x.len()];
    let mut start = 0;
    while start < order.len() {
        let value = x[order[start]].abs();
        let mut end = start;
        while end + 1 < order.len() && x[order[end + 1]].abs() == value {
            end += 1;
        }
        let doubled = (start + 1 + end + 1) as u32;
        for &i in &order[start..=end] {
            ranks[i] = doubled;
        }
        start = end + 1;
    }
    ranks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_get_doubled_average_ranks() {
        assert_eq!(doubled_ranks(&[0.3, -0.1, 0.1, 0.2]), vec![8, 3, 3, 6]);
        assert_eq!(doubled_ranks(&[1.0, 1.0, 1.0]), vec![4, 4, 4]);
    }

    #[test]
    fn all_positive_reaches_two_to_the_minus_n() {
        let t = signed_rank(&[0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07]).unwrap();
        assert_eq!(t.p_worse, 1.0 / 128.0);
        assert_eq!(t.p_better, 1.0);
        assert_eq!(t.w_plus, 28.0);
    }

    #[test]
    fn zeros_are_dropped() {
        let t = signed_rank(&[0.0, 0.1, 0.2, 0.0]).unwrap();
        assert_eq!((t.n, t.zeros), (2, 2));
        assert_eq!(t.p_worse, 0.25);
        let t = signed_rank(&[0.0, 0.0]).unwrap();
        assert_eq!((t.n, t.p_worse, t.p_better), (0, 1.0, 1.0));
    }

    #[test]
    fn non_finite_is_an_error() {
        assert!(matches!(
            signed_rank(&[0.1, f64::NAN]),
            Err(RegressionError::NonFinite { index: 1, .. })
        ));
    }
}
