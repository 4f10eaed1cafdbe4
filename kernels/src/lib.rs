//! # edgebench-kernels
//!
//! The inference kernel edgebench deploys to every device: GGUF model files,
//! GGML tensor formats and quantization, and matrix kernels with a portable
//! reference plus x86-64 (AVX2, AVX-512) and aarch64 (NEON, dotprod) paths
//! selected at run time, and the Llama-family forward pass with a KV cache
//! and token generation on top.
//!
//! This crate does no I/O beyond reading and writing model files.

pub mod generate;
pub mod gguf;
pub mod model;
pub mod ops;
pub mod quant;
