//! NEON dotprod panel kernels: one panel of eight interleaved weight rows
//! (see [`crate::quant::PanelQ8_0`]) × one to four activation rows.
//!
//! Sixteen bytes of a panel block hold the same four elements of four rows,
//! so one `sdot` against those four activation bytes duplicated to every
//! lane leaves each row's partial sum in its own lane: two `sdot`s per
//! group of four elements cover the panel, with no pairwise reduction, and
//! the eight scales convert with one `fcvtl`/`fcvtl2` pair. Q4_0 nibbles
//! (0..=15) go in as they are and `8 · Σx` is subtracted per block, the same
//! exact integer as `Σ (q − 8) x`; each output then follows the row tiles'
//! recurrence `acc = fma(dot, d_w · d_x, acc)` exactly.
//!
//! Plain NEON has no lane-per-four-bytes dot, so it keeps the row tiles.

use super::asm::{f16_to_f32, f16x8_to_f32, sdot};
use crate::quant::{BlockQ8_0, F16Bytes, PanelQ4_0, PanelQ8_0};
use core::arch::aarch64::{
    float32x4_t, int8x16_t, int32x4_t, vandq_u8, vcvtq_f32_s32, vdupq_n_f32, vdupq_n_s32,
    vdupq_n_u8, vfmaq_f32, vld1q_s8, vld1q_u8, vmulq_n_f32, vreinterpretq_s8_s32,
    vreinterpretq_s8_u8, vreinterpretq_u16_u8, vshrq_n_u8, vst1q_f32,
};

/// Four activation bytes `4g .. 4g + 4` in every lane.
#[inline]
#[target_feature(enable = "neon")]
fn group(x: &BlockQ8_0, g: usize) -> int8x16_t {
    let b = &x.qs[4 * g..4 * g + 4];
    vreinterpretq_s8_s32(vdupq_n_s32(i32::from_le_bytes([
        b[0] as u8, b[1] as u8, b[2] as u8, b[3] as u8,
    ])))
}

/// The eight scales of a panel block as f32 (rows 0..4, 4..8).
#[inline]
#[target_feature(enable = "neon")]
fn scales(d: &[F16Bytes; 8]) -> (float32x4_t, float32x4_t) {
    // SAFETY: the array is 16 readable bytes; byte loads need no alignment.
    f16x8_to_f32(vreinterpretq_u16_u8(unsafe { vld1q_u8(d.as_ptr().cast()) }))
}

/// Adds the block's dots (rows 0..4, 4..8) times `d_w · d_x` to `acc`.
#[inline]
#[target_feature(enable = "neon")]
fn accumulate(
    acc: &mut (float32x4_t, float32x4_t),
    dots: (int32x4_t, int32x4_t),
    dw: (float32x4_t, float32x4_t),
    dx: F16Bytes,
) {
    let dx = f16_to_f32(dx.bits());
    acc.0 = vfmaq_f32(acc.0, vcvtq_f32_s32(dots.0), vmulq_n_f32(dw.0, dx));
    acc.1 = vfmaq_f32(acc.1, vcvtq_f32_s32(dots.1), vmulq_n_f32(dw.1, dx));
}

type Acc = (float32x4_t, float32x4_t);

/// One Q8_0 panel × `C` activation rows of `nb` blocks.
///
/// # Safety
/// The CPU must support NEON and dotprod; `w` holds `nb` panel blocks and
/// each `x[c]` `nb` activation blocks.
#[inline]
#[target_feature(enable = "neon,dotprod")]
unsafe fn q8_0_tile<const C: usize>(w: &[PanelQ8_0], x: [&[BlockQ8_0]; C]) -> [Acc; C] {
    let zero = vdupq_n_f32(0.0);
    let mut acc = [(zero, zero); C];
    for (b, p) in w.iter().enumerate() {
        let mut sums = [(vdupq_n_s32(0), vdupq_n_s32(0)); C];
        for g in 0..8 {
            // SAFETY: `qs` is 256 bytes; two loads of 16 at 32·g < 256.
            let (lo, hi) = unsafe {
                let at = p.qs.as_ptr().add(32 * g);
                (vld1q_s8(at), vld1q_s8(at.add(16)))
            };
            for c in 0..C {
                let xg = group(&x[c][b], g);
                // SAFETY: the caller guarantees dotprod.
                sums[c] = unsafe { (sdot(sums[c].0, lo, xg), sdot(sums[c].1, hi, xg)) };
            }
        }
        let dw = scales(&p.d);
        for c in 0..C {
            accumulate(&mut acc[c], sums[c], dw, x[c][b].d);
        }
    }
    acc
}

