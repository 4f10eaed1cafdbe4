//! Format-generic, fallible conversion between raw tensor bytes (as stored
//! in GGUF, alignment 1) and f32.

use std::fmt;

use bytemuck::Pod;

use super::{
    BlockQ4_0, BlockQ4_1, BlockQ4K, BlockQ5K, BlockQ6K, BlockQ8_0, GgmlType, bf16, fp16, k_quants,
    q4_0, q4_1, q8,
};

/// Which way a conversion goes, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// f32 → stored format.
    Quantize,
    /// Stored format → f32.
    Dequantize,
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::Quantize => "quantization to",
            Direction::Dequantize => "dequantization from",
        })
    }
}

/// Why a conversion was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QuantError {
    /// The type has no implementation in this direction.
    #[error("{direction} {dtype} is not supported")]
    Unsupported {
        /// The type asked for.
        dtype: GgmlType,
        /// The direction asked for.
        direction: Direction,
    },
    /// An element count that is not a whole number of blocks.
    #[error("{dtype}: {elements} elements is not a multiple of the block size {block_size}")]
    NotBlockMultiple {
        /// The type.
        dtype: GgmlType,
        /// The element count given.
        elements: usize,
        /// The type's elements per block.
        block_size: usize,
    },
    /// The byte buffer does not match the element count.
    #[error("{dtype}: {elements} elements take {expected} bytes, the buffer has {actual}")]
    SizeMismatch {
        /// The type.
        dtype: GgmlType,
        /// The element count (length of the f32 side).
        elements: usize,
        /// Bytes the elements take in this type.
        expected: usize,
        /// Bytes the buffer has.
        actual: usize,
    },
    /// The byte size of the elements does not fit in `usize`.
    #[error("{dtype}: {elements} elements overflow the addressable size")]
    TooLarge {
        /// The type.
        dtype: GgmlType,
        /// The element count given.
        elements: usize,
    },
}

/// Whether [`quantize`] supports `dtype`.
pub fn can_quantize(dtype: GgmlType) -> bool {
    use GgmlType::*;
    matches!(dtype, F32 | F16 | BF16 | Q8_0 | Q4_0 | Q4_1)
}

/// Bytes taken by `elements` values stored as `dtype`.
///
/// # Errors
/// [`QuantError::NotBlockMultiple`] when `elements` is not a whole number of
/// blocks, [`QuantError::TooLarge`] when the size overflows `usize`.
pub fn quantized_len(dtype: GgmlType, elements: usize) -> Result<usize, QuantError> {
    let block_size = dtype.block_size();
    if !elements.is_multiple_of(block_size) {
        return Err(QuantError::NotBlockMultiple {
            dtype,
            elements,
            block_size,
        });
    }
    (elements / block_size)
        .checked_mul(dtype.block_bytes())
        .ok_or(QuantError::TooLarge { dtype, elements })
}

/// Checks that `bytes` holds exactly `elements` values of `dtype`.
fn check_sizes(dtype: GgmlType, elements: usize, bytes: usize) -> Result<(), QuantError> {
    let expected = quantized_len(dtype, elements)?;
    if bytes != expected {
        return Err(QuantError::SizeMismatch {
            dtype,
            elements,
            expected,
            actual: bytes,
        });
    }
    Ok(())
}

/// Views `bytes` as blocks; only the length can be wrong (alignment is 1).
fn blocks<T: Pod>(dtype: GgmlType, elements: usize, bytes: &[u8]) -> Result<&[T], QuantError> {
    bytemuck::try_cast_slice(bytes).map_err(|_| size_error(dtype, elements, bytes.len()))
}

/// Mutable twin of [`blocks`].
fn blocks_mut<T: Pod>(
    dtype: GgmlType,
    elements: usize,
    bytes: &mut [u8],
) -> Result<&mut [T], QuantError> {
    let actual = bytes.len();
    bytemuck::try_cast_slice_mut(bytes).map_err(|_| size_error(dtype, elements, actual))
}

fn size_error(dtype: GgmlType, elements: usize, actual: usize) -> QuantError {
    QuantError::SizeMismatch {
        dtype,
        elements,
        expected: elements / dtype.block_size() * dtype.block_bytes(),
        actual,
    }
}

