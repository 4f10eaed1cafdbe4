//! The regression gate's verdicts and the A/A canaries' calibration as the
//! reports show them: which rows matter and in what order, the change with
//! its interval as text, and the pooled false-alarm rate with its exact
//! (Clopper–Pearson) upper bound.

use crate::model::{CanaryNight, GateRow, GateSummary};

/// The verdicts in the order the reports list them, most urgent first.
pub const VERDICT_ORDER: [&str; 6] = [
    "REGRESSED",
    "SUSPECT",
    "IMPROVED",
    "INCONCLUSIVE",
    "NOT COMPARABLE",
    "UNCHANGED",
];

/// The nominal false-alarm rate of one cell-metric: the gate's stage-1 α.
pub const NOMINAL_FALSE_ALARM_RATE: f64 = 0.01;

/// The confidence of the calibration's upper bound.
pub const CALIBRATION_CONFIDENCE: f64 = 0.95;

/// Where `verdict` sorts in [`VERDICT_ORDER`]; an unknown verdict after
/// every known one.
fn rank(verdict: &str) -> usize {
    VERDICT_ORDER
        .iter()
        .position(|v| *v == verdict)
        .unwrap_or(VERDICT_ORDER.len())
}

/// The rows worth reading: not canaries, not `UNCHANGED`, ordered
/// regressed, suspect, improved, inconclusive, not comparable (then any
/// unknown verdict), keeping the gate's order within a verdict.
pub fn notable_rows(gate: &GateSummary) -> Vec<&GateRow> {
    let mut rows: Vec<&GateRow> = gate
        .rows
        .iter()
        .filter(|r| !r.canary && r.verdict != "UNCHANGED")
        .collect();
    rows.sort_by_key(|r| rank(&r.verdict));
    rows
}

/// The confirmed changes: rows that are not canaries and whose verdict is
/// `REGRESSED` or `IMPROVED`, regressions first.
pub fn confirmed_rows(gate: &GateSummary) -> Vec<&GateRow> {
    notable_rows(gate)
        .into_iter()
        .filter(|r| r.verdict == "REGRESSED" || r.verdict == "IMPROVED")
        .collect()
}

/// How many cell-metrics that are not canaries got each verdict, in
/// [`VERDICT_ORDER`] (unknown verdicts after, in the order met), verdicts
/// nobody got left out.
pub fn verdict_counts(gate: &GateSummary) -> Vec<(String, usize)> {
    let mut counts: Vec<(String, usize)> =
        VERDICT_ORDER.iter().map(|v| ((*v).to_owned(), 0)).collect();
    for r in gate.rows.iter().filter(|r| !r.canary) {
        match counts.iter_mut().find(|(v, _)| *v == r.verdict) {
            Some((_, n)) => *n += 1,
            None => counts.push((r.verdict.clone(), 1)),
        }
    }
    counts.retain(|(_, n)| *n > 0);
    counts
}

/// The counts as one line, e.g. `12 cell-metrics: 1 regressed, 11
/// unchanged`, with the canaries' count when there are any.
pub fn counts_text(gate: &GateSummary) -> String {
    let counts = verdict_counts(gate);
    let total: usize = counts.iter().map(|(_, n)| n).sum();
    let mut s = format!("{total} cell-metric{}", if total == 1 { "" } else { "s" });
    if !counts.is_empty() {
        let parts: Vec<String> = counts
            .iter()
            .map(|(v, n)| format!("{n} {}", v.to_lowercase()))
            .collect();
        s.push_str(": ");
        s.push_str(&parts.join(", "));
    }
    let canaries = gate.rows.iter().filter(|r| r.canary).count();
    if canaries > 0 {
        s.push_str(&format!(
            "; {canaries} A/A canary cell-metric{}",
            if canaries == 1 { "" } else { "s" }
        ));
    }
    s
}

