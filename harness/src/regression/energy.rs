//! The energy-statistic divergence of Matteson & James (2014), α = 1, and
//! the split of a series that maximizes it: the candidate step of
//! E-divisive means.
//!
//! For `X = x[0..τ]` (n values) and `Y = x[τ..κ]` (m values):
//!
//! ```text
//! Q(τ, κ) = 2/(n+m) · Σ|Xi − Yj|
//!         − 2m/((n+m)(n−1)) · Σ_{i<k} |Xi − Xk|
//!         − 2n/((n+m)(m−1)) · Σ_{j<k} |Yj − Yk|
//! ```
//!
//! which is `nm/(n+m)` times the energy distance between the samples. As in
//! Apache Otava, the candidate maximizes `Q` over both `τ` and the end `κ`
//! of the right-hand sample, so that a second step further on does not hide
//! the first. All sums are kept incrementally: O(len²) time, O(len)
//! memory.

/// The best split of a series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Split {
    /// The first index of the right-hand segment.
    pub tau: usize,
    /// The end (exclusive) of the right-hand sample that maximized `Q`.
    pub kappa: usize,
    /// `Q(tau, kappa)`.
    pub q: f64,
}

/// The split of `x` maximizing `Q(τ, κ)` with at least `min_segment`
/// values on each side of `τ` (and in `τ..κ`); `None` when `x` is shorter
/// than `2 · min_segment` or `min_segment < 2`. The first of equal maxima
/// wins, so the result is deterministic.
pub fn best_split(x: &[f64], min_segment: usize) -> Option<Split> {
    let len = x.len();
    if min_segment < 2 || len < 2 * min_segment {
        return None;
    }
    // within_left[τ] = Σ_{i<k<τ} |xi − xk|.
    let mut within_left = vec![0.0; len + 1];
    for tau in 1..len {
        let add: f64 = x[..tau].iter().map(|v| (v - x[tau]).abs()).sum();
        within_left[tau + 1] = within_left[tau] + add;
    }
    // For the current κ: between[τ] = Σ_{i<τ≤j<κ} |xi − xj| and
    // within_right[τ] = Σ_{τ≤j<k<κ} |xj − xk|.
    let mut between = vec![0.0; len + 1];
    let mut within_right = vec![0.0; len + 1];
    let mut prefix = vec![0.0; len + 1];
    let mut best: Option<Split> = None;
    for p in 0..len {
        // Point p joins the right-hand sample: κ becomes p + 1.
        prefix[0] = 0.0;
        for i in 0..p {
            prefix[i + 1] = prefix[i] + (x[i] - x[p]).abs();
        }
        let to_all = prefix[p];
        for tau in 1..=p {
            between[tau] += prefix[tau];
            within_right[tau] += to_all - prefix[tau];
        }
        let kappa = p + 1;
        if kappa < 2 * min_segment {
            continue;
        }
        for tau in min_segment..=kappa - min_segment {
            let n = tau as f64;
            let m = (kappa - tau) as f64;
            let q = 2.0 / (n + m) * between[tau]
                - 2.0 * m / ((n + m) * (n - 1.0)) * within_left[tau]
                - 2.0 * n / ((n + m) * (m - 1.0)) * within_right[tau];
            if best.is_none_or(|b| q > b.q) {
                best = Some(Split { tau, kappa, q });
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Q(τ, κ) from its definition.
    fn q_direct(x: &[f64], tau: usize, kappa: usize) -> f64 {
        let (l, r) = (&x[..tau], &x[tau..kappa]);
        let (n, m) = (l.len() as f64, r.len() as f64);
        let mut between = 0.0;
        for a in l {
            for b in r {
                between += (a - b).abs();
            }
        }
        let within = |s: &[f64]| {
            let mut w = 0.0;
            for i in 0..s.len() {
                for k in i + 1..s.len() {
                    w += (s[i] - s[k]).abs();
                }
            }
            w
        };
        2.0 / (n + m) * between
            - 2.0 * m / ((n + m) * (n - 1.0)) * within(l)
            - 2.0 * n / ((n + m) * (m - 1.0)) * within(r)
    }

    #[test]
    fn incremental_sums_match_the_definition() {
        let x: Vec<f64> = (0..23)
            .map(|i| ((i * 7919 % 31) as f64).sin() + if i > 14 { 2.0 } else { 0.0 })
            .collect();
        let got = best_split(&x, 3).unwrap();
        let mut want = None::<Split>;
        for kappa in 6..=x.len() {
            for tau in 3..=kappa - 3 {
                let q = q_direct(&x, tau, kappa);
                if want.is_none_or(|w| q > w.q) {
                    want = Some(Split { tau, kappa, q });
                }
            }
        }
        let want = want.unwrap();
        assert_eq!((got.tau, got.kappa), (want.tau, want.kappa));
        assert!((got.q - want.q).abs() < 1e-9 * want.q.abs().max(1.0));
        assert!(got.tau.abs_diff(15) <= 1, "{got:?}");
    }

    #[test]
    fn too_short_or_bad_segment_gives_none() {
        assert_eq!(best_split(&[1.0; 5], 3), None);
        assert_eq!(best_split(&[1.0; 10], 1), None);
        assert!(best_split(&[1.0; 6], 3).is_some());
    }
}
