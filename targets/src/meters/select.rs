//! Choosing a meter from the device configuration.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Instant;

use super::hwmon::{DEFAULT_RAIL, HwmonSource, find_rail};
use super::ina219::{Ina219Config, open_meter};
use super::perf_power::PerfPowerSource;
use super::rapl::RaplSource;
use super::window::seconds_between;
use super::{Mark, Meter, MeterError, MeterKind, SampledMeter, SamplerConfig, WindowEnergy};

/// Which meter the configuration asks for: the job's meter kind, with
/// `auto` for the best one available (a configured INA219, then RAPL, the
/// perf power PMU, a hwmon rail, and none).
pub use edgebench_schema::job::MeterKind as MeterChoice;

/// The meter part of a device's configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MeterConfig {
    /// Which meter.
    pub kind: MeterChoice,
    /// Filesystem root for sysfs and procfs (`/`; a fixture tree in tests).
    pub root: PathBuf,
    /// Sampling of power meters (INA219, hwmon).
    pub sampler: SamplerConfig,
    /// The INA219 wiring, when one is attached.
    pub ina219: Option<Ina219Config>,
    /// hwmon rail label (default `VDD_IN`), chip name or `hwmonN`.
    pub hwmon_rail: String,
}

impl Default for MeterConfig {
    fn default() -> Self {
        MeterConfig {
            kind: MeterChoice::Auto,
            root: PathBuf::from("/"),
            sampler: SamplerConfig::default(),
            ina219: None,
            hwmon_rail: DEFAULT_RAIL.to_owned(),
        }
    }
}

/// A meter that was not chosen, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    /// The meter.
    pub kind: MeterKind,
    /// Why it was not used, e.g. `/sys/class/powercap not present`.
    pub reason: String,
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind, self.reason)
    }
}

/// The chosen meter and the reasons the others were rejected.
pub struct Selection {
    /// The meter to use (a [`NoneMeter`] when nothing works).
    pub meter: Box<dyn Meter>,
    /// The meters tried before it, in order, with their reasons.
    pub rejected: Vec<Rejection>,
}

fn try_kind(kind: MeterKind, cfg: &MeterConfig) -> Result<Box<dyn Meter>, String> {
    match kind {
        MeterKind::Rapl => Ok(Box::new(RaplSource::open(&cfg.root)?.into_meter())),
        MeterKind::PerfPower => Ok(Box::new(PerfPowerSource::open(&cfg.root)?.into_meter())),
        MeterKind::Hwmon => {
            let rail = find_rail(&cfg.root, &cfg.hwmon_rail)?;
            let source = HwmonSource::open(rail)?;
            SampledMeter::new(MeterKind::Hwmon, Box::new(source), cfg.sampler)
                .map(|m| Box::new(m) as Box<dyn Meter>)
                .map_err(|e| e.to_string())
        }
        MeterKind::Ina219 => match &cfg.ina219 {
            None => Err("no ina219 section in the device configuration".to_owned()),
            Some(ina) => open_meter(ina, cfg.sampler)
                .map(|m| Box::new(m) as Box<dyn Meter>)
                .map_err(|e| e.to_string()),
        },
        MeterKind::None => Err("none".to_owned()),
    }
}

/// Opens the meter `cfg` asks for; with `auto`, the first that works of a
/// configured INA219, RAPL, the perf power PMU and a hwmon rail. Never
/// fails: when nothing works the meter is a [`NoneMeter`] whose reason
/// lists every rejection.
pub fn select(cfg: &MeterConfig) -> Selection {
    let order: Vec<MeterKind> = match cfg.kind {
        MeterChoice::Auto => {
            let mut v = Vec::new();
            if cfg.ina219.is_some() {
                v.push(MeterKind::Ina219);
            }
            v.extend([MeterKind::Rapl, MeterKind::PerfPower, MeterKind::Hwmon]);
            v
        }
        MeterChoice::Rapl => vec![MeterKind::Rapl, MeterKind::PerfPower],
        MeterChoice::PerfPower => vec![MeterKind::PerfPower],
        MeterChoice::Ina219 => vec![MeterKind::Ina219],
        MeterChoice::Hwmon => vec![MeterKind::Hwmon],
        MeterChoice::None => Vec::new(),
    };
    let mut rejected = Vec::new();
    for kind in order {
        match try_kind(kind, cfg) {
            Ok(meter) => return Selection { meter, rejected },
            Err(reason) => rejected.push(Rejection { kind, reason }),
        }
    }
    let reason = if cfg.kind == MeterChoice::None {
        "no meter configured".to_owned()
    } else {
        let all: Vec<String> = rejected.iter().map(ToString::to_string).collect();
        format!("no usable meter ({})", all.join("; "))
    };
    Selection {
        meter: Box::new(NoneMeter::new(reason)),
        rejected,
    }
}

/// The meter of a device without one: every window has `None` energy and
/// the reason.
#[derive(Clone, Debug)]
pub struct NoneMeter {
    reason: String,
}

impl NoneMeter {
    /// A meter reporting `reason` for every window.
    pub fn new(reason: impl Into<String>) -> Self {
        NoneMeter {
            reason: reason.into(),
        }
    }
}

impl Meter for NoneMeter {
    fn kind(&self) -> MeterKind {
        MeterKind::None
    }

    fn description(&self) -> String {
        format!("none: {}", self.reason)
    }

    fn start(&mut self) -> Result<(), MeterError> {
        Ok(())
    }

    fn mark(&mut self) -> Result<Mark, MeterError> {
        Ok(Mark::at(Instant::now()))
    }

    fn window(&self, from: &Mark, to: &Mark) -> WindowEnergy {
        WindowEnergy::unavailable(
            MeterKind::None,
            seconds_between(from.at, to.at),
            &self.reason,
        )
    }

    fn stop(&mut self) -> Result<(), MeterError> {
        Ok(())
    }
}
