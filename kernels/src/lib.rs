//! # edgebench-kernels
//!
//! The inference kernel edgebench deploys to every device:
//!
//! - [`gguf`]: GGUF model files, read over a memory map and written;
//! - [`quant`]: GGML tensor formats and their quantizers;
//! - [`ops`]: matrix kernels, a portable reference plus x86-64 (AVX2,
//!   AVX-512) and aarch64 (NEON, dotprod) paths selected at run time;
//! - [`model`]: Llama-family hyperparameters, tensors and the forward pass;
//! - [`generate`]: sampling (greedy, temperature, top-k, top-p) and the
//!   prefill-then-decode loop;
//! - [`tokenizer`]: GPT-2 byte-level BPE and SentencePiece-style BPE from
//!   GGUF metadata;
//! - [`recipe`]: compression recipes (quantization schemes, overrides,
//!   magnitude, head and FFN-channel pruning) applied to a model's tensors;
//! - [`eval`]: perplexity, KL divergence and top-1 agreement;
//! - [`synth`]: deterministic synthetic models, so everything runs with no
//!   download.
//!
//! This crate does no I/O beyond reading and writing model files.

pub mod eval;
pub mod generate;
pub mod gguf;
pub mod model;
pub mod ops;
pub mod quant;
pub mod recipe;
pub mod synth;
pub mod tokenizer;
