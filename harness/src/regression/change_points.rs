//! Change points in a history: E-divisive means with a t-test, in the
//! manner of Apache Otava (Fleming et al., ICPE 2023), over the logarithms
//! of the values so that a rise and a fall of the same ratio weigh the
//! same.
//!
//! Two passes:
//! 1. **Split (weak pass).** On a segment, the candidate is the split
//!    maximizing the energy-statistic divergence ([`best_split`]); it is
//!    kept when Welch's t-test between the two sides gives
//!    p ≤ [`WEAK_PVALUE_FACTOR`] × `max_pvalue` (capped at 0.5), and both
//!    sides are split again. Deterministic: no permutations.
//! 2. **Merge.** Each kept point is tested again between its neighbouring
//!    points; while one fails (p > `max_pvalue`, or a change of the segment
//!    means below `min_magnitude`), the weakest is dropped (the largest p,
//!    else the smallest change) and its neighbours are tested again.
//!
//! Unlike Otava, the whole series is one window: nightly histories are
//! hundreds of points, and the work is O(n²) per split with O(n) memory,
//! bounded by [`MAX_POINTS`]. The p-values are those of the t-test at the
//! chosen split, which is itself chosen to look different: they are
//! optimistic, as in Otava, and `max_pvalue` is strict for that reason.
//! Measured on seeded flat series with log-normal noise (30 to 200
//! points), about 3 % of series get a change point at p 0.001 without the
//! magnitude floor; with the 2.5 % floor, none at 1 % noise, 1 to 3 % at
//! 3 % noise.

use serde::Serialize;

use super::energy::best_split;
use super::welch::welch;
use crate::store::TrendPoint;

/// The most values one call accepts.
pub const MAX_POINTS: usize = 10_000;
/// The default significance level of a change point.
pub const DEFAULT_MAX_PVALUE: f64 = 0.001;
/// The default smallest change of the segment means, as a fraction (2.5 %).
pub const DEFAULT_MIN_MAGNITUDE: f64 = 0.025;
/// The default fewest values on each side of a change point.
pub const DEFAULT_MIN_SEGMENT: usize = 3;
/// The weak pass keeps candidates up to this multiple of `max_pvalue`.
pub const WEAK_PVALUE_FACTOR: f64 = 10.0;

/// The detector's settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Config {
    /// A change point needs Welch's p ≤ this between its neighbouring
    /// segments, in (0, 1).
    pub max_pvalue: f64,
    /// A change point needs the segment means to differ by at least this
    /// fraction, `exp(|Δ mean log|) − 1` (0.025 = 2.5 %), ≥ 0.
    pub min_magnitude: f64,
    /// Fewest values on each side of a change point, ≥ 2.
    pub min_segment: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_pvalue: DEFAULT_MAX_PVALUE,
            min_magnitude: DEFAULT_MIN_MAGNITUDE,
            min_segment: DEFAULT_MIN_SEGMENT,
        }
    }
}

/// A change in the level of a series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangePoint {
    /// The first value at the new level (0-based).
    pub index: usize,
    /// The geometric mean of the segment before, in the values' unit.
    pub mean_before: f64,
    /// The geometric mean of the segment after.
    pub mean_after: f64,
    /// `mean_after / mean_before − 1` (−0.063 for a 6.3 % fall).
    pub rel_change: f64,
    /// Welch's two-sided p-value between the two segments (of the logs).
    pub p_value: f64,
}

/// A change point of a trend line: the run where the new level starts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunChangePoint {
    /// The first run at the new level.
    pub run_id: String,
    /// The change.
    #[serde(flatten)]
    pub change: ChangePoint,
}

/// A series or settings the detector cannot work with.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ChangePointError {
    /// A NaN or infinite value.
    #[error("value {index} is {value}, not a finite number")]
    NonFinite {
        /// 0-based position.
        index: usize,
        /// The value.
        value: f64,
    },
    /// A value ≤ 0, which has no logarithm.
    #[error("value {index} is {value}: change points need positive values (they compare ratios)")]
    NotPositive {
        /// 0-based position.
        index: usize,
        /// The value.
        value: f64,
    },
    /// More values than [`MAX_POINTS`].
    #[error("{n} values given, at most {max} are supported")]
    TooManyPoints {
        /// Values given.
        n: usize,
        /// The limit.
        max: usize,
    },
    /// A setting out of its range.
    #[error("{name} = {value} is out of range: {expected}")]
    InvalidParameter {
        /// The setting.
        name: &'static str,
        /// The value given.
        value: f64,
        /// The range it must lie in.
        expected: &'static str,
    },
}

