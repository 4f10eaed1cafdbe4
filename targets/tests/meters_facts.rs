//! Device facts from fixture trees (Raspberry Pi 5, Jetson Orin) and this
//! machine, and the thermal gate on a fake clock.

#[path = "fixtures/support.rs"]
mod support;

use std::path::Path;
use std::time::Duration;

use edgebench_targets::facts::{
    Clock, DeviceFacts, FactsSource, ThermalGate, max_temp_c, parse_cpuinfo, parse_throttled,
};
use support::fixture;

#[test]
fn raspberry_pi_5() {
    let f = DeviceFacts::collect(&FactsSource {
        root: fixture("rpi5"),
        vcgencmd: Some(fixture("rpi5/bin/vcgencmd")),
    });
    assert_eq!(f.cpu.model.as_deref(), Some("Cortex-A76"));
    assert_eq!(
        f.cpu.board.as_deref(),
        Some("Raspberry Pi 5 Model B Rev 1.0")
    );
    assert_eq!(f.cpu.logical_cores, 4);
    assert_eq!(f.kernel_release.as_deref(), Some("6.6.51+rpt-rpi-2712"));
    assert_eq!(f.cpufreq.len(), 1);
    assert_eq!(f.cpufreq[0].governor.as_deref(), Some("ondemand"));
    assert_eq!(f.cpufreq[0].cur_freq_mhz, Some(2400.0));
    assert_eq!(f.thermal[0].kind.as_deref(), Some("cpu-thermal"));
    assert_eq!(f.thermal[0].temp_c, Some(51.45));
    let mem = f.memory.unwrap();
    assert_eq!(
        (mem.total_kib, mem.available_kib, mem.swap_used_kib),
        (Some(8_245_392), Some(7_654_320), Some(0))
    );
    let t = f.throttling.unwrap();
    assert_eq!(t.raw, 0x50005);
    assert!(t.under_voltage_now && t.throttled_now && !t.freq_capped_now && !t.soft_temp_limit_now);
    assert!(t.under_voltage_occurred && t.throttled_occurred && !t.freq_capped_occurred);
    // The active cooler's fan turns; a fan never caps the clock.
    assert_eq!(f.cooling.len(), 1);
    assert_eq!(f.cooling[0].kind.as_deref(), Some("pwm-fan"));
    assert_eq!(
        (f.cooling[0].cur_state, f.cooling[0].max_state),
        (Some(2), Some(4))
    );
    assert!(!f.cooling[0].capping());
    assert_eq!(f.throttle_events, None);
}

#[test]
fn x86_frequency_caps() {
    let f = DeviceFacts::collect(&FactsSource {
        root: fixture("x86-intel"),
        vcgencmd: None,
    });
    let devices: Vec<&str> = f.cooling.iter().map(|d| d.device.as_str()).collect();
    assert_eq!(
        devices,
        ["cooling_device0", "cooling_device1", "cooling_device10"]
    );
    let capping: Vec<String> = f
        .cooling
        .iter()
        .filter(|d| d.capping())
        .map(|d| d.describe())
        .collect();
    assert_eq!(capping, ["cooling_device1 (Processor) at state 1 of 3"]);
    // Core counts 3 + 7, package counts 11 on each CPU.
    assert_eq!(f.throttle_events, Some(3 + 7 + 11 + 11));
    assert_eq!(f.cpufreq[0].max_freq_mhz, Some(4700.0));
}

#[test]
fn jetson_orin() {
    let f = DeviceFacts::collect(&FactsSource {
        root: fixture("jetson-orin"),
        vcgencmd: None,
    });
    assert_eq!(f.cpu.model.as_deref(), Some("Cortex-A78AE"));
    assert_eq!(
        f.cpu.board.as_deref(),
        Some("NVIDIA Jetson Orin Nano Developer Kit")
    );
    assert_eq!(f.cpu.logical_cores, 6);
    let policies: Vec<(&str, Option<&str>)> = f
        .cpufreq
        .iter()
        .map(|p| (p.policy.as_str(), p.cpus.as_deref()))
        .collect();
    assert_eq!(
        policies,
        vec![("policy0", Some("0 1 2 3")), ("policy4", Some("4 5"))]
    );
    assert_eq!(f.cpufreq[1].max_freq_mhz, Some(1510.4));
    assert_eq!(f.thermal.len(), 9);
    assert_eq!(max_temp_c(&fixture("jetson-orin")), Some(49.562));
    assert_eq!(
        f.memory.as_ref().unwrap().swap_used_kib,
        Some(3_810_128 - 3_797_840)
    );
    assert!(f.throttling.is_none());
    // Everything serializes with units in the names.
    let json = serde_json::to_string(&f).unwrap();
    for key in ["cur_freq_mhz", "temp_c", "total_kib", "swap_used_kib"] {
        assert!(json.contains(key), "{key}");
    }
}

