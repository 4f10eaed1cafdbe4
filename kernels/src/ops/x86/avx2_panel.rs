//! AVX2 panel kernels: one panel of eight interleaved weight rows (see
//! [`crate::quant::PanelQ8_0`]) × one to four activation rows.
//!
//! A 32-byte load of a panel block holds the same four elements of the
//! eight rows, so a byte dot against those four activation bytes broadcast
//! to every lane (`maddubs` + `madd`, or one VNNI `vpdpbusd`) leaves each
//! row's partial sum in its own i32 lane: no horizontal adds, and the eight
//! scales convert with one `vcvtph2ps`. Weights are loaded (and Q4_0
//! nibbles split) once per block and reused for every activation row.
//!
//! Q8_0 uses the sign trick of the row tiles. Q4_0 feeds its nibbles
//! (0..=15) straight in as the unsigned operand and subtracts `8 · Σx` per
//! block, with `Σx` the activation block's quant sum: the same exact
//! integer as `Σ (q − 8) x`. Each output then follows the row tiles'
//! recurrence `acc = fma(dot, d_w · d_x, acc)` exactly.

use super::avx2_tile::ByteDot;
use crate::quant::{BlockQ8_0, PanelQ4_0, PanelQ8_0};
use std::arch::x86_64::*;

/// The eight f16 scales of a panel block as f32 lanes.
#[inline]
#[target_feature(enable = "avx2,f16c")]
fn scales(d: &[crate::quant::F16Bytes; 8]) -> __m256 {
    // SAFETY: the array is 16 readable bytes; an unaligned load.
    _mm256_cvtph_ps(unsafe { _mm_loadu_si128(d.as_ptr().cast()) })
}

/// Activation scale `d` (f16) broadcast as f32.
#[inline]
#[target_feature(enable = "avx2,f16c")]
fn broadcast_scale(d: crate::quant::F16Bytes) -> __m256 {
    let v = _mm_cvtph_ps(_mm_cvtsi32_si128(i32::from(d.bits())));
    _mm256_broadcastss_ps(v)
}

/// Four activation bytes `4g .. 4g + 4` broadcast to every i32 lane.
#[inline]
#[target_feature(enable = "avx2")]
fn group(x: &BlockQ8_0, g: usize) -> __m256i {
    let b = &x.qs[4 * g..4 * g + 4];
    _mm256_set1_epi32(i32::from_le_bytes([
        b[0] as u8, b[1] as u8, b[2] as u8, b[3] as u8,
    ]))
}

/// One Q8_0 panel × `C` activation rows of `nb` blocks.
///
/// # Safety
/// AVX2, FMA, F16C and `D`'s features must be available; `w` holds `nb`
/// panel blocks and each `x[c]` `nb` activation blocks.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn q8_0_tile<D: ByteDot, const C: usize>(
    w: &[PanelQ8_0],
    x: [&[BlockQ8_0]; C],
) -> [__m256; C] {
    let mut acc = [_mm256_setzero_ps(); C];
    for (b, p) in w.iter().enumerate() {
        // SAFETY: `qs` is 256 bytes, eight unaligned loads of 32.
        let q: [__m256i; 8] = std::array::from_fn(|g| unsafe {
            _mm256_loadu_si256(p.qs.as_ptr().add(32 * g).cast())
        });
        let dw = scales(&p.d);
        for c in 0..C {
            let a = &x[c][b];
            let mut sum = _mm256_setzero_si256();
            for (g, &qg) in q.iter().enumerate() {
                let xg = group(a, g);
                // SAFETY: the caller guarantees `D`'s features.
                sum =
                    unsafe { D::dot_acc(sum, _mm256_sign_epi8(xg, xg), _mm256_sign_epi8(qg, xg)) };
            }
            let scale = _mm256_mul_ps(dw, broadcast_scale(a.d));
            acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum), scale, acc[c]);
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
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn q4_0_tile<D: ByteDot, const C: usize>(
    w: &[PanelQ4_0],
    x: [&[BlockQ8_0]; C],
    s: [&[i32]; C],
) -> [__m256; C] {
    let low = _mm256_set1_epi8(0x0F);
    let mut acc = [_mm256_setzero_ps(); C];
    for (b, p) in w.iter().enumerate() {
        // SAFETY: `qs` is 128 bytes, four unaligned loads of 32.
        let v: [__m256i; 4] = std::array::from_fn(|k| unsafe {
            _mm256_loadu_si256(p.qs.as_ptr().add(32 * k).cast())
        });
        let lo = v.map(|v| _mm256_and_si256(v, low));
        let hi = v.map(|v| _mm256_and_si256(_mm256_srli_epi16::<4>(v), low));
        let dw = scales(&p.d);
        for c in 0..C {
            let a = &x[c][b];
            let mut sum = _mm256_set1_epi32(-8 * s[c][b]);
            for k in 0..4 {
                // SAFETY: the caller guarantees `D`'s features.
                sum = unsafe {
                    let sum = D::dot_acc(sum, lo[k], group(a, k));
                    D::dot_acc(sum, hi[k], group(a, k + 4))
                };
            }
            let scale = _mm256_mul_ps(dw, broadcast_scale(a.d));
            acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum), scale, acc[c]);
        }
    }
    acc
}

