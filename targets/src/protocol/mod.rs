//! The measurement protocol the agent runs for a job.

mod reps;

pub use reps::{Boundary, Inference, RepPolicy, RepTiming, run_reps};
