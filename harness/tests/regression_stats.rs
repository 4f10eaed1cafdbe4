//! The statistics of the regression gate: exact signed-rank p-values
//! against enumeration, the Hodges–Lehmann interval and Holm's adjustment
//! on hand-computed cases, and the whole two-stage gate on simulated
//! noisy devices (power against injected slowdowns, A/A false alarms per
//! cell-metric and per run).

mod regression_support;

use edgebench::regression::comparison::Comparison;
use edgebench::regression::config::GateConfig;
use edgebench::regression::confirm::confirm;
use edgebench::regression::error::RegressionError;
use edgebench::regression::hodges_lehmann::hodges_lehmann;
use edgebench::regression::holm::holm;
use edgebench::regression::orientation::{change_as_read, oriented_log_ratio};
use edgebench::regression::verdict::{InconclusiveReason, NotComparableReason, Verdict};
use edgebench::regression::wilcoxon::signed_rank;
use edgebench::store::Metric;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use regression_support::{Noise, Rng64, Session, session};

const TPS: Metric = Metric::DecodeTpsMedian;

/// P(W+ ≥ observed) and P(W+ ≤ observed) by enumerating every sign
/// pattern of the non-zero |d|, with average ranks computed from their
/// definition.
fn enumerated(d: &[f64]) -> (f64, f64) {
    let x: Vec<f64> = d.iter().copied().filter(|&v| v != 0.0).collect();
    let rank = |v: f64| {
        let below = x.iter().filter(|y| y.abs() < v.abs()).count() as f64;
        let equal = x.iter().filter(|y| y.abs() == v.abs()).count() as f64;
        below + (equal + 1.0) / 2.0
    };
    let ranks: Vec<f64> = x.iter().map(|&v| rank(v)).collect();
    let observed: f64 = x
        .iter()
        .zip(&ranks)
        .filter(|(v, _)| **v > 0.0)
        .map(|(_, r)| r)
        .sum();
    let (mut ge, mut le) = (0u64, 0u64);
    for signs in 0u32..(1 << x.len()) {
        let w: f64 = (0..x.len())
            .filter(|i| signs & (1 << i) != 0)
            .map(|i| ranks[i])
            .sum();
        ge += u64::from(w >= observed - 1e-9);
        le += u64::from(w <= observed + 1e-9);
    }
    let all = (1u64 << x.len()) as f64;
    (ge as f64 / all, le as f64 / all)
}

#[test]
fn all_positive_blocks_reach_two_to_the_minus_n() {
    let t = signed_rank(&[0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07]).unwrap();
    assert_eq!(t.p_worse, 0.0078125);
    let t = signed_rank(&[0.5, 0.1, 0.4, 0.2, 0.3]).unwrap();
    assert_eq!(t.p_worse, 1.0 / 32.0);
    assert_eq!(t.p_better, 1.0);
    let t = signed_rank(&[-0.5, -0.1, -0.4, -0.2, -0.3]).unwrap();
    assert_eq!((t.p_worse, t.p_better), (1.0, 1.0 / 32.0));
}

#[test]
fn one_negative_rank_counts_the_small_sums() {
    // Ranks 1..5, rank 2 negative: W+ = 13 of 15. W+ ≥ 13 leaves at most
    // 2 to the negative ranks: {}, {1}, {2}, so p = 3/32.
    let t = signed_rank(&[0.1, -0.2, 0.3, 0.4, 0.5]).unwrap();
    assert_eq!(t.w_plus, 13.0);
    assert_eq!(t.p_worse, 3.0 / 32.0);
    // W+ ≤ 13: all but {3,4,5}+{1 or 2 or both}... = 1 − P(W+ ≥ 14) = 1 − 2/32.
    assert_eq!(t.p_better, 30.0 / 32.0);
}

#[test]
fn ties_and_zeros_match_enumeration_of_all_sign_flips() {
    let d = [0.02, -0.02, 0.05, 0.01, 0.05, 0.0, 0.05, -0.01, 0.03, 0.0];
    let t = signed_rank(&d).unwrap();
    assert_eq!((t.n, t.zeros), (8, 2));
    // Ranks: |0.01|×2 → 1.5, |0.02|×2 → 3.5, 0.03 → 5, 0.05×3 → 7.
    assert_eq!(t.w_plus, 3.5 + 7.0 * 3.0 + 1.5 + 5.0);
    let (ge, le) = enumerated(&d);
    assert!((t.p_worse - ge).abs() < 1e-15, "{} vs {ge}", t.p_worse);
    assert!((t.p_better - le).abs() < 1e-15, "{} vs {le}", t.p_better);
}