#[test]
fn this_machine() {
    let f = DeviceFacts::collect(&FactsSource::default());
    assert!(f.cpu.logical_cores > 0);
    assert!(f.kernel_release.is_some());
    assert!(f.memory.and_then(|m| m.total_kib).is_some());
}

#[test]
fn x86_and_older_arm_cpuinfo() {
    let x86 = parse_cpuinfo(
        "processor\t: 0\nmodel name\t: AMD EPYC\nprocessor\t: 1\nmodel name\t: AMD EPYC\n",
        None,
    );
    assert_eq!(
        (x86.model.as_deref(), x86.logical_cores),
        (Some("AMD EPYC"), 2)
    );
    // A Pi 3 on a 32-bit kernel: Hardware and Model lines, an ARMv7 model name.
    let pi3 = parse_cpuinfo(
        "processor\t: 0\nmodel name\t: ARMv7 Processor rev 4 (v7l)\nCPU part\t: 0xd03\n\n\
         Hardware\t: BCM2835\nRevision\t: a02082\nModel\t\t: Raspberry Pi 3 Model B Rev 1.2\n",
        None,
    );
    assert_eq!(pi3.model.as_deref(), Some("Cortex-A53"));
    assert_eq!(pi3.hardware.as_deref(), Some("BCM2835"));
    assert_eq!(pi3.board.as_deref(), Some("Raspberry Pi 3 Model B Rev 1.2"));
}

#[test]
fn throttled_parsing() {
    let t = parse_throttled("throttled=0x0\n").unwrap();
    assert_eq!(t.raw, 0);
    assert!(!t.throttled_occurred);
    let t = parse_throttled("throttled=0x8000a").unwrap();
    assert!(t.freq_capped_now && t.soft_temp_limit_now && t.soft_temp_limit_occurred);
    assert!(parse_throttled("error=1 error_msg=\"Command not registered\"").is_none());
    assert!(edgebench_targets::facts::read_throttled(Path::new("/nonexistent/vcgencmd")).is_err());
}

/// A clock that advances only when slept on.
struct FakeClock(Duration);

impl Clock for FakeClock {
    fn now(&self) -> Duration {
        self.0
    }
    fn sleep(&mut self, d: Duration) {
        self.0 += d;
    }
}

fn gate() -> ThermalGate {
    ThermalGate {
        max_change_c: 0.5,
        window: Duration::from_secs(10),
        limit: Duration::from_secs(60),
        poll: Duration::from_secs(1),
    }
}

#[test]
fn gate_waits_for_a_cooling_curve_to_flatten() {
    let mut clock = FakeClock(Duration::ZERO);
    let mut n = 0;
    // Cools by 0.5 °C per second for 20 s, then holds at 50 °C.
    let mut read = || {
        n += 1;
        Some(60.0 - 0.5 * f64::from((n - 1).min(20)))
    };
    let out = gate().wait(&mut clock, &mut read);
    assert!(out.settled, "{out:?}");
    assert_eq!(out.start_temp_c, Some(60.0));
    assert_eq!(out.end_temp_c, Some(50.0));
    assert_eq!(out.waited_s, 30.0);
    assert!(out.spread_c.unwrap() < 0.5);
}

#[test]
fn gate_gives_up_at_the_limit() {
    let mut clock = FakeClock(Duration::ZERO);
    let mut up = 40.0;
    let mut read = || {
        up += 0.2;
        Some(up)
    };
    let out = gate().wait(&mut clock, &mut read);
    assert!(!out.settled);
    assert_eq!(out.waited_s, 60.0);
    assert!(out.reason.starts_with("not settled"), "{}", out.reason);
    let mut none = || None;
    let out = gate().wait(&mut FakeClock(Duration::ZERO), &mut none);
    assert!(!out.settled);
    assert_eq!(out.reason, "no temperature reading");
}