/// Decodes `src`, `out.len()` values stored as `dtype`, into `out`.
///
/// Supported: every type with [`GgmlType::can_dequantize`] (F32, F16, BF16,
/// Q8_0, Q4_0, Q4_1, Q4_K, Q5_K, Q6_K). Results are bit-exact with ggml's
/// reference `dequantize_row_*` / `*_to_fp32_row` functions.
///
/// # Errors
/// [`QuantError::Unsupported`] for other types, [`QuantError::NotBlockMultiple`]
/// when `out.len()` is not a whole number of blocks, and
/// [`QuantError::SizeMismatch`] when `src` has the wrong length.
pub fn dequantize(dtype: GgmlType, src: &[u8], out: &mut [f32]) -> Result<(), QuantError> {
    use GgmlType::*;
    if !dtype.can_dequantize() {
        return Err(QuantError::Unsupported {
            dtype,
            direction: Direction::Dequantize,
        });
    }
    let n = out.len();
    check_sizes(dtype, n, src.len())?;
    match dtype {
        F32 => {
            for (y, x) in out.iter_mut().zip(src.chunks_exact(4)) {
                *y = f32::from_le_bytes([x[0], x[1], x[2], x[3]]);
            }
        }
        F16 => fp16::f16_to_f32_row(src, out),
        BF16 => bf16::bf16_to_f32_row(src, out),
        Q8_0 => q8::dequantize_q8_0(blocks::<BlockQ8_0>(dtype, n, src)?, out),
        Q4_0 => q4_0::dequantize_q4_0(blocks::<BlockQ4_0>(dtype, n, src)?, out),
        Q4_1 => q4_1::dequantize_q4_1(blocks::<BlockQ4_1>(dtype, n, src)?, out),
        Q4_K => k_quants::dequantize_q4_k(blocks::<BlockQ4K>(dtype, n, src)?, out),
        Q5_K => k_quants::dequantize_q5_k(blocks::<BlockQ5K>(dtype, n, src)?, out),
        Q6_K => k_quants::dequantize_q6_k(blocks::<BlockQ6K>(dtype, n, src)?, out),
        _ => {
            return Err(QuantError::Unsupported {
                dtype,
                direction: Direction::Dequantize,
            });
        }
    }
    Ok(())
}

/// Encodes `src` as `dtype` into `out`, which must be exactly
/// [`quantized_len`]`(dtype, src.len())` bytes.
///
/// Supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1 (see [`can_quantize`]), with
/// ggml's reference rounding (`quantize_row_*_ref`, `GGML_FP32_TO_FP16`,
/// `ggml_compute_fp32_to_bf16`), so the bytes match what ggml writes.
///
/// # Errors
/// [`QuantError::Unsupported`] for other types, [`QuantError::NotBlockMultiple`]
/// when `src.len()` is not a whole number of blocks, and
/// [`QuantError::SizeMismatch`] when `out` has the wrong length.
pub fn quantize(dtype: GgmlType, src: &[f32], out: &mut [u8]) -> Result<(), QuantError> {
    use GgmlType::*;
    if !can_quantize(dtype) {
        return Err(QuantError::Unsupported {
            dtype,
            direction: Direction::Quantize,
        });
    }
    let n = src.len();
    check_sizes(dtype, n, out.len())?;
    match dtype {
        F32 => {
            for (y, x) in out.chunks_exact_mut(4).zip(src) {
                y.copy_from_slice(&x.to_le_bytes());
            }
        }
        F16 => fp16::f32_to_f16_row(src, out),
        BF16 => bf16::f32_to_bf16_row(src, out),
        Q8_0 => q8::quantize_q8_0(src, blocks_mut::<BlockQ8_0>(dtype, n, out)?),
        Q4_0 => q4_0::quantize_q4_0(src, blocks_mut::<BlockQ4_0>(dtype, n, out)?),
        Q4_1 => q4_1::quantize_q4_1(src, blocks_mut::<BlockQ4_1>(dtype, n, out)?),
        _ => {
            return Err(QuantError::Unsupported {
                dtype,
                direction: Direction::Quantize,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_type_and_numbers() {
        let e = quantized_len(GgmlType::Q4_K, 300).unwrap_err();
        assert_eq!(
            e.to_string(),
            "q4_K: 300 elements is not a multiple of the block size 256"
        );
        let e = dequantize(GgmlType::Q8_0, &[0; 33], &mut [0.0; 32]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "q8_0: 32 elements take 34 bytes, the buffer has 33"
        );
        let e = quantize(GgmlType::Q6_K, &[0.0; 256], &mut [0; 210]).unwrap_err();
        assert_eq!(e.to_string(), "quantization to q6_K is not supported");
        assert_eq!(
            quantized_len(GgmlType::F32, usize::MAX / 2),
            Err(QuantError::TooLarge {
                dtype: GgmlType::F32,
                elements: usize::MAX / 2
            })
        );
    }

    #[test]
    fn every_dequantizable_type_is_handled() {
        for t in super::super::ALL_TYPES {
            let n = t.block_size();
            let src = vec![0u8; t.block_bytes()];
            let mut out = vec![1.0f32; n];
            let r = dequantize(t, &src, &mut out);
            assert_eq!(r.is_ok(), t.can_dequantize(), "{t}");
            let r = quantize(t, &vec![0.0; n], &mut vec![0u8; t.block_bytes()]);
            assert_eq!(r.is_ok(), can_quantize(t), "{t}");
        }
    }
}
