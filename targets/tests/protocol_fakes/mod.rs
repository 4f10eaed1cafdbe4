//! Fakes for the protocol tests: a device whose power steps from idle to
//! busy, an inference that sleeps, an exact meter, fake counters.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use edgebench_targets::counters::{Counter, CounterUnavailable, HwCounters, UnavailableKind};
use edgebench_targets::meters::{Mark, Meter, MeterError, MeterKind, PowerSource, WindowEnergy};
use edgebench_targets::protocol::{AssembleOptions, CounterSource, Inference, RepPolicy};

/// Watts of the fake device before the first repetition.
pub const IDLE_W: f64 = 0.5;
/// Watts of the fake device from the warm-up on.
pub const BUSY_W: f64 = 2.0;

/// Power of the fake device over time: each entry holds from its instant
/// until the next.
#[derive(Clone)]
pub struct PowerLog(pub Arc<Mutex<Vec<(Instant, f64)>>>);

impl PowerLog {
    pub fn new() -> Self {
        PowerLog(Arc::new(Mutex::new(vec![(Instant::now(), IDLE_W)])))
    }

    pub fn set(&self, watts: f64) {
        let mut log = self.0.lock().unwrap();
        if log.last().map(|e| e.1) != Some(watts) {
            log.push((Instant::now(), watts));
        }
    }

    pub fn now_w(&self) -> f64 {
        self.0.lock().unwrap().last().map_or(IDLE_W, |e| e.1)
    }

    /// Exact energy between `a` and `b`.
    pub fn energy(&self, a: Instant, b: Instant) -> f64 {
        let log = self.0.lock().unwrap();
        let mut e = 0.0;
        for (i, (start, watts)) in log.iter().enumerate() {
            let end = log.get(i + 1).map_or(b, |n| n.0);
            let (lo, hi) = ((*start).max(a), end.min(b));
            if hi > lo {
                e += watts * (hi - lo).as_secs_f64();
            }
        }
        e
    }
}

/// A fake model: busy (2 W) from its first reset on, sleeping to take time,
/// counting "instructions" for the fake counters.
pub struct FakeInference {
    pub power: PowerLog,
    pub instructions: Arc<Mutex<u64>>,
    pub prefill: Duration,
    pub step: Duration,
}

impl Inference for FakeInference {
    type Error = String;
    fn reset(&mut self) {
        self.power.set(BUSY_W);
    }
    fn prefill(&mut self) -> Result<(), String> {
        std::thread::sleep(self.prefill);
        *self.instructions.lock().unwrap() += 100;
        Ok(())
    }
    fn decode(&mut self) -> Result<(), String> {
        std::thread::sleep(self.step);
        *self.instructions.lock().unwrap() += 10;
        Ok(())
    }
}

/// A meter reading the power log exactly, as if sampled at 1 kHz.
pub struct ExactMeter {
    pub power: PowerLog,
    pub fail_marks: bool,
}

impl Meter for ExactMeter {
    fn kind(&self) -> MeterKind {
        MeterKind::Hwmon
    }
    fn description(&self) -> String {
        "exact test meter".into()
    }
    fn start(&mut self) -> Result<(), MeterError> {
        Ok(())
    }
    fn mark(&mut self) -> Result<Mark, MeterError> {
        if self.fail_marks {
            return Err(MeterError::Config("test meter refuses marks".into()));
        }
        Ok(Mark::at(Instant::now()))
    }
    fn window(&self, from: &Mark, to: &Mark) -> WindowEnergy {
        let duration_s = (to.at - from.at).as_secs_f64();
        let energy = self.power.energy(from.at, to.at);
        let mut w = WindowEnergy::unavailable(MeterKind::Hwmon, duration_s, "");
        w.energy_j = Some(energy);
        w.avg_power_w = Some(energy / duration_s);
        w.samples = (duration_s * 1000.0) as u64;
        w.reason = None;
        w
    }
    fn stop(&mut self) -> Result<(), MeterError> {
        Ok(())
    }
}

/// Fake counters: instructions and cycles counted, cache misses not
/// permitted.
pub struct FakeCounters(pub Arc<Mutex<u64>>);

impl CounterSource for FakeCounters {
    type Snapshot = u64;
    fn read(&self) -> u64 {
        *self.0.lock().unwrap()
    }
    fn delta(&self, from: &u64, to: &u64) -> HwCounters {
        HwCounters {
            instructions: Some(to - from),
            cycles: Some(2 * (to - from)),
            cache_misses: None,
            multiplexed: false,
            unavailable: vec![CounterUnavailable {
                counter: Counter::CacheMisses,
                kind: UnavailableKind::NotPermitted,
                errno: Some(13),
                detail: "perf_event_paranoid is 3".into(),
            }],
        }
    }
}

/// Counters absent, as on a machine without a PMU.
pub struct AbsentCounters;

impl CounterSource for AbsentCounters {
    type Snapshot = ();
    fn read(&self) {}
    fn delta(&self, _: &(), _: &()) -> HwCounters {
        HwCounters {
            unavailable: Counter::ALL
                .iter()
                .map(|&counter| CounterUnavailable {
                    counter,
                    kind: UnavailableKind::NotSupported,
                    errno: Some(2),
                    detail: "no PMU in this test".into(),
                })
                .collect(),
            ..HwCounters::default()
        }
    }
}

/// One warm-up, three measured reps, five tokens (four decode steps).
pub fn policy() -> RepPolicy {
    RepPolicy {
        warmup: 1,
        min_reps: 3,
        min_time: Duration::ZERO,
        max_reps: 10,
        gen_tokens: 5,
    }
}

/// A fake inference on `power`: 3 ms prefill, 1 ms decode steps.
pub fn inference(power: &PowerLog, instructions: &Arc<Mutex<u64>>) -> FakeInference {
    FakeInference {
        power: power.clone(),
        instructions: Arc::clone(instructions),
        prefill: Duration::from_millis(3),
        step: Duration::from_millis(1),
    }
}

/// Assembly options with a known seed and prompt length.
pub fn options() -> AssembleOptions {
    AssembleOptions {
        prompt_tokens: 16,
        bootstrap_seed: 42,
        sample_hz: Some(1000.0),
        counters_off_reason: "counters off in this test".into(),
    }
}

/// `a` within `tol` of `b`.
pub fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

/// Reads the fake device's power now.
pub struct LogSource(pub PowerLog);

impl PowerSource for LogSource {
    fn read_power_w(&mut self) -> Result<f64, String> {
        Ok(self.0.now_w())
    }
    fn describe(&self) -> String {
        "fake rail".into()
    }
}
