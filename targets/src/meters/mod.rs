//! Meters: peak memory of the process and power/energy of the device.
//!
//! Energy comes from one of two shapes of [`Meter`]:
//!
//! - **counter meters** ([`CounterMeter`]) read a cumulative energy counter
//!   at each [`Meter::mark`] (RAPL powercap sysfs, the perf `power` PMU) and
//!   handle wrap-around of the counter;
//! - **sampled power meters** ([`SampledMeter`]) read instantaneous power from
//!   a [`PowerSource`] (INA219 over I2C, hwmon INA3221/INA2xx) on a
//!   background thread at a fixed rate, and integrate the samples over a
//!   window with the trapezoid rule, interpolating at the window edges.
//!
//! Both answer the same question: the energy between two marks, as a
//! [`WindowEnergy`]. A meter that cannot measure returns `None` energies with
//! a reason, never zero. [`select`] picks the meter a device configuration
//! asks for (or the best one available) and says why the others were
//! rejected.
//!
//! ```no_run
//! use edgebench_targets::meters::{self, MeterConfig};
//! let mut sel = meters::select(&MeterConfig::default());
//! sel.meter.start()?;
//! let a = sel.meter.mark()?;
//! // ... one rep ...
//! let b = sel.meter.mark()?;
//! let rep = sel.meter.window(&a, &b);
//! println!("{:?} J from {}", rep.energy_j, rep.meter);
//! sel.meter.stop()?;
//! # Ok::<(), meters::MeterError>(())
//! ```

mod counter;
mod error;
pub mod hwmon;
pub mod ina219;
mod integrate;
pub mod perf_power;
pub mod rapl;
pub mod rss;
mod sampler;
mod select;
mod window;

pub use counter::{CounterMeter, CounterZone, EnergyCounterSource, WrapTracker};
pub use error::MeterError;
pub use integrate::{Integration, PowerSample, integrate};
pub use rss::{ProcessMemory, read_process_memory};
pub use sampler::{MAX_RATE_HZ, PowerSource, SampledMeter, SamplerConfig};
pub use select::{MeterChoice, MeterConfig, NoneMeter, Rejection, Selection, select};
pub use window::{Mark, WindowEnergy, ZoneEnergy};

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Which kind of meter produced an energy figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MeterKind {
    /// Intel/AMD RAPL through the powercap sysfs (`energy_uj` counters).
    Rapl,
    /// RAPL through the perf `power` PMU (`energy-pkg`, `energy-ram`).
    PerfPower,
    /// A TI INA219 read directly over I2C.
    Ina219,
    /// A power monitor exposed by a hwmon driver (`ina3221`, `ina2xx`).
    Hwmon,
    /// No meter: energies are `None` with a reason.
    None,
}

impl MeterKind {
    /// The name used in configuration and results (`rapl`, `perf-power`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            MeterKind::Rapl => "rapl",
            MeterKind::PerfPower => "perf-power",
            MeterKind::Ina219 => "ina219",
            MeterKind::Hwmon => "hwmon",
            MeterKind::None => "none",
        }
    }
}

impl std::fmt::Display for MeterKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A power or energy meter.
///
/// Call [`start`](Meter::start) once, then [`mark`](Meter::mark) at every
/// boundary of interest (rep start and end, phase boundaries), query any pair
/// of marks with [`window`](Meter::window), and [`stop`](Meter::stop) at the
/// end. Marks are cheap: a sampled meter only records the time; a counter
/// meter reads its counters.
pub trait Meter: Send {
    /// The kind of this meter.
    fn kind(&self) -> MeterKind;
    /// What is measured, for the result: source, rail or zones, sample rate.
    fn description(&self) -> String;
    /// Starts measuring (starts the sampler thread, takes the first counter
    /// reading).
    fn start(&mut self) -> Result<(), MeterError>;
    /// Records a boundary now.
    fn mark(&mut self) -> Result<Mark, MeterError>;
    /// Energy, average power and sample accounting between two marks.
    ///
    /// For a sampled meter this may wait up to a few sample periods for the
    /// first sample after `to`, so that the window edge can be
    /// interpolated.
    fn window(&self, from: &Mark, to: &Mark) -> WindowEnergy;
    /// Stops measuring; marks taken before stay queryable.
    fn stop(&mut self) -> Result<(), MeterError>;
}

/// Idle power: marks, sleeps for `window`, marks again and returns the
/// window (its `avg_power_w` is the idle power). The meter must be started.
pub fn idle_power(meter: &mut dyn Meter, window: Duration) -> Result<WindowEnergy, MeterError> {
    let a = meter.mark()?;
    std::thread::sleep(window);
    let b = meter.mark()?;
    Ok(meter.window(&a, &b))
}
