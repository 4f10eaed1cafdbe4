//! # edgebench-schema
//!
//! The job the controller sends to a device agent and the result the agent
//! sends back, as versioned serde types, plus the statistics every measured
//! metric carries (median, percentiles, bootstrap confidence interval).
//!
//! This crate knows nothing about models or hardware, so the reports can read
//! results without compiling the kernel.

pub mod accuracy;
pub mod job;
pub mod result;
pub mod stats;

pub use accuracy::AccuracyReport;
pub use job::{Job, MeasureSettings, MeterChoice, ModelRef, SchemaError, ThermalGateSettings};
pub use result::{
    AgentInfo, CounterReport, EnergyReport, JobResult, LatencyReport, MemoryReport, ModelReport,
    RepSample, Status, Validity,
};
pub use stats::Summary;

/// Version of the job and result formats. An agent refuses a job of another
/// version; readers of stored results check it.
pub const SCHEMA_VERSION: u32 = 1;
