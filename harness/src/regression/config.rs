//! [`GateConfig`]: the levels and thresholds of the regression gate.

use super::error::RegressionError;
use super::signed_rank_null::MAX_BLOCKS;
use crate::store::Metric;

/// The decision parameters of the gate for one metric.
///
/// Effects are percent changes as the user reads the metric (a 5 % drop
/// of tokens/s, a 5 % rise of a latency), see
/// [`worse_pct`](super::orientation::worse_pct).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GateConfig {
    /// Fewer valid blocks than this make a stage inconclusive. Default 7,
    /// the smallest `n` whose best one-sided p-value, 2^−n = 0.0078, is
    /// below the default `alpha_suspect`.
    pub min_blocks: usize,
    /// Stage-1 significance level of the one-sided signed-rank test.
    /// Default 0.01.
    pub alpha_suspect: f64,
    /// Family-wise level of the Holm-adjusted stage-2 tests over all
    /// suspects of a run. Default 0.05.
    pub family_alpha: f64,
    /// The change that counts, percent: a change is a regression (or an
    /// improvement) only if its confidence interval reaches this far.
    /// Default 5.
    pub threshold_pct: f64,
    /// The smallest estimated change, percent, that can raise suspicion
    /// (stage 1) or be confirmed (stage 2). Default 2.5, half of
    /// `threshold_pct`.
    pub suspect_pct: f64,
    /// Two-sided confidence of the Hodges–Lehmann interval. Default 0.90
    /// (one-sided 95 % on each side).
    pub confidence: f64,
}

impl Default for GateConfig {
    fn default() -> Self {
        GateConfig {
            min_blocks: 7,
            alpha_suspect: 0.01,
            family_alpha: 0.05,
            threshold_pct: 5.0,
            suspect_pct: 2.5,
            confidence: 0.90,
        }
    }
}

impl GateConfig {
    /// The default configuration with the effect that counts set to
    /// `threshold_pct` and the suspicion floor to half of it.
    pub fn with_threshold_pct(threshold_pct: f64) -> Self {
        GateConfig {
            threshold_pct,
            suspect_pct: threshold_pct / 2.0,
            ..GateConfig::default()
        }
    }

    /// Checks every field: `min_blocks` in 1..=[`MAX_BLOCKS`], levels and
    /// confidence strictly between 0 and 1, `0 ≤ suspect_pct ≤
    /// threshold_pct`, all finite.
    pub fn validate(&self) -> Result<(), RegressionError> {
        if !(1..=MAX_BLOCKS).contains(&self.min_blocks) {
            return Err(RegressionError::InvalidParameter {
                name: "min_blocks",
                value: self.min_blocks as f64,
                expected: "between 1 and 200",
            });
        }
        let unit = [
            ("alpha_suspect", self.alpha_suspect),
            ("family_alpha", self.family_alpha),
            ("confidence", self.confidence),
        ];
        for (name, value) in unit {
            if !(value > 0.0 && value < 1.0) {
                return Err(RegressionError::InvalidParameter {
                    name,
                    value,
                    expected: "strictly between 0 and 1",
                });
            }
        }
        if !(self.threshold_pct.is_finite() && self.threshold_pct >= 0.0) {
            return Err(RegressionError::InvalidParameter {
                name: "threshold_pct",
                value: self.threshold_pct,
                expected: "a finite percentage ≥ 0",
            });
        }
        if !(self.suspect_pct >= 0.0 && self.suspect_pct <= self.threshold_pct) {
            return Err(RegressionError::InvalidParameter {
                name: "suspect_pct",
                value: self.suspect_pct,
                expected: "between 0 and threshold_pct",
            });
        }
        Ok(())
    }
}

/// The gate's configuration over all metrics: shared levels, and each
/// metric's own threshold (sampled metrics, percent) or tolerance
/// (deterministic metrics, in the metric's unit).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GateSettings {
    /// Levels, and the threshold of every metric without its own.
    pub base: GateConfig,
    /// Sampled metrics with their own threshold, percent.
    pub thresholds: Vec<(Metric, f64)>,
    /// Deterministic metrics with their own tolerance.
    pub tolerances: Vec<(Metric, f64)>,
}

impl GateSettings {
    /// `config` for every metric.
    pub fn uniform(config: GateConfig) -> Self {
        GateSettings {
            base: config,
            ..GateSettings::default()
        }
    }

    /// The configuration of sampled `metric`: the base levels with its
    /// threshold, and the suspicion floor at half of it.
    pub fn for_metric(&self, metric: Metric) -> GateConfig {
        match self.thresholds.iter().find(|(m, _)| *m == metric) {
            Some(&(_, t)) => GateConfig {
                threshold_pct: t,
                suspect_pct: t / 2.0,
                ..self.base
            },
            None => self.base,
        }
    }

    /// How much worse deterministic `metric` may get: its own tolerance,
    /// else `default`.
    pub fn tolerance(&self, metric: Metric, default: f64) -> f64 {
        self.tolerances
            .iter()
            .find(|(m, _)| *m == metric)
            .map_or(default, |&(_, t)| t)
    }

    /// Validates the base and every metric's configuration.
    pub fn validate(&self) -> Result<(), RegressionError> {
        self.base.validate()?;
        for (m, _) in &self.thresholds {
            self.for_metric(*m).validate()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        GateConfig::default().validate().unwrap();
        let c = GateConfig::with_threshold_pct(10.0);
        assert_eq!((c.threshold_pct, c.suspect_pct), (10.0, 5.0));
        c.validate().unwrap();
    }

    #[test]
    fn a_metric_with_its_own_threshold() {
        let s = GateSettings {
            base: GateConfig::with_threshold_pct(5.0),
            thresholds: vec![(Metric::PeakRssKib, 2.0)],
            tolerances: vec![(Metric::RecipeBytes, 4096.0)],
        };
        let rss = s.for_metric(Metric::PeakRssKib);
        assert_eq!((rss.threshold_pct, rss.suspect_pct), (2.0, 1.0));
        assert_eq!(rss.alpha_suspect, s.base.alpha_suspect);
        assert_eq!(s.for_metric(Metric::DecodeTpsMedian), s.base);
        assert_eq!(s.tolerance(Metric::RecipeBytes, 0.0), 4096.0);
        assert_eq!(s.tolerance(Metric::PplDeltaPct, 0.5), 0.5);
        s.validate().unwrap();
    }

    #[test]
    fn out_of_range_fields_are_errors() {
        let bad = [
            GateConfig {
                min_blocks: 0,
                ..GateConfig::default()
            },
            GateConfig {
                alpha_suspect: f64::NAN,
                ..GateConfig::default()
            },
            GateConfig {
                confidence: 1.0,
                ..GateConfig::default()
            },
            GateConfig {
                suspect_pct: 6.0,
                ..GateConfig::default()
            },
            GateConfig {
                threshold_pct: f64::INFINITY,
                ..GateConfig::default()
            },
        ];
        for c in bad {
            assert!(c.validate().is_err(), "{c:?}");
        }
    }
}