/// Stores `C` accumulators of eight rows into `out` (activation-major).
#[inline]
#[target_feature(enable = "avx")]
fn store<const C: usize>(acc: [__m256; C], out: &mut [f32]) {
    for (o, a) in out.chunks_exact_mut(8).zip(acc) {
        // SAFETY: each chunk holds the eight f32 stored.
        unsafe { _mm256_storeu_ps(o.as_mut_ptr(), a) };
    }
}

/// The activation rows of `x` (`nb` blocks each) as `C` slices.
fn rows<T, const C: usize>(x: &[T], nb: usize) -> [&[T]; C] {
    std::array::from_fn(|c| &x[c * nb..(c + 1) * nb])
}

/// Declares the panel entry points for one byte-dot flavour, compiled with
/// its features so that everything inlines into one loop.
macro_rules! entries {
    ($features:literal, $dot:ty, $q8_0:ident, $q4_0:ident) => {
        /// Q8_0 panel × Q8_0 activations.
        ///
        /// # Safety
        /// Every feature this function enables must be available; the shape
        /// follows the panel tile contract (checked by the caller).
        #[target_feature(enable = $features)]
        pub(super) unsafe fn $q8_0(w: &[PanelQ8_0], x: &[BlockQ8_0], nb: usize, out: &mut [f32]) {
            // SAFETY: forwarded caller contract (every arm).
            unsafe {
                match x.len() / nb {
                    1 => store(q8_0_tile::<$dot, 1>(w, rows(x, nb)), out),
                    2 => store(q8_0_tile::<$dot, 2>(w, rows(x, nb)), out),
                    3 => store(q8_0_tile::<$dot, 3>(w, rows(x, nb)), out),
                    _ => store(q8_0_tile::<$dot, 4>(w, rows(x, nb)), out),
                }
            }
        }

        /// Q4_0 panel × Q8_0 activations.
        ///
        /// # Safety
        /// As above; `sums` holds one sum per activation block.
        #[target_feature(enable = $features)]
        pub(super) unsafe fn $q4_0(
            w: &[PanelQ4_0],
            x: &[BlockQ8_0],
            sums: &[i32],
            nb: usize,
            out: &mut [f32],
        ) {
            // SAFETY: forwarded caller contract (every arm).
            unsafe {
                match x.len() / nb {
                    1 => store(q4_0_tile::<$dot, 1>(w, rows(x, nb), rows(sums, nb)), out),
                    2 => store(q4_0_tile::<$dot, 2>(w, rows(x, nb), rows(sums, nb)), out),
                    3 => store(q4_0_tile::<$dot, 3>(w, rows(x, nb), rows(sums, nb)), out),
                    _ => store(q4_0_tile::<$dot, 4>(w, rows(x, nb), rows(sums, nb)), out),
                }
            }
        }
    };
}

use super::avx2_tile::{Avx512Vnni, AvxVnni, Maddubs};

entries!("avx2,fma,f16c", Maddubs, q8_0, q4_0);
entries!("avx2,fma,f16c,avxvnni", AvxVnni, q8_0_avxvnni, q4_0_avxvnni);
entries!(
    "avx2,fma,f16c,avx512f,avx512vl,avx512vnni",
    Avx512Vnni,
    q8_0_avx512vnni,
    q4_0_avx512vnni
);
