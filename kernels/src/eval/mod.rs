//! Accuracy evaluation: perplexity over a text in windows, scored as
//! llama.cpp's perplexity tool scores them, and the comparison of a
//! compressed model with its reference (PPL ratio, KL divergence, top-1
//! agreement).

mod error;
pub mod metrics;
mod run;
mod session_scorer;
mod windows;

pub use error::EvalError;
pub use run::{ComparisonReport, PerplexityReport, WindowScorer, compare, perplexity};
pub use windows::WindowPlan;
