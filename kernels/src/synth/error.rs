//! The error type of the synthetic model generator.

use std::path::PathBuf;

use crate::gguf::GgufError;
use crate::model::ModelError;

/// Everything that can go wrong generating or writing a synthetic model.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SynthError {
    /// A preset name that does not exist.
    #[error("unknown preset '{name}' (valid presets: {valid})")]
    UnknownPreset {
        /// The name given.
        name: String,
        /// The valid names, comma-separated.
        valid: String,
    },
    /// A vocabulary too small to hold the byte tokens and the control token.
    #[error("a vocabulary of {n_vocab} tokens is too small (at least {min})")]
    VocabTooSmall {
        /// The size asked for.
        n_vocab: usize,
        /// The smallest size possible.
        min: usize,
    },
    /// Building the in-memory GGUF failed.
    #[error(transparent)]
    Gguf(#[from] GgufError),
    /// The generated model does not form a valid model.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// Writing the file failed.
    #[error("cannot write {}", path.display())]
    Write {
        /// The destination.
        path: PathBuf,
        /// What failed.
        #[source]
        source: GgufError,
    },
}
