//! Token generation on a [`Session`](crate::model::Session): a [`Sampler`]
//! turning logits into a token (greedy, or temperature with top-k / top-p
//! from a seeded generator), and [`generate`], which runs a prompt and then
//! decodes token by token, reporting each token with its latency.

mod generation;
mod rng;
mod sampler;

pub use generation::{GenerateOptions, Generation, StopReason, TokenEvent, generate};
pub use rng::{SplitMix64, splitmix64};
pub use sampler::{Candidate, Sampler, SamplerConfig};
