//! Q8_0 and Q8_1: symmetric 8-bit blocks of 32 (weights and activations).

use super::{BlockQ8_0, BlockQ8_1, F16Bytes, QK, round_half_away};

/// ggml's `amax = MAX(amax, fabsf(v))` with `MAX(a, b) = a > b ? a : b`,
/// NaN behaviour included (a NaN is taken, then replaced by the next value).
#[inline]
fn block_amax(xb: &[f32]) -> f32 {
    xb.iter()
        .fold(0.0f32, |m, v| if m > v.abs() { m } else { v.abs() })
}

/// Quantizes `x` (length a multiple of 32) into `out`, one block per 32
/// values, exactly as ggml's `quantize_row_q8_0_ref`.
///
/// # Panics
/// If `x.len() != out.len() * 32`.
pub fn quantize_q8_0(x: &[f32], out: &mut [BlockQ8_0]) {
    assert_eq!(x.len(), out.len() * QK, "quantize_q8_0: length mismatch");
    for (xb, yb) in x.chunks_exact(QK).zip(out.iter_mut()) {
        quantize_q8_0_block(xb, yb);
    }
}

/// One block of [`quantize_q8_0`]: the reference the SIMD quantizers fall
/// back to for blocks holding a NaN or an infinity.
#[inline]
pub(crate) fn quantize_q8_0_block(xb: &[f32], yb: &mut BlockQ8_0) {
    let (d, id) = q8_0_scales(block_amax(xb));
    yb.d = d;
    for (q, v) in yb.qs.iter_mut().zip(xb) {
        *q = round_half_away(v * id) as i8;
    }
}

/// The scale of a Q8_0 block whose largest magnitude is `amax`,
/// and its inverse, exactly as [`quantize_q8_0`] computes them.
#[inline]
pub(crate) fn q8_0_scales(amax: f32) -> (F16Bytes, f32) {
    let d = amax / 127.0;
    let id = if d != 0.0 { 1.0 / d } else { 0.0 };
    (F16Bytes::from_f32(d), id)
}

/// Quantizes `x` into Q8_1 blocks (Q8_0 plus `s = d * sum(qs)`), exactly as
/// ggml's `quantize_row_q8_1_ref`.
///
/// # Panics
/// If `x.len() != out.len() * 32`.
pub fn quantize_q8_1(x: &[f32], out: &mut [BlockQ8_1]) {
    assert_eq!(x.len(), out.len() * QK, "quantize_q8_1: length mismatch");
    for (xb, yb) in x.chunks_exact(QK).zip(out.iter_mut()) {
        let amax = block_amax(xb);
        let d = amax / 127.0;
        let id = if d != 0.0 { 1.0 / d } else { 0.0 };
        yb.d = F16Bytes::from_f32(d);
        let mut sum = 0i32;
        for (q, v) in yb.qs.iter_mut().zip(xb) {
            *q = round_half_away(v * id) as i8;
            sum += *q as i32;
        }
        yb.s = F16Bytes::from_f32(sum as f32 * d);
    }
}

/// Dequantizes Q8_0 blocks into `out` (`out.len() == blocks.len() * 32`).
///
/// # Panics
/// On a length mismatch.
pub fn dequantize_q8_0(blocks: &[BlockQ8_0], out: &mut [f32]) {
    assert_eq!(
        out.len(),
        blocks.len() * QK,
        "dequantize_q8_0: length mismatch"
    );
    for (b, yb) in blocks.iter().zip(out.chunks_exact_mut(QK)) {
        let d = b.d.to_f32();
        for (y, q) in yb.iter_mut().zip(b.qs) {
            *y = q as f32 * d;
        }
    }
}
