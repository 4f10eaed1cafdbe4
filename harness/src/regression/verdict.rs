//! [`Verdict`]: what the gate concludes about one cell-metric, and why a
//! cell-metric could not be decided.

use super::orientation::Gate;

/// The gate's conclusion about one cell-metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Verdict {
    /// Worse, confirmed on fresh blocks (or, for an exact metric, worse
    /// beyond the tolerance). The only verdict that fails a run.
    Regressed,
    /// Flagged by the stage-1 screen and not (or not yet) confirmed by
    /// stage 2: a warning, never a failure.
    Suspect,
    /// Better, by an effect that counts. Improvements are never
    /// confirmed and never fail a run.
    Improved,
    /// No change that counts.
    Unchanged,
    /// The blocks cannot decide either way.
    Inconclusive {
        /// Why.
        reason: InconclusiveReason,
    },
    /// The arms cannot be compared at all.
    NotComparable {
        /// Why.
        reason: NotComparableReason,
    },
}

impl Verdict {
    /// Whether this verdict fails the run: only [`Verdict::Regressed`].
    pub fn fails_run(&self) -> bool {
        matches!(self, Verdict::Regressed)
    }

    /// A short upper-case label for reports (`REGRESSED`, `SUSPECT`, ...).
    pub fn label(&self) -> &'static str {
        match self {
            Verdict::Regressed => "REGRESSED",
            Verdict::Suspect => "SUSPECT",
            Verdict::Improved => "IMPROVED",
            Verdict::Unchanged => "UNCHANGED",
            Verdict::Inconclusive { .. } => "INCONCLUSIVE",
            Verdict::NotComparable { .. } => "NOT COMPARABLE",
        }
    }
}

/// Why paired blocks cannot decide.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum InconclusiveReason {
    /// Fewer valid blocks than
    /// [`GateConfig::min_blocks`](super::config::GateConfig::min_blocks).
    #[error("{valid} valid blocks, at least {needed} needed")]
    TooFewBlocks {
        /// Valid blocks.
        valid: usize,
        /// The minimum.
        needed: usize,
    },
    /// After dropping log-ratios of exactly 0, even the most extreme
    /// outcome, p = 2^−n, would not reach the stage-1 level.
    #[error("{nonzero} non-zero log-ratios cannot reach p ≤ {alpha} (best p {min_p})")]
    AlphaUnreachable {
        /// Non-zero log-ratios.
        nonzero: usize,
        /// 2^−nonzero.
        min_p: f64,
        /// The stage-1 level.
        alpha: f64,
    },
}

/// Why the arms of a cell-metric cannot be compared.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum NotComparableReason {
    /// No baseline figure for this cell-metric.
    #[error("no baseline")]
    NoBaseline,
    /// Baseline and candidate have different numbers of blocks.
    #[error("{baseline} baseline blocks but {candidate} candidate blocks")]
    MismatchedBlocks {
        /// Baseline blocks.
        baseline: usize,
        /// Candidate blocks.
        candidate: usize,
    },
    /// A block whose log-ratio cannot be formed (a value that is not a
    /// finite positive number) or is not finite.
    #[error("block {block} has no finite log-ratio")]
    UnusableBlock {
        /// 0-based block index.
        block: usize,
    },
    /// A deterministic figure that is not a finite number.
    #[error("the figure is not a finite number")]
    NonFiniteValue,
    /// The metric is decided by the other kind of gate (paired blocks
    /// for sampled metrics, an exact comparison for deterministic ones).
    #[error("the metric is gated as {gate:?}")]
    WrongGate {
        /// How the metric is gated.
        gate: Gate,
    },
}
