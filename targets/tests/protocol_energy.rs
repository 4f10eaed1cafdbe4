//! The measurement protocol on a fake inference and fake meters: energy per
//! rep and phase, idle power and energy above it, latency and counter
//! summaries, and reasons instead of zeros when something is missing.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use edgebench_targets::counters::{Counter, CounterUnavailable, HwCounters, UnavailableKind};
use edgebench_targets::meters::{
    Mark, Meter, MeterError, MeterKind, NoneMeter, PowerSource, SampledMeter, SamplerConfig,
    WindowEnergy,
};
use edgebench_targets::protocol::{
    AssembleOptions, CounterSource, Inference, Measurement, RepPolicy, SampleAccounting, assemble,
    measure,
};

const IDLE_W: f64 = 0.5;
const BUSY_W: f64 = 2.0;

/// Power of the fake device over time: each entry holds from its instant
/// until the next.
#[derive(Clone)]
struct PowerLog(Arc<Mutex<Vec<(Instant, f64)>>>);

impl PowerLog {
    fn new() -> Self {
        PowerLog(Arc::new(Mutex::new(vec![(Instant::now(), IDLE_W)])))
    }

    fn set(&self, watts: f64) {
        let mut log = self.0.lock().unwrap();
        if log.last().map(|e| e.1) != Some(watts) {
            log.push((Instant::now(), watts));
        }
    }

    fn now_w(&self) -> f64 {
        self.0.lock().unwrap().last().map_or(IDLE_W, |e| e.1)
    }

