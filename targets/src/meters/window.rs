//! Marks and the energy measured between two of them.

use serde::{Deserialize, Serialize};
use std::time::Instant;

use super::MeterKind;

/// A boundary recorded by [`Meter::mark`](super::Meter::mark).
#[derive(Clone, Debug)]
pub struct Mark {
    /// When the mark was taken.
    pub at: Instant,
    /// Cumulative energy per zone since `start`, in joules (counter meters
    /// only; empty for sampled meters).
    pub(crate) zone_totals_j: Vec<f64>,
}

impl Mark {
    /// A mark at `at` with no counter readings (sampled meters, tests).
    pub fn at(at: Instant) -> Self {
        Mark {
            at,
            zone_totals_j: Vec::new(),
        }
    }
}

/// Energy of one zone of a counter meter over a window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ZoneEnergy {
    /// Zone name, e.g. `package-0`, `package-0/dram`, `energy-pkg@cpu0`.
    pub zone: String,
    /// Energy over the window in joules.
    pub energy_j: f64,
    /// Whether this zone is part of the total (packages and DRAM are; core,
    /// uncore and psys overlap them and are not).
    pub summed: bool,
}

/// What a meter measured between two marks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WindowEnergy {
    /// The meter that measured it.
    pub meter: MeterKind,
    /// Length of the window in seconds.
    pub duration_s: f64,
    /// Energy over the window in joules, `None` when not measurable.
    pub energy_j: Option<f64>,
    /// Average power over the window in watts, `None` when not measurable.
    pub avg_power_w: Option<f64>,
    /// Valid power samples inside the window (counter meters: counter reads).
    pub samples: u64,
    /// Samples inside the window that were errors (overflow, read failure)
    /// and were left out of the integral.
    pub error_samples: u64,
    /// Samples taken more than half a period after their scheduled time.
    pub late_samples: u64,
    /// Scheduled samples that were skipped because the sampler fell behind.
    pub dropped_samples: u64,
    /// Per-zone energies (counter meters).
    pub zones: Vec<ZoneEnergy>,
    /// Why `energy_j` is `None`, or a note on how it was obtained.
    pub reason: Option<String>,
}

impl WindowEnergy {
    /// A window with no energy and the reason why.
    pub fn unavailable(meter: MeterKind, duration_s: f64, reason: impl Into<String>) -> Self {
        WindowEnergy {
            meter,
            duration_s,
            energy_j: None,
            avg_power_w: None,
            samples: 0,
            error_samples: 0,
            late_samples: 0,
            dropped_samples: 0,
            zones: Vec::new(),
            reason: Some(reason.into()),
        }
    }
}

/// Seconds from `from` to `to`, negative when `to` is earlier.
pub(crate) fn seconds_between(from: Instant, to: Instant) -> f64 {
    if to >= from {
        (to - from).as_secs_f64()
    } else {
        -(from - to).as_secs_f64()
    }
}