#[test]
fn the_exact_distribution_matches_enumeration_for_random_samples() {
    let mut rng = StdRng::seed_from_u64(0x5eed);
    for trial in 0..300 {
        let n = rng.random_range(1..=12);
        // Half the samples on a coarse grid, for ties and zeros.
        let coarse = trial % 2 == 0;
        let d: Vec<f64> = (0..n)
            .map(|_| {
                if coarse {
                    f64::from(rng.random_range(-4i32..=4)) / 100.0
                } else {
                    rng.random_range(-0.1..0.1)
                }
            })
            .collect();
        let t = signed_rank(&d).unwrap();
        let (ge, le) = enumerated(&d);
        assert!(
            (t.p_worse - ge).abs() < 1e-12,
            "{d:?}: {} vs {ge}",
            t.p_worse
        );
        assert!(
            (t.p_better - le).abs() < 1e-12,
            "{d:?}: {} vs {le}",
            t.p_better
        );
    }
}

#[test]
fn bad_samples_are_typed_errors() {
    assert!(matches!(
        signed_rank(&[0.1, f64::NAN]),
        Err(RegressionError::NonFinite { index: 1, .. })
    ));
    assert!(matches!(
        signed_rank(&vec![0.1; 201]),
        Err(RegressionError::TooManyBlocks { n: 201, max: 200 })
    ));
    let t = signed_rank(&[]).unwrap();
    assert_eq!((t.n, t.p_worse, t.p_better), (0, 1.0, 1.0));
    // 200 is exact and cheap.
    let t = signed_rank(&vec![0.1; 200]).unwrap();
    assert_eq!(t.p_worse, 0.5_f64.powi(200));
}

#[test]
fn hodges_lehmann_on_six_blocks() {
    let d = [-0.01, 0.02, 0.03, 0.05, 0.07, 0.12];
    // The 21 sorted Walsh averages:
    // −.01 .005 .01 .02 .02 .025 .03 .03 .035 .04 [.045] .05 .05 .055
    // .06 .07 .07 .075 .085 .095 .12
    // n = 6: P(W+ ≤ 2) = 3/64 ≤ 0.05 < P(W+ ≤ 3) = 5/64, so k = 3 and the
    // 90 % interval is [3rd smallest, 3rd largest] = [.01, .085].
    let s = hodges_lehmann(&d, 0.90).unwrap();
    assert!((s.estimate - 0.045).abs() < 1e-12);
    assert!((s.lower.unwrap() - 0.01).abs() < 1e-12);
    assert!((s.upper.unwrap() - 0.085).abs() < 1e-12);
    assert!((s.ratio() - 0.045_f64.exp()).abs() < 1e-12);
    assert!((s.ratio_lower().unwrap() - 0.01_f64.exp()).abs() < 1e-12);
    // 95 %: P(W+ ≤ 0) = 1/64 ≤ 0.025 < P(W+ ≤ 1) = 2/64, k = 1: the extremes.
    let s = hodges_lehmann(&d, 0.95).unwrap();
    assert_eq!((s.lower, s.upper), (Some(-0.01), Some(0.12)));
    // 99 %: 2^−6 > 0.005, unbounded.
    let s = hodges_lehmann(&d, 0.99).unwrap();
    assert_eq!((s.lower, s.upper), (None, None));
}

#[test]
fn throughput_changes_read_in_the_metric_direction() {
    // Decode 20 → 18.78 tokens/s: oriented ratio 1.065, read as −6.1 %.
    let d = oriented_log_ratio(TPS, 20.0, 18.78).unwrap();
    let s = hodges_lehmann(&[d; 8], 0.90).unwrap();
    assert!((s.ratio() - 20.0 / 18.78).abs() < 1e-12);
    let c = change_as_read(TPS, &s);
    assert!((c.pct - (18.78 / 20.0 - 1.0) * 100.0).abs() < 1e-9);
    assert_eq!(format!("{:.1}", c.pct), "-6.1");
    let t = change_as_read(Metric::E2eMedian, &s);
    assert_eq!(format!("{:+.1}", t.pct), "+6.5");
}

#[test]
fn holm_on_the_textbook_example() {
    // Sorted 0.005, 0.01, 0.03, 0.04 against 0.05/4, /3, /2, /1: the first
    // two are rejected, 0.03 > 0.025 stops the procedure.
    let h = holm(&[0.01, 0.04, 0.03, 0.005], 0.05).unwrap();
    let expected = [0.03, 0.06, 0.06, 0.02];
    for (a, e) in h.adjusted.iter().zip(expected) {
        assert!((a - e).abs() < 1e-15, "{:?}", h.adjusted);
    }
    assert_eq!(h.rejected, vec![true, false, false, true]);
}

