//! Parsing the header, metadata and tensor infos of a GGUF file, with every
//! field validated against the input before it is trusted.

use std::collections::{HashMap, HashSet};

use super::cursor::Cursor;
use super::{
    ALIGNMENT_KEY, ArrayValue, DEFAULT_ALIGNMENT, GgufError, MAGIC, MAX_ARRAY_DEPTH, MAX_DIMS,
    TensorInfo, Value, ValueType,
};
use crate::quant::GgmlType;

/// Everything parsed from a file except the tensor bytes themselves.
#[derive(Debug)]
pub(crate) struct Parsed {
    pub(crate) version: u32,
    pub(crate) metadata: Vec<(String, Value)>,
    pub(crate) kv_offsets: Vec<u64>,
    pub(crate) index: HashMap<String, usize>,
    pub(crate) tensors: Vec<TensorInfo>,
    pub(crate) alignment: u64,
    pub(crate) data_start: u64,
}

/// Where each tensor info's fields were found, for error messages.
struct InfoOffsets {
    start: u64,
    offset_field: u64,
}

/// Parses and validates `buf` as a GGUF v2/v3 file.
pub(crate) fn parse(buf: &[u8]) -> Result<Parsed, GgufError> {
    let mut c = Cursor::new(buf);
    let magic = c.take(4, "magic")?;
    if magic != MAGIC {
        let mut found = [0u8; 4];
        found.copy_from_slice(magic);
        return Err(GgufError::BadMagic { found });
    }
    let version_offset = c.pos();
    let version = c.u32("version")?;
    if !(2..=3).contains(&version) {
        return Err(GgufError::UnsupportedVersion {
            version,
            offset: version_offset,
        });
    }
    // A tensor info takes at least name length, n_dims, type and offset.
    let n_tensors = c.count("tensor count", 8 + 4 + 4 + 8)?;
    // A key-value pair takes at least key length, type and a one-byte value.
    let n_kv = c.count("metadata key-value count", 8 + 4 + 1)?;

    let mut metadata = Vec::with_capacity(n_kv);
    let mut kv_offsets = Vec::with_capacity(n_kv);
    let mut index = HashMap::with_capacity(n_kv);
    for _ in 0..n_kv {
        let kv_offset = c.pos();
        let key = c.string("metadata key")?;
        if key.is_empty() {
            return Err(GgufError::EmptyKey { offset: kv_offset });
        }
        if index.contains_key(&key) {
            return Err(GgufError::DuplicateKey {
                key,
                offset: kv_offset,
            });
        }
        let ty = value_type(&mut c, "metadata value type")?;
        let value = read_value(&mut c, ty)?;
        index.insert(key.clone(), metadata.len());
        metadata.push((key, value));
        kv_offsets.push(kv_offset);
    }

    let alignment = match index.get(ALIGNMENT_KEY) {
        None => DEFAULT_ALIGNMENT,
        Some(&i) => match metadata[i].1 {
            Value::U32(a) if a.is_power_of_two() => u64::from(a),
            ref other => {
                return Err(GgufError::BadAlignment {
                    value: format!("{other} ({})", other.value_type()),
                    offset: kv_offsets[i],
                });
            }
        },
    };

    let mut tensors = Vec::with_capacity(n_tensors);
    let mut offsets = Vec::with_capacity(n_tensors);
    let mut names = HashSet::with_capacity(n_tensors);
    for _ in 0..n_tensors {
        let (info, at) = read_tensor_info(&mut c)?;
        if !names.insert(info.name.clone()) {
            return Err(GgufError::DuplicateTensor {
                name: info.name,
                offset: at.start,
            });
        }
        tensors.push(info);
        offsets.push(at);
    }

    let file_len = buf.len() as u64;
    let data_start = align_up(c.pos(), alignment).unwrap_or(u64::MAX);
    check_placement(&tensors, &offsets, alignment, data_start, file_len)?;

    Ok(Parsed {
        version,
        metadata,
        kv_offsets,
        index,
        tensors,
        alignment,
        data_start,
    })
}

