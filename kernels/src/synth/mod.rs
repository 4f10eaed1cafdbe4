//! Synthetic models: complete Llama-architecture GGUF models generated from a
//! preset and a seed, so that everything can run without a download.
//!
//! A synthetic model has:
//! - the hyperparameters and tensor shapes of its [`Preset`], weights in f32
//!   (recipes convert them) and full `llama.*` metadata;
//! - a real GPT-2 style byte-level BPE tokenizer ([`Vocab`]) whose merges
//!   are learned from an English text embedded in the crate;
//! - weights with the statistics of trained models (heavy tails, outlier
//!   input channels, varying row norms), so quantization error on them is
//!   representative.
//!
//! Generation is deterministic: the same preset and seed give byte-identical
//! files on a given platform (values are computed in f64 and rounded to f32).
//!
//! ```
//! use edgebench_kernels::gguf::GgufFile;
//! use edgebench_kernels::model::ModelConfig;
//! use edgebench_kernels::synth::{self, Preset};
//!
//! let model = synth::generate(Preset::Tiny, 42)?;
//! let file = GgufFile::from_bytes(model.to_bytes()?)?;
//! assert_eq!(ModelConfig::from_gguf(&file)?, model.config);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod bpe;
mod error;
mod generate;
mod preset;
mod rng;
mod vocab;
mod weights;

pub use bpe::{byte_symbol, gpt2_byte_order, pretokenize};
pub use error::SynthError;
pub use generate::{SynthModel, Written, generate, metadata, write};
pub use preset::{Preset, PresetSpec};
pub use rng::{Rng, derive_seed, splitmix64};
pub use vocab::{CORPUS, END_OF_TEXT, TokenType, Vocab};