/// A signed percentage with one decimal and a true minus sign, e.g.
/// `−6.1` or `+2.0`; `0.0` when it rounds to zero.
fn signed(v: f64) -> String {
    let s = format!("{v:+.1}");
    if s == "+0.0" || s == "-0.0" {
        "0.0".to_owned()
    } else {
        s.replace('-', "\u{2212}")
    }
}

/// A row's change with its interval, e.g. `−6.1 % [−8.0, −4.2]`; an
/// unbounded side reads `−∞` or `+∞`, and a row without a change `n/a`.
pub fn change_text(row: &GateRow) -> String {
    let Some(change) = row.change_pct.filter(|c| c.is_finite()) else {
        return "n/a".to_owned();
    };
    let side = |v: Option<f64>, inf: &str| match v {
        Some(v) if v.is_finite() => signed(v),
        _ => inf.to_owned(),
    };
    format!(
        "{} % [{}, {}]",
        signed(change),
        side(row.change_ci_pct.0, "\u{2212}∞"),
        side(row.change_ci_pct.1, "+∞")
    )
}

/// A p-value: three decimals, scientific notation below 0.001, `n/a`
/// when there is none.
pub fn p_text(p: Option<f64>) -> String {
    match p {
        Some(p) if p.is_finite() && p >= 0.001 => format!("{p:.3}"),
        Some(p) if p.is_finite() => format!("{p:.1e}"),
        _ => "n/a".to_owned(),
    }
}

/// The false alarms of a night: false regressions plus false improvements.
pub fn false_alarms(night: &CanaryNight) -> usize {
    night.false_regressions + night.false_improvements
}

/// A night's false-alarm rate (a fraction), `None` when it compared
/// nothing.
pub fn night_rate(night: &CanaryNight) -> Option<f64> {
    (night.compared > 0).then(|| false_alarms(night) as f64 / night.compared as f64)
}

/// A rate (a fraction) as a percentage with two decimals, `n/a` for none.
pub fn rate_text(rate: Option<f64>) -> String {
    match rate {
        Some(r) if r.is_finite() => format!("{:.2} %", r * 100.0),
        _ => "n/a".to_owned(),
    }
}

/// Every night of the calibration pooled.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CalibrationTotal {
    /// Canary cell-metrics decided, over every night.
    pub compared: usize,
    /// Of those, called regressed.
    pub false_regressions: usize,
    /// Of those, called improved.
    pub false_improvements: usize,
    /// The pooled false-alarm rate, `None` when nothing was compared.
    pub rate: Option<f64>,
    /// Its one-sided upper bound at [`CALIBRATION_CONFIDENCE`]
    /// (Clopper–Pearson), `None` when nothing was compared.
    pub upper: Option<f64>,
}

/// The nights pooled: counts, rate and its exact upper bound.
pub fn calibration_total(nights: &[CanaryNight]) -> CalibrationTotal {
    let compared = nights.iter().map(|n| n.compared).sum();
    let false_regressions = nights.iter().map(|n| n.false_regressions).sum();
    let false_improvements = nights.iter().map(|n| n.false_improvements).sum();
    let alarms: usize = false_regressions + false_improvements;
    CalibrationTotal {
        compared,
        false_regressions,
        false_improvements,
        rate: (compared > 0).then(|| alarms as f64 / compared as f64),
        upper: clopper_pearson_upper(alarms, compared, CALIBRATION_CONFIDENCE),
    }
}

