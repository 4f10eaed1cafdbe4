//! [`GgufFile`]: a parsed GGUF file over its bytes (memory-mapped or owned),
//! with metadata lookup, typed getters and tensor data access.

use std::path::Path;

use memmap2::Mmap;

use super::reader::{Parsed, parse};
use super::{ArrayValue, GgufError, Value, ValueType};
use crate::quant::GgmlType;

/// One tensor's description from the file's tensor info table.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TensorInfo {
    /// Tensor name, e.g. `blk.0.attn_q.weight`.
    pub name: String,
    /// Dimensions, innermost (row length) first, as stored (1 to 4 entries).
    pub dims: Vec<u64>,
    /// Element type.
    pub dtype: GgmlType,
    /// Offset of the data from the start of the data section.
    pub offset: u64,
    /// Size of the data in bytes.
    pub n_bytes: u64,
}

impl TensorInfo {
    /// Number of elements (product of the dimensions).
    pub fn n_elements(&self) -> u64 {
        // Validated at parse time not to overflow.
        self.dims.iter().product()
    }
}

enum Storage {
    Mapped(Mmap),
    Owned(Vec<u8>),
}

/// A validated GGUF v2/v3 file: metadata in file order and tensor infos whose
/// data ranges are known to be aligned, in bounds and disjoint.
pub struct GgufFile {
    storage: Storage,
    parsed: Parsed,
}

impl std::fmt::Debug for GgufFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GgufFile")
            .field("len", &self.bytes().len())
            .field("version", &self.parsed.version)
            .field("metadata", &self.parsed.metadata.len())
            .field("tensors", &self.parsed.tensors.len())
            .finish()
    }
}

