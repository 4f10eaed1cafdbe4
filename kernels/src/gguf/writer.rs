//! [`GgufWriter`]: builds a GGUF v3 file the way llama.cpp's `gguf_write`
//! lays it out (zero padding to the alignment after the tensor infos and
//! after every tensor's data, offsets relative to the data section).

use std::borrow::Cow;
use std::collections::HashSet;
use std::io::Write;
use std::path::Path;

use super::reader::align_up;
use super::{
    ALIGNMENT_KEY, ArrayValue, DEFAULT_ALIGNMENT, GgufError, MAGIC, MAX_DIMS, MAX_NAME_LEN, Value,
};
use crate::quant::GgmlType;

struct PendingTensor<'a> {
    name: String,
    dims: Vec<u64>,
    dtype: GgmlType,
    /// Size of the data in bytes.
    n_bytes: u64,
    /// The data, or `None` for a tensor declared with
    /// [`GgufWriter::declare_tensor`] whose bytes come while writing.
    data: Option<Cow<'a, [u8]>>,
}

/// Collects metadata and tensors, then writes a GGUF v3 file.
///
/// Metadata keeps insertion order. Setting `general.alignment` (as
/// [`Value::U32`], a power of two) changes the alignment used for the data.
/// Tensor data may be borrowed (e.g. from a memory-mapped input), owned, or
/// declared and produced while the file is written
/// ([`declare_tensor`](Self::declare_tensor) and
/// [`write_with`](Self::write_with)), so a file larger than memory can be
/// written one tensor at a time.
#[derive(Default)]
pub struct GgufWriter<'a> {
    metadata: Vec<(String, Value)>,
    keys: HashSet<String>,
    tensors: Vec<PendingTensor<'a>>,
    names: HashSet<String>,
    alignment: Option<u64>,
}

impl<'a> GgufWriter<'a> {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    /// The alignment the file will use.
    pub fn alignment(&self) -> u64 {
        self.alignment.unwrap_or(DEFAULT_ALIGNMENT)
    }

    /// Appends a metadata key-value pair. Keys must be non-empty and unique.
    pub fn add_metadata(&mut self, key: impl Into<String>, value: Value) -> Result<(), GgufError> {
        let key = key.into();
        if key.is_empty() {
            return Err(GgufError::EmptyKey { offset: 0 });
        }
        if self.keys.contains(&key) {
            return Err(GgufError::DuplicateKey { key, offset: 0 });
        }
        if key == ALIGNMENT_KEY {
            match value {
                Value::U32(a) if a.is_power_of_two() => self.alignment = Some(u64::from(a)),
                ref other => {
                    return Err(GgufError::BadAlignment {
                        value: format!("{other} ({})", other.value_type()),
                        offset: 0,
                    });
                }
            }
        }
        self.keys.insert(key.clone());
        self.metadata.push((key, value));
        Ok(())
    }

    /// Appends a tensor. `dims` lists the row length first (1 to 4 entries,
    /// none zero); `data` must hold exactly the bytes `dtype` needs for them.
    pub fn add_tensor(
        &mut self,
        name: impl Into<String>,
        dims: &[u64],
        dtype: GgmlType,
        data: impl Into<Cow<'a, [u8]>>,
    ) -> Result<(), GgufError> {
        let data = data.into();
        self.push_tensor(name.into(), dims, dtype, Some(data))
    }

    /// Appends a tensor whose bytes [`write_with`](Self::write_with) asks for
    /// when it reaches it. `dims` as for [`add_tensor`](Self::add_tensor).
    pub fn declare_tensor(
        &mut self,
        name: impl Into<String>,
        dims: &[u64],
        dtype: GgmlType,
    ) -> Result<(), GgufError> {
        self.push_tensor(name.into(), dims, dtype, None)
    }

