//! Holm's step-down adjustment of a family of p-values.
//!
//! Sort the `k` p-values ascending; the `j`-th smallest (1-based) is
//! compared with α / (k − j + 1), stopping at the first that fails. The
//! equivalent adjusted p-values, `max over i ≤ j of min(1, (k − i + 1) ·
//! p_(i))`, are monotone in the sorted order and capped at 1; a hypothesis
//! is rejected at family level α exactly when its adjusted p-value is
//! ≤ α. This controls the family-wise error rate under any dependence.

use super::error::RegressionError;

/// Holm-adjusted p-values and rejections, in the input's order.
#[derive(Debug, Clone, PartialEq)]
pub struct Holm {
    /// Adjusted p-value of each input p-value.
    pub adjusted: Vec<f64>,
    /// Whether each hypothesis is rejected at the family level.
    pub rejected: Vec<bool>,
    /// The family-wise significance level α.
    pub alpha: f64,
}

/// Holm's adjustment of `p` at family level `alpha` (in (0, 1)).
///
/// An empty family gives empty results. Errors on a p-value that is NaN
/// or outside [0, 1], or on `alpha` outside (0, 1).
pub fn holm(p: &[f64], alpha: f64) -> Result<Holm, RegressionError> {
    if !(alpha > 0.0 && alpha < 1.0) {
        return Err(RegressionError::InvalidParameter {
            name: "family alpha",
            value: alpha,
            expected: "strictly between 0 and 1",
        });
    }
    if let Some(index) = p.iter().position(|x| !(0.0..=1.0).contains(x)) {
        return Err(RegressionError::InvalidPValue {
            index,
            value: p[index],
        });
    }
    let k = p.len();
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&i, &j| p[i].total_cmp(&p[j]));
    let mut adjusted = vec![0.0; k];
    let mut running = 0.0_f64;
    for (j, &i) in order.iter().enumerate() {
        let scaled = ((k - j) as f64 * p[i]).min(1.0);
        running = running.max(scaled);
        adjusted[i] = running;
    }
    let rejected = adjusted.iter().map(|&a| a <= alpha).collect();
    Ok(Holm {
        adjusted,
        rejected,
        alpha,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_single_p_value_is_unchanged() {
        let h = holm(&[0.03], 0.05).unwrap();
        assert_eq!(h.adjusted, vec![0.03]);
        assert_eq!(h.rejected, vec![true]);
    }

    #[test]
    fn adjusted_values_are_capped_at_one() {
        let h = holm(&[0.6, 0.9], 0.05).unwrap();
        assert_eq!(h.adjusted, vec![1.0, 1.0]);
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(holm(&[0.1, f64::NAN], 0.05).is_err());
        assert!(holm(&[1.5], 0.05).is_err());
        assert!(holm(&[0.1], 0.0).is_err());
        assert_eq!(holm(&[], 0.05).unwrap().adjusted, Vec::<f64>::new());
    }
}