/// `pos` rounded up to a multiple of `alignment` (a power of two).
pub(crate) fn align_up(pos: u64, alignment: u64) -> Option<u64> {
    Some(pos.checked_add(alignment - 1)? & !(alignment - 1))
}

fn value_type(c: &mut Cursor<'_>, what: &'static str) -> Result<ValueType, GgufError> {
    let offset = c.pos();
    let type_id = c.u32(what)?;
    ValueType::from_id(type_id).ok_or(GgufError::UnknownValueType { type_id, offset })
}

fn read_value(c: &mut Cursor<'_>, ty: ValueType) -> Result<Value, GgufError> {
    const W: &str = "metadata value";
    Ok(match ty {
        ValueType::U8 => Value::U8(c.u8(W)?),
        ValueType::I8 => Value::I8(c.u8(W)? as i8),
        ValueType::U16 => Value::U16(c.u16(W)?),
        ValueType::I16 => Value::I16(c.u16(W)? as i16),
        ValueType::U32 => Value::U32(c.u32(W)?),
        ValueType::I32 => Value::I32(c.u32(W)? as i32),
        ValueType::F32 => Value::F32(f32::from_bits(c.u32(W)?)),
        ValueType::Bool => Value::Bool(c.u8(W)? != 0),
        ValueType::String => Value::String(c.string("metadata string")?),
        ValueType::Array => Value::Array(read_array(c, 0)?),
        ValueType::U64 => Value::U64(c.u64(W)?),
        ValueType::I64 => Value::I64(c.u64(W)? as i64),
        ValueType::F64 => Value::F64(f64::from_bits(c.u64(W)?)),
    })
}

/// Reads `n` fixed-size elements; `count` already checked they fit.
fn fixed<const N: usize, T>(
    c: &mut Cursor<'_>,
    n: usize,
    f: impl Fn([u8; N]) -> T,
) -> Result<Vec<T>, GgufError> {
    let bytes = c.take((n as u64) * N as u64, "array elements")?;
    Ok(bytes
        .chunks_exact(N)
        .map(|ch| {
            let mut a = [0u8; N];
            a.copy_from_slice(ch);
            f(a)
        })
        .collect())
}

fn read_array(c: &mut Cursor<'_>, depth: usize) -> Result<ArrayValue, GgufError> {
    let offset = c.pos();
    if depth >= MAX_ARRAY_DEPTH {
        return Err(GgufError::ArrayTooDeep {
            max: MAX_ARRAY_DEPTH,
            offset,
        });
    }
    let et = value_type(c, "array element type")?;
    let n = c.count("array length", et.min_size())?;
    Ok(match et {
        ValueType::U8 => ArrayValue::U8(fixed(c, n, |[b]: [u8; 1]| b)?),
        ValueType::I8 => ArrayValue::I8(fixed(c, n, |[b]: [u8; 1]| b as i8)?),
        ValueType::Bool => ArrayValue::Bool(fixed(c, n, |[b]: [u8; 1]| b != 0)?),
        ValueType::U16 => ArrayValue::U16(fixed(c, n, u16::from_le_bytes)?),
        ValueType::I16 => ArrayValue::I16(fixed(c, n, i16::from_le_bytes)?),
        ValueType::U32 => ArrayValue::U32(fixed(c, n, u32::from_le_bytes)?),
        ValueType::I32 => ArrayValue::I32(fixed(c, n, i32::from_le_bytes)?),
        ValueType::F32 => ArrayValue::F32(fixed(c, n, f32::from_le_bytes)?),
        ValueType::U64 => ArrayValue::U64(fixed(c, n, u64::from_le_bytes)?),
        ValueType::I64 => ArrayValue::I64(fixed(c, n, i64::from_le_bytes)?),
        ValueType::F64 => ArrayValue::F64(fixed(c, n, f64::from_le_bytes)?),
        ValueType::String => {
            let mut v = Vec::with_capacity(n);
            for _ in 0..n {
                v.push(c.string("array string")?);
            }
            ArrayValue::String(v)
        }
        ValueType::Array => {
            let mut v = Vec::with_capacity(n);
            for _ in 0..n {
                v.push(read_array(c, depth + 1)?);
            }
            ArrayValue::Array(v)
        }
    })
}

