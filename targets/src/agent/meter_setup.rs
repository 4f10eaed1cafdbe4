//! The job's meter settings as a [`MeterConfig`], and the meter started.

use edgebench_schema::job::MeterChoice as JobMeter;

use crate::meters::hwmon::DEFAULT_RAIL;
use crate::meters::ina219::Ina219Config;
use crate::meters::{
    MAX_RATE_HZ, Meter, MeterConfig, MeterKind, NoneMeter, Rejection, SamplerConfig, select,
};

/// The sample rate in whole hertz a sampler runs at for `hz` (1 to
/// [`MAX_RATE_HZ`]).
pub fn sampler_rate(hz: f64) -> u32 {
    if hz.is_finite() {
        hz.round().clamp(1.0, f64::from(MAX_RATE_HZ)) as u32
    } else {
        100
    }
}

/// The meter configuration a job asks for, reading the device under `/`.
pub fn meter_config(choice: &JobMeter) -> MeterConfig {
    MeterConfig {
        kind: choice.kind,
        sampler: SamplerConfig {
            rate_hz: sampler_rate(choice.sample_hz),
            ..SamplerConfig::default()
        },
        ina219: choice.ina219.as_ref().map(|i| Ina219Config {
            bus: i.bus,
            address: i.address,
            shunt_ohms: i.shunt_ohms,
            max_current_a: i.max_current_a,
            ..Ina219Config::default()
        }),
        hwmon_rail: choice
            .hwmon_rail
            .clone()
            .unwrap_or_else(|| DEFAULT_RAIL.to_owned()),
        ..MeterConfig::default()
    }
}

/// A started meter and how it was chosen.
pub struct StartedMeter {
    /// The meter, started (a [`NoneMeter`] when nothing works).
    pub meter: Box<dyn Meter>,
    /// Meters tried before it and why they were not used.
    pub rejected: Vec<Rejection>,
    /// Samples per second, for sampling meters.
    pub sample_hz: Option<f64>,
}

/// Selects the meter `cfg` asks for and starts it; a meter that fails to
/// start is replaced by a [`NoneMeter`] saying why.
pub fn start_meter(cfg: &MeterConfig) -> StartedMeter {
    let selection = select(cfg);
    let mut meter = selection.meter;
    let mut rejected = selection.rejected;
    if let Err(e) = meter.start() {
        let kind = meter.kind();
        let reason = format!("{kind} failed to start: {e}");
        rejected.push(Rejection {
            kind,
            reason: reason.clone(),
        });
        meter = Box::new(NoneMeter::new(reason));
        // A none meter cannot fail to start.
        let _ = meter.start();
    }
    let sample_hz = matches!(meter.kind(), MeterKind::Ina219 | MeterKind::Hwmon)
        .then_some(f64::from(cfg.sampler.rate_hz));
    StartedMeter {
        meter,
        rejected,
        sample_hz,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meters::MeterChoice;
    use edgebench_schema::job::Ina219Settings;

    #[test]
    fn job_settings_map_onto_the_meter_config() {
        let choice = JobMeter {
            kind: MeterChoice::Ina219,
            sample_hz: 249.6,
            ina219: Some(Ina219Settings {
                bus: 3,
                address: 0x41,
                shunt_ohms: 0.01,
                max_current_a: 5.0,
            }),
            hwmon_rail: None,
            counters: true,
        };
        let cfg = meter_config(&choice);
        assert_eq!(cfg.kind, MeterChoice::Ina219);
        assert_eq!(cfg.sampler.rate_hz, 250);
        let ina = cfg.ina219.unwrap();
        assert_eq!((ina.bus, ina.address), (3, 0x41));
        assert_eq!((ina.shunt_ohms, ina.max_current_a), (0.01, 5.0));
        assert_eq!(cfg.hwmon_rail, DEFAULT_RAIL);
        assert_eq!((sampler_rate(0.2), sampler_rate(5000.0)), (1, MAX_RATE_HZ));
    }

    #[test]
    fn a_meter_that_cannot_open_leaves_a_started_none_meter() {
        let cfg = MeterConfig {
            kind: MeterChoice::Hwmon,
            root: std::env::temp_dir().join("edgebench-no-such-root"),
            ..MeterConfig::default()
        };
        let mut started = start_meter(&cfg);
        assert_eq!(started.meter.kind(), MeterKind::None);
        assert_eq!(started.rejected.len(), 1);
        assert_eq!(started.sample_hz, None);
        assert!(started.meter.mark().is_ok());
    }
}
