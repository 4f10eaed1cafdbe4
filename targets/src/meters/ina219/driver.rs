//! The INA219 driver over any [`I2cBus`].

use super::registers::{Calibration, Ina219Config, decode_bus_voltage, decode_shunt_uv, reg};
use super::{I2cBus, LinuxI2c};
use crate::meters::{MeterError, MeterKind, PowerSource, SampledMeter, SamplerConfig};

/// One full reading of the chip.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ina219Reading {
    /// Bus voltage in volts.
    pub bus_v: f64,
    /// Shunt voltage in volts.
    pub shunt_v: f64,
    /// Current from the current register, in amperes.
    pub current_a: f64,
    /// Power from the power register, in watts.
    pub power_w: f64,
}

/// An INA219 configured and calibrated on a bus.
pub struct Ina219<B: I2cBus> {
    bus: B,
    config: Ina219Config,
    calibration: Calibration,
}

impl<B: I2cBus> Ina219<B> {
    /// Writes the configuration and calibration registers and reads the
    /// configuration back to check a chip answers.
    pub fn new(mut bus: B, config: Ina219Config) -> Result<Self, MeterError> {
        let calibration = config.calibration()?;
        bus.write_u16(reg::CONFIG, calibration.config_reg)?;
        bus.write_u16(reg::CALIBRATION, calibration.cal)?;
        let back = bus.read_u16(reg::CONFIG)?;
        if back != calibration.config_reg {
            return Err(MeterError::Unavailable {
                kind: MeterKind::Ina219,
                reason: format!(
                    "configuration register reads {back:#06x} after writing {:#06x}: \
                     no INA219 at {:#04x}?",
                    calibration.config_reg, config.address
                ),
            });
        }
        Ok(Ina219 {
            bus,
            config,
            calibration,
        })
    }

    /// The calibration in use.
    pub fn calibration(&self) -> &Calibration {
        &self.calibration
    }

    /// Reads bus voltage, shunt voltage, current and power; an overflow
    /// flag is an error.
    pub fn read(&mut self) -> Result<Ina219Reading, String> {
        let bus = decode_bus_voltage(self.bus_reg()?);
        if bus.overflow {
            return Err("math overflow flag (OVF) set: current or power out of range".into());
        }
        let shunt = self
            .bus
            .read_u16(reg::SHUNT_VOLTAGE)
            .map_err(|e| e.to_string())?;
        let current = self.bus.read_u16(reg::CURRENT).map_err(|e| e.to_string())?;
        let power = self.bus.read_u16(reg::POWER).map_err(|e| e.to_string())?;
        Ok(Ina219Reading {
            bus_v: bus.mv * 1e-3,
            shunt_v: decode_shunt_uv(shunt) * 1e-6,
            current_a: f64::from(current as i16) * self.calibration.effective_current_lsb_a,
            power_w: f64::from(power) * self.calibration.power_lsb_w,
        })
    }

    fn bus_reg(&mut self) -> Result<u16, String> {
        self.bus
            .read_u16(reg::BUS_VOLTAGE)
            .map_err(|e| e.to_string())
    }
}

impl<B: I2cBus> PowerSource for Ina219<B> {
    /// Two transfers: bus voltage (for the OVF flag) then power.
    fn read_power_w(&mut self) -> Result<f64, String> {
        let bus = decode_bus_voltage(self.bus_reg()?);
        if bus.overflow {
            return Err("math overflow flag (OVF) set: current or power out of range".into());
        }
        let power = self.bus.read_u16(reg::POWER).map_err(|e| e.to_string())?;
        Ok(f64::from(power) * self.calibration.power_lsb_w)
    }

    fn describe(&self) -> String {
        format!(
            "ina219 i2c-{} {:#04x} ({} Ω shunt, {} A max, Current_LSB {:.3e} A)",
            self.config.bus,
            self.config.address,
            self.config.shunt_ohms,
            self.config.max_current_a,
            self.calibration.effective_current_lsb_a
        )
    }
}

/// Opens `/dev/i2c-<bus>`, sets the chip up and wraps it in a sampled meter.
pub fn open_meter(
    config: &Ina219Config,
    sampler: SamplerConfig,
) -> Result<SampledMeter, MeterError> {
    let bus = LinuxI2c::open(config.bus, config.address)?;
    let chip = Ina219::new(bus, config.clone())?;
    SampledMeter::new(MeterKind::Ina219, Box::new(chip), sampler)
}