/// One Q4_0 panel × `C` activation rows of `nb` blocks; `s[c][b]` is the
/// quant sum of block `b` of activation row `c`.
///
/// # Safety
/// As [`q8_0_tile`]; each `s[c]` holds `nb` sums.
#[inline]
#[target_feature(enable = "neon,dotprod")]
unsafe fn q4_0_tile<const C: usize>(
    w: &[PanelQ4_0],
    x: [&[BlockQ8_0]; C],
    s: [&[i32]; C],
) -> [Acc; C] {
    let zero = vdupq_n_f32(0.0);
    let low = vdupq_n_u8(0x0F);
    let mut acc = [(zero, zero); C];
    for (b, p) in w.iter().enumerate() {
        let mut sums: [(int32x4_t, int32x4_t); C] = std::array::from_fn(|c| {
            let init = vdupq_n_s32(-8 * s[c][b]);
            (init, init)
        });
        for k in 0..4 {
            // SAFETY: `qs` is 128 bytes; two loads of 16 at 32·k < 128.
            let (v0, v1) = unsafe {
                let at = p.qs.as_ptr().add(32 * k);
                (vld1q_u8(at), vld1q_u8(at.add(16)))
            };
            let lo = (
                vreinterpretq_s8_u8(vandq_u8(v0, low)),
                vreinterpretq_s8_u8(vandq_u8(v1, low)),
            );
            let hi = (
                vreinterpretq_s8_u8(vshrq_n_u8::<4>(v0)),
                vreinterpretq_s8_u8(vshrq_n_u8::<4>(v1)),
            );
            for c in 0..C {
                let (xl, xh) = (group(&x[c][b], k), group(&x[c][b], k + 4));
                // SAFETY: the caller guarantees dotprod.
                sums[c] = unsafe {
                    (
                        sdot(sdot(sums[c].0, lo.0, xl), hi.0, xh),
                        sdot(sdot(sums[c].1, lo.1, xl), hi.1, xh),
                    )
                };
            }
        }
        let dw = scales(&p.d);
        for c in 0..C {
            accumulate(&mut acc[c], sums[c], dw, x[c][b].d);
        }
    }
    acc
}

/// Stores `C` accumulators of eight rows into `out` (activation-major).
#[inline]
#[target_feature(enable = "neon")]
fn store<const C: usize>(acc: [Acc; C], out: &mut [f32]) {
    for (o, a) in out.chunks_exact_mut(8).zip(acc) {
        // SAFETY: each chunk holds the eight f32 stored.
        unsafe {
            vst1q_f32(o.as_mut_ptr(), a.0);
            vst1q_f32(o.as_mut_ptr().add(4), a.1);
        }
    }
}

/// The activation rows of `x` (`nb` elements each) as `C` slices.
fn rows<T, const C: usize>(x: &[T], nb: usize) -> [&[T]; C] {
    std::array::from_fn(|c| &x[c * nb..(c + 1) * nb])
}

/// Q8_0 panel × Q8_0 activations.
///
/// # Safety
/// The CPU must support NEON and dotprod; the shape follows the panel tile
/// contract (checked by the caller).
#[target_feature(enable = "neon,dotprod")]
pub(super) unsafe fn q8_0(w: &[PanelQ8_0], x: &[BlockQ8_0], nb: usize, out: &mut [f32]) {
    // SAFETY: forwarded caller contract (every arm).
    unsafe {
        match x.len() / nb {
            1 => store(q8_0_tile::<1>(w, rows(x, nb)), out),
            2 => store(q8_0_tile::<2>(w, rows(x, nb)), out),
            3 => store(q8_0_tile::<3>(w, rows(x, nb)), out),
            _ => store(q8_0_tile::<4>(w, rows(x, nb)), out),
        }
    }
}

/// Q4_0 panel × Q8_0 activations.
///
/// # Safety
/// As [`q8_0`]; `sums` holds one sum per activation block.
#[target_feature(enable = "neon,dotprod")]
pub(super) unsafe fn q4_0(
    w: &[PanelQ4_0],
    x: &[BlockQ8_0],
    sums: &[i32],
    nb: usize,
    out: &mut [f32],
) {
    // SAFETY: forwarded caller contract (every arm).
    unsafe {
        match x.len() / nb {
            1 => store(q4_0_tile::<1>(w, rows(x, nb), rows(sums, nb)), out),
            2 => store(q4_0_tile::<2>(w, rows(x, nb), rows(sums, nb)), out),
            3 => store(q4_0_tile::<3>(w, rows(x, nb), rows(sums, nb)), out),
            _ => store(q4_0_tile::<4>(w, rows(x, nb), rows(sums, nb)), out),
        }
    }
}
