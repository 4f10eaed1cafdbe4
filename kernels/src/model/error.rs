//! The error type for loading models and running them.

use crate::gguf::GgufError;
use crate::ops::OpsError;
use crate::quant::{GgmlType, QuantError};

/// Everything that can go wrong turning a GGUF file into a runnable model,
/// or running it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// The file itself could not be read.
    #[error(transparent)]
    Gguf(#[from] GgufError),
    /// `general.architecture` names an architecture this kernel does not run.
    #[error("unsupported architecture '{found}' (supported: {supported})")]
    UnsupportedArchitecture {
        /// The architecture found (empty when the key is missing).
        found: String,
        /// The architectures that are supported, comma-separated.
        supported: &'static str,
    },
    /// A required metadata key is absent.
    #[error("missing metadata key '{key}'")]
    MissingKey {
        /// The key.
        key: String,
    },
    /// A hyperparameter is present but cannot be used.
    #[error("bad hyperparameter '{key}': {reason}")]
    BadHyperparameter {
        /// The metadata key.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A tensor the architecture needs is absent.
    #[error("missing tensor '{name}'")]
    MissingTensor {
        /// The tensor name.
        name: String,
    },
    /// A tensor has the wrong dimensions for the hyperparameters.
    #[error("tensor '{name}' has shape {found:?}, expected {expected:?}")]
    BadShape {
        /// The tensor name.
        name: String,
        /// Dimensions found, innermost first.
        found: Vec<usize>,
        /// Dimensions expected, innermost first.
        expected: Vec<usize>,
    },
    /// A tensor is stored in a format that cannot be used where it is.
    #[error("tensor '{name}' is stored as {dtype}, which {reason}")]
    UnsupportedTensorType {
        /// The tensor name.
        name: String,
        /// Its format.
        dtype: GgmlType,
        /// Why it cannot be used.
        reason: &'static str,
    },
    /// Tensor bytes do not match the size its format and shape need.
    #[error("tensor '{name}' holds {found} bytes, its {dtype} shape needs {expected}")]
    BadTensorSize {
        /// The tensor name.
        name: String,
        /// Its format.
        dtype: GgmlType,
        /// Bytes held.
        found: usize,
        /// Bytes needed.
        expected: usize,
    },
    /// Converting a tensor between formats failed.
    #[error("converting tensor '{name}'")]
    Convert {
        /// The tensor name.
        name: String,
        /// The conversion error.
        #[source]
        source: QuantError,
    },
    /// A matrix kernel rejected its arguments or could not start threads.
    #[error(transparent)]
    Ops(#[from] OpsError),
    /// A token id is outside the vocabulary.
    #[error("token id {id} at position {position} is outside the vocabulary of {n_vocab}")]
    TokenOutOfRange {
        /// The id.
        id: u32,
        /// Its position in the input.
        position: usize,
        /// The vocabulary size.
        n_vocab: usize,
    },
    /// The sequence would grow past the context the model (or its KV cache)
    /// was set up for.
    #[error(
        "context length exceeded: {used} tokens in the cache + {requested} new > context of {context}"
    )]
    ContextExceeded {
        /// Tokens already in the KV cache.
        used: usize,
        /// Tokens asked for.
        requested: usize,
        /// The context length.
        context: usize,
    },
    /// An empty token sequence where at least one token is needed.
    #[error("empty input: at least one token is needed")]
    EmptyInput,
    /// A session option is out of its range.
    #[error("bad session option '{name}': {reason}")]
    BadSessionOption {
        /// The option.
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A sampling or generation parameter is out of its range.
    #[error("bad sampling parameter '{name}': {reason}")]
    BadSampling {
        /// The parameter.
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}
