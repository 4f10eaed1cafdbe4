//! The error type for reading and writing GGUF files.

use super::ValueType;

/// Everything that can go wrong reading or writing a GGUF file.
///
/// Parse errors name the problem and the byte offset (from the start of the
/// file) of the field that holds the bad value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GgufError {
    /// Reading or writing the underlying file failed.
    #[error("i/o error")]
    Io(#[from] std::io::Error),
    /// The input ends before a fixed-size field.
    #[error(
        "truncated file: {what} needs {needed} bytes at offset {offset}, only {available} left"
    )]
    Truncated {
        /// The field being read.
        what: &'static str,
        /// Offset of the field.
        offset: u64,
        /// Bytes the field needs.
        needed: u64,
        /// Bytes left in the input.
        available: u64,
    },
    /// The file does not start with `GGUF`.
    #[error("bad magic \"{}\" at offset 0, expected \"GGUF\"", found.escape_ascii())]
    BadMagic {
        /// The first four bytes.
        found: [u8; 4],
    },
    /// Only versions 2 and 3 are read.
    #[error("unsupported GGUF version {version} at offset {offset} (supported: 2, 3)")]
    UnsupportedVersion {
        /// The version found.
        version: u32,
        /// Offset of the version field.
        offset: u64,
    },
    /// A count (of keys, tensors or array elements) that the rest of the file
    /// cannot possibly hold.
    #[error(
        "absurd {what} {count} at offset {offset}: only {remaining} bytes follow, too few to hold that many"
    )]
    AbsurdCount {
        /// What is being counted.
        what: &'static str,
        /// The declared count.
        count: u64,
        /// Offset of the count field.
        offset: u64,
        /// Bytes left after the count field.
        remaining: u64,
    },
    /// A string length larger than the bytes that follow it.
    #[error("absurd {what} length {length} at offset {offset}: only {remaining} bytes follow")]
    AbsurdLength {
        /// The string being read.
        what: &'static str,
        /// The declared length.
        length: u64,
        /// Offset of the length field.
        offset: u64,
        /// Bytes left after the length field.
        remaining: u64,
    },
    /// A string whose bytes are not UTF-8.
    #[error("{what} at offset {offset} is not valid UTF-8")]
    InvalidUtf8 {
        /// The string being read.
        what: &'static str,
        /// Offset of the string's bytes.
        offset: u64,
    },
    /// A metadata value type id outside 0..=12.
    #[error("unknown metadata value type {type_id} at offset {offset}")]
    UnknownValueType {
        /// The id found.
        type_id: u32,
        /// Offset of the type field.
        offset: u64,
    },
    /// Arrays nested deeper than this reader accepts.
    #[error("arrays nested deeper than {max} levels at offset {offset}")]
    ArrayTooDeep {
        /// The deepest nesting accepted.
        max: usize,
        /// Offset of the array that is too deep.
        offset: u64,
    },
    /// A tensor type id ggml does not define.
    #[error("tensor '{name}' has unknown ggml type id {type_id} at offset {offset}")]
    UnknownTensorType {
        /// Tensor name.
        name: String,
        /// The id found.
        type_id: u32,
        /// Offset of the type field.
        offset: u64,
    },
    /// More than four dimensions.
    #[error("tensor '{name}' has {n_dims} dimensions at offset {offset} (at most 4)")]
    TooManyDims {
        /// Tensor name.
        name: String,
        /// The dimension count found.
        n_dims: u32,
        /// Offset of the count field.
        offset: u64,
    },
    /// A zero dimension, or dimensions whose product or byte size overflows.
    #[error(
        "tensor '{name}' has invalid dimensions {dims:?} at offset {offset} (zero or overflowing)"
    )]
    InvalidDims {
        /// Tensor name.
        name: String,
        /// The dimensions found.
        dims: Vec<u64>,
        /// Offset of the first dimension.
        offset: u64,
    },
    /// The first dimension is not a whole number of the type's blocks.
    #[error(
        "tensor '{name}' of type {dtype} has rows of {ne0} elements at offset {offset}, not a multiple of the block size {block_size}"
    )]
    NotBlockMultiple {
        /// Tensor name.
        name: String,
        /// The tensor type.
        dtype: crate::quant::GgmlType,
        /// The first dimension.
        ne0: u64,
        /// Elements per block of the type.
        block_size: usize,
        /// Offset of the first dimension.
        offset: u64,
    },
    /// Tensor data that extends past the end of the file.
    #[error(
        "tensor '{name}' data [{start}, {end}) lies outside the file of {file_len} bytes (offset field at {offset})"
    )]
    TensorOutOfBounds {
        /// Tensor name.
        name: String,
        /// Absolute start of the data (saturating).
        start: u64,
        /// Absolute end of the data (saturating).
        end: u64,
        /// File length.
        file_len: u64,
        /// Offset of the tensor's offset field.
        offset: u64,
    },
    /// Two tensors whose data ranges overlap.
    #[error("tensors '{first}' and '{second}' overlap at file offset {offset}")]
    OverlappingTensors {
        /// The tensor that starts first.
        first: String,
        /// The tensor that starts inside the first one.
        second: String,
        /// Absolute offset where the second tensor's data starts.
        offset: u64,
    },
    /// A tensor offset that is not a multiple of the alignment.
    #[error(
        "tensor '{name}' data offset {data_offset} is not a multiple of the alignment {alignment} (offset field at {offset})"
    )]
    MisalignedTensor {
        /// Tensor name.
        name: String,
        /// Offset relative to the data section.
        data_offset: u64,
        /// The file's alignment.
        alignment: u64,
        /// Offset of the tensor's offset field.
        offset: u64,
    },
    /// `general.alignment` is not a nonzero power of two stored as u32.
    #[error(
        "bad general.alignment {value} at offset {offset}: must be a nonzero power of two of type u32"
    )]
    BadAlignment {
        /// The value found, rendered.
        value: String,
        /// Offset of the key-value pair.
        offset: u64,
    },
    /// A metadata key that appears twice.
    #[error("duplicate metadata key '{key}' at offset {offset}")]
    DuplicateKey {
        /// The key.
        key: String,
        /// Offset of the second occurrence (0 when writing).
        offset: u64,
    },
    /// A metadata key that is empty.
    #[error("empty metadata key at offset {offset}")]
    EmptyKey {
        /// Offset of the key (0 when writing).
        offset: u64,
    },
    /// A tensor name that appears twice.
    #[error("duplicate tensor name '{name}' at offset {offset}")]
    DuplicateTensor {
        /// The name.
        name: String,
        /// Offset of the second occurrence (0 when writing).
        offset: u64,
    },
    /// A typed getter found a value of another type.
    #[error("metadata key '{key}' (at offset {offset}) holds {found}, expected {expected}")]
    WrongType {
        /// The key.
        key: String,
        /// What the getter wanted.
        expected: &'static str,
        /// The type found.
        found: ValueType,
        /// Offset of the key-value pair.
        offset: u64,
    },
    /// A typed getter found an integer that does not fit the requested type.
    #[error(
        "metadata key '{key}' (at offset {offset}) holds {value}, which does not fit {expected}"
    )]
    OutOfRange {
        /// The key.
        key: String,
        /// The requested type.
        expected: &'static str,
        /// The value found.
        value: i128,
        /// Offset of the key-value pair.
        offset: u64,
    },
    /// A tensor given to the writer is inconsistent.
    #[error("cannot write tensor '{name}': {reason}")]
    InvalidTensor {
        /// Tensor name.
        name: String,
        /// What is wrong.
        reason: String,
    },
}
