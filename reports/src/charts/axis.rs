//! Axis ranges that plotters can always draw (finite, non-empty, padded)
//! and tick labels that stay short for any magnitude.

use std::ops::Range;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};

/// Values beyond this magnitude are left out of the charts: padding them
/// would overflow and their tick labels would be unreadable.
pub(crate) const LIMIT: f64 = 1e150;

/// Whether a value can be placed on an axis.
pub(crate) fn plottable(v: f64) -> bool {
    v.is_finite() && v.abs() <= LIMIT
}

/// A range over `values` padded by 8 % on each side, never empty; `None`
/// when no value is plottable.
pub(crate) fn padded(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    let (lo, hi) = bounds(values)?;
    let mag = lo.abs().max(hi.abs());
    let width = (hi - lo).max(mag * 1e-6).max(1e-9);
    let pad = width * 0.08;
    if hi - lo < mag * 1e-6 || hi - lo < 1e-9 {
        // All (nearly) equal: centre the value.
        let mid = lo / 2.0 + hi / 2.0;
        let half = (mag * 0.1).max(1e-9);
        return Some((mid - half, mid + half));
    }
    Some((lo - pad, hi + pad))
}

/// A range from 0 to the largest value, padded on top by `top` (a
/// fraction, room for the legend); negative values extend it below 0.
pub(crate) fn from_zero(values: impl IntoIterator<Item = f64>, top: f64) -> Option<(f64, f64)> {
    let (lo, hi) = bounds(values)?;
    let (lo, hi) = (lo.min(0.0), hi.max(0.0));
    let width = (hi - lo).max(1e-9);
    let lo = if lo < 0.0 { lo - width * 0.05 } else { 0.0 };
    let hi = if hi > 0.0 || lo == 0.0 {
        hi + width * top
    } else {
        0.0
    };
    Some((lo, hi))
}

/// A category axis: `lo..hi` with ticks only at the given positions
/// (category centres or run indices), labelled by the chart's formatter.
pub(crate) struct Slots {
    lo: f64,
    hi: f64,
    keys: Vec<f64>,
}

impl Slots {
    /// `n` categories: the axis runs from 0 to `n`, ticks at the centres.
    pub(crate) fn centred(n: usize) -> Slots {
        Slots {
            lo: 0.0,
            hi: n.max(1) as f64,
            keys: (0..n).map(|i| i as f64 + 0.5).collect(),
        }
    }

    /// `n` points: the axis runs from -0.5 to `n - 0.5`, ticks at the
    /// integers.
    pub(crate) fn integers(n: usize) -> Slots {
        Slots {
            lo: -0.5,
            hi: n.max(1) as f64 - 0.5,
            keys: (0..n).map(|i| i as f64).collect(),
        }
    }
}

impl Ranged for Slots {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let t = (value - self.lo) / (self.hi - self.lo);
        let t = if t.is_finite() {
            t.clamp(-1.0, 2.0)
        } else {
            0.0
        };
        limit.0 + (f64::from(limit.1 - limit.0) * t).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.keys.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

/// Smallest and largest plottable value.
fn bounds(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .into_iter()
        .filter(|v| plottable(*v))
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((f64::min(lo, v), f64::max(hi, v))),
        })
}

/// A tick label: plain decimals for ordinary magnitudes, scientific
/// notation for very large or very small ones.
pub(crate) fn tick(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".to_owned()
    } else if !(1e-3..1e6).contains(&a) {
        format!("{v:.1e}")
    } else {
        let s = if a >= 100.0 {
            format!("{v:.0}")
        } else if a >= 1.0 {
            format!("{v:.2}")
        } else {
            format!("{v:.4}")
        };
        trim(s)
    }
}

/// Trailing zeros of a decimal dropped.
fn trim(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

/// The label of the category slot holding `x` (slot `i` spans `i..i + 1`),
/// empty outside the slots.
pub(crate) fn category(labels: &[&str], x: f64) -> String {
    if x < 0.0 {
        return String::new();
    }
    labels
        .get(x as usize)
        .map(|l| (*l).to_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_never_empty() {
        assert_eq!(padded([]), None);
        assert_eq!(padded([f64::NAN, f64::INFINITY]), None);
        let (lo, hi) = padded([5.0, 5.0]).unwrap_or_default();
        assert!(lo < 5.0 && hi > 5.0);
        let (lo, hi) = padded([0.0]).unwrap_or_default();
        assert!(lo < 0.0 && hi > 0.0);
        let (lo, hi) = padded([1e150, -1e150]).unwrap_or_default();
        assert!(lo.is_finite() && hi.is_finite() && lo < hi);
        let (lo, hi) = from_zero([0.0], 0.1).unwrap_or_default();
        assert!(lo == 0.0 && hi > 0.0);
        let (lo, hi) = from_zero([-2.0], 0.1).unwrap_or_default();
        assert!(lo < -2.0 && hi == 0.0);
        assert_eq!(from_zero([3.0, 1.0], 0.0), Some((0.0, 3.0)));
    }

    #[test]
    fn ticks_stay_short() {
        assert_eq!(tick(0.0), "0");
        assert_eq!(tick(12.5), "12.5");
        assert_eq!(tick(250.0), "250");
        assert_eq!(tick(0.125), "0.125");
        assert_eq!(tick(3e20), "3.0e20");
    }
}
