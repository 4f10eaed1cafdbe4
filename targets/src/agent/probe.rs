//! `edgebench-agent probe`: the device, its meters, counters and kernels.

use std::path::Path;

use edgebench_kernels::ops::Isa;
use edgebench_schema::AgentInfo;
use serde::Serialize;

use super::agent_info;
use crate::counters::Counters;
use crate::facts::{DeviceFacts, FactsSource};
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

/// The probe as a JSON value.
pub fn probe() -> serde_json::Value {
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
    };
    serde_json::to_value(&probe).unwrap_or(serde_json::Value::Null)
}
