//! Facts about the device under test: CPU, frequencies, kernel, memory,
//! temperatures, throttling, frequency caps and disk space.
//!
//! Every reader takes a filesystem root (`/` on the device, a fixture tree
//! in tests), except disk space, which takes the path it is about. Units
//! are in the field names: `_mhz`, `_c`, `_kib`, `_bytes`.

mod cooling;
mod cpu;
mod gate;
mod memory;
mod storage;
mod thermal;
mod throttle;

pub use cooling::{CoolingDevice, read_cooling, read_throttle_events};
pub use cpu::{CpuFacts, CpufreqPolicy, parse_cpuinfo, read_cpu, read_cpufreq};
pub use gate::{Clock, GateOutcome, SystemClock, ThermalGate};
pub use memory::{MemoryFacts, parse_meminfo, read_memory};
pub use storage::{FilesystemSpace, filesystem_space};
pub use thermal::{ThermalZone, max_temp_c, read_thermal};
pub use throttle::{Throttling, parse_throttled, read_throttled};

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Where facts are read from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FactsSource {
    /// Filesystem root holding `proc/` and `sys/`.
    pub root: PathBuf,
    /// The `vcgencmd` program (Raspberry Pi); `None` to look it up in
    /// `PATH` (only when `root` is `/`).
    pub vcgencmd: Option<PathBuf>,
}

impl Default for FactsSource {
    fn default() -> Self {
        FactsSource {
            root: PathBuf::from("/"),
            vcgencmd: None,
        }
    }
}

/// Everything known about the device at one moment.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DeviceFacts {
    /// CPU model and cores.
    pub cpu: CpuFacts,
    /// Governor and frequency per cpufreq policy.
    pub cpufreq: Vec<CpufreqPolicy>,
    /// Kernel release (`/proc/sys/kernel/osrelease`).
    pub kernel_release: Option<String>,
    /// Memory and swap.
    pub memory: Option<MemoryFacts>,
    /// Thermal zones with their temperatures.
    pub thermal: Vec<ThermalZone>,
    /// Raspberry Pi throttling state, when `vcgencmd` exists.
    pub throttling: Option<Throttling>,
    /// Thermal cooling devices (fans, CPU frequency caps).
    #[serde(default)]
    pub cooling: Vec<CoolingDevice>,
    /// x86 thermal throttle events so far, summed over the CPUs, where
    /// the kernel counts them.
    #[serde(default)]
    pub throttle_events: Option<u64>,
}

/// Reads a file and trims it; `None` when missing or unreadable.
pub(crate) fn read_trimmed(path: &Path) -> Option<String> {
    let s = std::fs::read_to_string(path).ok()?;
    Some(
        s.trim_matches(|c: char| c.is_whitespace() || c == '\0')
            .to_owned(),
    )
}

impl DeviceFacts {
    /// Collects every fact; missing sources leave their fields empty.
    pub fn collect(source: &FactsSource) -> Self {
        let root = &source.root;
        let vcgencmd = source.vcgencmd.clone().or_else(|| {
            (root == Path::new("/"))
                .then(|| find_in_path("vcgencmd"))
                .flatten()
        });
        DeviceFacts {
            cpu: read_cpu(root),
            cpufreq: read_cpufreq(root),
            kernel_release: read_trimmed(&root.join("proc/sys/kernel/osrelease")),
            memory: read_memory(root),
            thermal: read_thermal(root),
            throttling: vcgencmd.and_then(|cmd| read_throttled(&cmd).ok()),
            cooling: read_cooling(root),
            throttle_events: read_throttle_events(root),
        }
    }
}

fn find_in_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}
