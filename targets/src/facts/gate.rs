//! Waiting for the temperature to settle before measuring.

use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// Time source for [`ThermalGate::wait`], so the logic runs on a fake
/// clock in tests.
pub trait Clock {
    /// Time since an arbitrary origin.
    fn now(&self) -> Duration;
    /// Waits for `d`.
    fn sleep(&mut self, d: Duration);
}

/// The real clock.
#[derive(Clone, Copy, Debug)]
pub struct SystemClock(Instant);

impl Default for SystemClock {
    fn default() -> Self {
        SystemClock(Instant::now())
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        self.0.elapsed()
    }
    fn sleep(&mut self, d: Duration) {
        std::thread::sleep(d);
    }
}

/// Wait until the temperature changes by less than `max_change_c` over
/// `window`, for at most `limit`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThermalGate {
    /// Largest spread (max − min) over the window that counts as settled.
    pub max_change_c: f64,
    /// The window the spread is taken over.
    pub window: Duration,
    /// Give up after this long.
    pub limit: Duration,
    /// Time between readings.
    pub poll: Duration,
}

impl Default for ThermalGate {
    fn default() -> Self {
        ThermalGate {
            max_change_c: 1.0,
            window: Duration::from_secs(10),
            limit: Duration::from_secs(120),
            poll: Duration::from_secs(1),
        }
    }
}

/// What happened while waiting.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GateOutcome {
    /// The temperature settled before the limit.
    pub settled: bool,
    /// Time spent waiting, in seconds.
    pub waited_s: f64,
    /// First reading, in °C.
    pub start_temp_c: Option<f64>,
    /// Last reading, in °C.
    pub end_temp_c: Option<f64>,
    /// Spread over the last full window, in °C.
    pub spread_c: Option<f64>,
    /// A sentence for the report.
    pub reason: String,
}

impl ThermalGate {
    /// Polls `read_c` (°C, `None` when unreadable) until settled or the
    /// limit; never fails.
    pub fn wait(
        &self,
        clock: &mut dyn Clock,
        read_c: &mut dyn FnMut() -> Option<f64>,
    ) -> GateOutcome {
        let start = clock.now();
        let poll = self.poll.max(Duration::from_millis(1));
        let mut history: Vec<(Duration, f64)> = Vec::new();
        let mut spread = None;
        let mut first = None;
        loop {
            let now = clock.now() - start;
            if let Some(t) = read_c() {
                first = first.or(Some(t));
                history.push((now, t));
            }
            // Keep readings within the window, plus the one just before it to
            // know the window is covered.
            let cut = history.partition_point(|(at, _)| *at + self.window < now);
            history.drain(..cut.saturating_sub(1));
            let covered = history
                .first()
                .is_some_and(|(at, _)| now - *at >= self.window);
            if covered {
                let (lo, hi) = history
                    .iter()
                    .filter(|(at, _)| *at + self.window >= now)
                    .fold((f64::MAX, f64::MIN), |(lo, hi), (_, t)| {
                        (lo.min(*t), hi.max(*t))
                    });
                spread = Some(hi - lo);
                if hi - lo < self.max_change_c {
                    return self.outcome(true, now, first, &history, spread);
                }
            }
            if now >= self.limit {
                return self.outcome(false, now, first, &history, spread);
            }
            clock.sleep(poll.min(self.limit - now));
        }
    }

    fn outcome(
        &self,
        settled: bool,
        now: Duration,
        first: Option<f64>,
        history: &[(Duration, f64)],
        spread: Option<f64>,
    ) -> GateOutcome {
        let reason = match (settled, spread, history.is_empty()) {
            (_, _, true) => "no temperature reading".to_owned(),
            (true, Some(s), _) => format!(
                "settled: {s:.2} °C spread over {:.0} s",
                self.window.as_secs_f64()
            ),
            (false, Some(s), _) => format!(
                "not settled after {:.0} s: {s:.2} °C spread over the last {:.0} s (limit {:.2} °C)",
                now.as_secs_f64(),
                self.window.as_secs_f64(),
                self.max_change_c
            ),
            (_, None, _) => format!(
                "gave up after {:.0} s before a full window",
                now.as_secs_f64()
            ),
        };
        GateOutcome {
            settled,
            waited_s: now.as_secs_f64(),
            start_temp_c: first,
            end_temp_c: history.last().map(|(_, t)| *t),
            spread_c: spread,
            reason,
        }
    }
}
