//! The Hodges–Lehmann shift estimate and its exact confidence interval.
//!
//! The estimate is the median of the `n(n+1)/2` Walsh averages
//! `(d_i + d_j)/2`, `i ≤ j`. The interval is `[W_(k), W_(M+1−k)]` over the
//! `M` sorted Walsh averages, where `k` is the largest integer with
//! P(W+ ≤ k − 1) ≤ (1 − confidence)/2 under the untied signed-rank null
//! distribution: the shifts the one-sided signed-rank test at that level
//! would not reject. For continuous data its coverage is at least the
//! requested confidence; ties and zeros (kept here: they are observations
//! of "no change") make it approximate.

use super::error::RegressionError;
use super::signed_rank_null::{MAX_BLOCKS, SignedRankNull};

/// A shift in log space with its confidence interval.
///
/// The log-ratios are oriented (larger is worse), so `ratio() > 1` means
/// the candidate is worse; see
/// [`change_as_read`](super::orientation::change_as_read) for the change
/// in the metric's own direction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shift {
    /// Number of log-ratios.
    pub n: usize,
    /// The Hodges–Lehmann estimate Δ̂ of the log-ratio.
    pub estimate: f64,
    /// Lower confidence bound of Δ̂; `None` when `n` is too small for the
    /// confidence (the interval is unbounded below).
    pub lower: Option<f64>,
    /// Upper confidence bound of Δ̂; `None` when `n` is too small.
    pub upper: Option<f64>,
    /// The two-sided confidence level of the interval, e.g. 0.90.
    pub confidence: f64,
}

impl Shift {
    /// The estimated ratio candidate / baseline, exp(Δ̂).
    pub fn ratio(&self) -> f64 {
        self.estimate.exp()
    }

    /// The lower bound of the ratio, exp(lower).
    pub fn ratio_lower(&self) -> Option<f64> {
        self.lower.map(f64::exp)
    }

    /// The upper bound of the ratio, exp(upper).
    pub fn ratio_upper(&self) -> Option<f64> {
        self.upper.map(f64::exp)
    }
}

/// The Hodges–Lehmann estimate of the log-ratios `d` with its exact
/// two-sided interval at `confidence` (in (0, 1); 0.90 is one-sided 95 %
/// on each side).
///
/// The interval is bounded only when 2^−n ≤ (1 − confidence)/2. Errors
/// on empty input, a NaN or infinite log-ratio, more than [`MAX_BLOCKS`]
/// log-ratios, or a confidence outside (0, 1).
pub fn hodges_lehmann(d: &[f64], confidence: f64) -> Result<Shift, RegressionError> {
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(RegressionError::InvalidParameter {
            name: "confidence",
            value: confidence,
            expected: "strictly between 0 and 1",
        });
    }
    if d.is_empty() {
        return Err(RegressionError::Empty);
    }
    if let Some(index) = d.iter().position(|x| !x.is_finite()) {
        return Err(RegressionError::NonFinite {
            index,
            value: d[index],
        });
    }
    if d.len() > MAX_BLOCKS {
        return Err(RegressionError::TooManyBlocks {
            n: d.len(),
            max: MAX_BLOCKS,
        });
    }
    let walsh = walsh_averages(d);
    let m = walsh.len();
    let estimate = if m % 2 == 1 {
        walsh[m / 2]
    } else {
        0.5 * (walsh[m / 2 - 1] + walsh[m / 2])
    };
    let k = interval_rank(d.len(), (1.0 - confidence) / 2.0)?;
    let (lower, upper) = if k == 0 {
        (None, None)
    } else {
        (Some(walsh[k - 1]), Some(walsh[m - k]))
    };
    Ok(Shift {
        n: d.len(),
        estimate,
        lower,
        upper,
        confidence,
    })
}

/// The sorted Walsh averages `(d_i + d_j)/2`, `i ≤ j`.
fn walsh_averages(d: &[f64]) -> Vec<f64> {
    let mut w = Vec::with_capacity(d.len() * (d.len() + 1) / 2);
    for (i, &a) in d.iter().enumerate() {
        for &b in &d[i..] {
            w.push(0.5 * (a + b));
        }
    }
    w.sort_by(f64::total_cmp);
    w
}

/// The largest `k` with P(W+ ≤ k − 1) ≤ `tail` for `n` untied ranks; 0
/// when even P(W+ ≤ 0) = 2^−n exceeds `tail`.
fn interval_rank(n: usize, tail: f64) -> Result<usize, RegressionError> {
    let null = SignedRankNull::untied(n)?;
    let mut k = 0;
    while k < null.total() && null.at_most(k) <= tail {
        k += 1;
    }
    Ok(k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walsh_averages_of_three() {
        assert_eq!(
            walsh_averages(&[3.0, 1.0, 2.0]),
            vec![1.0, 1.5, 2.0, 2.0, 2.5, 3.0]
        );
    }

    #[test]
    fn interval_rank_matches_tables() {
        // n = 10, one-sided 0.05: P(W+ ≤ 10) = 0.0420, P(W+ ≤ 11) = 0.0527.
        assert_eq!(interval_rank(10, 0.05).unwrap(), 11);
        // n = 5: 2^−5 = 0.03125 ≤ 0.05 < P(W+ ≤ 1) = 0.0625.
        assert_eq!(interval_rank(5, 0.05).unwrap(), 1);
        assert_eq!(interval_rank(4, 0.05).unwrap(), 0);
    }

    #[test]
    fn too_few_for_the_confidence_is_unbounded() {
        let s = hodges_lehmann(&[0.1, 0.2, 0.3, 0.4], 0.90).unwrap();
        assert_eq!((s.lower, s.upper), (None, None));
        assert!((s.estimate - 0.25).abs() < 1e-15);
    }

    #[test]
    fn bad_input_is_an_error() {
        assert_eq!(hodges_lehmann(&[], 0.9), Err(RegressionError::Empty));
        assert!(hodges_lehmann(&[0.1, f64::INFINITY], 0.9).is_err());
        assert!(hodges_lehmann(&[0.1], 1.0).is_err());
        assert!(hodges_lehmann(&[0.1], f64::NAN).is_err());
    }
}
