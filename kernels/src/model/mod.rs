//! Llama-family models: hyperparameters from GGUF metadata, tensor naming,
//! and the tensors a model runs from.

mod arch;
mod config;
mod error;
mod names;
mod tensors;

pub use arch::{Arch, RopeStyle};
pub use config::{ModelConfig, RopeScaling};
pub use error::ModelError;
pub use names::{TensorName, TensorRole};
pub use tensors::{Tensor, TensorSet};