#[test]
fn too_few_or_broken_blocks_do_not_decide() {
    let cfg = GateConfig::default();
    let c = Comparison::screen(TPS, &[0.2; 6], &cfg).unwrap();
    assert_eq!(
        c.verdict,
        Verdict::Inconclusive {
            reason: InconclusiveReason::TooFewBlocks {
                valid: 6,
                needed: 7
            }
        }
    );
    let c = Comparison::screen(TPS, &[], &cfg).unwrap();
    assert!(matches!(c.verdict, Verdict::Inconclusive { .. }));
    // Zeros leave 6 non-zero blocks: 2^−6 > 0.01.
    let mut d = vec![0.2; 6];
    d.extend([0.0; 3]);
    let c = Comparison::screen(TPS, &d, &cfg).unwrap();
    assert!(matches!(
        c.verdict,
        Verdict::Inconclusive {
            reason: InconclusiveReason::AlphaUnreachable { nonzero: 6, .. }
        }
    ));
    let c = Comparison::screen(TPS, &[0.1, f64::NAN, 0.1, 0.1, 0.1, 0.1, 0.1], &cfg).unwrap();
    assert_eq!(
        c.verdict,
        Verdict::NotComparable {
            reason: NotComparableReason::UnusableBlock { block: 1 }
        }
    );
    let c = Comparison::from_blocks(TPS, &[1.0; 7], &[1.0; 8], &cfg).unwrap();
    assert!(matches!(
        c.verdict,
        Verdict::NotComparable {
            reason: NotComparableReason::MismatchedBlocks { .. }
        }
    ));
    let c = Comparison::from_blocks(TPS, &[1.0; 7], &[1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0], &cfg)
        .unwrap();
    assert!(matches!(c.verdict, Verdict::NotComparable { .. }));
    let c = Comparison::screen(Metric::RecipeBytes, &[0.1; 7], &cfg).unwrap();
    assert!(matches!(c.verdict, Verdict::NotComparable { .. }));
    let bad = GateConfig {
        alpha_suspect: 2.0,
        ..cfg
    };
    assert!(Comparison::screen(TPS, &[0.1; 7], &bad).is_err());
}

#[test]
fn suspects_regress_only_when_confirmed() {
    let cfg = GateConfig::default();
    // 8 % slower in all 10 blocks, a little spread: suspect.
    let slow: Vec<f64> = (0..10).map(|i| 0.08 + 0.001 * f64::from(i)).collect();
    let c = Comparison::screen(TPS, &slow, &cfg).unwrap();
    assert_eq!(c.verdict, Verdict::Suspect);
    assert!(c.awaits_confirmation());
    assert_eq!(c.p(), Some(1.0 / 1024.0));
    // Faster is improved, never a suspect.
    let fast: Vec<f64> = slow.iter().map(|x| -x).collect();
    let f = Comparison::screen(TPS, &fast, &cfg).unwrap();
    assert_eq!(f.verdict, Verdict::Improved);
    assert!(matches!(
        confirm(&[(&f, &slow)], &cfg),
        Err(RegressionError::NotASuspect { index: 0, .. })
    ));
    // Confirmed on fresh slow blocks; not on fresh null blocks; a suspect
    // whose rerun is too short stays a suspect and counts in the family.
    let null: Vec<f64> = (0..10)
        .map(|i| if i % 2 == 0 { 0.01 } else { -0.012 })
        .collect();
    let out = confirm(&[(&c, &slow), (&c, &null), (&c, &slow[..3])], &cfg).unwrap();
    assert_eq!(out[0].verdict, Verdict::Regressed);
    let conf = out[0].confirmation.unwrap();
    assert_eq!(conf.p(), Some(1.0 / 1024.0));
    assert!((conf.p_adjusted - 3.0 / 1024.0).abs() < 1e-15);
    assert_eq!(out[1].verdict, Verdict::Suspect);
    assert_eq!(out[2].verdict, Verdict::Suspect);
    assert_eq!(out[2].confirmation.unwrap().p_adjusted, 1.0);
    assert!(!out[0].awaits_confirmation());
    // A confident but small slowdown (3 % ± 0.1) is not an effect of 5 %.
    let small: Vec<f64> = (0..15).map(|i| 0.03 + 0.0002 * f64::from(i)).collect();
    let s = Comparison::screen(TPS, &small, &cfg).unwrap();
    assert_eq!(s.verdict, Verdict::Suspect);
    let out = confirm(&[(&s, &small)], &cfg).unwrap();
    assert_eq!(out[0].verdict, Verdict::Suspect);
}

