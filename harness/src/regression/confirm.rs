//! Stage 2: confirming the suspects of a run on fresh blocks, with Holm's
//! adjustment over all of them.
//!
//! Each suspect is re-measured in a new session, and its fresh blocks are
//! tested alone (the stage-1 blocks selected it, so they cannot confirm
//! it). The one-sided "worse" p-values of the `k` suspects are adjusted
//! together ([`holm`]); a suspect is [`Regressed`](Verdict::Regressed)
//! only if its adjusted p-value is at most `family_alpha` **and** its
//! fresh effect counts ([`StageStats::worsening_counts`]). Since the
//! fresh blocks are independent of the selection, this bounds the
//! probability of any false regression in a run by `family_alpha`, and
//! that of one cell-metric by `alpha_suspect · family_alpha`.

use super::comparison::Comparison;
use super::config::{GateConfig, GateSettings};
use super::error::RegressionError;
use super::holm::holm;
use super::stage::{StageOutcome, StageStats, assess};
use super::verdict::Verdict;

/// The outcome of stage 2 for one suspect.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Confirmation {
    /// The test of the fresh blocks.
    pub outcome: StageOutcome,
    /// The Holm-adjusted "worse" p-value over the run's suspects; 1 when
    /// the fresh blocks could not be tested.
    pub p_adjusted: f64,
    /// Whether the regression is confirmed.
    pub confirmed: bool,
}

impl Confirmation {
    /// The fresh blocks' statistics, when they were tested.
    pub fn stats(&self) -> Option<&StageStats> {
        self.outcome.stats()
    }

    /// The fresh blocks' unadjusted one-sided "worse" p-value.
    pub fn p(&self) -> Option<f64> {
        self.stats().map(|s| s.test.p_worse)
    }
}

/// Stage 2 over all suspects of a run: each pair is a comparison that
/// awaits confirmation and the oriented log-ratios of its fresh blocks.
///
/// Returns the comparisons, in the same order, with their
/// [`Confirmation`] and a verdict of [`Regressed`](Verdict::Regressed) or
/// (unconfirmed) [`Suspect`](Verdict::Suspect). A suspect whose fresh
/// blocks cannot be tested (too few, unusable) stays in the family with
/// p = 1, so dropping it never makes the others easier to confirm.
/// Errors on an invalid `config`, on a comparison that does not await
/// confirmation, or on too many blocks.
pub fn confirm(
    suspects: &[(&Comparison, &[f64])],
    config: &GateConfig,
) -> Result<Vec<Comparison>, RegressionError> {
    confirm_with(suspects, &GateSettings::uniform(*config))
}

/// [`confirm`] with each metric's own threshold from `settings`; the
/// family-wise level is that of `settings.base`.
pub fn confirm_with(
    suspects: &[(&Comparison, &[f64])],
    settings: &GateSettings,
) -> Result<Vec<Comparison>, RegressionError> {
    settings.validate()?;
    let mut outcomes = Vec::with_capacity(suspects.len());
    for (index, (comparison, fresh)) in suspects.iter().enumerate() {
        if !comparison.awaits_confirmation() {
            return Err(RegressionError::NotASuspect {
                index,
                metric: comparison.name(),
            });
        }
        let config = settings.for_metric(comparison.metric);
        outcomes.push(assess(comparison.metric, fresh, &config)?);
    }
    let p: Vec<f64> = outcomes
        .iter()
        .map(|o| o.stats().map_or(1.0, |s| s.test.p_worse))
        .collect();
    let family = holm(&p, settings.base.family_alpha)?;
    Ok(suspects
        .iter()
        .zip(outcomes)
        .zip(family.adjusted.iter().zip(&family.rejected))
        .map(|(((comparison, _), outcome), (&p_adjusted, &rejected))| {
            let config = settings.for_metric(comparison.metric);
            let confirmed =
                rejected && outcome.stats().is_some_and(|s| s.worsening_counts(&config));
            Comparison {
                confirmation: Some(Confirmation {
                    outcome,
                    p_adjusted,
                    confirmed,
                }),
                verdict: if confirmed {
                    Verdict::Regressed
                } else {
                    Verdict::Suspect
                },
                ..(*comparison).clone()
            }
        })
        .collect())
}
