use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;

/// `level(i)` times log-normal noise of relative spread `sd`.
fn series(n: usize, sd: f64, seed: u64, level: impl Fn(usize) -> f64) -> Vec<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n)
        .map(|i| {
            // Box–Muller.
            let (u1, u2): (f64, f64) = (rng.random_range(f64::EPSILON..1.0), rng.random());
            let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
            level(i) * (sd * z).exp()
        })
        .collect()
}

fn indices(values: &[f64]) -> Vec<usize> {
    detect(values, &Config::default())
        .unwrap()
        .iter()
        .map(|c| c.index)
        .collect()
}

/// The share of `trials` flat series of `n` points with any change point.
fn false_positive_rate(n: usize, sd: f64, trials: u64, config: &Config) -> f64 {
    let flagged = (0..trials)
        .filter(|&seed| {
            let s = series(n, sd, 1000 + seed, |_| 40.0);
            !detect(&s, config).unwrap().is_empty()
        })
        .count();
    flagged as f64 / trials as f64
}

#[test]
fn flat_noise_is_rarely_flagged() {
    let defaults = Config::default();
    let p_only = Config {
        min_magnitude: 0.0,
        ..defaults
    };
    for (n, sd, trials) in [(60, 0.02, 1000), (200, 0.05, 300)] {
        let rate = false_positive_rate(n, sd, trials, &defaults);
        let rate_p_only = false_positive_rate(n, sd, trials, &p_only);
        eprintln!(
            "flat n={n} sd={sd}: {:.2} % of {trials} series flagged ({:.2} % without the \
             magnitude floor)",
            rate * 100.0,
            rate_p_only * 100.0
        );
        assert!(rate <= 0.02, "{rate}");
        assert!(rate_p_only <= 0.05, "{rate_p_only}");
    }
}

#[test]
fn a_ten_percent_step_is_found_where_it_is() {
    let mut extra = 0;
    for seed in 0..20 {
        let s = series(60, 0.02, seed, |i| if i < 30 { 40.0 } else { 36.0 });
        let found = detect(&s, &Config::default()).unwrap();
        let (at_step, other): (Vec<_>, Vec<_>) =
            found.into_iter().partition(|c| c.index.abs_diff(30) <= 1);
        assert_eq!(at_step.len(), 1, "seed {seed}: {at_step:?}");
        extra += other.len();
        let c = &at_step[0];
        assert!((c.rel_change + 0.10).abs() < 0.02, "seed {seed}: {c:?}");
        assert!(c.p_value <= DEFAULT_MAX_PVALUE);
        assert!((c.mean_before - 40.0).abs() < 1.0 && (c.mean_after - 36.0).abs() < 1.0);
    }
    // A short run of low or high values at an end is now and then flagged
    // too (about 3 % of such series).
    assert!(extra <= 2, "{extra}");
}

#[test]
fn two_steps_are_both_found() {
    for seed in 0..20 {
        let s = series(90, 0.02, seed, |i| match i {
            0..30 => 40.0,
            30..60 => 36.0,
            _ => 39.6,
        });
        let found = indices(&s);
        for step in [30, 60] {
            let near = found.iter().filter(|i| i.abs_diff(step) <= 1).count();
            assert_eq!(near, 1, "seed {seed}: {found:?}");
        }
    }
}

#[test]
fn slow_creep_is_flagged() {
    for seed in 0..20 {
        let s = series(60, 0.01, seed, |i| 40.0 * 0.997_f64.powi(i as i32));
        assert!(!indices(&s).is_empty(), "seed {seed}");
    }
}

#[test]
fn rises_and_falls_weigh_the_same() {
    let s = series(40, 0.02, 7, |i| if i < 20 { 10.0 } else { 11.0 });
    let inverse: Vec<f64> = s.iter().map(|v| 1.0 / v).collect();
    let (up, down) = (
        detect(&s, &Config::default()).unwrap(),
        detect(&inverse, &Config::default()).unwrap(),
    );
    assert_eq!(up.len(), 1);
    assert_eq!(up[0].index, down[0].index);
    assert!((up[0].p_value - down[0].p_value).abs() <= 1e-12 * up[0].p_value.max(1e-300));
    assert!(((1.0 + up[0].rel_change) * (1.0 + down[0].rel_change) - 1.0).abs() < 1e-12);
}

#[test]
fn short_and_empty_series_have_none() {
    assert!(indices(&[]).is_empty());
    assert!(indices(&[1.0, 1.0, 1.0, 2.0, 2.0]).is_empty());
    // 2 × min_segment values can split once.
    assert_eq!(indices(&[1.0, 1.01, 0.99, 2.0, 2.02, 1.98]), vec![3]);
}

#[test]
fn a_step_smaller_than_the_floor_is_not_a_change_point() {
    let s = series(200, 0.002, 3, |i| if i < 100 { 40.0 } else { 39.4 });
    assert!(indices(&s).is_empty());
    let no_floor = Config {
        min_magnitude: 0.0,
        ..Config::default()
    };
    let found = detect(&s, &no_floor).unwrap();
    assert!(
        found.iter().any(|c| c.index.abs_diff(100) <= 1),
        "{found:?}"
    );
}

#[test]
fn bad_values_and_settings_are_typed_errors() {
    let c = Config::default();
    assert!(matches!(
        detect(&[1.0, f64::NAN, 1.0], &c),
        Err(ChangePointError::NonFinite { index: 1, .. })
    ));
    assert!(matches!(
        detect(&[1.0, 2.0, f64::INFINITY], &c),
        Err(ChangePointError::NonFinite { index: 2, .. })
    ));
    assert_eq!(
        detect(&[1.0, 0.0], &c),
        Err(ChangePointError::NotPositive {
            index: 1,
            value: 0.0
        })
    );
    assert!(matches!(
        detect(&vec![1.0; MAX_POINTS + 1], &c),
        Err(ChangePointError::TooManyPoints { .. })
    ));
    for bad in [
        Config {
            max_pvalue: 0.0,
            ..c
        },
        Config {
            max_pvalue: f64::NAN,
            ..c
        },
        Config {
            min_magnitude: -0.1,
            ..c
        },
        Config {
            min_segment: 1,
            ..c
        },
    ] {
        assert!(matches!(
            detect(&[1.0; 10], &bad),
            Err(ChangePointError::InvalidParameter { .. })
        ));
    }
}

#[test]
fn trend_change_points_name_the_first_run_at_the_new_level() {
    let values = series(20, 0.01, 1, |i| if i < 12 { 5.0 } else { 6.0 });
    let points: Vec<TrendPoint> = values
        .iter()
        .enumerate()
        .map(|(i, &value)| TrendPoint {
            run_id: format!("run{i:02}"),
            started: format!("2026-01-{:02}T00:00:00.000Z", i + 1),
            value,
        })
        .collect();
    let found = detect_trend(&points, &Config::default()).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].run_id, "run12");
    assert_eq!(found[0].change.index, 12);
}
