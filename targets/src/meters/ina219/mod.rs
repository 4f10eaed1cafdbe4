//! TI INA219 current/power monitor read directly over I2C.
//!
//! Register map and arithmetic follow the TI datasheet (SBOS448):
//! configuration `0x00` (BRNG, PGA gain, bus/shunt ADC resolution or
//! averaging, mode), shunt voltage `0x01` (signed, LSB 10 µV), bus voltage
//! `0x02` (bits 15..3, LSB 4 mV; CNVR bit 1, OVF bit 0), power `0x03`,
//! current `0x04`, calibration `0x05`. With
//! `Current_LSB = max_expected_current / 2^15`,
//! `Cal = trunc(0.04096 / (Current_LSB · R_shunt))` and
//! `Power_LSB = 20 · Current_LSB`.
//!
//! The bus is behind the [`I2cBus`] trait: [`LinuxI2c`] talks to
//! `/dev/i2c-N`, [`SimIna219`] is a register-level simulation for tests.

mod driver;
mod linux_i2c;
mod registers;
mod sim;

pub use driver::{Ina219, Ina219Reading, open_meter};
pub use linux_i2c::LinuxI2c;
pub use registers::{
    Adc, BusVoltage, Calibration, Ina219Config, Pga, decode_bus_voltage, decode_shunt_uv, reg,
};
pub use sim::SimIna219;

/// A failed I2C transfer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum I2cError {
    /// Opening the adapter, selecting the address or a transfer failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done, e.g. `/dev/i2c-1: set address 0x40`.
        what: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A simulated bus fault.
    #[error("simulated fault: {0}")]
    Simulated(String),
}

/// A 16-bit register device on an I2C bus (registers are big-endian on the
/// wire, as on every TI INA2xx).
pub trait I2cBus: Send {
    /// Writes `value` to register `reg`.
    fn write_u16(&mut self, reg: u8, value: u16) -> Result<(), I2cError>;
    /// Reads register `reg`.
    fn read_u16(&mut self, reg: u8) -> Result<u16, I2cError>;
}
