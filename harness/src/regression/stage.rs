//! One stage of the gate: the signed-rank test and the Hodges–Lehmann
//! shift over one set of paired blocks, and the rules that read them.

use super::config::GateConfig;
use super::error::RegressionError;
use super::hodges_lehmann::{Shift, hodges_lehmann};
use super::orientation::{Gate, worse_pct};
use super::signed_rank_null::MAX_BLOCKS;
use super::verdict::{InconclusiveReason, NotComparableReason};
use super::wilcoxon::{SignedRankTest, signed_rank};
use crate::store::Metric;

/// The statistics of one stage over its blocks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StageStats {
    /// The metric, which fixes how percent changes read.
    pub metric: Metric,
    /// Valid blocks (log-ratios), zeros included.
    pub blocks: usize,
    /// The signed-rank test, both tails.
    pub test: SignedRankTest,
    /// The shift estimate and its interval, oriented (larger = worse).
    pub shift: Shift,
}

/// What one stage made of its blocks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StageOutcome {
    /// The blocks were tested.
    Tested(StageStats),
    /// Too few blocks to test.
    Inconclusive(InconclusiveReason),
    /// The blocks cannot be compared.
    NotComparable(NotComparableReason),
}

impl StageOutcome {
    /// The statistics, when the blocks were tested.
    pub fn stats(&self) -> Option<&StageStats> {
        match self {
            StageOutcome::Tested(s) => Some(s),
            _ => None,
        }
    }
}

/// Tests the oriented log-ratios `d` of `metric`'s paired blocks.
///
/// A non-finite log-ratio makes the stage not comparable (the block
/// should have been invalidated and redone before), an exactly gated
/// metric too; fewer than `config.min_blocks` log-ratios make it
/// inconclusive. Errors on an invalid `config` or more than
/// [`MAX_BLOCKS`] log-ratios.
pub fn assess(
    metric: Metric,
    d: &[f64],
    config: &GateConfig,
) -> Result<StageOutcome, RegressionError> {
    config.validate()?;
    if metric.gate() != Gate::Sampled {
        return Ok(StageOutcome::NotComparable(
            NotComparableReason::WrongGate {
                gate: metric.gate(),
            },
        ));
    }
    if let Some(block) = d.iter().position(|x| !x.is_finite()) {
        return Ok(StageOutcome::NotComparable(
            NotComparableReason::UnusableBlock { block },
        ));
    }
    if d.len() > MAX_BLOCKS {
        return Err(RegressionError::TooManyBlocks {
            n: d.len(),
            max: MAX_BLOCKS,
        });
    }
    if d.len() < config.min_blocks {
        return Ok(StageOutcome::Inconclusive(
            InconclusiveReason::TooFewBlocks {
                valid: d.len(),
                needed: config.min_blocks,
            },
        ));
    }
    Ok(StageOutcome::Tested(StageStats {
        metric,
        blocks: d.len(),
        test: signed_rank(d)?,
        shift: hodges_lehmann(d, config.confidence)?,
    }))
}

impl StageStats {
    /// The estimated change in percent, positive = worse, as the metric
    /// reads ([`worse_pct`] of the estimate).
    pub fn worse_pct(&self) -> f64 {
        worse_pct(self.metric, self.shift.estimate)
    }

    /// The interval of [`worse_pct`](Self::worse_pct); `None` ends are
    /// unbounded.
    pub fn worse_pct_interval(&self) -> (Option<f64>, Option<f64>) {
        let w = |x: Option<f64>| x.map(|x| worse_pct(self.metric, x));
        (w(self.shift.lower), w(self.shift.upper))
    }

    /// Stage-1 suspicion: the one-sided "worse" p-value is at most
    /// `alpha_suspect` and the estimate is at least `suspect_pct` worse.
    pub fn suspects_regression(&self, config: &GateConfig) -> bool {
        self.test.p_worse <= config.alpha_suspect && self.worse_pct() >= config.suspect_pct
    }

    /// Whether a worsening counts: the estimate is at least `suspect_pct`
    /// worse and the interval reaches `threshold_pct` (its upper end is
    /// at least that, or unbounded), so a change of the threshold's size
    /// is not ruled out.
    pub fn worsening_counts(&self, config: &GateConfig) -> bool {
        let (_, upper) = self.worse_pct_interval();
        self.worse_pct() >= config.suspect_pct && upper.is_none_or(|u| u >= config.threshold_pct)
    }

    /// The mirror image of a regression: the one-sided "better" p-value
    /// is at most `alpha_suspect`, the estimate at least `suspect_pct`
    /// better and the interval reaches `threshold_pct` better.
    pub fn shows_improvement(&self, config: &GateConfig) -> bool {
        let (lower, _) = self.worse_pct_interval();
        self.test.p_better <= config.alpha_suspect
            && self.worse_pct() <= -config.suspect_pct
            && lower.is_none_or(|l| l <= -config.threshold_pct)
    }
}
