//! Deterministic metrics (size on disk, accuracy with greedy decoding):
//! compared exactly against a tolerance, no test.

use super::error::RegressionError;
use super::orientation::Gate;
use super::verdict::{NotComparableReason, Verdict};
use crate::store::Metric;

/// The exact comparison of one deterministic figure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExactComparison {
    /// The metric.
    pub metric: Metric,
    /// The baseline figure.
    pub baseline: f64,
    /// The candidate figure.
    pub candidate: f64,
    /// `candidate − baseline`, in the metric's units.
    pub difference: f64,
    /// [`Regressed`](Verdict::Regressed) when the figure got worse by
    /// more than the tolerance, [`Improved`](Verdict::Improved) when it
    /// got better by more, otherwise [`Unchanged`](Verdict::Unchanged);
    /// not comparable for a non-finite figure or a sampled metric.
    pub verdict: Verdict,
}

/// Compares the deterministic figures of `metric`: worse by more than
/// `tolerance` (in the metric's units, ≥ 0; 0 flags any change) is a
/// regression.
///
/// Errors when `tolerance` is negative or not finite.
pub fn compare_exact(
    metric: Metric,
    baseline: f64,
    candidate: f64,
    tolerance: f64,
) -> Result<ExactComparison, RegressionError> {
    if !(tolerance.is_finite() && tolerance >= 0.0) {
        return Err(RegressionError::InvalidParameter {
            name: "tolerance",
            value: tolerance,
            expected: "a finite number ≥ 0",
        });
    }
    let difference = candidate - baseline;
    let worse_by = if metric.larger_is_worse() {
        difference
    } else {
        -difference
    };
    let verdict = if metric.gate() != Gate::Exact {
        Verdict::NotComparable {
            reason: NotComparableReason::WrongGate {
                gate: metric.gate(),
            },
        }
    } else if !(baseline.is_finite() && candidate.is_finite()) {
        Verdict::NotComparable {
            reason: NotComparableReason::NonFiniteValue,
        }
    } else if worse_by > tolerance {
        Verdict::Regressed
    } else if worse_by < -tolerance {
        Verdict::Improved
    } else {
        Verdict::Unchanged
    };
    Ok(ExactComparison {
        metric,
        baseline,
        candidate,
        difference,
        verdict,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_growth_regresses_at_zero_tolerance() {
        let c = compare_exact(Metric::RecipeBytes, 1000.0, 1001.0, 0.0).unwrap();
        assert_eq!((c.verdict, c.difference), (Verdict::Regressed, 1.0));
        let c = compare_exact(Metric::RecipeBytes, 1000.0, 999.0, 0.0).unwrap();
        assert_eq!(c.verdict, Verdict::Improved);
        let c = compare_exact(Metric::RecipeBytes, 1000.0, 1000.0, 0.0).unwrap();
        assert_eq!(c.verdict, Verdict::Unchanged);
    }

    #[test]
    fn within_tolerance_is_unchanged() {
        let c = compare_exact(Metric::PplDeltaPct, 1.0, 1.4, 0.5).unwrap();
        assert_eq!(c.verdict, Verdict::Unchanged);
        let c = compare_exact(Metric::PplDeltaPct, 1.0, 1.6, 0.5).unwrap();
        assert_eq!(c.verdict, Verdict::Regressed);
    }

    #[test]
    fn bad_input() {
        assert!(compare_exact(Metric::RecipeBytes, 1.0, 2.0, -1.0).is_err());
        assert!(compare_exact(Metric::RecipeBytes, 1.0, 2.0, f64::NAN).is_err());
        let c = compare_exact(Metric::RecipeBytes, f64::NAN, 2.0, 0.0).unwrap();
        assert!(matches!(c.verdict, Verdict::NotComparable { .. }));
        let c = compare_exact(Metric::DecodeTpsMedian, 1.0, 2.0, 0.0).unwrap();
        assert!(matches!(c.verdict, Verdict::NotComparable { .. }));
    }
}
