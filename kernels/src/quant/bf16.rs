//! bfloat16 rows: f32 ⇄ bf16 bit-exact with ggml.
//!
//! ggml's `ggml_compute_fp32_to_bf16` rounds to nearest, ties to even, by
//! adding `0x7fff + lsb` to the f32 bits, keeps subnormals, and turns a NaN
//! into `(bits >> 16) | 64` (the top mantissa bit set: quiet, sign and upper
//! payload kept). bf16 → f32 shifts the bits into the upper half, so even a
//! signalling NaN comes back with its bits unchanged. Both are written here
//! as plain integer loops the compiler vectorises; rows are little-endian
//! bytes as stored in GGUF (alignment 1).

/// f32 → bf16 bits, `ggml_compute_fp32_to_bf16`.
#[inline]
pub fn f32_to_bf16_bits(v: f32) -> u16 {
    let u = v.to_bits();
    if (u & 0x7fff_ffff) > 0x7f80_0000 {
        ((u >> 16) | 64) as u16
    } else {
        // Cannot overflow: the largest non-NaN pattern is 0xFF80_0000.
        ((u + (0x7fff + ((u >> 16) & 1))) >> 16) as u16
    }
}

/// bf16 bits → f32, `ggml_compute_bf16_to_fp32` (exact, bits preserved).
#[inline]
pub fn bf16_bits_to_f32(bits: u16) -> f32 {
    f32::from_bits((bits as u32) << 16)
}

/// Converts `src` to little-endian bf16 bytes in `dst`.
///
/// # Panics
/// If `dst.len() != 2 * src.len()`.
pub fn f32_to_bf16_row(src: &[f32], dst: &mut [u8]) {
    assert_eq!(dst.len(), 2 * src.len(), "f32_to_bf16_row: length mismatch");
    for (y, x) in dst.chunks_exact_mut(2).zip(src) {
        y.copy_from_slice(&f32_to_bf16_bits(*x).to_le_bytes());
    }
}

/// Converts little-endian bf16 bytes in `src` to f32 in `dst`.
///
/// # Panics
/// If `src.len() != 2 * dst.len()`.
pub fn bf16_to_f32_row(src: &[u8], dst: &mut [f32]) {
    assert_eq!(src.len(), 2 * dst.len(), "bf16_to_f32_row: length mismatch");
    for (y, x) in dst.iter_mut().zip(src.chunks_exact(2)) {
        *y = bf16_bits_to_f32(u16::from_le_bytes([x[0], x[1]]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_half_on_non_nan() {
        // `half::bf16` uses the same rounding; only NaN handling may differ.
        for bits in (0..=u32::MAX).step_by(0x0001_0003) {
            let v = f32::from_bits(bits);
            if !v.is_nan() {
                assert_eq!(f32_to_bf16_bits(v), half::bf16::from_f32(v).to_bits());
            }
        }
    }
}
