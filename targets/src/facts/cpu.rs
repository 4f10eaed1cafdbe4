//! CPU model, core count and cpufreq policies.

use serde::{Deserialize, Serialize};
use std::path::Path;

use super::read_trimmed;

/// The CPU and board.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CpuFacts {
    /// CPU model: `model name` (x86), else the device-tree or cpuinfo
    /// board model, else `Hardware`, else the `CPU part` ids.
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
    f.model = model_name
        .or_else(|| f.board.clone())
        .or_else(|| f.hardware.clone())
        .or_else(|| {
            (!f.cpu_parts.is_empty()).then(|| format!("ARM CPU part {}", f.cpu_parts.join("/")))
        });
    f
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