fn read_tensor_info(c: &mut Cursor<'_>) -> Result<(TensorInfo, InfoOffsets), GgufError> {
    let start = c.pos();
    let name = c.string("tensor name")?;
    let n_dims_offset = c.pos();
    let n_dims = c.u32("tensor dimension count")?;
    if n_dims as usize > MAX_DIMS {
        return Err(GgufError::TooManyDims {
            name,
            n_dims,
            offset: n_dims_offset,
        });
    }
    let dims_offset = c.pos();
    let mut dims = Vec::with_capacity(n_dims as usize);
    for _ in 0..n_dims {
        dims.push(c.u64("tensor dimension")?);
    }
    let type_offset = c.pos();
    let type_id = c.u32("tensor type")?;
    let offset_field = c.pos();
    let offset = c.u64("tensor data offset")?;

    let n_elements = dims
        .iter()
        .try_fold(
            1u64,
            |acc, &d| if d == 0 { None } else { acc.checked_mul(d) },
        )
        .filter(|&n| n <= i64::MAX as u64);
    let Some(n_elements) = n_elements else {
        return Err(GgufError::InvalidDims {
            name,
            dims,
            offset: dims_offset,
        });
    };
    let Some(dtype) = GgmlType::from_id(type_id) else {
        return Err(GgufError::UnknownTensorType {
            name,
            type_id,
            offset: type_offset,
        });
    };
    let ne0 = dims.first().copied().unwrap_or(1);
    if ne0 % dtype.block_size() as u64 != 0 {
        return Err(GgufError::NotBlockMultiple {
            name,
            dtype,
            ne0,
            block_size: dtype.block_size(),
            offset: dims_offset,
        });
    }
    let Some(n_bytes) = dtype.bytes_for(n_elements) else {
        return Err(GgufError::InvalidDims {
            name,
            dims,
            offset: dims_offset,
        });
    };
    let info = TensorInfo {
        name,
        dims,
        dtype,
        offset,
        n_bytes,
    };
    Ok((
        info,
        InfoOffsets {
            start,
            offset_field,
        },
    ))
}

/// Checks every tensor's data is aligned, inside the file and overlaps no other.
fn check_placement(
    tensors: &[TensorInfo],
    at: &[InfoOffsets],
    alignment: u64,
    data_start: u64,
    file_len: u64,
) -> Result<(), GgufError> {
    for (t, at) in tensors.iter().zip(at) {
        if t.offset % alignment != 0 {
            return Err(GgufError::MisalignedTensor {
                name: t.name.clone(),
                data_offset: t.offset,
                alignment,
                offset: at.offset_field,
            });
        }
        let start = data_start.checked_add(t.offset);
        let end = start.and_then(|s| s.checked_add(t.n_bytes));
        match end {
            Some(end) if end <= file_len => {}
            _ => {
                let start = data_start.saturating_add(t.offset);
                return Err(GgufError::TensorOutOfBounds {
                    name: t.name.clone(),
                    start,
                    end: start.saturating_add(t.n_bytes),
                    file_len,
                    offset: at.offset_field,
                });
            }
        }
    }
    let mut order: Vec<usize> = (0..tensors.len()).collect();
    order.sort_by_key(|&i| tensors[i].offset);
    for pair in order.windows(2) {
        let (a, b) = (&tensors[pair[0]], &tensors[pair[1]]);
        // Both ranges are inside the file, so these sums cannot overflow.
        if b.offset < a.offset + a.n_bytes {
            return Err(GgufError::OverlappingTensors {
                first: a.name.clone(),
                second: b.name.clone(),
                offset: data_start + b.offset,
            });
        }
    }
    Ok(())
}
