//! Trapezoid integration of timestamped power samples over a window.

use std::time::Instant;

use super::window::seconds_between;

/// One power sample taken by a sampler.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PowerSample {
    /// When the sample was taken (middle of the read).
    pub at: Instant,
    /// Power in watts; `None` for an error sample (overflow, read failure),
    /// which is not a value and is left out of the integral.
    pub power_w: Option<f64>,
    /// Taken more than half a period after its scheduled time.
    pub late: bool,
    /// Scheduled samples skipped just before this one.
    pub missed_before: u32,
}

impl PowerSample {
    /// A valid, on-time sample.
    pub fn new(at: Instant, power_w: f64) -> Self {
        PowerSample {
            at,
            power_w: Some(power_w),
            late: false,
            missed_before: 0,
        }
    }
}

/// The result of [`integrate`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Integration {
    /// Energy over the window in joules.
    pub energy_j: f64,
    /// Valid samples inside the window.
    pub valid_samples: u64,
    /// Error samples inside the window.
    pub error_samples: u64,
    /// Late samples inside the window.
    pub late_samples: u64,
    /// Skipped samples inside the window.
    pub dropped_samples: u64,
    /// Whether an edge had no sample beyond it and was held at the nearest
    /// sample's value instead of interpolated.
    pub edge_held: bool,
}

/// Integrates `samples` (sorted by time) over `[t0, t1]` with the trapezoid
/// rule.
///
/// Power at `t0` and `t1` is interpolated linearly between the valid samples
/// either side of the edge; when there is none beyond an edge the nearest
/// valid sample's value is held (and `edge_held` is set). Error samples are
/// skipped: the trapezoid bridges their neighbours. Fewer than two valid
/// samples inside the window is an error whose message says so.
pub fn integrate(samples: &[PowerSample], t0: Instant, t1: Instant) -> Result<Integration, String> {
    debug_assert!(samples.windows(2).all(|w| w[0].at <= w[1].at));
    if t1 <= t0 {
        return Err("empty window (end is not after start)".to_owned());
    }
    let duration = seconds_between(t0, t1);
    let inside: Vec<&PowerSample> = samples
        .iter()
        .filter(|s| s.at >= t0 && s.at <= t1)
        .collect();
    let mut out = Integration {
        energy_j: 0.0,
        valid_samples: 0,
        error_samples: 0,
        late_samples: 0,
        dropped_samples: 0,
        edge_held: false,
    };
    // Points (seconds from t0, watts) of the valid samples inside.
    let mut points: Vec<(f64, f64)> = Vec::with_capacity(inside.len() + 2);
    for s in &inside {
        out.late_samples += u64::from(s.late);
        out.dropped_samples += u64::from(s.missed_before);
        match s.power_w {
            Some(p) => points.push((seconds_between(t0, s.at), p)),
            None => out.error_samples += 1,
        }
    }
    out.valid_samples = points.len() as u64;
    if points.len() < 2 {
        return Err(format!(
            "{} valid power sample(s) in the {:.3} ms window, at least 2 are needed",
            points.len(),
            duration * 1e3
        ));
    }
    let before = samples
        .iter()
        .rev()
        .find(|s| s.at < t0 && s.power_w.is_some());
    let after = samples.iter().find(|s| s.at > t1 && s.power_w.is_some());
    let (first, last) = (points[0], points[points.len() - 1]);
    let p0 = match before {
        Some(b) => lerp(
            (seconds_between(t0, b.at), b.power_w.unwrap_or(0.0)),
            first,
            0.0,
        ),
        None => {
            out.edge_held |= first.0 > 0.0;
            first.1
        }
    };
    let p1 = match after {
        Some(a) => lerp(
            last,
            (seconds_between(t0, a.at), a.power_w.unwrap_or(0.0)),
            duration,
        ),
        None => {
            out.edge_held |= last.0 < duration;
            last.1
        }
    };
    points.insert(0, (0.0, p0));
    points.push((duration, p1));
    out.energy_j = points
        .windows(2)
        .map(|w| (w[1].0 - w[0].0) * (w[0].1 + w[1].1) / 2.0)
        .sum();
    Ok(out)
}

