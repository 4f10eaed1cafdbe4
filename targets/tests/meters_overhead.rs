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