/// The change points of `values`, in index order.
///
/// A series shorter than `2 · min_segment` has none.
///
/// # Errors
/// [`ChangePointError`] for a value that is NaN, infinite or ≤ 0, more
/// than [`MAX_POINTS`] values, or settings out of range.
pub fn detect(values: &[f64], config: &Config) -> Result<Vec<ChangePoint>, ChangePointError> {
    check_config(config)?;
    if values.len() > MAX_POINTS {
        return Err(ChangePointError::TooManyPoints {
            n: values.len(),
            max: MAX_POINTS,
        });
    }
    let mut logs = Vec::with_capacity(values.len());
    for (index, &value) in values.iter().enumerate() {
        if !value.is_finite() {
            return Err(ChangePointError::NonFinite { index, value });
        }
        if value <= 0.0 {
            return Err(ChangePointError::NotPositive { index, value });
        }
        logs.push(value.ln());
    }
    let weak_p = (config.max_pvalue * WEAK_PVALUE_FACTOR)
        .min(0.5)
        .max(config.max_pvalue);
    let weak = split(&logs, config.min_segment, weak_p);
    Ok(merge(&logs, weak, config))
}

/// The change points of a trend line (oldest point first), each named by
/// the first run at the new level.
///
/// # Errors
/// As [`detect`].
pub fn detect_trend(
    points: &[TrendPoint],
    config: &Config,
) -> Result<Vec<RunChangePoint>, ChangePointError> {
    let values: Vec<f64> = points.iter().map(|p| p.value).collect();
    Ok(detect(&values, config)?
        .into_iter()
        .map(|change| RunChangePoint {
            run_id: points[change.index].run_id.clone(),
            change,
        })
        .collect())
}

fn check_config(c: &Config) -> Result<(), ChangePointError> {
    let bad = |name, value, expected| {
        Err(ChangePointError::InvalidParameter {
            name,
            value,
            expected,
        })
    };
    if !(c.max_pvalue > 0.0 && c.max_pvalue < 1.0) {
        return bad("max_pvalue", c.max_pvalue, "0 < p < 1");
    }
    if !(c.min_magnitude.is_finite() && c.min_magnitude >= 0.0) {
        return bad("min_magnitude", c.min_magnitude, "a finite fraction ≥ 0");
    }
    if c.min_segment < 2 {
        return bad("min_segment", c.min_segment as f64, "at least 2");
    }
    Ok(())
}

/// The weak pass: indices of the accepted splits, sorted.
fn split(logs: &[f64], min_segment: usize, weak_p: f64) -> Vec<usize> {
    let mut found = Vec::new();
    let mut todo = vec![(0, logs.len())];
    while let Some((start, end)) = todo.pop() {
        let segment = &logs[start..end];
        let Some(candidate) = best_split(segment, min_segment) else {
            continue;
        };
        let tau = candidate.tau;
        let significant =
            welch(&segment[..tau], &segment[tau..]).is_some_and(|w| w.p_value <= weak_p);
        if significant {
            found.push(start + tau);
            todo.push((start, start + tau));
            todo.push((start + tau, end));
        }
    }
    found.sort_unstable();
    found
}

/// The merge pass: drops the weakest point while any fails `config`.
fn merge(logs: &[f64], mut points: Vec<usize>, config: &Config) -> Vec<ChangePoint> {
    loop {
        let stats: Vec<ChangePoint> = (0..points.len())
            .map(|i| {
                let start = if i == 0 { 0 } else { points[i - 1] };
                let end = points.get(i + 1).copied().unwrap_or(logs.len());
                assess(logs, start, points[i], end)
            })
            .collect();
        let weakest_p = argmax(stats.iter().map(|s| s.p_value));
        let drop = match weakest_p {
            Some(i) if stats[i].p_value > config.max_pvalue => Some(i),
            _ => argmax(stats.iter().map(|s| -magnitude(s)))
                .filter(|&i| magnitude(&stats[i]) < config.min_magnitude),
        };
        match drop {
            Some(i) => {
                points.remove(i);
            }
            None => return stats,
        }
    }
}

/// The change at `index` between `logs[start..index]` and
/// `logs[index..end]`.
fn assess(logs: &[f64], start: usize, index: usize, end: usize) -> ChangePoint {
    let (left, right) = (&logs[start..index], &logs[index..end]);
    let mean = |s: &[f64]| s.iter().sum::<f64>() / s.len() as f64;
    let (before, after) = (mean(left), mean(right));
    ChangePoint {
        index,
        mean_before: before.exp(),
        mean_after: after.exp(),
        rel_change: (after - before).exp_m1(),
        p_value: welch(left, right).map_or(1.0, |w| w.p_value),
    }
}

/// The change as a fraction whichever way it goes: `exp(|Δ|) − 1`, so
/// that a fall to 1/1.1 and a rise to 1.1 have the same magnitude.
fn magnitude(c: &ChangePoint) -> f64 {
    (c.mean_after / c.mean_before).ln().abs().exp_m1()
}

/// The position of the first largest value.
fn argmax(values: impl Iterator<Item = f64>) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for (i, v) in values.enumerate() {
        if best.is_none_or(|(_, b)| v > b) {
            best = Some((i, v));
        }
    }
    best.map(|(i, _)| i)
}

#[cfg(test)]
mod tests;
