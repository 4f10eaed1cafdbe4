//! Counter meters: cumulative energy counters read at each mark.

use std::time::Instant;

use super::window::seconds_between;
use super::{Mark, Meter, MeterError, MeterKind, WindowEnergy, ZoneEnergy};

/// One energy counter of a counter meter.
#[derive(Clone, Debug, PartialEq)]
pub struct CounterZone {
    /// Zone name for the per-zone report.
    pub name: String,
    /// Joules per counter unit (1e-6 for `energy_uj`).
    pub joules_per_unit: f64,
    /// The counter wraps to 0 after this value (RAPL's
    /// `max_energy_range_uj`); `None` for a 64-bit counter.
    pub wrap_range: Option<u64>,
    /// Whether the zone is part of the total.
    pub summed: bool,
}

/// Something with cumulative energy counters.
pub trait EnergyCounterSource: Send {
    /// The zones, in the order [`read_raw`](Self::read_raw) returns them.
    fn zones(&self) -> &[CounterZone];
    /// Reads every counter now, in counter units.
    fn read_raw(&mut self) -> Result<Vec<u64>, MeterError>;
    /// What is read, e.g. `rapl powercap /sys/class/powercap`.
    fn describe(&self) -> String;
}

/// Turns wrapping counter readings into monotonic totals.
///
/// Each update adds the difference to the previous reading; a reading lower
/// than the previous one is a wrap: the counter went up to `wrap_range` and
/// restarted from 0. At most one wrap between two updates is detectable, so
/// read at least once per wrap period (minutes to hours for RAPL).
#[derive(Clone, Debug, Default)]
pub struct WrapTracker {
    last: Vec<u64>,
    totals: Vec<u128>,
    /// Number of wraps seen per zone.
    pub wraps: Vec<u64>,
}

impl WrapTracker {
    /// Feeds one reading per zone; returns the totals since the first one.
    ///
    /// # Panics
    ///
    /// If `raw` and `ranges` differ in length, or from the previous reading.
    pub fn update(&mut self, raw: &[u64], ranges: &[Option<u64>]) -> &[u128] {
        assert_eq!(raw.len(), ranges.len(), "one range per counter");
        if self.last.is_empty() {
            self.last = raw.to_vec();
            self.totals = vec![0; raw.len()];
            self.wraps = vec![0; raw.len()];
            return &self.totals;
        }
        assert_eq!(raw.len(), self.last.len(), "counter count changed");
        for (i, (&now, range)) in raw.iter().zip(ranges).enumerate() {
            let prev = self.last[i];
            let delta = if now >= prev {
                now - prev
            } else {
                self.wraps[i] += 1;
                match range {
                    Some(r) => r.saturating_sub(prev).saturating_add(now),
                    None => now.wrapping_sub(prev),
                }
            };
            self.totals[i] += u128::from(delta);
            self.last[i] = now;
        }
        &self.totals
    }
}

/// A [`Meter`] over an [`EnergyCounterSource`].
pub struct CounterMeter {
    kind: MeterKind,
    source: Box<dyn EnergyCounterSource>,
    /// The zones' wrap ranges, in zone order.
    ranges: Vec<Option<u64>>,
    tracker: WrapTracker,
    started: bool,
}

impl CounterMeter {
    /// A meter of `kind` over `source`.
    pub fn new(kind: MeterKind, source: Box<dyn EnergyCounterSource>) -> Self {
        let ranges = source.zones().iter().map(|z| z.wrap_range).collect();
        CounterMeter {
            kind,
            source,
            ranges,
            tracker: WrapTracker::default(),
            started: false,
        }
    }

    /// The zones read.
    pub fn zones(&self) -> &[CounterZone] {
        self.source.zones()
    }

    /// Wraps seen per zone since `start`.
    pub fn wraps(&self) -> &[u64] {
        &self.tracker.wraps
    }

    fn read(&mut self) -> Result<Vec<f64>, MeterError> {
        let raw = self.source.read_raw()?;
        if raw.len() != self.ranges.len() {
            return Err(MeterError::State("counter source returned a wrong count"));
        }
        let totals = self.tracker.update(&raw, &self.ranges);
        Ok(totals
            .iter()
            .zip(self.source.zones())
            .map(|(&t, z)| t as f64 * z.joules_per_unit)
            .collect())
    }
}

impl Meter for CounterMeter {
    fn kind(&self) -> MeterKind {
        self.kind
    }

    fn description(&self) -> String {
        let names: Vec<&str> = self.zones().iter().map(|z| z.name.as_str()).collect();
        format!("{} (zones: {})", self.source.describe(), names.join(", "))
    }

    fn start(&mut self) -> Result<(), MeterError> {
        if self.started {
            return Err(MeterError::State("already started"));
        }
        self.tracker = WrapTracker::default();
        self.read()?;
        self.started = true;
        Ok(())
    }

    fn mark(&mut self) -> Result<Mark, MeterError> {
        if !self.started {
            return Err(MeterError::State("not started"));
        }
        let zone_totals_j = self.read()?;
        Ok(Mark {
            at: Instant::now(),
            zone_totals_j,
        })
    }

    fn window(&self, from: &Mark, to: &Mark) -> WindowEnergy {
        let duration = seconds_between(from.at, to.at);
        let zones = self.zones();
        if from.zone_totals_j.len() != zones.len() || to.zone_totals_j.len() != zones.len() {
            return WindowEnergy::unavailable(self.kind, duration, "marks are not from this meter");
        }
        let per_zone: Vec<ZoneEnergy> = zones
            .iter()
            .zip(from.zone_totals_j.iter().zip(&to.zone_totals_j))
            .map(|(z, (a, b))| ZoneEnergy {
                zone: z.name.clone(),
                energy_j: b - a,
                summed: z.summed,
            })
            .collect();
        let total: f64 = per_zone
            .iter()
            .filter(|z| z.summed)
            .map(|z| z.energy_j)
            .sum();
        let ok = duration > 0.0;
        WindowEnergy {
            meter: self.kind,
            duration_s: duration,
            energy_j: ok.then_some(total),
            avg_power_w: ok.then(|| total / duration),
            samples: 2,
            error_samples: 0,
            late_samples: 0,
            dropped_samples: 0,
            zones: per_zone,
            reason: (!ok).then(|| "empty window (end is not after start)".to_owned()),
        }
    }

    fn stop(&mut self) -> Result<(), MeterError> {
        if !self.started {
            return Err(MeterError::State("not started"));
        }
        self.started = false;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_adds_the_distance_to_the_range() {
        let mut t = WrapTracker::default();
        let r = [Some(1000), None];
        t.update(&[900, u64::MAX - 5], &r);
        t.update(&[990, u64::MAX], &r);
        let totals = t.update(&[40, 4], &r).to_vec();
        assert_eq!(totals, vec![90 + 10 + 40, 5 + 5]);
        assert_eq!(t.wraps, vec![1, 1]);
    }
}
