//! Meter configuration and results as JSON.

use edgebench_targets::meters::{MeterChoice, MeterConfig, MeterKind, WindowEnergy};

#[test]
fn device_meter_config_from_json() {
    let cfg: MeterConfig = serde_json::from_str(
        r#"{"kind": "ina219", "sampler": {"rate_hz": 1000},
            "ina219": {"bus": 1, "address": 65, "shunt_ohms": 0.1, "max_current_a": 3.2}}"#,
    )
    .unwrap();
    assert_eq!(cfg.kind, MeterChoice::Ina219);
    assert_eq!(cfg.sampler.rate_hz, 1000);
    assert_eq!(cfg.hwmon_rail, "VDD_IN");
    let ina = cfg.ina219.unwrap();
    assert_eq!((ina.bus, ina.address, ina.bus_range_v), (1, 0x41, 32));
    let auto: MeterConfig = serde_json::from_str("{}").unwrap();
    assert_eq!(auto, MeterConfig::default());
    let perf: MeterConfig = serde_json::from_str(r#"{"kind": "perf-power"}"#).unwrap();
    assert_eq!(perf.kind, MeterChoice::PerfPower);
    assert!(serde_json::from_str::<MeterConfig>(r#"{"kind": "rapl", "rail": "x"}"#).is_err());
}

#[test]
fn window_energy_json() {
    let w = WindowEnergy::unavailable(MeterKind::None, 1.5, "no usable meter");
    let json = serde_json::to_value(&w).unwrap();
    assert_eq!(json["meter"], "none");
    assert!(json["energy_j"].is_null());
    assert_eq!(json["reason"], "no usable meter");
    let back: WindowEnergy = serde_json::from_value(json).unwrap();
    assert_eq!(back, w);
    assert_eq!(
        serde_json::to_value(MeterKind::PerfPower).unwrap(),
        "perf-power"
    );
}
