//! CPU model, core count and cpufreq policies.

use serde::{Deserialize, Serialize};
use std::path::Path;

use super::read_trimmed;

/// The CPU and board.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CpuFacts {
    /// CPU model: `model name` (x86); on ARM the core names decoded from
    /// `CPU part` (`Cortex-A76`), else `Hardware`, else the board.
    pub model: Option<String>,
    /// Board model (`/proc/device-tree/model`, or cpuinfo's `Model` line on
    /// a Raspberry Pi).
    pub board: Option<String>,
    /// `Hardware` line (older ARM kernels, e.g. `BCM2835`).
    pub hardware: Option<String>,
    /// Distinct `CPU part` ids (ARM), e.g. `0xd0b`.
    pub cpu_parts: Vec<String>,
    /// Logical cores (`processor` entries).
    pub logical_cores: usize,
}

/// Parses `/proc/cpuinfo` text plus an optional device-tree model.
pub fn parse_cpuinfo(cpuinfo: &str, dt_model: Option<String>) -> CpuFacts {
    let mut f = CpuFacts::default();
    let mut model_name = None;
    let mut board = None;
    for line in cpuinfo.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let (key, value) = (key.trim(), value.trim().to_owned());
        match key {
            "processor" => f.logical_cores += 1,
            "model name" if model_name.is_none() => model_name = Some(value),
            "Model" => board = Some(value),
            "Hardware" => f.hardware = Some(value),
            "CPU part" if !f.cpu_parts.contains(&value) => f.cpu_parts.push(value),
            _ => {}
        }
    }
    f.board = dt_model.filter(|s| !s.is_empty()).or(board);
    // ARM kernels print a generic "ARMv8 Processor" model name if any: the
    // core names from the part ids say more.
    let generic = model_name.as_deref().is_none_or(|m| m.starts_with("ARMv"));
    let cores: Vec<String> = f
        .cpu_parts
        .iter()
        .map(|p| arm_core_name(p).map_or_else(|| format!("ARM part {p}"), str::to_owned))
        .collect();
    f.model = if generic && !cores.is_empty() {
        Some(cores.join(" + "))
    } else {
        model_name
            .or_else(|| f.hardware.clone())
            .or_else(|| f.board.clone())
    };
    f
}

/// Arm Ltd. core names by `CPU part` (implementer 0x41).
fn arm_core_name(part: &str) -> Option<&'static str> {
    Some(match part {
        "0xd03" => "Cortex-A53",
        "0xd04" => "Cortex-A35",
        "0xd05" => "Cortex-A55",
        "0xd07" => "Cortex-A57",
        "0xd08" => "Cortex-A72",
        "0xd09" => "Cortex-A73",
        "0xd0a" => "Cortex-A75",
        "0xd0b" => "Cortex-A76",
        "0xd0c" => "Neoverse-N1",
        "0xd0d" => "Cortex-A77",
        "0xd40" => "Neoverse-V1",
        "0xd41" => "Cortex-A78",
        "0xd42" => "Cortex-A78AE",
        "0xd44" => "Cortex-X1",
        "0xd46" => "Cortex-A510",
        "0xd47" => "Cortex-A710",
        "0xd48" => "Cortex-X2",
        "0xd49" => "Neoverse-N2",
        "0xd4b" => "Cortex-A78C",
        "0xd4d" => "Cortex-A715",
        "0xd4f" => "Neoverse-V2",
        "0xd80" => "Cortex-A520",
        "0xd81" => "Cortex-A720",
        _ => return None,
    })
}

/// Reads `<root>/proc/cpuinfo` and `<root>/proc/device-tree/model`.
pub fn read_cpu(root: &Path) -> CpuFacts {
    let cpuinfo = std::fs::read_to_string(root.join("proc/cpuinfo")).unwrap_or_default();
    let mut f = parse_cpuinfo(&cpuinfo, read_trimmed(&root.join("proc/device-tree/model")));
    if f.logical_cores == 0 && root == Path::new("/") {
        f.logical_cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    }
    f
}

/// One cpufreq policy (a cluster of cores sharing a clock).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CpufreqPolicy {
    /// Policy name, e.g. `policy0`.
    pub policy: String,
    /// CPUs in the policy (`affected_cpus`).
    pub cpus: Option<String>,
    /// `scaling_governor`, e.g. `performance`, `ondemand`, `schedutil`.
    pub governor: Option<String>,
    /// `scaling_cur_freq` in MHz.
    pub cur_freq_mhz: Option<f64>,
    /// `scaling_min_freq` in MHz.
    pub min_freq_mhz: Option<f64>,
    /// `scaling_max_freq` in MHz.
    pub max_freq_mhz: Option<f64>,
}

fn khz_to_mhz(dir: &Path, file: &str) -> Option<f64> {
    let khz: f64 = read_trimmed(&dir.join(file))?.parse().ok()?;
    Some(khz / 1000.0)
}

/// Reads `<root>/sys/devices/system/cpu/cpufreq/policy*`.
pub fn read_cpufreq(root: &Path) -> Vec<CpufreqPolicy> {
    let base = root.join("sys/devices/system/cpu/cpufreq");
    let Ok(entries) = std::fs::read_dir(&base) else {
        return Vec::new();
    };
    let mut dirs: Vec<(u32, std::path::PathBuf)> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let n = name.strip_prefix("policy")?.parse().ok()?;
            Some((n, e.path()))
        })
        .collect();
    dirs.sort();
    dirs.into_iter()
        .map(|(n, dir)| CpufreqPolicy {
            policy: format!("policy{n}"),
            cpus: read_trimmed(&dir.join("affected_cpus")),
            governor: read_trimmed(&dir.join("scaling_governor")),
            cur_freq_mhz: khz_to_mhz(&dir, "scaling_cur_freq"),
            min_freq_mhz: khz_to_mhz(&dir, "scaling_min_freq"),
            max_freq_mhz: khz_to_mhz(&dir, "scaling_max_freq"),
        })
        .collect()
}