    fn push_tensor(
        &mut self,
        name: String,
        dims: &[u64],
        dtype: GgmlType,
        data: Option<Cow<'a, [u8]>>,
    ) -> Result<(), GgufError> {
        let invalid = |reason: String| GgufError::InvalidTensor {
            name: name.clone(),
            reason,
        };
        if name.is_empty() || name.len() >= MAX_NAME_LEN {
            return Err(invalid(format!(
                "name must be 1 to {} bytes long",
                MAX_NAME_LEN - 1
            )));
        }
        if dims.is_empty() || dims.len() > MAX_DIMS {
            return Err(invalid(format!("{} dimensions (1 to 4)", dims.len())));
        }
        let n_elements = dims
            .iter()
            .try_fold(
                1u64,
                |acc, &d| if d == 0 { None } else { acc.checked_mul(d) },
            )
            .filter(|&n| n <= i64::MAX as u64)
            .ok_or_else(|| invalid(format!("invalid dimensions {dims:?}")))?;
        if !dims[0].is_multiple_of(dtype.block_size() as u64) {
            return Err(invalid(format!(
                "row length {} is not a multiple of the {dtype} block size {}",
                dims[0],
                dtype.block_size()
            )));
        }
        let expected = dtype
            .bytes_for(n_elements)
            .ok_or_else(|| invalid(format!("size of {dims:?} {dtype} overflows")))?;
        if let Some(data) = &data
            && data.len() as u64 != expected
        {
            return Err(invalid(format!(
                "{} data bytes, {dims:?} {dtype} needs {expected}",
                data.len()
            )));
        }
        if !self.names.insert(name.clone()) {
            return Err(GgufError::DuplicateTensor { name, offset: 0 });
        }
        self.tensors.push(PendingTensor {
            name,
            dims: dims.to_vec(),
            dtype,
            n_bytes: expected,
            data,
        });
        Ok(())
    }

    /// Writes the file to `out`; returns the number of bytes written. Every
    /// tensor must have its data (none declared).
    pub fn write_to(&self, out: impl Write) -> Result<u64, GgufError> {
        self.write_with(out, &mut |name| {
            Err(std::io::Error::other(format!(
                "tensor '{name}' was declared without data"
            )))
        })
    }

    /// Writes the file to `out`, asking `produce` for the bytes of each
    /// declared tensor, in file order, when the writer reaches it; returns
    /// the number of bytes written.
    ///
    /// # Errors
    /// The first error of `out` or `produce`, or
    /// [`GgufError::InvalidTensor`] when `produce` gives another size than
    /// the tensor was declared with.
    pub fn write_with(
        &self,
        out: impl Write,
        produce: &mut dyn FnMut(&str) -> std::io::Result<std::sync::Arc<[u8]>>,
    ) -> Result<u64, GgufError> {
        let mut w = Counting { out, written: 0 };
        let alignment = self.alignment();
        w.put(&MAGIC)?;
        w.put(&3u32.to_le_bytes())?;
        w.put(&(self.tensors.len() as u64).to_le_bytes())?;
        w.put(&(self.metadata.len() as u64).to_le_bytes())?;
        for (key, value) in &self.metadata {
            w.string(key)?;
            w.put(&value.value_type().id().to_le_bytes())?;
            write_value(&mut w, value)?;
        }
        let mut offset = 0u64;
        for t in &self.tensors {
            w.string(&t.name)?;
            w.put(&(t.dims.len() as u32).to_le_bytes())?;
            for d in &t.dims {
                w.put(&d.to_le_bytes())?;
            }
            w.put(&t.dtype.id().to_le_bytes())?;
            w.put(&offset.to_le_bytes())?;
            offset = padded(offset + t.n_bytes, alignment)?;
        }
        w.pad(alignment)?;
        for t in &self.tensors {
            match &t.data {
                Some(data) => w.put(data)?,
                None => {
                    let data = produce(&t.name)?;
                    if data.len() as u64 != t.n_bytes {
                        return Err(GgufError::InvalidTensor {
                            name: t.name.clone(),
                            reason: format!(
                                "{} data bytes produced, {} declared",
                                data.len(),
                                t.n_bytes
                            ),
                        });
                    }
                    w.put(&data)?;
                }
            }
            w.pad(alignment)?;
        }
        w.out.flush()?;
        Ok(w.written)
    }

