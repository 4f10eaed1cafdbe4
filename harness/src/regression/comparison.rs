//! [`Comparison`]: one cell-metric through the gate, from the stage-1
//! screen to the stage-2 confirmation.
//!
//! Stage 1 ([`Comparison::screen`]) marks a cell-metric
//! [`Suspect`](Verdict::Suspect) when the one-sided signed-rank p-value
//! is at most `alpha_suspect` and the Hodges–Lehmann estimate is at least
//! `suspect_pct` worse; [`Improved`](Verdict::Improved) on the mirror
//! rule; otherwise [`Unchanged`](Verdict::Unchanged). Only
//! [`confirm`](super::confirm::confirm), on fresh blocks, turns a suspect
//! into [`Regressed`](Verdict::Regressed).

use super::config::GateConfig;
use super::confirm::Confirmation;
use super::error::RegressionError;
use super::hodges_lehmann::Shift;
use super::orientation::oriented_log_ratio;
use super::stage::{StageOutcome, StageStats, assess};
use super::verdict::{InconclusiveReason, NotComparableReason, Verdict};
use crate::store::Metric;

/// One cell-metric's comparison of candidate against baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The metric.
    pub metric: Metric,
    /// Stage 1 over the first session's blocks.
    pub screening: StageOutcome,
    /// Stage 2 over fresh blocks, for suspects that went through
    /// [`confirm`](super::confirm::confirm).
    pub confirmation: Option<Confirmation>,
    /// The conclusion so far.
    pub verdict: Verdict,
}

impl Comparison {
    /// Stage 1 of `metric` from the oriented log-ratios of its paired
    /// blocks (see [`oriented_log_ratio`]).
    ///
    /// Bad data gives an inconclusive or not-comparable verdict (see
    /// [`assess`]), as does a set of log-ratios so full of exact zeros
    /// that 2^−n cannot reach `alpha_suspect`. Errors on an invalid
    /// `config` or too many blocks.
    pub fn screen(
        metric: Metric,
        log_ratios: &[f64],
        config: &GateConfig,
    ) -> Result<Self, RegressionError> {
        let screening = assess(metric, log_ratios, config)?;
        let verdict = match &screening {
            StageOutcome::Tested(s) if s.test.min_p > config.alpha_suspect => {
                Verdict::Inconclusive {
                    reason: InconclusiveReason::AlphaUnreachable {
                        nonzero: s.test.n,
                        min_p: s.test.min_p,
                        alpha: config.alpha_suspect,
                    },
                }
            }
            StageOutcome::Tested(s) if s.suspects_regression(config) => Verdict::Suspect,
            StageOutcome::Tested(s) if s.shows_improvement(config) => Verdict::Improved,
            StageOutcome::Tested(_) => Verdict::Unchanged,
            StageOutcome::Inconclusive(reason) => Verdict::Inconclusive { reason: *reason },
            StageOutcome::NotComparable(reason) => Verdict::NotComparable { reason: *reason },
        };
        Ok(Comparison {
            metric,
            screening,
            confirmation: None,
            verdict,
        })
    }

    /// Stage 1 of `metric` from the block summaries (medians of reps) of
    /// each arm, block by block: orients them into log-ratios, then
    /// [`screen`](Self::screen)s. Different block counts, or a summary
    /// that is not a finite positive number, make it not comparable.
    pub fn from_blocks(
        metric: Metric,
        baseline: &[f64],
        candidate: &[f64],
        config: &GateConfig,
    ) -> Result<Self, RegressionError> {
        if baseline.len() != candidate.len() {
            config.validate()?;
            return Ok(Comparison::not_comparable(
                metric,
                NotComparableReason::MismatchedBlocks {
                    baseline: baseline.len(),
                    candidate: candidate.len(),
                },
            ));
        }
        let d: Vec<f64> = baseline
            .iter()
            .zip(candidate)
            .map(|(&b, &c)| oriented_log_ratio(metric, b, c).unwrap_or(f64::NAN))
            .collect();
        Comparison::screen(metric, &d, config)
    }

    /// A cell-metric that cannot be compared, e.g. for want of a
    /// baseline.
    pub fn not_comparable(metric: Metric, reason: NotComparableReason) -> Self {
        Comparison {
            metric,
            screening: StageOutcome::NotComparable(reason),
            confirmation: None,
            verdict: Verdict::NotComparable { reason },
        }
    }

    /// The metric's column name.
    pub fn name(&self) -> &'static str {
        self.metric.column()
    }

    /// Stage-1 statistics, when stage 1 tested.
    pub fn stage1(&self) -> Option<&StageStats> {
        self.screening.stats()
    }

    /// Stage-1 valid blocks (0 when not comparable).
    pub fn blocks(&self) -> usize {
        match &self.screening {
            StageOutcome::Tested(s) => s.blocks,
            StageOutcome::Inconclusive(InconclusiveReason::TooFewBlocks { valid, .. }) => *valid,
            StageOutcome::Inconclusive(InconclusiveReason::AlphaUnreachable {
                nonzero, ..
            }) => *nonzero,
            StageOutcome::NotComparable(_) => 0,
        }
    }

    /// Stage-1 shift estimate and interval (oriented; ratio via
    /// [`Shift::ratio`]).
    pub fn shift(&self) -> Option<&Shift> {
        self.stage1().map(|s| &s.shift)
    }

    /// Stage-1 one-sided p-value against "the candidate is worse".
    pub fn p(&self) -> Option<f64> {
        self.stage1().map(|s| s.test.p_worse)
    }

    /// Whether stage 1 flagged this cell-metric and stage 2 has not run
    /// on it yet.
    pub fn awaits_confirmation(&self) -> bool {
        self.confirmation.is_none() && self.verdict == Verdict::Suspect
    }
}
