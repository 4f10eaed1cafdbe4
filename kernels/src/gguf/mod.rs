//! GGUF model files: a validating reader and a writer.
//!
//! GGUF (versions 2 and 3, little-endian) is the llama.cpp model format: a
//! header (`GGUF`, version, tensor count, metadata count), ordered metadata
//! key-value pairs of 13 value types, a tensor info table (name, dimensions,
//! ggml type, data offset), then the tensor data, aligned to
//! `general.alignment` (default 32) and addressed relative to the start of
//! the data section.
//!
//! - [`GgufFile::open`] memory-maps a file; [`GgufFile::from_bytes`] parses
//!   bytes in memory. Input is treated as hostile: every length and count is
//!   checked against the bytes that remain before anything is allocated, and
//!   every problem is a [`GgufError`] naming the byte offset. Tensor data
//!   ranges are checked to be aligned, inside the file and disjoint.
//! - [`GgufWriter`] writes version 3 exactly as llama.cpp does, so its files
//!   load there. (llama.cpp itself does not accept nested arrays, which this
//!   crate reads and writes because the format defines them.)
//!
//! ```
//! use edgebench_kernels::gguf::{GgufFile, GgufWriter, Value};
//! use edgebench_kernels::quant::GgmlType;
//!
//! let mut w = GgufWriter::new();
//! w.add_metadata("general.architecture", Value::String("llama".into()))?;
//! w.add_tensor("norm.weight", &[4], GgmlType::F32, vec![0u8; 16])?;
//! let mut bytes = Vec::new();
//! w.write_to(&mut bytes)?;
//!
//! let file = GgufFile::from_bytes(bytes)?;
//! assert_eq!(file.get_str("general.architecture")?, Some("llama"));
//! let t = file.tensor("norm.weight").expect("written above");
//! assert_eq!(file.tensor_data(t), &[0u8; 16]);
//! # Ok::<(), edgebench_kernels::gguf::GgufError>(())
//! ```

mod cursor;
mod error;
mod file;
mod mmap;
mod reader;
mod value;
mod writer;

pub use error::GgufError;
pub use file::{GgufFile, TensorInfo};
pub use value::{ArrayValue, Value, ValueType};
pub use writer::GgufWriter;

/// The four bytes every GGUF file starts with.
pub const MAGIC: [u8; 4] = *b"GGUF";
/// Data alignment when `general.alignment` is absent.
pub const DEFAULT_ALIGNMENT: u64 = 32;
/// The metadata key that sets the data alignment.
pub const ALIGNMENT_KEY: &str = "general.alignment";
/// Most dimensions a tensor may have.
pub const MAX_DIMS: usize = 4;
/// Deepest array nesting the reader accepts.
pub const MAX_ARRAY_DEPTH: usize = 16;
/// Tensor names must be shorter than this many bytes (ggml's `GGML_MAX_NAME`).
pub const MAX_NAME_LEN: usize = 64;
