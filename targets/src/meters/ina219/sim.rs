//! A register-level INA219 simulation following the datasheet arithmetic.

use std::sync::{Arc, Mutex};

use super::registers::{Pga, reg};
use super::{I2cBus, I2cError};

#[derive(Debug)]
struct State {
    config: u16,
    cal: u16,
    shunt_v: f64,
    bus_v: f64,
    fail: bool,
}

/// A simulated INA219: set the analog shunt and bus voltages, read the
/// registers the chip would compute. Clones share the same chip, so a test
/// can change the inputs while a sampler reads.
#[derive(Clone, Debug)]
pub struct SimIna219 {
    state: Arc<Mutex<State>>,
}

impl Default for SimIna219 {
    fn default() -> Self {
        SimIna219::new()
    }
}

impl SimIna219 {
    /// A chip in its power-on state (config 0x399F, calibration 0).
    pub fn new() -> Self {
        SimIna219 {
            state: Arc::new(Mutex::new(State {
                config: 0x399f,
                cal: 0,
                shunt_v: 0.0,
                bus_v: 0.0,
                fail: false,
            })),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Sets the voltage across the shunt and on the bus, in volts.
    pub fn set_inputs(&self, shunt_v: f64, bus_v: f64) {
        self.with(|s| {
            s.shunt_v = shunt_v;
            s.bus_v = bus_v;
        });
    }

    /// Makes every transfer fail (`true`) or succeed again.
    pub fn set_failing(&self, fail: bool) {
        self.with(|s| s.fail = fail);
    }

    /// The calibration register as written.
    pub fn calibration_register(&self) -> u16 {
        self.with(|s| s.cal)
    }
}

impl State {
    fn pga(&self) -> Pga {
        match (self.config >> 11) & 0b11 {
            0 => Pga::Div1,
            1 => Pga::Div2,
            2 => Pga::Div4,
            _ => Pga::Div8,
        }
    }

    /// Shunt register and whether the input exceeded the PGA range.
    fn shunt(&self) -> (i32, bool) {
        let limit = (self.pga().full_scale_v() / 10e-6).round() as i32;
        let code = (self.shunt_v / 10e-6).round() as i32;
        (code.clamp(-limit, limit), code.abs() > limit)
    }

    fn bus_code(&self) -> u32 {
        let full = if self.config & (1 << 13) != 0 {
            8000
        } else {
            4000
        };
        ((self.bus_v / 0.004).round().max(0.0) as u32).min(full)
    }

    /// Current register (datasheet: shunt × cal / 4096) and overflow.
    fn current(&self) -> (i32, bool) {
        let (shunt, saturated) = self.shunt();
        let current = shunt * i32::from(self.cal & 0xfffe) / 4096;
        let out = i32::from(i16::MIN) > current || current > i32::from(i16::MAX);
        (
            current.clamp(i16::MIN.into(), i16::MAX.into()),
            saturated || out,
        )
    }

    /// Power register (current × bus / 5000) and overflow.
    fn power(&self) -> (u32, bool) {
        let (current, ovf) = self.current();
        let power = current.unsigned_abs() * self.bus_code() / 5000;
        (power.min(0xffff), ovf || power > 0xffff)
    }

    fn read(&self, register: u8) -> u16 {
        match register {
            reg::CONFIG => self.config,
            reg::CALIBRATION => self.cal & 0xfffe,
            reg::SHUNT_VOLTAGE => self.shunt().0 as i16 as u16,
            reg::BUS_VOLTAGE => {
                let ovf = self.power().1;
                ((self.bus_code() as u16) << 3) | 0b10 | u16::from(ovf)
            }
            reg::POWER => self.power().0 as u16,
            reg::CURRENT => self.current().0 as i16 as u16,
            _ => 0,
        }
    }
}

impl I2cBus for SimIna219 {
    fn write_u16(&mut self, register: u8, value: u16) -> Result<(), I2cError> {
        self.with(|s| {
            if s.fail {
                return Err(I2cError::Simulated(format!("write {register:#04x}")));
            }
            match register {
                reg::CONFIG if value & 0x8000 != 0 => {
                    s.config = 0x399f;
                    s.cal = 0;
                }
                reg::CONFIG => s.config = value,
                reg::CALIBRATION => s.cal = value,
                _ => {}
            }
            Ok(())
        })
    }

    fn read_u16(&mut self, register: u8) -> Result<u16, I2cError> {
        self.with(|s| {
            if s.fail {
                return Err(I2cError::Simulated(format!("read {register:#04x}")));
            }
            Ok(s.read(register))
        })
    }
}
