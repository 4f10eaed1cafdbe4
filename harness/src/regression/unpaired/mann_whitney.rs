//! The Mann–Whitney U test (Wilcoxon rank-sum) of two independent samples,
//! two-sided, by the normal approximation with tie and continuity
//! corrections.
//!
//! Independent samples are exactly what two runs of different sessions
//! are not: every rep of a run shares that session's shift (thermal
//! state, background load, clocks), so the test treats a shift between
//! sessions as a difference between the artifacts. Its p-value ignores
//! that shift and overstates significance; it says whether two runs'
//! reps overlap, never whether something regressed.

use crate::regression::error::RegressionError;

/// The outcome of [`mann_whitney`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannWhitney {
    /// Values in the first sample.
    pub n_a: usize,
    /// Values in the second sample.
    pub n_b: usize,
    /// U of the first sample: the pairs (a, b) with a > b, ties counted
    /// one half; between 0 and `n_a · n_b`.
    pub u: f64,
    /// The standardized U, continuity-corrected, signed as `u − n_a·n_b/2`
    /// (positive when the first sample tends to be larger); 0 when every
    /// value is tied.
    pub z: f64,
    /// The two-sided p-value of the normal approximation, in (0, 1]. It
    /// assumes the two samples are independent: for reps of two sessions,
    /// it ignores the session-to-session shift and overstates
    /// significance.
    pub p_two_sided: f64,
}

/// The two-sided Mann–Whitney U test of samples `a` and `b`, by the normal
/// approximation with the tie-corrected variance
/// `n_a·n_b/12 · (N + 1 − Σ(t³ − t)/(N(N − 1)))` (t over groups of tied
/// values, `N = n_a + n_b`) and a continuity correction of 1/2.
///
/// The p-value treats the two samples as independent draws. Reps of two
/// runs measured in different sessions are not: the p-value ignores the
/// session-to-session shift and so overstates significance. It is
/// approximate for small samples (at 3 reps a side the smallest p it can
/// give is about 0.08).
///
/// # Errors
/// [`RegressionError::EmptySample`] when either sample is empty,
/// [`RegressionError::NonFiniteSample`] for a NaN or infinite value.
pub fn mann_whitney(a: &[f64], b: &[f64]) -> Result<MannWhitney, RegressionError> {
    for (sample, values) in [("first", a), ("second", b)] {
        if values.is_empty() {
            return Err(RegressionError::EmptySample { sample });
        }
        if let Some((index, &value)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(RegressionError::NonFiniteSample {
                sample,
                index,
                value,
            });
        }
    }
    let (n_a, n_b) = (a.len(), b.len());
    let mut pooled: Vec<(f64, bool)> = a
        .iter()
        .map(|&v| (v, true))
        .chain(b.iter().map(|&v| (v, false)))
        .collect();
    pooled.sort_by(|x, y| x.0.total_cmp(&y.0));
    let n = pooled.len();
    let (mut rank_sum_a, mut ties) = (0.0, 0.0);
    let mut start = 0;
    while start < n {
        let end = start + pooled[start..].partition_point(|p| p.0 == pooled[start].0);
        // Positions start..end (0-based) share the mid-rank.
        let t = (end - start) as f64;
        let mid_rank = (start + 1 + end) as f64 / 2.0;
        let in_a = pooled[start..end].iter().filter(|p| p.1).count() as f64;
        rank_sum_a += in_a * mid_rank;
        ties += t * t * t - t;
        start = end;
    }
    let (na, nb, nf) = (n_a as f64, n_b as f64, n as f64);
    let u = rank_sum_a - na * (na + 1.0) / 2.0;
    let mean = na * nb / 2.0;
    let tie_term = if n > 1 { ties / (nf * (nf - 1.0)) } else { 0.0 };
    let variance = na * nb / 12.0 * (nf + 1.0 - tie_term);
    let (z, p) = if variance > 0.0 {
        let distance = ((u - mean).abs() - 0.5).max(0.0);
        let z = (distance / variance.sqrt()).copysign(u - mean);
        (z, erfc(z.abs() / std::f64::consts::SQRT_2).min(1.0))
    } else {
        (0.0, 1.0)
    };
    Ok(MannWhitney {
        n_a,
        n_b,
        u,
        z,
        p_two_sided: p,
    })
}

/// The complementary error function, relative error below 1.2e-7 (the
/// Chebyshev fit of Numerical Recipes' `erfcc`).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(x: f64, want: f64, tol: f64) {
        assert!((x - want).abs() <= tol, "{x} vs {want}");
    }

    #[test]
    fn separated_samples_by_hand() {
        // U = 0; mean 4.5; variance 3·3·7/12 = 5.25;
        // z = (4.5 − 0.5)/√5.25 = 1.745743; p = erfc(z/√2) = 0.0808556.
        let m = mann_whitney(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]).unwrap();
        assert_eq!((m.n_a, m.n_b), (3, 3));
        close(m.u, 0.0, 0.0);
        close(m.z, -1.745_743_1, 1e-6);
        close(m.p_two_sided, 0.080_855_6, 1e-6);
        // Symmetric: swapping the samples mirrors U and z, keeps p.
        let s = mann_whitney(&[4.0, 5.0, 6.0], &[1.0, 2.0, 3.0]).unwrap();
        close(s.u, 9.0, 0.0);
        close(s.z, 1.745_743_1, 1e-6);
        close(s.p_two_sided, m.p_two_sided, 1e-15);
    }

    #[test]
    fn ties_by_hand() {
        // Pooled: 1a 2a 2a 2b 3a 3b 4b 5b; mid-ranks 1, 3, 3, 3, 5.5, 5.5,
        // 7, 8. R_a = 1 + 3 + 3 + 5.5 = 12.5, U = 12.5 − 10 = 2.5.
        // Ties: 3³−3 + 2³−2 = 30; variance = 16/12 · (9 − 30/56) = 11.285714;
        // z = (8 − 2.5 − 0.5)/√11.285714 = 1.488351; p = 0.1366582.
        let m = mann_whitney(&[1.0, 2.0, 2.0, 3.0], &[2.0, 3.0, 4.0, 5.0]).unwrap();
        close(m.u, 2.5, 1e-12);
        close(m.z, -1.488_351_4, 1e-6);
        close(m.p_two_sided, 0.136_658_2, 1e-6);
    }

    #[test]
    fn identical_and_tiny_samples_give_one() {
        let m = mann_whitney(&[2.0, 2.0], &[2.0, 2.0, 2.0]).unwrap();
        assert_eq!((m.u, m.z, m.p_two_sided), (3.0, 0.0, 1.0));
        let m = mann_whitney(&[1.0], &[2.0]).unwrap();
        assert_eq!(m.p_two_sided, 1.0);
    }

    #[test]
    fn bad_input_is_an_error() {
        assert_eq!(
            mann_whitney(&[], &[1.0]),
            Err(RegressionError::EmptySample { sample: "first" })
        );
        assert!(matches!(
            mann_whitney(&[1.0], &[2.0, f64::NAN]),
            Err(RegressionError::NonFiniteSample {
                sample: "second",
                index: 1,
                ..
            })
        ));
    }

    #[test]
    fn erfc_matches_known_values() {
        close(erfc(0.0), 1.0, 1e-7);
        close(erfc(1.0), 0.157_299_207, 1e-7);
        close(erfc(-1.0), 1.842_700_793, 1e-7);
        close(erfc(3.0), 2.209_049_7e-5, 1e-11);
    }
}
