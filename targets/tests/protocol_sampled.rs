//! The protocol with a real sampled meter on a fake rail whose power steps,
//! and the accounting of lost and late samples.

mod protocol_fakes;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use edgebench_targets::meters::{Meter, MeterKind, SampledMeter, SamplerConfig};
use edgebench_targets::protocol::{SampleAccounting, assemble, measure};
use protocol_fakes::*;

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
