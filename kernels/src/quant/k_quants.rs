//! K-quant dequantization (Q4_K, Q5_K, Q6_K): ports of ggml's
//! `dequantize_row_q4_K`, `dequantize_row_q5_K` and `dequantize_row_q6_K`.
//!
//! Products are evaluated in ggml's order and never fused (ggml's C source
//! without floating-point contraction), so results are bit-exact with it.

use super::{BlockQ4K, BlockQ5K, BlockQ6K, K_SCALE_SIZE, QK_K};

/// The 6-bit scale and minimum of sub-block `j` (0..8) of a Q4_K / Q5_K
/// super-block, ggml's `get_scale_min_k4`.
///
/// Bytes 0..4 hold scales 0..3 in their low six bits, bytes 4..8 minimums
/// 0..3 likewise; bytes 8..12 hold the low nibbles of scale (low half) and
/// minimum (high half) 4..7, whose top two bits sit in bits 6..7 of bytes
/// 0..4 (scales) and 4..8 (minimums).
///
/// # Panics
/// If `j >= 8`.
#[inline]
pub fn scale_min_k4(j: usize, q: &[u8; K_SCALE_SIZE]) -> (u8, u8) {
    assert!(j < 8, "scale_min_k4: sub-block {j} out of range");
    if j < 4 {
        (q[j] & 63, q[j + 4] & 63)
    } else {
        (
            (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4),
            (q[j + 4] >> 4) | ((q[j] >> 6) << 4),
        )
    }
}

/// Per-sub-block `(d * scale, dmin * min)` pairs of a Q4_K / Q5_K block.
#[inline]
fn scales_mins(d: f32, dmin: f32, scales: &[u8; K_SCALE_SIZE]) -> [(f32, f32); 8] {
    std::array::from_fn(|j| {
        let (sc, m) = scale_min_k4(j, scales);
        (d * sc as f32, dmin * m as f32)
    })
}

/// Dequantizes Q4_K blocks: `x = d * scale * q - dmin * min` per sub-block of
/// 32; each 32-byte group of `qs` holds sub-block `2k` in its low nibbles and
/// `2k + 1` in its high nibbles.
///
/// # Panics
/// If `out.len() != blocks.len() * 256`.
pub fn dequantize_q4_k(blocks: &[BlockQ4K], out: &mut [f32]) {
    assert_eq!(
        out.len(),
        blocks.len() * QK_K,
        "dequantize_q4_k: length mismatch"
    );
    for (b, yb) in blocks.iter().zip(out.chunks_exact_mut(QK_K)) {
        let sm = scales_mins(b.d.to_f32(), b.dmin.to_f32(), &b.scales);
        for (k, (q, y)) in
            b.qs.chunks_exact(32)
                .zip(yb.chunks_exact_mut(64))
                .enumerate()
        {
            let (d1, m1) = sm[2 * k];
            let (d2, m2) = sm[2 * k + 1];
            let (lo, hi) = y.split_at_mut(32);
            for l in 0..32 {
                lo[l] = d1 * (q[l] & 0xF) as f32 - m1;
                hi[l] = d2 * (q[l] >> 4) as f32 - m2;
            }
        }
    }
}

/// Dequantizes Q5_K blocks: Q4_K plus a fifth bit per weight; for the 64
/// weights of group `k`, bit `2k` of `qh[l]` extends the low-nibble weight
/// `l` and bit `2k + 1` the high-nibble one.
///
/// # Panics
/// If `out.len() != blocks.len() * 256`.
pub fn dequantize_q5_k(blocks: &[BlockQ5K], out: &mut [f32]) {
    assert_eq!(
        out.len(),
        blocks.len() * QK_K,
        "dequantize_q5_k: length mismatch"
    );
    for (b, yb) in blocks.iter().zip(out.chunks_exact_mut(QK_K)) {
        let sm = scales_mins(b.d.to_f32(), b.dmin.to_f32(), &b.scales);
        for (k, (ql, y)) in
            b.qs.chunks_exact(32)
                .zip(yb.chunks_exact_mut(64))
                .enumerate()
        {
            let (d1, m1) = sm[2 * k];
            let (d2, m2) = sm[2 * k + 1];
            let (u1, u2) = (1u8 << (2 * k), 2u8 << (2 * k));
            let (lo, hi) = y.split_at_mut(32);
            for l in 0..32 {
                let h1 = if b.qh[l] & u1 != 0 { 16 } else { 0 };
                let h2 = if b.qh[l] & u2 != 0 { 16 } else { 0 };
                lo[l] = d1 * ((ql[l] & 0xF) + h1) as f32 - m1;
                hi[l] = d2 * ((ql[l] >> 4) + h2) as f32 - m2;
            }
        }
    }
}

/// Dequantizes Q6_K blocks: `x = d * scale * (q - 32)` with sixteen signed
/// 8-bit scales, one per 16 weights; each half (128 weights) takes 64 bytes
/// of `ql` (low nibbles) and 32 of `qh` (two high bits per weight).
///
/// # Panics
/// If `out.len() != blocks.len() * 256`.
pub fn dequantize_q6_k(blocks: &[BlockQ6K], out: &mut [f32]) {
    assert_eq!(
        out.len(),
        blocks.len() * QK_K,
        "dequantize_q6_k: length mismatch"
    );
    for (b, yb) in blocks.iter().zip(out.chunks_exact_mut(QK_K)) {
        let d = b.d.to_f32();
        let halves = b.ql.chunks_exact(64).zip(b.qh.chunks_exact(32));
        let groups = halves
            .zip(b.scales.chunks_exact(8))
            .zip(yb.chunks_exact_mut(128));
        for (((ql, qh), sc), y) in groups {
            for l in 0..32 {
                let is = l / 16;
                let q1 = ((ql[l] & 0xF) | ((qh[l] & 3) << 4)) as i32 - 32;
                let q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) as i32 - 32;
                let q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) as i32 - 32;
                let q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) as i32 - 32;
                // ggml: `d * sc[is] * q`, i.e. `(d * sc) * q`.
                y[l] = d * sc[is] as f32 * q1 as f32;
                y[l + 32] = d * sc[is + 2] as f32 * q2 as f32;
                y[l + 64] = d * sc[is + 4] as f32 * q3 as f32;
                y[l + 96] = d * sc[is + 6] as f32 * q4 as f32;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_min_k4_reads_high_bits() {
        // sub-block 5: scale low nibble in byte 9 (low), high bits in byte 1;
        // minimum low nibble in byte 9 (high), high bits in byte 5.
        let mut q = [0u8; K_SCALE_SIZE];
        q[9] = 0xA5;
        q[1] = 0b1100_0000;
        q[5] = 0b0100_0000;
        assert_eq!(scale_min_k4(5, &q), (0x35, 0x1A));
        assert_eq!(scale_min_k4(1, &q), (0, 0));
    }
}