/// The exact one-sided upper confidence bound (Clopper–Pearson) of a
/// binomial proportion after `k` successes in `n` trials: the `p` at which
/// seeing `k` or fewer has probability `1 − confidence`.
///
/// For `k = 0` this is `1 − (1 − confidence)^(1/n)`; for `k ≥ n` it is 1.
/// `None` when `n` is 0 or `confidence` is not strictly between 0 and 1.
pub fn clopper_pearson_upper(k: usize, n: usize, confidence: f64) -> Option<f64> {
    if n == 0 || !(confidence > 0.0 && confidence < 1.0) {
        return None;
    }
    if k >= n {
        return Some(1.0);
    }
    let alpha = 1.0 - confidence;
    if k == 0 {
        return Some(1.0 - alpha.powf(1.0 / n as f64));
    }
    // P(X ≤ k) falls as p grows: bisect for P(X ≤ k) = α.
    let (mut lo, mut hi) = (0.0_f64, 1.0_f64);
    for _ in 0..200 {
        let mid = lo / 2.0 + hi / 2.0;
        if mid <= lo || mid >= hi {
            break;
        }
        if binomial_cdf(k, n, mid) > alpha {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(lo / 2.0 + hi / 2.0)
}

/// P(X ≤ k) for X ~ Binomial(n, p), 0 < p < 1, summed in log space so
/// large `n` neither underflows nor overflows.
fn binomial_cdf(k: usize, n: usize, p: f64) -> f64 {
    let (ln_p, ln_q) = (p.ln(), (-p).ln_1p());
    // ln of the term i: ln C(n, i) + i ln p + (n − i) ln q.
    let mut term = n as f64 * ln_q;
    let mut logs = Vec::with_capacity(k + 1);
    logs.push(term);
    for i in 0..k.min(n) {
        term += ((n - i) as f64 / (i + 1) as f64).ln() + ln_p - ln_q;
        logs.push(term);
    }
    let top = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if top == f64::NEG_INFINITY {
        return 0.0;
    }
    let sum: f64 = logs.iter().map(|l| (l - top).exp()).sum();
    (top.exp() * sum).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-9)
    }

    #[test]
    fn upper_bounds_match_known_values() {
        // Reference values: the 0.95 quantile of Beta(k + 1, n − k).
        assert!(close(
            clopper_pearson_upper(1, 100, 0.95),
            0.046_559_811_453_539
        ));
        assert!(close(
            clopper_pearson_upper(0, 300, 0.95),
            0.009_936_081_944_458
        ));
        assert!(close(
            clopper_pearson_upper(2, 50, 0.95),
            0.120_614_155_422_044
        ));
        assert!(close(
            clopper_pearson_upper(5, 1000, 0.95),
            0.010_484_076_911_416
        ));
        assert!(close(
            clopper_pearson_upper(3, 10, 0.95),
            0.606_624_216_105_413
        ));
        assert_eq!(clopper_pearson_upper(10, 10, 0.95), Some(1.0));
        assert_eq!(clopper_pearson_upper(0, 0, 0.95), None);
        assert_eq!(clopper_pearson_upper(1, 10, 1.0), None);
    }

    #[test]
    fn large_counts_stay_finite() {
        let u = clopper_pearson_upper(5_000, 10_000, 0.95).unwrap_or_default();
        assert!(u > 0.508 && u < 0.509, "{u}");
        let u = clopper_pearson_upper(1, 1_000_000, 0.95).unwrap_or_default();
        assert!(u > 4.7e-6 && u < 4.8e-6, "{u}");
    }

    #[test]
    fn binomial_cdf_sums_to_one() {
        assert!((binomial_cdf(10, 10, 0.3) - 1.0).abs() < 1e-12);
        assert!((binomial_cdf(0, 2, 0.5) - 0.25).abs() < 1e-12);
        assert!((binomial_cdf(1, 2, 0.5) - 0.75).abs() < 1e-12);
    }

    #[test]
    fn signs_use_a_true_minus() {
        assert_eq!(signed(-6.14), "\u{2212}6.1");
        assert_eq!(signed(2.0), "+2.0");
        assert_eq!(signed(-0.01), "0.0");
        assert_eq!(p_text(Some(0.0004)), "4.0e-4");
        assert_eq!(p_text(Some(0.25)), "0.250");
        assert_eq!(p_text(Some(f64::NAN)), "n/a");
        assert_eq!(rate_text(Some(0.0)), "0.00 %");
        assert_eq!(rate_text(None), "n/a");
    }
}
