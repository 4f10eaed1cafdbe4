//! Why a runtime could not load or run a recipe file.

use edgebench_kernels::model::ModelError;
use edgebench_schema::Runtime;

/// Everything a runtime reports.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RuntimeError {
    /// The agent was built without the runtime.
    #[error(
        "this edgebench-agent was built without the {runtime} runtime (cargo feature `{feature}` of edgebench-targets)"
    )]
    NotBuilt {
        /// The runtime asked for.
        runtime: Runtime,
        /// The cargo feature that links it in.
        feature: &'static str,
    },
    /// The runtime does not take the file (an architecture, tensor type or
    /// shape it rejects).
    #[error("{runtime} does not load this file: {reason}")]
    Rejected {
        /// The runtime.
        runtime: Runtime,
        /// What it said.
        reason: String,
    },
    /// edgebench's kernel failed.
    #[error(transparent)]
    Kernel(#[from] ModelError),
    /// Another runtime failed while running.
    #[error("{runtime}: {message}")]
    Failed {
        /// The runtime.
        runtime: Runtime,
        /// What it reported.
        message: String,
    },
}

impl RuntimeError {
    /// Whether the device cannot run the cell with this agent (as opposed
    /// to a failure while running it).
    pub fn is_unsupported(&self) -> bool {
        matches!(
            self,
            RuntimeError::NotBuilt { .. } | RuntimeError::Rejected { .. }
        )
    }
}