/// One cell-metric through both stages on a simulated device; the
/// candidate has `factor` × the baseline's throughput. Returns whether
/// stage 1 flagged it, and the final verdict.
fn gate_cell(rng: &mut Rng64, noise: &Noise, factor: f64, cfg: &GateConfig) -> (bool, Verdict) {
    let s = session(rng, noise, 15, 3, factor);
    let c = Comparison::from_blocks(TPS, &s.baseline, &s.candidate, cfg).unwrap();
    if !c.awaits_confirmation() {
        return (false, c.verdict);
    }
    let fresh = log_ratios(&session(rng, noise, 15, 3, factor));
    (true, confirm(&[(&c, &fresh)], cfg).unwrap()[0].verdict)
}

fn log_ratios(s: &Session) -> Vec<f64> {
    s.baseline
        .iter()
        .zip(&s.candidate)
        .map(|(&b, &c)| oriented_log_ratio(TPS, b, c).unwrap())
        .collect()
}

/// The shares of `trials` cells flagged by stage 1 and called regressed.
fn rates(noise: &Noise, factor: f64, trials: usize, seed: u64) -> (f64, f64) {
    let cfg = GateConfig::default();
    let mut rng = Rng64::new(seed);
    let (mut flagged, mut regressed) = (0, 0);
    for _ in 0..trials {
        let (suspect, verdict) = gate_cell(&mut rng, noise, factor, &cfg);
        flagged += usize::from(suspect);
        regressed += usize::from(verdict == Verdict::Regressed);
    }
    (
        flagged as f64 / trials as f64,
        regressed as f64 / trials as f64,
    )
}

#[test]
fn injected_slowdowns_are_found_and_small_ones_are_not() {
    for sigma in [0.02, 0.03] {
        let noise = Noise::device(sigma);
        let rate = |factor, seed| rates(&noise, factor, 200, seed).1;
        let (r20, r5, r2, f10) = (rate(0.80, 1), rate(0.95, 2), rate(0.98, 3), rate(1.10, 4));
        eprintln!(
            "sigma_run {:.0} %, n = 15, 200 trials: regression rate −20 % {r20:.3}, −5 % {r5:.3}, −2 % {r2:.3}, +10 % {f10:.3}",
            sigma * 100.0
        );
        assert!(r20 >= 0.9, "−20 %: {r20}");
        assert!(r5 >= 0.9, "−5 %: {r5}");
        assert!(r2 <= 0.05, "−2 %: {r2}");
        assert_eq!(f10, 0.0, "+10 %");
    }
}

#[test]
fn a_a_false_alarms_per_cell_metric_stay_below_one_percent() {
    let noise = Noise::device(0.03);
    let trials = 2000;
    let (flagged, rate) = rates(&noise, 1.0, trials, 11);
    eprintln!(
        "A/A per cell-metric (sigma_run 3 %, n = 15, {trials} trials): stage-1 suspect rate {flagged:.4}, false-alarm rate {rate:.4}"
    );
    assert!(rate <= 0.01, "{rate}");
}

#[test]
fn a_a_false_alarms_per_run_stay_below_five_percent() {
    let noise = Noise::device(0.03);
    let cfg = GateConfig::default();
    let (runs, cells) = (200, 100);
    let mut rng = Rng64::new(12);
    let (mut alarmed, mut suspects) = (0, 0);
    for _ in 0..runs {
        let screened: Vec<Comparison> = (0..cells)
            .map(|_| {
                let s = session(&mut rng, &noise, 15, 3, 1.0);
                Comparison::from_blocks(TPS, &s.baseline, &s.candidate, &cfg).unwrap()
            })
            .collect();
        let flagged: Vec<&Comparison> = screened
            .iter()
            .filter(|c| c.awaits_confirmation())
            .collect();
        suspects += flagged.len();
        let fresh: Vec<Vec<f64>> = flagged
            .iter()
            .map(|_| log_ratios(&session(&mut rng, &noise, 15, 3, 1.0)))
            .collect();
        let pairs: Vec<(&Comparison, &[f64])> = flagged
            .iter()
            .copied()
            .zip(fresh.iter().map(Vec::as_slice))
            .collect();
        let confirmed = confirm(&pairs, &cfg).unwrap();
        alarmed += usize::from(confirmed.iter().any(|c| c.verdict.fails_run()));
    }
    let rate = alarmed as f64 / runs as f64;
    eprintln!(
        "A/A per run ({runs} runs × {cells} cell-metrics, sigma_run 3 %): {suspects} stage-1 suspects, run false-alarm rate {rate:.3}"
    );
    assert!(rate <= 0.05, "{rate}");
}