    /// Writes the file to `path` (created or truncated); returns its size.
    pub fn write_to_path(&self, path: impl AsRef<Path>) -> Result<u64, GgufError> {
        let file = std::fs::File::create(path)?;
        let mut out = std::io::BufWriter::new(file);
        let n = self.write_to(&mut out)?;
        out.into_inner()
            .map_err(std::io::IntoInnerError::into_error)?
            .sync_all()?;
        Ok(n)
    }
}

fn padded(n: u64, alignment: u64) -> Result<u64, GgufError> {
    align_up(n, alignment).ok_or_else(|| std::io::Error::other("file size overflows u64").into())
}

struct Counting<W> {
    out: W,
    written: u64,
}

impl<W: Write> Counting<W> {
    fn put(&mut self, bytes: &[u8]) -> Result<(), GgufError> {
        self.out.write_all(bytes)?;
        self.written += bytes.len() as u64;
        Ok(())
    }

    fn string(&mut self, s: &str) -> Result<(), GgufError> {
        self.put(&(s.len() as u64).to_le_bytes())?;
        self.put(s.as_bytes())
    }

    fn pad(&mut self, alignment: u64) -> Result<(), GgufError> {
        let target = padded(self.written, alignment)?;
        const ZEROS: [u8; 64] = [0; 64];
        while self.written < target {
            let n = (target - self.written).min(ZEROS.len() as u64) as usize;
            self.put(&ZEROS[..n])?;
        }
        Ok(())
    }
}

fn write_value<W: Write>(w: &mut Counting<W>, value: &Value) -> Result<(), GgufError> {
    match value {
        Value::U8(v) => w.put(&[*v]),
        Value::I8(v) => w.put(&v.to_le_bytes()),
        Value::U16(v) => w.put(&v.to_le_bytes()),
        Value::I16(v) => w.put(&v.to_le_bytes()),
        Value::U32(v) => w.put(&v.to_le_bytes()),
        Value::I32(v) => w.put(&v.to_le_bytes()),
        Value::F32(v) => w.put(&v.to_le_bytes()),
        Value::Bool(v) => w.put(&[u8::from(*v)]),
        Value::String(s) => w.string(s),
        Value::Array(a) => write_array(w, a),
        Value::U64(v) => w.put(&v.to_le_bytes()),
        Value::I64(v) => w.put(&v.to_le_bytes()),
        Value::F64(v) => w.put(&v.to_le_bytes()),
    }
}

fn write_array<W: Write>(w: &mut Counting<W>, a: &ArrayValue) -> Result<(), GgufError> {
    w.put(&a.element_type().id().to_le_bytes())?;
    w.put(&(a.len() as u64).to_le_bytes())?;
    macro_rules! each {
        ($v:expr) => {{
            for x in $v {
                w.put(&x.to_le_bytes())?;
            }
            Ok(())
        }};
    }
    match a {
        ArrayValue::U8(v) => w.put(v),
        ArrayValue::I8(v) => each!(v),
        ArrayValue::U16(v) => each!(v),
        ArrayValue::I16(v) => each!(v),
        ArrayValue::U32(v) => each!(v),
        ArrayValue::I32(v) => each!(v),
        ArrayValue::F32(v) => each!(v),
        ArrayValue::Bool(v) => each!(v.iter().map(|&b| u8::from(b))),
        ArrayValue::String(v) => v.iter().try_for_each(|s| w.string(s)),
        ArrayValue::Array(v) => v.iter().try_for_each(|x| write_array(w, x)),
        ArrayValue::U64(v) => each!(v),
        ArrayValue::I64(v) => each!(v),
        ArrayValue::F64(v) => each!(v),
    }
}
