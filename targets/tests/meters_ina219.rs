//! INA219 calibration and reading against the simulated register file.

use std::time::Duration;

use edgebench_targets::meters::ina219::{
    Adc, Ina219, Ina219Config, Pga, SimIna219, decode_bus_voltage, decode_shunt_uv, reg,
};
use edgebench_targets::meters::{Meter, MeterKind, PowerSource, SampledMeter, SamplerConfig};

fn config(shunt_ohms: f64, max_current_a: f64) -> Ina219Config {
    Ina219Config {
        shunt_ohms,
        max_current_a,
        ..Ina219Config::default()
    }
}

#[test]
fn datasheet_calibration_example() {
    // Datasheet 8.5.1: 0.1 Ω shunt, Current_LSB chosen as 100 µA -> Cal 4096,
    // Power_LSB 2 mW.
    let c = Ina219Config {
        current_lsb_a: Some(100e-6),
        ..config(0.1, 3.2)
    }
    .calibration()
    .unwrap();
    assert_eq!(c.cal, 4096);
    assert!((c.power_lsb_w - 2e-3).abs() < 1e-15);
    // Rounding the minimum LSB (3.2 A / 2^15 = 97.66 µA) up to the next
    // 1-2-5 value gives the same 100 µA.
    let rounded = Ina219Config {
        round_current_lsb: true,
        ..config(0.1, 3.2)
    };
    assert_eq!(rounded.calibration().unwrap().cal, 4096);
    // The datasheet's other case: 2 A expected, minimum LSB 61 µA, rounded to 100 µA.
    let two_amps = Ina219Config {
        round_current_lsb: true,
        ..config(0.1, 2.0)
    };
    assert_eq!(two_amps.calibration().unwrap().cal, 4096);
    // Without rounding, Current_LSB = 3.2 / 2^15 exactly and
    // Cal = trunc(0.04096 / (97.65625e-6 · 0.1)) = trunc(4194.304) = 4194.
    let exact = config(0.1, 3.2).calibration().unwrap();
    assert_eq!(exact.cal, 4194);
    assert!((exact.current_lsb_a - 3.2 / 32768.0).abs() < 1e-18);
}

#[test]
fn configuration_register_fields() {
    let c = config(0.1, 3.2).calibration().unwrap();
    // 3.2 A × 0.1 Ω = 0.32 V: PGA /8; BRNG 32 V; 12-bit ADCs; continuous.
    assert_eq!(c.pga, Pga::Div8);
    assert_eq!(c.config_reg, 0x399f);
    let small = Ina219Config {
        bus_range_v: 16,
        adc: Adc::Avg128,
        ..config(0.02, 1.5)
    }
    .calibration()
    .unwrap();
    assert_eq!(small.pga, Pga::Div1);
    assert_eq!(small.config_reg, 0x07ff);
    assert!(
        config(0.1, 4.0).calibration().is_err(),
        "0.4 V is beyond the shunt range"
    );
    assert!(config(0.0, 1.0).calibration().is_err());
    let bad_addr = Ina219Config {
        address: 0x20,
        ..config(0.1, 1.0)
    };
    assert!(bad_addr.calibration().is_err());
}

#[test]
fn register_decoding() {
    let b = decode_bus_voltage((1250 << 3) | 0b10);
    assert_eq!(
        (b.mv, b.conversion_ready, b.overflow),
        (5000.0, true, false)
    );
    assert!(decode_bus_voltage(1).overflow);
    // Datasheet table: -40 mV reads 0xF060, +320 mV reads 0x7D00.
    assert_eq!(decode_shunt_uv(0xf060), -40_000.0);
    assert_eq!(decode_shunt_uv(0x7d00), 320_000.0);
}

#[test]
fn simulated_chip_gives_power_within_one_lsb() {
    let sim = SimIna219::new();
    let cfg = config(0.1, 3.2);
    let mut chip = Ina219::new(sim.clone(), cfg).unwrap();
    assert_eq!(sim.calibration_register(), 4194);
    let lsb = chip.calibration().power_lsb_w;
    for (current_a, bus_v) in [(1.0, 5.0), (0.25, 12.0), (2.9, 3.3), (0.013, 5.1)] {
        sim.set_inputs(current_a * 0.1, bus_v);
        let reading = chip.read().unwrap();
        let expected = current_a * bus_v;
        let p = chip.read_power_w().unwrap();
        assert!(
            (p - expected).abs() <= lsb,
            "{current_a} A {bus_v} V: {p} vs {expected} (LSB {lsb})"
        );
        assert!((reading.power_w - p).abs() < 1e-12);
        assert!((reading.bus_v - bus_v).abs() <= 0.004);
        assert!(
            (reading.current_a - current_a).abs()
                <= chip.calibration().effective_current_lsb_a * 2.0
        );
    }
}

#[test]
fn overflow_is_an_error_sample() {
    let sim = SimIna219::new();
    let mut chip = Ina219::new(sim.clone(), config(0.1, 0.5)).unwrap();
    // 0.5 A expected but 1.5 A flows: beyond the ±80 mV PGA range chosen.
    sim.set_inputs(0.15, 5.0);
    let err = chip.read_power_w().unwrap_err();
    assert!(err.contains("OVF"), "{err}");
    assert!(chip.read().is_err());
}

#[test]
fn bus_faults_are_errors_not_values() {
    let sim = SimIna219::new();
    let mut chip = Ina219::new(sim.clone(), config(0.1, 3.2)).unwrap();
    sim.set_failing(true);
    assert!(chip.read_power_w().is_err());
    let mut raw = sim.clone();
    assert!(edgebench_targets::meters::ina219::I2cBus::read_u16(&mut raw, reg::POWER).is_err());
    sim.set_failing(false);
    assert!(Ina219::new(sim, config(0.1, 3.2)).is_ok());
}

#[test]
fn sampled_ina219_meter() {
    let sim = SimIna219::new();
    sim.set_inputs(0.1, 5.0); // 1 A at 5 V
    let chip = Ina219::new(sim.clone(), config(0.1, 3.2)).unwrap();
    let mut meter = SampledMeter::new(
        MeterKind::Ina219,
        Box::new(chip),
        SamplerConfig {
            rate_hz: 1000,
            ..SamplerConfig::default()
        },
    )
    .unwrap();
    meter.start().unwrap();
    let a = meter.mark().unwrap();
    std::thread::sleep(Duration::from_millis(50));
    let b = meter.mark().unwrap();
    let w = meter.window(&a, &b);
    meter.stop().unwrap();
    let p = w.avg_power_w.unwrap();
    assert!((p - 5.0).abs() < 0.01, "{w:?}");
    assert!(w.samples >= 2);
    assert!(meter.description().contains("ina219 i2c-1 0x40"));
}
