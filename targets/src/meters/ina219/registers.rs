//! INA219 configuration, calibration and register decoding (datasheet
//! SBOS448, section 8.5 and 8.6).

use serde::{Deserialize, Serialize};

use crate::meters::MeterError;

/// Register pointers.
pub mod reg {
    /// Configuration register.
    pub const CONFIG: u8 = 0x00;
    /// Shunt voltage register.
    pub const SHUNT_VOLTAGE: u8 = 0x01;
    /// Bus voltage register.
    pub const BUS_VOLTAGE: u8 = 0x02;
    /// Power register.
    pub const POWER: u8 = 0x03;
    /// Current register.
    pub const CURRENT: u8 = 0x04;
    /// Calibration register.
    pub const CALIBRATION: u8 = 0x05;
}

/// Shunt PGA gain and its full-scale range (configuration bits 12..11).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Pga {
    /// Gain 1, ±40 mV.
    Div1,
    /// Gain 1/2, ±80 mV.
    Div2,
    /// Gain 1/4, ±160 mV.
    Div4,
    /// Gain 1/8, ±320 mV (power-on default).
    Div8,
}

impl Pga {
    /// Full-scale shunt voltage in volts.
    pub fn full_scale_v(self) -> f64 {
        match self {
            Pga::Div1 => 0.04,
            Pga::Div2 => 0.08,
            Pga::Div4 => 0.16,
            Pga::Div8 => 0.32,
        }
    }

    /// The two PG bits.
    pub fn bits(self) -> u16 {
        match self {
            Pga::Div1 => 0b00,
            Pga::Div2 => 0b01,
            Pga::Div4 => 0b10,
            Pga::Div8 => 0b11,
        }
    }

    /// The smallest range that holds `shunt_v`, if any.
    pub fn for_shunt_voltage(shunt_v: f64) -> Option<Pga> {
        [Pga::Div1, Pga::Div2, Pga::Div4, Pga::Div8]
            .into_iter()
            .find(|p| shunt_v <= p.full_scale_v() * (1.0 + 1e-9))
    }
}

/// ADC resolution or averaging (BADC bits 10..7, SADC bits 6..3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Adc {
    /// 9 bits, 84 µs.
    Bits9,
    /// 10 bits, 148 µs.
    Bits10,
    /// 11 bits, 276 µs.
    Bits11,
    /// 12 bits, 532 µs (power-on default).
    Bits12,
    /// 12 bits, 2 samples averaged, 1.06 ms.
    Avg2,
    /// 4 samples, 2.13 ms.
    Avg4,
    /// 8 samples, 4.26 ms.
    Avg8,
    /// 16 samples, 8.51 ms.
    Avg16,
    /// 32 samples, 17.02 ms.
    Avg32,
    /// 64 samples, 34.05 ms.
    Avg64,
    /// 128 samples, 68.10 ms.
    Avg128,
}

impl Adc {
    /// The four mode bits.
    pub fn bits(self) -> u16 {
        match self {
            Adc::Bits9 => 0b0000,
            Adc::Bits10 => 0b0001,
            Adc::Bits11 => 0b0010,
            Adc::Bits12 => 0b0011,
            Adc::Avg2 => 0b1001,
            Adc::Avg4 => 0b1010,
            Adc::Avg8 => 0b1011,
            Adc::Avg16 => 0b1100,
            Adc::Avg32 => 0b1101,
            Adc::Avg64 => 0b1110,
            Adc::Avg128 => 0b1111,
        }
    }

    /// Conversion time in microseconds.
    pub fn conversion_us(self) -> f64 {
        match self {
            Adc::Bits9 => 84.0,
            Adc::Bits10 => 148.0,
            Adc::Bits11 => 276.0,
            Adc::Bits12 => 532.0,
            Adc::Avg2 => 1060.0,
            Adc::Avg4 => 2130.0,
            Adc::Avg8 => 4260.0,
            Adc::Avg16 => 8510.0,
            Adc::Avg32 => 17020.0,
            Adc::Avg64 => 34050.0,
            Adc::Avg128 => 68100.0,
        }
    }
}

/// How an INA219 is wired and should be set up (from the device inventory).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Ina219Config {
    /// I2C bus number: `/dev/i2c-<bus>`.
    pub bus: u32,
    /// 7-bit device address (0x40 to 0x4f, default 0x40).
    pub address: u16,
    /// Shunt resistance in ohms.
    pub shunt_ohms: f64,
    /// Largest current expected, in amperes (sets Current_LSB).
    pub max_current_a: f64,
    /// Bus voltage range: 16 or 32 V (BRNG).
    pub bus_range_v: u8,
    /// ADC mode for both bus and shunt conversions.
    pub adc: Adc,
    /// Current_LSB in amperes, instead of `max_current_a / 2^15`.
    pub current_lsb_a: Option<f64>,
    /// Round Current_LSB up to the next 1-2-5 value, as the datasheet's
    /// example does (0.1 Ω, 100 µA → Cal 4096).
    pub round_current_lsb: bool,
}

