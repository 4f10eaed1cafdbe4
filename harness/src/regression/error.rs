//! [`RegressionError`]: input the regression statistics cannot work with.

/// A call to the regression statistics with arguments it cannot use.
///
/// Data that merely cannot decide (too few blocks, a block that could not
/// be measured) is not an error: it gives an inconclusive or
/// not-comparable [`Verdict`](super::verdict::Verdict).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RegressionError {
    /// More paired blocks than the exact null distribution is computed for.
    #[error("{n} paired blocks given, at most {max} are supported")]
    TooManyBlocks {
        /// Blocks given.
        n: usize,
        /// The limit, [`MAX_BLOCKS`](super::signed_rank_null::MAX_BLOCKS).
        max: usize,
    },
    /// A rank of 0 given to a signed-rank distribution.
    #[error("rank {index} is 0; ranks start at 1")]
    ZeroRank {
        /// 0-based position in the input.
        index: usize,
    },
    /// A log-ratio that is NaN or infinite.
    #[error("log-ratio {index} is {value}, not a finite number")]
    NonFinite {
        /// 0-based position in the input.
        index: usize,
        /// The value.
        value: f64,
    },
    /// A two-sample test given an empty sample.
    #[error("the {sample} sample is empty")]
    EmptySample {
        /// Which sample (`first` or `second`).
        sample: &'static str,
    },
    /// A sample value that is NaN or infinite.
    #[error("value {index} of the {sample} sample is {value}, not a finite number")]
    NonFiniteSample {
        /// Which sample (`first` or `second`).
        sample: &'static str,
        /// 0-based position in that sample.
        index: usize,
        /// The value.
        value: f64,
    },
    /// An estimate was asked of no data.
    #[error("no log-ratios given")]
    Empty,
    /// A p-value outside [0, 1] or NaN.
    #[error("p-value {index} is {value}, not in [0, 1]")]
    InvalidPValue {
        /// 0-based position in the input.
        index: usize,
        /// The value.
        value: f64,
    },
    /// A parameter (confidence, significance level, threshold, ...) out of
    /// its range.
    #[error("{name} = {value} is out of range: {expected}")]
    InvalidParameter {
        /// The parameter.
        name: &'static str,
        /// The value given.
        value: f64,
        /// The range it must lie in.
        expected: &'static str,
    },
    /// A comparison handed to [`confirm`](super::confirm::confirm) that the
    /// screen did not flag as a suspect.
    #[error("comparison {index} ({metric}) is not a suspect")]
    NotASuspect {
        /// 0-based position in the input.
        index: usize,
        /// Its metric's column name.
        metric: &'static str,
    },
}
