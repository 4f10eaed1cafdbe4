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
pub mod profile;
pub mod result;
pub mod runtime;
pub mod stats;

pub use accuracy::{AccuracyJob, AccuracyReport, EvalFile};
pub use job::{Job, MeasureSettings, MeterChoice, ModelRef, SchemaError, ThermalGateSettings};
pub use profile::{OpLine, PhaseReport, ProfileReport};
pub use result::{
    AgentInfo, CellTiming, CounterReport, EnergyReport, JobResult, LatencyReport, MemoryReport,
    ModelReport, RepSample, Status, Validity,
};
pub use runtime::{Runtime, RuntimeInfo, UnknownRuntime};
pub use stats::Summary;

/// Version of the job and result formats. An agent refuses a job of another
/// version; readers of stored results take any version from
/// [`OLDEST_RESULT_VERSION`] to this one.
///
/// - 2: the job's model is the recipe file, which the agent runs as it is;
///   results say so (`model.applied_at_load` false) and name the source.
/// - 1: the job's model was the source, converted to the recipe at load.
pub const SCHEMA_VERSION: u32 = 2;

/// The oldest result version this build still reads (results of version-1
/// agents, which applied the recipe at load).
pub const OLDEST_RESULT_VERSION: u32 = 1;