impl Default for Ina219Config {
    fn default() -> Self {
        Ina219Config {
            bus: 1,
            address: 0x40,
            shunt_ohms: 0.1,
            max_current_a: 3.2,
            bus_range_v: 32,
            adc: Adc::Bits12,
            current_lsb_a: None,
            round_current_lsb: false,
        }
    }
}

/// The register values and scale factors derived from a configuration.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// Current_LSB chosen, in amperes.
    pub current_lsb_a: f64,
    /// `trunc(0.04096 / (Current_LSB · R_shunt))`.
    pub cal: u16,
    /// Current per count of the current register as the chip computes it
    /// with `cal` (bit 0 of the register is void): `0.04096 / (cal · R)`.
    pub effective_current_lsb_a: f64,
    /// Watts per count of the power register: `20 · effective_current_lsb_a`.
    pub power_lsb_w: f64,
    /// PGA range chosen for `max_current_a · shunt_ohms`.
    pub pga: Pga,
    /// Configuration register value (continuous shunt and bus).
    pub config_reg: u16,
}

/// Rounds up to the next value of the 1-2-5 series.
fn round_up_125(x: f64) -> f64 {
    let decade = 10f64.powf(x.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * decade)
        .find(|v| *v >= x * (1.0 - 1e-12))
        .unwrap_or(10.0 * decade)
}

impl Ina219Config {
    /// Checks the configuration and computes the calibration.
    pub fn calibration(&self) -> Result<Calibration, MeterError> {
        let bad = |m: String| Err(MeterError::Config(format!("ina219: {m}")));
        if !(self.shunt_ohms.is_finite() && self.shunt_ohms > 0.0) {
            return bad(format!(
                "shunt_ohms must be positive, got {}",
                self.shunt_ohms
            ));
        }
        if !(self.max_current_a.is_finite() && self.max_current_a > 0.0) {
            return bad(format!(
                "max_current_a must be positive, got {}",
                self.max_current_a
            ));
        }
        if !(0x40..=0x4f).contains(&self.address) {
            return bad(format!(
                "address {:#04x} is outside 0x40..=0x4f",
                self.address
            ));
        }
        let brng = match self.bus_range_v {
            16 => 0,
            32 => 1,
            v => return bad(format!("bus_range_v must be 16 or 32, got {v}")),
        };
        let shunt_v = self.max_current_a * self.shunt_ohms;
        let Some(pga) = Pga::for_shunt_voltage(shunt_v) else {
            return bad(format!(
                "{} A through {} Ω drops {shunt_v:.3} V, above the 0.32 V shunt range",
                self.max_current_a, self.shunt_ohms
            ));
        };
        let minimum = self.max_current_a / 32768.0;
        let current_lsb_a = match self.current_lsb_a {
            Some(lsb) if lsb.is_finite() && lsb > 0.0 => lsb,
            Some(lsb) => return bad(format!("current_lsb_a must be positive, got {lsb}")),
            None if self.round_current_lsb => round_up_125(minimum),
            None => minimum,
        };
        let cal = (0.04096 / (current_lsb_a * self.shunt_ohms)).trunc();
        if !(2.0..=65534.0).contains(&cal) {
            return bad(format!(
                "calibration {cal} does not fit the 16-bit register"
            ));
        }
        let cal = cal as u16;
        let effective = 0.04096 / (f64::from(cal & 0xfffe) * self.shunt_ohms);
        let adc = self.adc.bits();
        let config_reg = (brng << 13) | (pga.bits() << 11) | (adc << 7) | (adc << 3) | 0b111;
        Ok(Calibration {
            current_lsb_a,
            cal,
            effective_current_lsb_a: effective,
            power_lsb_w: 20.0 * effective,
            pga,
            config_reg,
        })
    }
}

/// The bus voltage register, decoded.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BusVoltage {
    /// Bus voltage in millivolts (bits 15..3 × 4 mV).
    pub mv: f64,
    /// CNVR: a conversion completed since the last power read.
    pub conversion_ready: bool,
    /// OVF: the power or current computation overflowed; those registers
    /// are meaningless.
    pub overflow: bool,
}

/// Decodes the bus voltage register.
pub fn decode_bus_voltage(raw: u16) -> BusVoltage {
    BusVoltage {
        mv: f64::from(raw >> 3) * 4.0,
        conversion_ready: raw & 0b10 != 0,
        overflow: raw & 0b1 != 0,
    }
}

/// Decodes the shunt voltage register into microvolts (signed, 10 µV LSB).
pub fn decode_shunt_uv(raw: u16) -> f64 {
    f64::from(raw as i16) * 10.0
}
