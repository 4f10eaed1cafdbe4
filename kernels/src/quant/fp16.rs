//! IEEE binary16 rows: f32 ⇄ f16 as ggml converts them.
//!
//! Rows are raw little-endian bytes as stored in GGUF (alignment 1). The bulk
//! of the work goes through `half`'s slice conversions, which use F16C / NEON
//! instructions when the CPU has them; the results are bit-identical to ggml's
//! portable `ggml_compute_fp32_to_fp16` / `ggml_compute_fp16_to_fp32`:
//!
//! * f32 → f16 rounds to nearest, ties to even, subnormals kept, overflow to
//!   ±inf (65520 and above round to inf);
//! * every NaN becomes the quiet NaN `sign | 0x7E00` (ggml drops the payload);
//! * f16 → f32 is exact; a NaN keeps its payload and is made quiet.

use half::f16;
use half::slice::HalfFloatSliceExt;

/// Elements converted per stack buffer.
const CHUNK: usize = 256;

/// The quiet NaN ggml's `ggml_compute_fp32_to_fp16` produces for any NaN.
const F16_QNAN: u16 = 0x7E00;

/// f32 → f16 bits exactly as ggml's `GGML_FP32_TO_FP16`.
#[inline]
pub fn f32_to_f16_bits(v: f32) -> u16 {
    if v.is_nan() {
        nan_bits(v)
    } else {
        f16::from_f32(v).to_bits()
    }
}

/// f16 bits → f32 (exact), as ggml's `GGML_FP16_TO_FP32`.
#[inline]
pub fn f16_bits_to_f32(bits: u16) -> f32 {
    f16::from_bits(bits).to_f32()
}

#[inline]
fn nan_bits(v: f32) -> u16 {
    ((v.to_bits() >> 16) as u16 & 0x8000) | F16_QNAN
}

/// Converts `src` to little-endian f16 bytes in `dst`.
///
/// # Panics
/// If `dst.len() != 2 * src.len()`.
pub fn f32_to_f16_row(src: &[f32], dst: &mut [u8]) {
    assert_eq!(dst.len(), 2 * src.len(), "f32_to_f16_row: length mismatch");
    let mut buf = [f16::ZERO; CHUNK];
    for (xs, ys) in src.chunks(CHUNK).zip(dst.chunks_mut(2 * CHUNK)) {
        let buf = &mut buf[..xs.len()];
        buf.convert_from_f32_slice(xs);
        for ((y, h), x) in ys.chunks_exact_mut(2).zip(buf.iter()).zip(xs) {
            let bits = if x.is_nan() {
                nan_bits(*x)
            } else {
                h.to_bits()
            };
            y.copy_from_slice(&bits.to_le_bytes());
        }
    }
}

/// Converts little-endian f16 bytes in `src` to f32 in `dst`.
///
/// # Panics
/// If `src.len() != 2 * dst.len()`.
pub fn f16_to_f32_row(src: &[u8], dst: &mut [f32]) {
    assert_eq!(src.len(), 2 * dst.len(), "f16_to_f32_row: length mismatch");
    let mut buf = [f16::ZERO; CHUNK];
    for (xs, ys) in src.chunks(2 * CHUNK).zip(dst.chunks_mut(CHUNK)) {
        let buf = &mut buf[..ys.len()];
        for (h, x) in buf.iter_mut().zip(xs.chunks_exact(2)) {
            *h = f16::from_bits(u16::from_le_bytes([x[0], x[1]]));
        }
        buf.convert_to_f32_slice(ys);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_matches_scalar_across_chunk_boundaries() {
        let src: Vec<f32> = (0..CHUNK * 2 + 3)
            .map(|i| (i as f32 - 300.0) * 0.37)
            .collect();
        let mut bytes = vec![0u8; src.len() * 2];
        f32_to_f16_row(&src, &mut bytes);
        let mut back = vec![0f32; src.len()];
        f16_to_f32_row(&bytes, &mut back);
        for (i, (x, y)) in src.iter().zip(&back).enumerate() {
            let bits = f32_to_f16_bits(*x);
            assert_eq!(bytes[2 * i..2 * i + 2], bits.to_le_bytes());
            assert_eq!(y.to_bits(), f16_bits_to_f32(bits).to_bits());
        }
    }

    #[test]
    fn nan_loses_its_payload() {
        assert_eq!(f32_to_f16_bits(f32::from_bits(0x7FC1_2345)), 0x7E00);
        assert_eq!(f32_to_f16_bits(f32::from_bits(0xFF80_0001)), 0xFE00);
    }
}
