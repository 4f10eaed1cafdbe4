//! The metrics of the comparison table and how each is read from a result,
//! with the reason when it cannot be.

use edgebench_schema::{Status, Summary};
use serde::Serialize;

use crate::model::{CellRow, WorkloadKey};

/// One row of the comparison table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Size of the recipe file the device runs, MiB.
    SizeOnDisk,
    /// Peak resident set of the agent, MiB.
    PeakRam,
    /// Seconds to load the recipe file, in ms.
    LoadTime,
    /// Median end-to-end seconds of the workload.
    Latency,
    /// Median joules per inference.
    Energy,
    /// PPL increase vs the reference recipe, %.
    AccuracyDrop,
    /// Median time to first token, ms.
    Ttft,
    /// Median decode tokens per second.
    DecodeTps,
    /// Median millijoules per generated token.
    EnergyPerToken,
}

/// A metric's value, with the 95 % interval of the median when there is one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measured {
    /// The value in the metric's unit.
    pub value: f64,
    /// Lower and upper end of the 95 % confidence interval of the median.
    pub ci: Option<(f64, f64)>,
}

impl Metric {
    /// Every metric, in table order.
    pub const ALL: [Metric; 9] = [
        Metric::SizeOnDisk,
        Metric::PeakRam,
        Metric::LoadTime,
        Metric::Latency,
        Metric::Energy,
        Metric::AccuracyDrop,
        Metric::Ttft,
        Metric::DecodeTps,
        Metric::EnergyPerToken,
    ];

    /// The row's label, with its unit, for a table of `workload`.
    pub fn label(self, workload: WorkloadKey) -> String {
        match self {
            Metric::SizeOnDisk => "Size on disk (MiB)".to_owned(),
            Metric::PeakRam => "Peak RAM (MiB)".to_owned(),
            Metric::LoadTime => "Load time (ms)".to_owned(),
            Metric::Latency => format!(
                "Latency, {}+{} tokens (s)",
                workload.prompt_tokens, workload.gen_tokens
            ),
            Metric::Energy => "Energy per inference (J)".to_owned(),
            Metric::AccuracyDrop => "Accuracy drop, PPL Δ (%)".to_owned(),
            Metric::Ttft => "Time to first token (ms)".to_owned(),
            Metric::DecodeTps => "Decode (tokens/s)".to_owned(),
            Metric::EnergyPerToken => "Energy per token (mJ)".to_owned(),
        }
    }

    /// Whether a higher value is better (decode tokens/s only).
    pub fn higher_is_better(self) -> bool {
        self == Metric::DecodeTps
    }

    /// Decimals shown.
    fn decimals(self) -> usize {
        match self {
            Metric::SizeOnDisk
            | Metric::PeakRam
            | Metric::LoadTime
            | Metric::Ttft
            | Metric::DecodeTps => 1,
            Metric::EnergyPerToken | Metric::AccuracyDrop => 2,
            Metric::Latency | Metric::Energy => 3,
        }
    }

    /// The value as text, with its interval when there is one.
    pub fn format(self, m: Measured) -> String {
        match self.format_ci(m) {
            Some(ci) => format!("{} {ci}", self.format_value(m)),
            None => self.format_value(m),
        }
    }

    /// The value alone as text, e.g. `1.200` or `+0.40`.
    pub fn format_value(self, m: Measured) -> String {
        let d = self.decimals();
        if self == Metric::AccuracyDrop {
            format!("{:+.d$}", m.value)
        } else {
            format!("{:.d$}", m.value)
        }
    }

    /// The interval as text, e.g. `[1.080, 1.320]`, when there is one.
    pub fn format_ci(self, m: Measured) -> Option<String> {
        let d = self.decimals();
        m.ci.map(|(lo, hi)| format!("[{lo:.d$}, {hi:.d$}]"))
    }

    /// Reads the metric from `cell`; `reference` is the recipe the accuracy
    /// figures compare to (its drop is 0).
    ///
    /// # Errors
    /// Why the value is missing: the cell's status, or the meter's reason.
    pub fn read(self, cell: &CellRow, reference: Option<&str>) -> Result<Measured, String> {
        let r = &cell.result;
        if r.status != Status::Ok {
            return Err(format!("status {}", r.status.name()));
        }
        let plain = |value: f64| Measured { value, ci: None };
        let latency = || r.latency.as_ref().ok_or("no latency report");
        let energy = || r.energy.as_ref().ok_or("no energy report");
        let energy_reason = || {
            r.energy
                .as_ref()
                .and_then(|e| e.reason.clone())
                .unwrap_or_else(|| "energy not measured".to_owned())
        };
        let measured = match self {
            Metric::SizeOnDisk => {
                let m = r.model.as_ref().ok_or("no model report")?;
                plain(m.size_on_disk() as f64 / MIB)
            }
            Metric::LoadTime => {
                let m = r.model.as_ref().ok_or("no model report")?;
                plain(m.load_seconds * 1000.0)
            }
            Metric::PeakRam => {
                let m = r.memory.as_ref().ok_or("no memory report")?;
                plain(m.peak_rss_kib as f64 / 1024.0)
            }
            Metric::Latency => with_ci(&latency()?.e2e_s),
            Metric::Ttft => scaled(with_ci(&latency()?.ttft_s), 1000.0),
            Metric::DecodeTps => with_ci(&latency()?.decode_tps),
            Metric::Energy => with_ci(energy()?.energy_j.as_ref().ok_or_else(energy_reason)?),
            Metric::EnergyPerToken => {
                let s = energy()?.decode_mj_per_token.as_ref();
                with_ci(s.ok_or_else(energy_reason)?)
            }
            Metric::AccuracyDrop => {
                if cell.is_reference(reference) {
                    plain(0.0)
                } else {
                    let a = r.accuracy.as_ref().ok_or("accuracy not evaluated")?;
                    plain(a.ppl_delta_pct)
                }
            }
        };
        if measured.value.is_finite() {
            Ok(measured)
        } else {
            Err("not a finite value".to_owned())
        }
    }
}

/// Bytes in a MiB.
const MIB: f64 = 1024.0 * 1024.0;

/// `m` in a unit `factor` times smaller (seconds to milliseconds).
fn scaled(m: Measured, factor: f64) -> Measured {
    Measured {
        value: m.value * factor,
        ci: m.ci.map(|(lo, hi)| (lo * factor, hi * factor)),
    }
}

/// The median, with its interval when it has width.
fn with_ci(s: &Summary) -> Measured {
    let ci = (s.n > 1 && s.median_ci_high > s.median_ci_low)
        .then_some((s.median_ci_low, s.median_ci_high));
    Measured {
        value: s.median,
        ci,
    }
}
