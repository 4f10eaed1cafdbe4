//! `edgebench-agent probe`: the device, its meters, counters and kernels,
//! the memory available and, when asked, the space left where models go.

use std::path::Path;

use edgebench_kernels::ops::Isa;
use edgebench_schema::AgentInfo;
use serde::Serialize;

use super::agent_info;
use crate::counters::Counters;
use crate::facts::{DeviceFacts, FactsSource, filesystem_space, read_memory};
use crate::meters::{MeterConfig, Rejection, select};
use crate::protocol::unavailable_reason;

/// What the agent finds on the device.
#[derive(Debug, Serialize)]
struct Probe {
    agent: AgentInfo,
    #[serde(flatten)]
    device: DeviceFacts,
    kernels: KernelProbe,
    meters: MeterProbe,
    counters: CounterProbe,
    /// The runtimes this agent was built with, and their builds.
    runtimes: Vec<edgebench_schema::RuntimeInfo>,
    /// `MemAvailable`, bytes.
    memory_available_bytes: Option<u64>,
    /// The filesystem of the directory asked about.
    #[serde(skip_serializing_if = "Option::is_none")]
    storage: Option<StorageProbe>,
}

#[derive(Debug, Serialize)]
struct StorageProbe {
    /// The directory, as given.
    path: String,
    /// Bytes this user may still write there.
    free_bytes: Option<u64>,
    /// The filesystem's size.
    total_bytes: Option<u64>,
    /// Why the figures are missing.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

impl StorageProbe {
    fn of(dir: &Path) -> StorageProbe {
        let space = filesystem_space(dir);
        StorageProbe {
            path: dir.to_string_lossy().into_owned(),
            free_bytes: space.as_ref().ok().map(|s| s.free_bytes),
            total_bytes: space.as_ref().ok().map(|s| s.total_bytes),
            error: space.err().map(|e| e.to_string()),
        }
    }
}

#[derive(Debug, Serialize)]
struct KernelProbe {
    /// The instruction set the kernels use.
    isa: &'static str,
    /// Every level this CPU can run.
    isa_available: Vec<&'static str>,
    /// Threads this process may run at once.
    available_parallelism: usize,
}

#[derive(Debug, Serialize)]
struct MeterProbe {
    /// The meter `auto` picks.
    chosen: &'static str,
    /// What it reads.
    description: String,
    /// The meters tried before it, with their reasons.
    rejected: Vec<Rejection>,
}

#[derive(Debug, Serialize)]
struct CounterProbe {
    /// Whether at least one counter can be opened.
    available: bool,
    /// Why some or all are missing.
    reason: Option<String>,
}

/// The probe as a JSON value; with `dir`, also the free and total space of
/// its filesystem.
pub fn probe(dir: Option<&Path>) -> serde_json::Value {
    let selection = select(&MeterConfig::default());
    let counters = Counters::open(Path::new("/proc"));
    let snapshot = counters.read();
    let missing = snapshot.delta(&counters.read()).unavailable;
    let probe = Probe {
        agent: agent_info(),
        device: DeviceFacts::collect(&FactsSource::default()),
        kernels: KernelProbe {
            isa: Isa::best().name(),
            isa_available: Isa::available().into_iter().map(Isa::name).collect(),
            available_parallelism: std::thread::available_parallelism().map_or(1, |n| n.get()),
        },
        meters: MeterProbe {
            chosen: selection.meter.kind().as_str(),
            description: selection.meter.description(),
            rejected: selection.rejected,
        },
        counters: CounterProbe {
            available: counters.any_open(),
            reason: unavailable_reason(&missing),
        },
        runtimes: crate::runtime::built_info(),
        memory_available_bytes: read_memory(Path::new("/"))
            .and_then(|m| m.available_kib)
            .map(|kib| kib.saturating_mul(1024)),
        storage: dir.map(StorageProbe::of),
    };
    serde_json::to_value(&probe).unwrap_or(serde_json::Value::Null)
}
