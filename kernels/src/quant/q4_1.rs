//! Q4_1: 4-bit blocks of 32 with a minimum, `x = d * q + m`.

use super::{BlockQ4_1, F16Bytes, QK};

/// Quantizes `x` into Q4_1 blocks exactly as ggml's `quantize_row_q4_1_ref`.
///
/// # Panics
/// If `x.len() != out.len() * 32`.
pub fn quantize_q4_1(x: &[f32], out: &mut [BlockQ4_1]) {
    assert_eq!(x.len(), out.len() * QK, "quantize_q4_1: length mismatch");
    for (xb, yb) in x.chunks_exact(QK).zip(out.iter_mut()) {
        // ggml's `if (v < min) min = v; if (v > max) max = v;`: the first of
        // equal values wins, so `[0.0, -0.0]` keeps `+0.0` as the minimum
        // (`f32::min` may return either zero), and NaNs are skipped.
        let mut min = f32::MAX;
        let mut max = -f32::MAX;
        for &v in xb {
            if v < min {
                min = v;
            }
            if v > max {
                max = v;
            }
        }
        let d = (max - min) / 15.0;
        let id = if d != 0.0 { 1.0 / d } else { 0.0 };
        yb.d = F16Bytes::from_f32(d);
        yb.m = F16Bytes::from_f32(min);
        for j in 0..QK / 2 {
            let q0 = (((xb[j] - min) * id + 0.5) as i8).min(15) as u8;
            let q1 = (((xb[j + QK / 2] - min) * id + 0.5) as i8).min(15) as u8;
            yb.qs[j] = q0 | (q1 << 4);
        }
    }
}

/// Dequantizes Q4_1 blocks into `out` (`out.len() == blocks.len() * 32`).
///
/// # Panics
/// On a length mismatch.
pub fn dequantize_q4_1(blocks: &[BlockQ4_1], out: &mut [f32]) {
    assert_eq!(
        out.len(),
        blocks.len() * QK,
        "dequantize_q4_1: length mismatch"
    );
    for (b, yb) in blocks.iter().zip(out.chunks_exact_mut(QK)) {
        let d = b.d.to_f32();
        let m = b.m.to_f32();
        for j in 0..QK / 2 {
            yb[j] = (b.qs[j] & 0x0F) as f32 * d + m;
            yb[j + QK / 2] = (b.qs[j] >> 4) as f32 * d + m;
        }
    }
}
