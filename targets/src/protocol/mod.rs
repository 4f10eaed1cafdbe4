//! The measurement protocol the agent runs for a job: warm-up, measured
//! repetitions with meters and counters read at every phase boundary
//! ([`measure`]), then per-rep samples and summaries ([`assemble`]).

mod assemble;
mod energy;
mod measure;
mod reps;

pub use assemble::{AssembleOptions, Assembled, assemble, unavailable_reason};
pub use energy::{MAX_LATE_FRACTION, MAX_LOST_FRACTION, RepEnergy, SampleAccounting, rep_energy};
pub use measure::{CounterSource, MeasuredRep, Measurement, measure};
pub use reps::{Boundary, Inference, RepPolicy, RepTiming, run_reps};
