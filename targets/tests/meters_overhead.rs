//! Sampler overhead: CPU time of the hwmon sampler reading a fixture rail.
//!
//! `cargo test -p edgebench-targets --release --test meters_overhead -- --ignored --nocapture`

#[path = "fixtures/support.rs"]
mod support;

use std::time::{Duration, Instant};

use edgebench_targets::meters::hwmon::{self, HwmonSource};
use edgebench_targets::meters::{Meter, MeterKind, SampledMeter, SamplerConfig};
use support::fixture;

/// User + system CPU time of this process.
fn cpu_time() -> Duration {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a full `rusage` into the pointer it is given,
    // which points to a zeroed, properly aligned value owned by this frame.
    let ret = unsafe { libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) };
    assert_eq!(ret, 0, "getrusage");
    // SAFETY: getrusage succeeded, so the value is initialised.
    let usage = unsafe { usage.assume_init() };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

#[test]
#[ignore = "measures CPU time for about 10 s"]
fn hwmon_sampler_cpu_overhead() {
    for rate_hz in [100, 1000] {
        let rail = hwmon::find_rail(&fixture("jetson-orin"), "VDD_IN").unwrap();
        let source = HwmonSource::open(rail).unwrap();
        let config = SamplerConfig {
            rate_hz,
            ..SamplerConfig::default()
        };
        let mut meter = SampledMeter::new(MeterKind::Hwmon, Box::new(source), config).unwrap();
        let (wall0, cpu0) = (Instant::now(), cpu_time());
        meter.start().unwrap();
        let a = meter.mark().unwrap();
        std::thread::sleep(Duration::from_secs(5));
        let b = meter.mark().unwrap();
        let w = meter.window(&a, &b);
        meter.stop().unwrap();
        let (wall, cpu) = (wall0.elapsed(), cpu_time() - cpu0);
        println!(
            "hwmon ina3221 sampler at {rate_hz} Hz: {:.2} % of one core \
             ({} samples, {} late, {} dropped over {:.2} s)",
            100.0 * cpu.as_secs_f64() / wall.as_secs_f64(),
            w.samples,
            w.late_samples,
            w.dropped_samples,
            w.duration_s
        );
    }
}

/// Decode tokens/s of a model with no sampler running, and with the hwmon
/// sampler at 100 Hz and 1 kHz, interleaved in one run.
///
/// `cargo test -p edgebench-targets --release --test meters_overhead sampler_decode_ab -- --ignored --nocapture`
#[test]
#[ignore = "measures decode speed for about 20 s"]
fn sampler_decode_ab() {
    use edgebench_kernels::model::{Logits, Model, Session, SessionOptions};
    use edgebench_kernels::recipe::{Recipe, apply};
    use edgebench_kernels::synth::{self, Preset};
    use std::sync::Arc;

    let synth = synth::generate(Preset::Small, 1).unwrap();
    let recipe: Recipe = "q4_0".parse().unwrap();
    let applied = apply(&recipe, &synth.config, &synth.tensors).unwrap();
    let model = Arc::new(Model::from_tensors(applied.config, &applied.tensors).unwrap());
    let mut session = Session::new(model, &SessionOptions::new(512).threads(2)).unwrap();
    let mut decode_tps = || {
        session.reset();
        session.forward(&[1, 2, 3, 4], Logits::Last).unwrap();
        let start = Instant::now();
        for i in 0..256u32 {
            session.forward(&[5 + i % 100], Logits::Last).unwrap();
        }
        256.0 / start.elapsed().as_secs_f64()
    };
    let mut figures: [Vec<f64>; 3] = Default::default();
    for _round in 0..7 {
        for (slot, rate) in [None, Some(100), Some(1000)].into_iter().enumerate() {
            let mut meter = rate.map(|rate_hz| {
                let rail = hwmon::find_rail(&fixture("jetson-orin"), "VDD_IN").unwrap();
                let source = HwmonSource::open(rail).unwrap();
                let config = SamplerConfig {
                    rate_hz,
                    ..SamplerConfig::default()
                };
                let mut m = SampledMeter::new(MeterKind::Hwmon, Box::new(source), config).unwrap();
                m.start().unwrap();
                m
            });
            figures[slot].push(decode_tps());
            if let Some(m) = meter.as_mut() {
                m.stop().unwrap();
            }
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let base = median(&mut figures[0]);
    for (label, v) in ["no sampler", "100 Hz", "1 kHz"]
        .iter()
        .zip(figures.iter_mut())
    {
        let m = median(v);
        println!(
            "decode with {label:<10}: {m:8.1} tokens/s (median of 7, {:+.2} % vs no sampler)",
            (m / base - 1.0) * 100.0
        );
    }
}
