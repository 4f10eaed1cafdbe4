//! Which way each gated metric gets worse, and changes as the user reads
//! them.
//!
//! The statistics work on oriented log-ratios, larger = worse: time,
//! energy and memory as they are, throughput as 1/x (its log-ratio
//! negated). Reports show the change in the metric's own direction:
//! decode tokens/s −6.1 % rather than an oriented ratio of 1.065.

use super::hodges_lehmann::Shift;
use crate::store::Metric;

/// How the gate decides on a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Gate {
    /// Measured with noise: paired blocks and the signed-rank test.
    Sampled,
    /// Deterministic (size on disk, accuracy with greedy decoding):
    /// compared exactly, with a tolerance.
    Exact,
}

/// The metrics the gate decides on from paired blocks.
pub const SAMPLED_METRICS: [Metric; 7] = [
    Metric::DecodeTpsMedian,
    Metric::PrefillTpsMedian,
    Metric::TtftMedian,
    Metric::E2eMedian,
    Metric::PeakRssKib,
    Metric::EnergyJMedian,
    Metric::DecodeMjPerTokenMedian,
];

impl Metric {
    /// Whether a larger value is worse: true for times, energy, memory,
    /// size and perplexity change; false for throughput (tokens/s).
    pub fn larger_is_worse(self) -> bool {
        match self {
            Metric::PrefillTpsMedian | Metric::DecodeTpsMedian => false,
            Metric::TtftMedian
            | Metric::E2eMedian
            | Metric::PeakRssKib
            | Metric::EnergyJMedian
            | Metric::DecodeMjPerTokenMedian
            | Metric::RecipeBytes
            | Metric::PplDeltaPct => true,
        }
    }

    /// How the gate decides on this metric.
    pub fn gate(self) -> Gate {
        match self {
            Metric::RecipeBytes | Metric::PplDeltaPct => Gate::Exact,
            Metric::TtftMedian
            | Metric::PrefillTpsMedian
            | Metric::DecodeTpsMedian
            | Metric::E2eMedian
            | Metric::PeakRssKib
            | Metric::EnergyJMedian
            | Metric::DecodeMjPerTokenMedian => Gate::Sampled,
        }
    }
}

/// The oriented log-ratio of one block, `ln(candidate) − ln(baseline)`,
/// negated for throughput; `None` unless both values are finite and
/// positive.
pub fn oriented_log_ratio(metric: Metric, baseline: f64, candidate: f64) -> Option<f64> {
    let usable = |x: f64| x.is_finite() && x > 0.0;
    if !(usable(baseline) && usable(candidate)) {
        return None;
    }
    let d = candidate.ln() - baseline.ln();
    Some(if metric.larger_is_worse() { d } else { -d })
}

/// The signed percent change of `metric` as the user reads it, for an
/// oriented log-ratio: +6.5 % (a time that grew) or −6.1 % (a throughput
/// that fell) for the same oriented log-ratio ln(1.065).
pub fn pct_as_read(metric: Metric, oriented_log: f64) -> f64 {
    if metric.larger_is_worse() {
        oriented_log.exp_m1() * 100.0
    } else {
        (-oriented_log).exp_m1() * 100.0
    }
}

/// How many percent worse, as read, an oriented log-ratio makes `metric`:
/// [`pct_as_read`] with the sign flipped for throughput, so that positive
/// is worse. Increasing in `oriented_log`.
pub fn worse_pct(metric: Metric, oriented_log: f64) -> f64 {
    let pct = pct_as_read(metric, oriented_log);
    if metric.larger_is_worse() { pct } else { -pct }
}

/// A change and its confidence interval in percent, in the metric's own
/// direction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChangeAsRead {
    /// The estimated change, percent (−6.1 for a 6.1 % drop).
    pub pct: f64,
    /// Lower bound, percent; `None` when unbounded.
    pub lower_pct: Option<f64>,
    /// Upper bound, percent; `None` when unbounded.
    pub upper_pct: Option<f64>,
}

/// The oriented `shift` of `metric` as the user reads it: for throughput
/// the sign flips and the bounds swap.
pub fn change_as_read(metric: Metric, shift: &Shift) -> ChangeAsRead {
    let read = |x: Option<f64>| x.map(|x| pct_as_read(metric, x));
    let (lower, upper) = if metric.larger_is_worse() {
        (shift.lower, shift.upper)
    } else {
        (shift.upper, shift.lower)
    };
    ChangeAsRead {
        pct: pct_as_read(metric, shift.estimate),
        lower_pct: read(lower),
        upper_pct: read(upper),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throughput_is_negated() {
        let d = oriented_log_ratio(Metric::DecodeTpsMedian, 20.0, 19.0).unwrap();
        assert!((d - (20.0_f64 / 19.0).ln()).abs() < 1e-15);
        assert!((pct_as_read(Metric::DecodeTpsMedian, d) + 5.0).abs() < 1e-12);
        assert!((worse_pct(Metric::DecodeTpsMedian, d) - 5.0).abs() < 1e-12);
        let t = oriented_log_ratio(Metric::E2eMedian, 2.0, 2.1).unwrap();
        assert!((pct_as_read(Metric::E2eMedian, t) - 5.0).abs() < 1e-12);
    }

    #[test]
    fn unusable_values_give_no_ratio() {
        for (b, c) in [
            (0.0, 1.0),
            (1.0, -1.0),
            (f64::NAN, 1.0),
            (1.0, f64::INFINITY),
        ] {
            assert_eq!(oriented_log_ratio(Metric::TtftMedian, b, c), None);
        }
    }

    #[test]
    fn throughput_bounds_swap() {
        let shift = Shift {
            n: 15,
            estimate: 0.05,
            lower: Some(0.02),
            upper: Some(0.08),
            confidence: 0.9,
        };
        let c = change_as_read(Metric::DecodeTpsMedian, &shift);
        assert!(c.lower_pct.unwrap() < c.pct && c.pct < c.upper_pct.unwrap());
        assert!((c.lower_pct.unwrap() - (-0.08_f64).exp_m1() * 100.0).abs() < 1e-12);
    }
}
