//! The measurement protocol on a fake inference and fake meters: energy per
//! rep and phase, idle power and energy above it, latency and counter
//! summaries, and reasons instead of zeros when something is missing.

mod protocol_fakes;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use edgebench_targets::meters::{Meter, NoneMeter};
use edgebench_targets::protocol::{CounterSource, Measurement, assemble, measure};
use protocol_fakes::*;

/// The fake device and its instruction count, shared by the fake
/// inference, meter and counters.
struct Rig {
    power: PowerLog,
    instructions: Arc<Mutex<u64>>,
}

impl Rig {
    fn new() -> Self {
        Rig {
            power: PowerLog::new(),
            instructions: Arc::new(Mutex::new(0)),
        }
    }

    /// A meter reading the fake device exactly.
    fn exact_meter(&self, fail_marks: bool) -> ExactMeter {
        ExactMeter {
            power: self.power.clone(),
            fail_marks,
        }
    }

    /// [`measure`] of the fake inference with the shared policy.
    fn measure<C: CounterSource>(
        &self,
        meter: &mut dyn Meter,
        counters: Option<&C>,
        idle: Duration,
    ) -> Measurement {
        let mut fake = inference(&self.power, &self.instructions);
        measure(&mut fake, &policy(), meter, counters, idle, &mut |_| {}).unwrap()
    }
}

#[test]
fn energy_per_rep_phase_and_above_idle_from_a_known_power() {
    let rig = Rig::new();
    let mut meter = rig.exact_meter(false);
    let counters = FakeCounters(Arc::clone(&rig.instructions));
    let m: Measurement = rig.measure(&mut meter, Some(&counters), Duration::from_millis(30));
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
    let rig = Rig::new();
    let mut meter = NoneMeter::new("no meter configured");
    let m = rig.measure(&mut meter, Some(&AbsentCounters), Duration::from_millis(5));
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
    let m = rig.measure(&mut meter, None::<&AbsentCounters>, Duration::ZERO);
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
    let rig = Rig::new();
    let mut meter = rig.exact_meter(true);
    let m = rig.measure(
        &mut meter,
        None::<&AbsentCounters>,
        Duration::from_millis(5),
    );
    assert!(m.idle.is_none());
    let a = assemble(&m, &options());
    let reason = a.energy.reason.unwrap();
    assert!(
        reason.contains("meter mark failed: invalid meter configuration"),
        "{reason}"
    );
    assert!(a.energy.energy_j.is_none());

    // Energy measured but no idle window: no energy above idle, and why.
    let mut meter = rig.exact_meter(false);
    let m = rig.measure(&mut meter, None::<&AbsentCounters>, Duration::ZERO);
    let a = assemble(&m, &options());
    assert!(a.energy.energy_j.is_some() && a.energy.energy_above_idle_j.is_none());
    assert_eq!(
        a.energy.reason.as_deref(),
        Some("no idle window (idle_seconds is 0)")
    );
}