macro_rules! int_getter {
    ($(#[$doc:meta])* $name:ident, $t:ty) => {
        $(#[$doc])*
        pub fn $name(&self, key: &str) -> Result<Option<$t>, GgufError> {
            let Some((value, offset)) = self.entry(key) else {
                return Ok(None);
            };
            let expected = stringify!($t);
            let Some(wide) = value.as_integer() else {
                return Err(self.wrong_type(key, expected, value, offset));
            };
            <$t>::try_from(wide).map(Some).map_err(|_| GgufError::OutOfRange {
                key: key.to_owned(),
                expected,
                value: wide,
                offset,
            })
        }
    };
}

impl GgufFile {
    /// Memory-maps and parses the file at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, GgufError> {
        let file = std::fs::File::open(path)?;
        let map = super::mmap::map(&file)?;
        let parsed = parse(&map)?;
        Ok(GgufFile {
            storage: Storage::Mapped(map),
            parsed,
        })
    }

    /// Parses a file held in memory.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, GgufError> {
        let parsed = parse(&bytes)?;
        Ok(GgufFile {
            storage: Storage::Owned(bytes),
            parsed,
        })
    }

    /// Drops bytes `start .. start + len` of a mapped file from the
    /// process's resident memory (they are read again if touched); nothing
    /// for a file held in memory.
    pub(crate) fn release_range(&self, start: usize, len: usize) {
        if let Storage::Mapped(m) = &self.storage {
            super::mmap::release(m, start, len);
        }
    }

    /// Marks bytes `start .. start + len` of a mapped file as read at
    /// random (see [`mmap::advise_random`](super::mmap::advise_random));
    /// nothing for a file held in memory.
    pub(crate) fn advise_random_range(&self, start: usize, len: usize) {
        if let Storage::Mapped(m) = &self.storage {
            super::mmap::advise_random(m, start, len);
        }
    }

    /// The whole file.
    pub fn bytes(&self) -> &[u8] {
        match &self.storage {
            Storage::Mapped(m) => m,
            Storage::Owned(v) => v,
        }
    }

    /// The GGUF version (2 or 3).
    pub fn version(&self) -> u32 {
        self.parsed.version
    }

    /// The data alignment (`general.alignment`, default 32).
    pub fn alignment(&self) -> u64 {
        self.parsed.alignment
    }

    /// Offset of the data section from the start of the file.
    pub fn data_offset(&self) -> u64 {
        self.parsed.data_start
    }

    /// All metadata key-value pairs, in file order.
    pub fn metadata(&self) -> &[(String, Value)] {
        &self.parsed.metadata
    }

    /// The value for `key`, if present.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entry(key).map(|(v, _)| v)
    }

    fn entry(&self, key: &str) -> Option<(&Value, u64)> {
        let &i = self.parsed.index.get(key)?;
        Some((&self.parsed.metadata[i].1, self.parsed.kv_offsets[i]))
    }

    fn wrong_type(&self, key: &str, expected: &'static str, v: &Value, offset: u64) -> GgufError {
        GgufError::WrongType {
            key: key.to_owned(),
            expected,
            found: v.value_type(),
            offset,
        }
    }

    /// The string at `key`; `Ok(None)` when absent, an error for another type.
    pub fn get_str(&self, key: &str) -> Result<Option<&str>, GgufError> {
        match self.entry(key) {
            None => Ok(None),
            Some((Value::String(s), _)) => Ok(Some(s)),
            Some((v, offset)) => Err(self.wrong_type(key, "str", v, offset)),
        }
    }

    int_getter!(
        /// The integer at `key` as u32: any integer type whose value fits.
        get_u32,
        u32
    );
    int_getter!(
        /// The integer at `key` as u64: any integer type whose value fits.
        get_u64,
        u64
    );
    int_getter!(
        /// The integer at `key` as i64: any integer type whose value fits.
        get_i64,
        i64
    );

    /// The float at `key` as f32 (f64 values are narrowed).
    pub fn get_f32(&self, key: &str) -> Result<Option<f32>, GgufError> {
        match self.entry(key) {
            None => Ok(None),
            Some((Value::F32(v), _)) => Ok(Some(*v)),
            Some((Value::F64(v), _)) => Ok(Some(*v as f32)),
            Some((v, offset)) => Err(self.wrong_type(key, "f32", v, offset)),
        }
    }

    /// The bool at `key`.
    pub fn get_bool(&self, key: &str) -> Result<Option<bool>, GgufError> {
        match self.entry(key) {
            None => Ok(None),
            Some((Value::Bool(v), _)) => Ok(Some(*v)),
            Some((v, offset)) => Err(self.wrong_type(key, "bool", v, offset)),
        }
    }

    /// The array at `key`, of any element type.
    pub fn get_array(&self, key: &str) -> Result<Option<&ArrayValue>, GgufError> {
        match self.entry(key) {
            None => Ok(None),
            Some((Value::Array(a), _)) => Ok(Some(a)),
            Some((v, offset)) => Err(self.wrong_type(key, "arr", v, offset)),
        }
    }

    /// The string array at `key` (e.g. `tokenizer.ggml.tokens`).
    pub fn get_str_array(&self, key: &str) -> Result<Option<&[String]>, GgufError> {
        match self.entry(key) {
            None => Ok(None),
            Some((Value::Array(ArrayValue::String(v)), _)) => Ok(Some(v)),
            Some((v, offset)) => Err(self.wrong_type(key, "arr[str]", v, offset)),
        }
    }

    /// The f32 array at `key` (e.g. `tokenizer.ggml.scores`).
    pub fn get_f32_array(&self, key: &str) -> Result<Option<&[f32]>, GgufError> {
        match self.entry(key) {
            None => Ok(None),
            Some((Value::Array(ArrayValue::F32(v)), _)) => Ok(Some(v)),
            Some((v, offset)) => Err(self.wrong_type(key, "arr[f32]", v, offset)),
        }
    }

    /// Tensor infos, in file order.
    pub fn tensors(&self) -> &[TensorInfo] {
        &self.parsed.tensors
    }

    /// The tensor named `name`, if any.
    pub fn tensor(&self, name: &str) -> Option<&TensorInfo> {
        self.parsed.tensors.iter().find(|t| t.name == name)
    }

    /// The bytes of a tensor of this file.
    ///
    /// # Panics
    /// If `info` does not describe a tensor of this file (its range was
    /// validated at parse time, so infos from [`tensors`](Self::tensors) never panic).
    pub fn tensor_data(&self, info: &TensorInfo) -> &[u8] {
        let start = (self.parsed.data_start + info.offset) as usize;
        &self.bytes()[start..start + info.n_bytes as usize]
    }

    /// The type of the value at `key`, if present.
    pub fn value_type(&self, key: &str) -> Option<ValueType> {
        self.get(key).map(Value::value_type)
    }

    /// The metadata keys, in file order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.parsed.metadata.iter().map(|(k, _)| k.as_str())
    }
}