    /// Exact energy between `a` and `b`.
    fn energy(&self, a: Instant, b: Instant) -> f64 {
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
struct FakeInference {
    power: PowerLog,
    instructions: Arc<Mutex<u64>>,
    prefill: Duration,
    step: Duration,
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
struct ExactMeter {
    power: PowerLog,
    fail_marks: bool,
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
struct FakeCounters(Arc<Mutex<u64>>);

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
struct AbsentCounters;

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

fn policy() -> RepPolicy {
    RepPolicy {
        warmup: 1,
        min_reps: 3,
        min_time: Duration::ZERO,
        max_reps: 10,
        gen_tokens: 5,
    }
}

fn inference(power: &PowerLog, instructions: &Arc<Mutex<u64>>) -> FakeInference {
    FakeInference {
        power: power.clone(),
        instructions: Arc::clone(instructions),
        prefill: Duration::from_millis(3),
        step: Duration::from_millis(1),
    }
}

fn options() -> AssembleOptions {
    AssembleOptions {
        prompt_tokens: 16,
        bootstrap_seed: 42,
        sample_hz: Some(1000.0),
        counters_off_reason: "counters off in this test".into(),
    }
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

#[test]
fn energy_per_rep_phase_and_above_idle_from_a_known_power() {
    let power = PowerLog::new();
    let instructions = Arc::new(Mutex::new(0));
    let mut meter = ExactMeter {
        power: power.clone(),
        fail_marks: false,
    };
    let counters = FakeCounters(Arc::clone(&instructions));
    let m: Measurement = measure(
        &mut inference(&power, &instructions),
        &policy(),
        &mut meter,
        Some(&counters),
        Duration::from_millis(30),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(m.reps.len(), 3);
    let idle = m.idle.as_ref().unwrap();
    assert!(close(idle.avg_power_w.unwrap(), IDLE_W, 1e-9), "{idle:?}");

    for r in &m.reps {
        // The meter's window runs from mark to mark, a few microseconds
        // inside the rep's timing.
        let d = r.total.duration_s;
        assert!(d > 0.0 && d <= r.timing.e2e().as_secs_f64() + 1e-3);
        assert!(close(r.total.energy_j.unwrap(), BUSY_W * d, 1e-9));
        let phases = r.prefill.energy_j.unwrap() + r.decode.energy_j.unwrap();
        assert!(close(phases, r.total.energy_j.unwrap(), 1e-9));
    }

    let a = assemble(&m, &options());
    let e = &a.energy;
    assert_eq!((e.meter.as_str(), e.reason.as_deref()), ("hwmon", None));
    assert_eq!(e.sample_hz, Some(1000.0));
    assert!(close(e.idle_power_w.unwrap(), IDLE_W, 1e-9));
    let expect = |f: &dyn Fn(&edgebench_targets::protocol::MeasuredRep) -> f64| {
        let mut v: Vec<f64> = m.reps.iter().map(f).collect();
        v.sort_by(f64::total_cmp);
        v[1]
    };
    let median = |s: &Option<edgebench_schema::Summary>| s.as_ref().unwrap().median;
    let secs = |r: &edgebench_targets::protocol::MeasuredRep| r.total.duration_s;
    assert!(close(
        median(&e.energy_j),
        expect(&|r| BUSY_W * secs(r)),
        1e-9
    ));
    assert!(close(
        median(&e.energy_above_idle_j),
        expect(&|r| (BUSY_W - IDLE_W) * secs(r)),
        1e-9
    ));
    assert!(close(
        median(&e.decode_mj_per_token),
        expect(&|r| BUSY_W * r.decode.duration_s * 1e3 / 4.0),
        1e-6
    ));
    assert!(close(median(&e.avg_power_w), BUSY_W, 1e-9));
    assert_eq!(e.energy_j.as_ref().unwrap().bootstrap_seed, 42);

    for (sample, r) in a.reps.iter().zip(&m.reps) {
        assert_eq!(sample.energy_j, r.total.energy_j);
        assert_eq!(sample.prefill_energy_j, r.prefill.energy_j);
        assert_eq!(sample.decode_energy_j, r.decode.energy_j);
        assert_eq!(sample.token_ms.len(), 4);
        assert!(close(sample.prefill_tps, 16.0 / sample.ttft_s, 1e-6));
        // 100 for the prefill and 10 per decode step, counted per rep.
        assert_eq!(
            (sample.instructions, sample.cycles, sample.cache_misses),
            (Some(140), Some(280), None)
        );
    }
    let lat = a.latency.as_ref().unwrap();
    assert_eq!((lat.ttft_s.n, lat.token_ms.n), (3, 12));

    let c = &a.counters;
    assert_eq!(c.instructions.as_ref().unwrap().median, 140.0);
    assert_eq!(c.cycles.as_ref().unwrap().median, 280.0);
    assert!(c.cache_misses.is_none());
    let reason = c.reason.as_deref().unwrap();
    assert!(
        reason.starts_with("not permitted: cache-misses"),
        "{reason}"
    );
    assert_eq!(a.samples.problem(), None);
}

#[test]
fn no_meter_and_absent_counters_give_reasons_not_zeros() {
    let power = PowerLog::new();
    let instructions = Arc::new(Mutex::new(0));
    let mut meter = NoneMeter::new("no meter configured");
    let m = measure(
        &mut inference(&power, &instructions),
        &policy(),
        &mut meter,
        Some(&AbsentCounters),
        Duration::from_millis(5),
        &mut |_| {},
    )
    .unwrap();
    let a = assemble(&m, &options());
    let e = &a.energy;
    assert_eq!(e.meter, "none");
    assert_eq!(e.reason.as_deref(), Some("no meter configured"));
    assert_eq!(e.idle_power_w, None);
    for s in [
        &e.energy_j,
        &e.energy_above_idle_j,
        &e.decode_mj_per_token,
        &e.prefill_energy_j,
        &e.avg_power_w,
    ] {
        assert!(s.is_none());
    }
    assert!(a.reps.iter().all(|r| r.energy_j.is_none()
        && r.prefill_energy_j.is_none()
        && r.decode_energy_j.is_none()));
    assert!(a.latency.is_some());

    let c = &a.counters;
    assert!(c.instructions.is_none() && c.cycles.is_none() && c.cache_misses.is_none());
    let reason = c.reason.as_deref().unwrap();
    assert!(
        reason.starts_with("not supported: instructions, cycles, cache-misses"),
        "{reason}"
    );

    // Counters not read at all: the caller's reason.
    let m = measure(
        &mut inference(&power, &instructions),
        &policy(),
        &mut meter,
        None::<&AbsentCounters>,
        Duration::ZERO,
        &mut |_| {},
    )
    .unwrap();
    let a = assemble(&m, &options());
    assert_eq!(
        a.counters.reason.as_deref(),
        Some("counters off in this test")
    );
    assert_eq!(
        a.energy.reason.as_deref(),
        Some("no meter configured"),
        "the idle note adds nothing when there is no energy at all"
    );
}

#[test]
fn failing_marks_and_a_missing_idle_window_are_explained() {
    let power = PowerLog::new();
    let instructions = Arc::new(Mutex::new(0));
    let mut meter = ExactMeter {
        power: power.clone(),
        fail_marks: true,
    };
    let m = measure(
        &mut inference(&power, &instructions),
        &policy(),
        &mut meter,
        None::<&AbsentCounters>,
        Duration::from_millis(5),
        &mut |_| {},
    )
    .unwrap();
    assert!(m.idle.is_none());
    let a = assemble(&m, &options());
    let reason = a.energy.reason.unwrap();
    assert!(
        reason.contains("meter mark failed: invalid meter configuration"),
        "{reason}"
    );
    assert!(a.energy.energy_j.is_none());

    // Energy measured but no idle window: no energy above idle, and why.
    let mut meter = ExactMeter {
        power: power.clone(),
        fail_marks: false,
    };
    let m = measure(
        &mut inference(&power, &instructions),
        &policy(),
        &mut meter,
        None::<&AbsentCounters>,
        Duration::ZERO,
        &mut |_| {},
    )
    .unwrap();
    let a = assemble(&m, &options());
    assert!(a.energy.energy_j.is_some() && a.energy.energy_above_idle_j.is_none());
    assert_eq!(
        a.energy.reason.as_deref(),
        Some("no idle window (idle_seconds is 0)")
    );
}

/// Reads the fake device's power now.
struct LogSource(PowerLog);

impl PowerSource for LogSource {
    fn read_power_w(&mut self) -> Result<f64, String> {
        Ok(self.0.now_w())
    }
    fn describe(&self) -> String {
        "fake rail".into()
    }
}

#[test]
fn a_sampled_meter_integrates_within_what_its_samples_allow() {
    let power = PowerLog::new();
    let instructions = Arc::new(Mutex::new(0));
    let config = SamplerConfig {
        rate_hz: 1000,
        ..SamplerConfig::default()
    };
    let mut meter =
        SampledMeter::new(MeterKind::Hwmon, Box::new(LogSource(power.clone())), config).unwrap();
    meter.start().unwrap();
    let mut fake = inference(&power, &instructions);
    fake.prefill = Duration::from_millis(15);
    fake.step = Duration::from_millis(3);
    let m = measure(
        &mut fake,
        &policy(),
        &mut meter,
        None::<&AbsentCounters>,
        Duration::from_millis(100),
        &mut |_| {},
    )
    .unwrap();
    let samples = meter.samples();
    meter.stop().unwrap();
    // The power steps once (idle to busy, at the warm-up); a window edge or
    // step between two samples is off by at most the step times the gap.
    let gap = samples
        .windows(2)
        .map(|w| (w[1].at - w[0].at).as_secs_f64())
        .fold(0.0, f64::max);
    let tol = 2.0 * (BUSY_W - IDLE_W) * gap;
    let idle = m.idle.as_ref().unwrap();
    let idle_tol = tol / idle.duration_s;
    assert!(
        close(idle.avg_power_w.unwrap(), IDLE_W, idle_tol),
        "{idle:?} ± {idle_tol}"
    );
    for r in &m.reps {
        let exact = BUSY_W * r.total.duration_s;
        let got = r.total.energy_j.unwrap();
        assert!(close(got, exact, tol), "{got} J vs {exact} J ± {tol}");
        assert!(r.total.samples >= 2);
    }
    let a = assemble(&m, &options());
    let idle_w = a.energy.idle_power_w.unwrap();
    for (r, above) in m.reps.iter().zip(
        m.reps
            .iter()
            .map(|r| r.total.energy_j.unwrap() - idle_w * r.total.duration_s),
    ) {
        assert!(close(
            above,
            (BUSY_W - IDLE_W) * r.total.duration_s,
            2.0 * tol
        ));
    }
    assert!(a.samples.valid > 0);
}

#[test]
fn lost_and_late_samples_past_the_threshold_are_a_problem() {
    let ok = SampleAccounting {
        valid: 1000,
        late: 10,
        dropped: 5,
        errors: 5,
    };
    assert_eq!(ok.problem(), None);
    let lost = SampleAccounting { dropped: 15, ..ok };
    assert!(lost.problem().unwrap().contains("lost 20 of 1020 samples"));
    let late = SampleAccounting { late: 80, ..ok };
    assert!(late.problem().unwrap().contains("80 of 1010 samples late"));
    assert_eq!(SampleAccounting::default().problem(), None);
}
