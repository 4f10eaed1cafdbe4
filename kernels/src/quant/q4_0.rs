//! Q4_0: 4-bit blocks of 32, `x = d * (q - 8)`.

use super::{BlockQ4_0, F16Bytes, QK};

/// Quantizes `x` into Q4_0 blocks exactly as ggml's `quantize_row_q4_0_ref`:
/// the scale is chosen so the value of largest magnitude maps to -8.
///
/// # Panics
/// If `x.len() != out.len() * 32`.
pub fn quantize_q4_0(x: &[f32], out: &mut [BlockQ4_0]) {
    assert_eq!(x.len(), out.len() * QK, "quantize_q4_0: length mismatch");
    for (xb, yb) in x.chunks_exact(QK).zip(out.iter_mut()) {
        let mut amax = 0.0f32;
        let mut max = 0.0f32;
        for &v in xb {
            if amax < v.abs() {
                amax = v.abs();
                max = v;
            }
        }
        let d = max / -8.0;
        let id = if d != 0.0 { 1.0 / d } else { 0.0 };
        yb.d = F16Bytes::from_f32(d);
        for j in 0..QK / 2 {
            // `as i8` truncates toward zero like C's (int8_t) cast.
            let q0 = ((xb[j] * id + 8.5) as i8).min(15) as u8;
            let q1 = ((xb[j + QK / 2] * id + 8.5) as i8).min(15) as u8;
            yb.qs[j] = q0 | (q1 << 4);
        }
    }
}

/// Dequantizes Q4_0 blocks into `out` (`out.len() == blocks.len() * 32`).
///
/// # Panics
/// On a length mismatch.
pub fn dequantize_q4_0(blocks: &[BlockQ4_0], out: &mut [f32]) {
    assert_eq!(
        out.len(),
        blocks.len() * QK,
        "dequantize_q4_0: length mismatch"
    );
    for (b, yb) in blocks.iter().zip(out.chunks_exact_mut(QK)) {
        let d = b.d.to_f32();
        for j in 0..QK / 2 {
            yb[j] = ((b.qs[j] & 0x0F) as i32 - 8) as f32 * d;
            yb[j + QK / 2] = ((b.qs[j] >> 4) as i32 - 8) as f32 * d;
        }
    }
}
