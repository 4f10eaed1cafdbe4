//! hwmon power rails (Jetson ina3221, ina219) against fixture trees.

#[path = "fixtures/support.rs"]
mod support;

use std::time::Duration;

use edgebench_targets::meters::hwmon::{self, HwmonSource, RailReading};
use edgebench_targets::meters::{
    self, Meter, MeterChoice, MeterConfig, MeterKind, PowerSource, SampledMeter, SamplerConfig,
};
use support::{TempTree, fixture};

#[test]
fn jetson_orin_rails_by_label() {
    let rails = hwmon::list_rails(&fixture("jetson-orin")).unwrap();
    let labels: Vec<&str> = rails.iter().map(|r| r.label.as_str()).collect();
    assert_eq!(labels, vec!["VDD_IN", "VDD_CPU_GPU_CV", "VDD_SOC"]);
    let rail = hwmon::find_rail(&fixture("jetson-orin"), "VDD_SOC").unwrap();
    assert_eq!(rail.reading, RailReading::VoltageCurrent { channel: 3 });
    let mut src =
        HwmonSource::open(hwmon::find_rail(&fixture("jetson-orin"), "VDD_IN").unwrap()).unwrap();
    // 5072 mV × 1208 mA.
    assert!((src.read_power_w().unwrap() - 5.072 * 1.208).abs() < 1e-12);
    let err = hwmon::find_rail(&fixture("jetson-orin"), "VDD_GPU").unwrap_err();
    assert!(err.contains("VDD_CPU_GPU_CV (ina3221)"), "{err}");
}

#[test]
fn ina219_hwmon_reads_power_in_microwatts() {
    // The default rail (VDD_IN) falls back to the single ina2xx device.
    let rail = hwmon::find_rail(&fixture("ina219-hwmon"), hwmon::DEFAULT_RAIL).unwrap();
    assert_eq!(
        (rail.chip.as_str(), rail.label.as_str()),
        ("ina219", "hwmon1")
    );
    let mut src = HwmonSource::open(rail).unwrap();
    assert!((src.read_power_w().unwrap() - 4.26).abs() < 1e-12);
}

#[test]
fn sampled_hwmon_meter_integrates_a_changing_rail() {
    let tree = TempTree::copy_of("jetson-orin");
    let cfg = MeterConfig {
        kind: MeterChoice::Hwmon,
        root: tree.path().to_owned(),
        sampler: SamplerConfig {
            rate_hz: 500,
            ..SamplerConfig::default()
        },
        ..MeterConfig::default()
    };
    let mut sel = meters::select(&cfg);
    assert_eq!(sel.meter.kind(), MeterKind::Hwmon, "{:?}", sel.rejected);
    let meter = &mut sel.meter;
    meter.start().unwrap();
    std::thread::sleep(Duration::from_millis(20));
    let a = meter.mark().unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let b = meter.mark().unwrap();
    // Queried before the change: the edge at `b` interpolates towards the
    // next sample, which must still be at the old power.
    let low = meter.window(&a, &b);
    // Raise the current: later windows see the higher power.
    tree.write("sys/class/hwmon/hwmon1/curr1_input", "2000");
    let p_high = 5.072 * 2.0;
    wait_for_power(&mut **meter, &cfg, p_high);
    let c = meter.mark().unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let d = meter.mark().unwrap();
    let high = meter.window(&c, &d);
    meter.stop().unwrap();
    let p_low = 5.072 * 1.208;
    assert!((low.avg_power_w.unwrap() - p_low).abs() < 1e-9, "{low:?}");
    assert!((low.energy_j.unwrap() - p_low * low.duration_s).abs() < 1e-9);
    assert!(low.samples >= 2);
    assert!(
        (high.avg_power_w.unwrap() - p_high).abs() < 1e-9,
        "{high:?}"
    );
    // Marks before start and a too-short window.
    let e = meters::Mark::at(d.at);
    let w = meter.window(&d, &e);
    assert_eq!(w.energy_j, None);
    assert!(w.reason.is_some());
}

/// Waits (up to 10 s) until the sampler has seen `power_w`.
fn wait_for_power(meter: &mut dyn Meter, _cfg: &MeterConfig, power_w: f64) {
    for _ in 0..1000 {
        let a = meter.mark().unwrap();
        std::thread::sleep(Duration::from_millis(10));
        let b = meter.mark().unwrap();
        let w = meter.window(&a, &b);
        if w.avg_power_w.is_some_and(|p| (p - power_w).abs() < 1e-9) {
            return;
        }
    }
    panic!("the sampler never saw {power_w} W");
}

#[test]
fn unreadable_values_become_error_samples() {
    let tree = TempTree::copy_of("ina219-hwmon");
    let rail = hwmon::find_rail(tree.path(), "ina219").unwrap();
    let src = HwmonSource::open(rail).unwrap();
    let mut meter = SampledMeter::new(
        MeterKind::Hwmon,
        Box::new(src),
        SamplerConfig {
            rate_hz: 1000,
            ..SamplerConfig::default()
        },
    )
    .unwrap();
    tree.write("sys/class/hwmon/hwmon1/power1_input", "garbage");
    meter.start().unwrap();
    let a = meter.mark().unwrap();
    std::thread::sleep(Duration::from_millis(30));
    let b = meter.mark().unwrap();
    let w = meter.window(&a, &b);
    meter.stop().unwrap();
    assert_eq!(w.energy_j, None);
    assert!(
        w.reason.as_deref().unwrap_or("").contains("not an integer"),
        "{w:?}"
    );
    assert!(meter.last_error().is_some());
}

#[test]
fn sampler_rate_is_validated() {
    let rail = hwmon::find_rail(&fixture("ina219-hwmon"), "ina219").unwrap();
    let src = HwmonSource::open(rail).unwrap();
    let bad = SamplerConfig {
        rate_hz: 2000,
        ..SamplerConfig::default()
    };
    assert!(SampledMeter::new(MeterKind::Hwmon, Box::new(src), bad).is_err());
}