/// Linear interpolation between two points at abscissa `x`.
fn lerp(a: (f64, f64), b: (f64, f64), x: f64) -> f64 {
    let dx = b.0 - a.0;
    if dx <= 0.0 {
        return a.1;
    }
    a.1 + (b.1 - a.1) * (x - a.0) / dx
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn trace(base: Instant, rate_hz: f64, n: usize, f: impl Fn(f64) -> f64) -> Vec<PowerSample> {
        (0..n)
            .map(|i| {
                let t = i as f64 / rate_hz;
                PowerSample::new(base + Duration::from_secs_f64(t), f(t))
            })
            .collect()
    }

    fn at(base: Instant, s: f64) -> Instant {
        base + Duration::from_secs_f64(s)
    }

    #[test]
    fn ramp_integral_is_exact_with_interpolated_edges() {
        let base = Instant::now();
        // P(t) = 2 + 3 t, sampled at 100 Hz for 3 s.
        let s = trace(base, 100.0, 301, |t| 2.0 + 3.0 * t);
        // Window [0.505, 2.255] does not fall on samples: edges interpolated.
        let (a, b) = (0.505, 2.255);
        let got = integrate(&s, at(base, a), at(base, b)).unwrap();
        let exact = 2.0 * (b - a) + 1.5 * (b * b - a * a);
        assert!(
            (got.energy_j - exact).abs() < 1e-6,
            "{} vs {exact}",
            got.energy_j
        );
        assert!(!got.edge_held);
        assert_eq!(got.valid_samples, 175);
    }

    #[test]
    fn square_wave_integral() {
        let base = Instant::now();
        // 10 W for 0.5 s, 2 W for 0.5 s, period 1 s, sampled at 1 kHz.
        let s = trace(
            base,
            1000.0,
            4001,
            |t| if t.fract() < 0.5 { 10.0 } else { 2.0 },
        );
        let got = integrate(&s, at(base, 0.0), at(base, 4.0)).unwrap();
        // 4 periods of 6 J; each edge costs one trapezoid of error (4 J·ms).
        assert!((got.energy_j - 24.0).abs() < 0.05, "{}", got.energy_j);
    }

    #[test]
    fn error_samples_are_bridged_and_counted() {
        let base = Instant::now();
        let mut s = trace(base, 10.0, 11, |_| 5.0);
        s[3].power_w = None;
        s[4].late = true;
        s[5].missed_before = 2;
        let got = integrate(&s, at(base, 0.0), at(base, 1.0)).unwrap();
        assert!((got.energy_j - 5.0).abs() < 1e-9);
        assert_eq!((got.valid_samples, got.error_samples), (10, 1));
        assert_eq!((got.late_samples, got.dropped_samples), (1, 2));
    }

    #[test]
    fn fewer_than_two_samples_is_an_error_with_reason() {
        let base = Instant::now();
        let s = trace(base, 10.0, 11, |_| 5.0);
        let err = integrate(&s, at(base, 0.21), at(base, 0.29)).unwrap_err();
        assert!(err.contains("0 valid power sample"), "{err}");
        let err = integrate(&s, at(base, 0.25), at(base, 0.35)).unwrap_err();
        assert!(err.contains("1 valid power sample"), "{err}");
        assert!(integrate(&s, at(base, 0.5), at(base, 0.5)).is_err());
    }

    #[test]
    fn edges_without_outer_samples_are_held() {
        let origin = Instant::now();
        let s = trace(at(origin, 1.0), 10.0, 3, |_| 4.0);
        let got = integrate(&s, at(origin, 0.9), at(origin, 1.3)).unwrap();
        assert!(got.edge_held);
        assert!((got.energy_j - 1.6).abs() < 1e-9);
    }
}
