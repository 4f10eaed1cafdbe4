//! What caps the CPU clock below what the governor asks: thermal cooling
//! devices bound to the CPU (`/sys/class/thermal/cooling_device*`) and, on
//! x86, the CPUs' thermal throttle event counters
//! (`/sys/devices/system/cpu/cpu*/thermal_throttle/*_throttle_count`).

use serde::{Deserialize, Serialize};
use std::path::Path;

use super::read_trimmed;

/// One thermal cooling device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoolingDevice {
    /// Device directory name, e.g. `cooling_device0`.
    pub device: String,
    /// Its `type`, e.g. `cpufreq-cpu0`, `thermal-cpufreq-0`, `Processor`,
    /// `pwm-fan`.
    pub kind: Option<String>,
    /// `cur_state`: 0 is no cooling; for a CPU device, each step lowers
    /// the highest allowed frequency.
    pub cur_state: Option<u64>,
    /// `max_state`.
    pub max_state: Option<u64>,
}

impl CoolingDevice {
    /// Whether this device cools by capping the CPU's clock: the kernel's
    /// cpufreq cooling (`cpufreq-cpuN`, formerly `thermal-cpufreq-N`),
    /// ACPI processor throttling (`Processor`) or Intel's idle injection
    /// (`intel_powerclamp`). Fans and GPU devfreq devices are not.
    pub fn caps_cpu(&self) -> bool {
        self.kind.as_deref().is_some_and(|k| {
            k.starts_with("cpufreq-")
                || k.starts_with("thermal-cpufreq")
                || k == "Processor"
                || k == "intel_powerclamp"
        })
    }

    /// Whether it caps the CPU right now.
    pub fn capping(&self) -> bool {
        self.caps_cpu() && self.cur_state.is_some_and(|s| s > 0)
    }

    /// `cooling_device0 (cpufreq-cpu0) at state 2 of 4`.
    pub fn describe(&self) -> String {
        let state = |s: Option<u64>| s.map_or("?".to_owned(), |s| s.to_string());
        format!(
            "{} ({}) at state {} of {}",
            self.device,
            self.kind.as_deref().unwrap_or("unknown type"),
            state(self.cur_state),
            state(self.max_state)
        )
    }
}

/// Reads every `<root>/sys/class/thermal/cooling_device*`, in number
/// order.
pub fn read_cooling(root: &Path) -> Vec<CoolingDevice> {
    let base = root.join("sys/class/thermal");
    let Ok(entries) = std::fs::read_dir(&base) else {
        return Vec::new();
    };
    let number =
        |dir: &Path, file: &str| -> Option<u64> { read_trimmed(&dir.join(file))?.parse().ok() };
    let mut devices: Vec<(u32, CoolingDevice)> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let n: u32 = name.strip_prefix("cooling_device")?.parse().ok()?;
            let dir = e.path();
            Some((
                n,
                CoolingDevice {
                    kind: read_trimmed(&dir.join("type")),
                    cur_state: number(&dir, "cur_state"),
                    max_state: number(&dir, "max_state"),
                    device: name,
                },
            ))
        })
        .collect();
    devices.sort_by_key(|(n, _)| *n);
    devices.into_iter().map(|(_, d)| d).collect()
}

/// The sum of every CPU's `core_throttle_count` and
/// `package_throttle_count` under `<root>/sys/devices/system/cpu`: it
/// grows whenever an x86 core or package is thermally throttled. `None`
/// where the kernel has no such counters (ARM boards, most VMs).
pub fn read_throttle_events(root: &Path) -> Option<u64> {
    let base = root.join("sys/devices/system/cpu");
    let entries = std::fs::read_dir(&base).ok()?;
    let mut total: Option<u64> = None;
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix("cpu")) else {
            continue;
        };
        if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let dir = e.path().join("thermal_throttle");
        for file in ["core_throttle_count", "package_throttle_count"] {
            if let Some(n) = read_trimmed(&dir.join(file)).and_then(|t| t.parse::<u64>().ok()) {
                total = Some(total.unwrap_or(0).saturating_add(n));
            }
        }
    }
    total
}
