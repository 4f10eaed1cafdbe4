//! Llama-family models: hyperparameters from GGUF metadata, tensor naming,
//! the tensors a model runs from, and the forward pass with a KV cache.
//!
//! [`Model::load`] (or [`Model::from_tensors`]) checks the weights; a
//! [`Session`] holds one sequence's state and runs [`Session::forward`].

mod arch;
mod attention;
mod config;
mod error;
mod kv_cache;
mod names;
mod norm;
mod profile;
mod rope;
mod session;
mod tensors;
mod weights;

pub use arch::{Arch, RopeStyle};
pub use config::{ModelConfig, RopeScaling};
pub use error::ModelError;
pub use kv_cache::KvType;
pub use names::{TensorName, TensorRole};
pub use profile::{OpClass, OpRow, PhaseProfile, Profile};
pub use session::{Logits, Session, SessionOptions};
pub use tensors::{Tensor, TensorSet};
pub use weights::Model;
