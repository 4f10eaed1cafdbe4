//! The device agent behind the `edgebench-agent` binary: [`run`] turns one
//! job (JSON) into one result, [`probe`] describes the device, its meters
//! and counters, [`DeviceLock`] keeps two agents from measuring one device
//! at once, and `store` manages the device's [`crate::store`].
//!
//! A job that cannot be measured is still answered: [`run`] returns a
//! result with a `failed` or `unsupported` status and the error, never
//! panics on its input.

mod accuracy;
pub mod cli;
mod controller_watch;
mod device;
mod device_lock;
mod error;
mod job_input;
mod meter_setup;
mod model;
mod probe;
mod profile;
mod run;
mod run_cli;
mod store_cli;

pub use crate::store::sha256_hex;
pub use accuracy::{FileCheck, TEXT_LIMIT, score_accuracy};
pub use controller_watch::ControllerWatch;
pub use device::{DeviceReport, check_device, hottest, run_gate, seconds, throttling_change};
pub use device_lock::{DeviceLock, LockError};
pub use error::{AgentError, error_chain};
pub use job_input::{JOB_LINE_LIMIT, JobInputError, read_job_line};
pub use meter_setup::{StartedMeter, meter_config, sampler_rate, start_meter};
pub use model::{
    CheckedFile, Loaded, load, open_recipe_file, prompt_tokens, verify_file, verify_model,
};
pub use probe::probe;
pub use profile::{profile_report, profiled_rep};
pub use run::{refuse, run, run_job};

use edgebench_kernels::ops::Isa;
use edgebench_schema::AgentInfo;

/// The agent's version (the crate's).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The git revision the agent was built from, `unknown` outside a checkout.
pub const GIT_REVISION: &str = env!("EDGEBENCH_GIT_REVISION");
/// The target triple the agent was built for.
pub const TARGET: &str = env!("EDGEBENCH_TARGET");

/// The agent, as every result names it.
pub fn agent_info() -> AgentInfo {
    AgentInfo {
        version: VERSION.to_owned(),
        git_revision: GIT_REVISION.to_owned(),
        target: TARGET.to_owned(),
        isa: Isa::best().name().to_owned(),
        binary_sha256: None,
    }
}

/// `edgebench-agent <version> (<revision>, <target>)`.
pub fn version_line() -> String {
    format!("edgebench-agent {VERSION} (git {GIT_REVISION}, {TARGET})")
}
