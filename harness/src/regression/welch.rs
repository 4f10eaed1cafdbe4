//! Welch's two-sample t-test (unequal variances), two-sided, with the
//! Student t distribution computed from the regularized incomplete beta
//! function. Deterministic: the significance test of
//! [`change_points`](super::change_points).

/// The outcome of Welch's t-test between two samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WelchTest {
    /// The t statistic, `(mean(right) − mean(left)) / standard error`.
    pub t: f64,
    /// Welch–Satterthwaite degrees of freedom.
    pub df: f64,
    /// The two-sided p-value.
    pub p_value: f64,
}

/// Welch's two-sided t-test of `left` against `right`; `None` unless each
/// has at least 2 values. Values must be finite (the caller checks).
///
/// Two samples without any spread give p = 1 when their means are equal
/// and p = 0 when they differ.
pub fn welch(left: &[f64], right: &[f64]) -> Option<WelchTest> {
    if left.len() < 2 || right.len() < 2 {
        return None;
    }
    let (m1, v1) = mean_var(left);
    let (m2, v2) = mean_var(right);
    let (s1, s2) = (v1 / left.len() as f64, v2 / right.len() as f64);
    let se2 = s1 + s2;
    let diff = m2 - m1;
    if se2 == 0.0 {
        let p_value = if diff == 0.0 { 1.0 } else { 0.0 };
        let t = if diff == 0.0 {
            0.0
        } else {
            f64::INFINITY.copysign(diff)
        };
        let df = (left.len() + right.len() - 2) as f64;
        return Some(WelchTest { t, df, p_value });
    }
    let t = diff / se2.sqrt();
    let df = se2 * se2 / (s1 * s1 / (left.len() - 1) as f64 + s2 * s2 / (right.len() - 1) as f64);
    Some(WelchTest {
        t,
        df,
        p_value: student_t_two_sided(t, df),
    })
}

/// The mean and the unbiased variance (n − 1) of `x` (at least 2 values).
fn mean_var(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let ss: f64 = x.iter().map(|v| (v - mean) * (v - mean)).sum();
    (mean, ss / (n - 1.0))
}

/// P(|T| ≥ |t|) for Student's t with `df` degrees of freedom:
/// `I_{df/(df+t²)}(df/2, 1/2)`.
pub fn student_t_two_sided(t: f64, df: f64) -> f64 {
    if t.is_nan() || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    if t.is_infinite() {
        return 0.0;
    }
    let x = df / (df + t * t);
    regularized_beta(x, df / 2.0, 0.5).clamp(0.0, 1.0)
}

/// The regularized incomplete beta function `I_x(a, b)`, for `a, b > 0`,
/// by its continued fraction (modified Lentz), on the side where it
/// converges fast.
fn regularized_beta(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (-x).ln_1p();
    let front = ln_front.exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_fraction(x, a, b) / a
    } else {
        1.0 - front * beta_fraction(1.0 - x, b, a) / b
    }
}

/// The continued fraction of the incomplete beta function.
fn beta_fraction(x: f64, a: f64, b: f64) -> f64 {
    const MAX_TERMS: usize = 500;
    const EPS: f64 = 1e-15;
    const TINY: f64 = 1e-300;
    let nudge = |v: f64| if v.abs() < TINY { TINY } else { v };
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 / nudge(1.0 - qab * x / qap);
    let mut h = d;
    for m in 1..=MAX_TERMS {
        let m = m as f64;
        let m2 = 2.0 * m;
        let even = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 / nudge(1.0 + even * d);
        c = nudge(1.0 + even / c);
        h *= d * c;
        let odd = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 / nudge(1.0 + odd * d);
        c = nudge(1.0 + odd / c);
        let step = d * c;
        h *= step;
        if (step - 1.0).abs() < EPS {
            break;
        }
    }
    h
}

/// `ln Γ(x)` for `x > 0` (Lanczos, g = 7, relative error ~1e-15).
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const COEF: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Γ(x) = Γ(x + 1) / x, to stay where the series is accurate.
        return ln_gamma(x + 1.0) - x.ln();
    }
    let x = x - 1.0;
    let mut sum = COEF[0];
    for (i, c) in COEF.iter().enumerate().skip(1) {
        sum += c / (x + i as f64);
    }
    let t = x + G + 0.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_gamma_matches_factorials() {
        let mut fact = 1.0_f64;
        for n in 1..20 {
            assert!((ln_gamma(n as f64) - fact.ln()).abs() < 1e-12, "{n}");
            fact *= n as f64;
        }
        let half = std::f64::consts::PI.sqrt().ln();
        assert!((ln_gamma(0.5) - half).abs() < 1e-13);
    }

    #[test]
    fn t_distribution_matches_closed_forms() {
        for t in [0.0, 0.3, 1.0, 2.5, 10.0, 100.0] {
            // df = 1 is the Cauchy distribution, df = 2 has a closed form.
            let cauchy = 1.0 - 2.0 * f64::atan(t) / std::f64::consts::PI;
            let df2 = 1.0 - t / (2.0 + t * t).sqrt();
            assert!((student_t_two_sided(t, 1.0) - cauchy).abs() < 1e-12, "{t}");
            assert!((student_t_two_sided(t, 2.0) - df2).abs() < 1e-12, "{t}");
        }
        // Tabled quantiles: two-sided 5 % at df 10 is 2.228139.
        assert!((student_t_two_sided(2.228_139, 10.0) - 0.05).abs() < 1e-6);
        // Large df tends to the normal: 1.959964 → 5 %.
        assert!((student_t_two_sided(1.959_964, 1e7) - 0.05).abs() < 1e-5);
    }

    #[test]
    fn welch_on_known_samples() {
        let a = [1.0, 2.0, 3.0, 4.0];
        let b = [2.0, 4.0, 6.0, 8.0, 10.0];
        let w = welch(&a, &b).unwrap();
        // By hand: means 2.5 and 6, variances 5/3 and 10.
        let se = (5.0 / 12.0 + 2.0_f64).sqrt();
        assert!((w.t - 3.5 / se).abs() < 1e-12);
        let df = (5.0 / 12.0 + 2.0_f64).powi(2) / ((5.0_f64 / 12.0).powi(2) / 3.0 + 4.0 / 4.0);
        assert!((w.df - df).abs() < 1e-12);
        assert!((w.p_value - student_t_two_sided(w.t, w.df)).abs() < 1e-15);
        // Simpson's rule over the t density gives 0.0691336.
        assert!((w.p_value - 0.069_133_6).abs() < 1e-7, "{}", w.p_value);
    }

    #[test]
    fn degenerate_samples() {
        assert_eq!(welch(&[1.0], &[1.0, 2.0]), None);
        assert_eq!(welch(&[1.0, 1.0], &[1.0, 1.0]).unwrap().p_value, 1.0);
        assert_eq!(welch(&[1.0, 1.0], &[2.0, 2.0]).unwrap().p_value, 0.0);
    }
}
