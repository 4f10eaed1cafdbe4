//! Energy of each repetition and its summary: joules per inference, per
//! phase, above idle, millijoules per decoded token, average power, and the
//! accounting of power samples lost on the way.

use edgebench_schema::{EnergyReport, Summary};

use super::{MeasuredRep, Measurement};
use crate::meters::WindowEnergy;

/// Largest fraction of scheduled power samples that may be dropped or
/// errors before a measurement is not trusted.
pub const MAX_LOST_FRACTION: f64 = 0.01;
/// Largest fraction of power samples that may be late.
pub const MAX_LATE_FRACTION: f64 = 0.05;

/// The energy figures of one repetition; each `None` when not measured.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RepEnergy {
    /// Joules over the repetition.
    pub total_j: Option<f64>,
    /// Joules of the prefill.
    pub prefill_j: Option<f64>,
    /// Joules of the decode steps.
    pub decode_j: Option<f64>,
    /// Joules above idle power over the repetition.
    pub above_idle_j: Option<f64>,
    /// Millijoules per decode step.
    pub decode_mj_per_token: Option<f64>,
    /// Average watts over the repetition.
    pub avg_power_w: Option<f64>,
}

/// The energy of `r`, with `idle_w` watts subtracted for the figure above
/// idle.
pub fn rep_energy(r: &MeasuredRep, idle_w: Option<f64>) -> RepEnergy {
    let total_j = r.total.energy_j;
    let steps = r.timing.token_latencies.len();
    RepEnergy {
        total_j,
        prefill_j: r.prefill.energy_j,
        decode_j: r.decode.energy_j,
        above_idle_j: total_j.zip(idle_w).map(|(e, p)| e - p * r.total.duration_s),
        decode_mj_per_token: r
            .decode
            .energy_j
            .filter(|_| steps > 0)
            .map(|e| e * 1e3 / steps as f64),
        avg_power_w: r.total.avg_power_w,
    }
}

/// Power samples over the measured repetitions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SampleAccounting {
    /// Valid samples (counter reads for counter meters).
    pub valid: u64,
    /// Samples taken more than half a period late.
    pub late: u64,
    /// Scheduled samples skipped.
    pub dropped: u64,
    /// Samples that were read errors.
    pub errors: u64,
}

impl SampleAccounting {
    /// The counts of a window.
    pub fn of(w: &WindowEnergy) -> Self {
        SampleAccounting {
            valid: w.samples,
            late: w.late_samples,
            dropped: w.dropped_samples,
            errors: w.error_samples,
        }
    }

    /// Why the samples cannot be trusted, when too many were lost or late.
    pub fn problem(&self) -> Option<String> {
        let scheduled = self.valid + self.dropped + self.errors;
        if scheduled == 0 {
            return None;
        }
        let lost = (self.dropped + self.errors) as f64 / scheduled as f64;
        let late = self.late as f64 / scheduled as f64;
        if lost > MAX_LOST_FRACTION {
            Some(format!(
                "power meter lost {} of {scheduled} samples ({} dropped, {} errors; {:.1} % > {:.0} %)",
                self.dropped + self.errors,
                self.dropped,
                self.errors,
                lost * 100.0,
                MAX_LOST_FRACTION * 100.0
            ))
        } else if late > MAX_LATE_FRACTION {
            Some(format!(
                "power meter took {} of {scheduled} samples late ({:.1} % > {:.0} %)",
                self.late,
                late * 100.0,
                MAX_LATE_FRACTION * 100.0
            ))
        } else {
            None
        }
    }
}

/// Adds `note` to `notes` once.
fn note(notes: &mut Vec<String>, text: String) {
    if !notes.contains(&text) {
        notes.push(text);
    }
}

/// Why a window has no energy.
fn reason_of(w: &WindowEnergy) -> String {
    w.reason
        .clone()
        .unwrap_or_else(|| "not measured".to_owned())
}

/// The energy section of the result, from the energies of `m`'s
/// repetitions (`idle_w` subtracted) and the samples over them.
pub(crate) fn energy_report(
    m: &Measurement,
    idle_w: Option<f64>,
    energies: &[RepEnergy],
    accounting: &SampleAccounting,
    sample_hz: Option<f64>,
    seed: u64,
) -> EnergyReport {
    let summary = |f: &dyn Fn(&RepEnergy) -> Option<f64>| {
        let v: Vec<f64> = energies.iter().filter_map(f).collect();
        Summary::of(&v, seed)
    };
    let mut notes = Vec::new();
    let measured = energies.iter().filter(|e| e.total_j.is_some()).count();
    if let Some(missing) = m.reps.iter().find(|r| r.total.energy_j.is_none()) {
        let why = reason_of(&missing.total);
        if measured == 0 {
            note(&mut notes, why);
        } else {
            note(
                &mut notes,
                format!(
                    "{} of {} repetitions without energy: {why}",
                    energies.len() - measured,
                    energies.len()
                ),
            );
        }
    }
    if measured > 0 {
        match (&m.idle, &m.idle_note) {
            (Some(w), _) if w.avg_power_w.is_none() => {
                note(&mut notes, format!("idle power: {}", reason_of(w)));
            }
            (None, Some(n)) => note(&mut notes, n.clone()),
            _ => {}
        }
        for (phase, w) in m
            .reps
            .iter()
            .flat_map(|r| [("prefill", &r.prefill), ("decode", &r.decode)])
        {
            if w.energy_j.is_none() {
                note(&mut notes, format!("{phase} energy: {}", reason_of(w)));
            }
        }
    }
    EnergyReport {
        meter: m.meter.as_str().to_owned(),
        description: Some(m.meter_description.clone()),
        reason: (!notes.is_empty()).then(|| notes.join("; ")),
        sample_hz,
        idle_power_w: idle_w,
        energy_j: summary(&|e| e.total_j),
        energy_above_idle_j: summary(&|e| e.above_idle_j),
        decode_mj_per_token: summary(&|e| e.decode_mj_per_token),
        prefill_energy_j: summary(&|e| e.prefill_j),
        avg_power_w: summary(&|e| e.avg_power_w),
        dropped_samples: accounting.dropped + accounting.late,
        error_samples: accounting.errors,
        samples: accounting.valid,
    }
}
