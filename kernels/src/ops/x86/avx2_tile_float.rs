//! AVX2 + FMA tile kernels for float weights (f32, f16, bf16): four weight
//! rows × one to four activation rows per call. Per eight columns, each
//! activation row is loaded once and each weight row widened once, then one
//! FMA per output; one accumulator and one horizontal sum per output, and a
//! scalar loop for the last `len % 8` columns.

use super::avx2_float::{hsum_ps, widen_bf16, widen_f16, widen_f32};
use crate::ops::tile_shape::{rows_of, store};
use std::arch::x86_64::*;

/// A float weight storage format.
trait Format {
    /// Bytes per element.
    const BYTES: usize;
    /// Elements `i..i + 8` of the row at `w` as f32 lanes.
    ///
    /// # Safety
    /// AVX2 and F16C must be available; the eight elements must be readable.
    unsafe fn widen(w: *const u8, i: usize) -> __m256;
    /// Element `i` of the row `w`.
    fn one(w: &[u8], i: usize) -> f32;
}

struct F32;
struct F16;
struct Bf16;

impl Format for F32 {
    const BYTES: usize = 4;
    #[inline]
    #[target_feature(enable = "avx2,f16c")]
    unsafe fn widen(w: *const u8, i: usize) -> __m256 {
        // SAFETY: forwarded caller contract.
        unsafe { widen_f32(w, i) }
    }
    fn one(w: &[u8], i: usize) -> f32 {
        f32::from_le_bytes([w[4 * i], w[4 * i + 1], w[4 * i + 2], w[4 * i + 3]])
    }
}

impl Format for F16 {
    const BYTES: usize = 2;
    #[inline]
    #[target_feature(enable = "avx2,f16c")]
    unsafe fn widen(w: *const u8, i: usize) -> __m256 {
        // SAFETY: forwarded caller contract.
        unsafe { widen_f16(w, i) }
    }
    fn one(w: &[u8], i: usize) -> f32 {
        half::f16::from_le_bytes([w[2 * i], w[2 * i + 1]]).to_f32()
    }
}

impl Format for Bf16 {
    const BYTES: usize = 2;
    #[inline]
    #[target_feature(enable = "avx2,f16c")]
    unsafe fn widen(w: *const u8, i: usize) -> __m256 {
        // SAFETY: forwarded caller contract.
        unsafe { widen_bf16(w, i) }
    }
    fn one(w: &[u8], i: usize) -> f32 {
        half::bf16::from_le_bytes([w[2 * i], w[2 * i + 1]]).to_f32()
    }
}

/// The outputs of four weight rows × `C` activation rows of `len` elements.
///
/// # Safety
/// AVX2, FMA and F16C must be available; every weight row holds
/// `len * F::BYTES` bytes and every activation row `len` values.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn tile<F: Format, const C: usize>(
    w: [&[u8]; 4],
    x: [&[f32]; C],
    len: usize,
) -> [[f32; 4]; C] {
    let mut acc = [[_mm256_setzero_ps(); 4]; C];
    // Where the next tile's rows start when the rows are consecutive (a
    // matrix's rows are): while this tile streams four rows, the next four
    // are prefetched, as many bytes per step as this step reads. Four
    // short interleaved streams are too short for the hardware prefetcher
    // to ramp up on; a prefetch never faults, wherever it points.
    let next = w[3].as_ptr().wrapping_add(len * F::BYTES);
    let mut i = 0;
    while i + 8 <= len {
        let ahead = next.wrapping_add(4 * i * F::BYTES).cast::<i8>();
        // SAFETY: i + 8 <= len: the eight elements read from every row are
        // inside it; the caller guarantees the features. Prefetching reads
        // nothing the program can observe.
        unsafe {
            _mm_prefetch::<_MM_HINT_T0>(ahead);
            if F::BYTES == 4 {
                _mm_prefetch::<_MM_HINT_T0>(ahead.wrapping_add(64));
            }
            let xv: [__m256; C] = std::array::from_fn(|c| _mm256_loadu_ps(x[c].as_ptr().add(i)));
            for r in 0..4 {
                let wv = F::widen(w[r].as_ptr(), i);
                for c in 0..C {
                    acc[c][r] = _mm256_fmadd_ps(wv, xv[c], acc[c][r]);
                }
            }
        }
        i += 8;
    }
    let mut out = [[0.0f32; 4]; C];
    for c in 0..C {
        for r in 0..4 {
            let mut s = hsum_ps(acc[c][r]);
            for (j, &v) in x[c].iter().enumerate().skip(i) {
                s += F::one(w[r], j) * v;
            }
            out[c][r] = s;
        }
    }
    out
}

/// A whole tile call: pads the weight rows and picks the batch width.
///
/// # Safety
/// AVX2, FMA and F16C must be available; the shape follows the tile
/// contract (checked by the caller).
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn run<F: Format>(w: &[u8], x: &[f32], len: usize, out: &mut [f32]) {
    let rb = len * F::BYTES;
    let rows = w.len() / rb;
    let wr = rows_of::<u8, 4>(w, rb);
    // SAFETY: forwarded caller contract (every arm).
    unsafe {
        match x.len() / len {
            1 => store(tile::<F, 1>(wr, rows_of(x, len), len), rows, out),
            2 => store(tile::<F, 2>(wr, rows_of(x, len), len), rows, out),
            3 => store(tile::<F, 3>(wr, rows_of(x, len), len), rows, out),
            _ => store(tile::<F, 4>(wr, rows_of(x, len), len), rows, out),
        }
    }
}

/// f32 tile.
///
/// # Safety
/// AVX2, FMA and F16C must be available; the shape follows the tile contract.
#[target_feature(enable = "avx2,fma,f16c")]
pub(super) unsafe fn f32(w: &[u8], x: &[f32], len: usize, out: &mut [f32]) {
    // SAFETY: forwarded caller contract.
    unsafe { run::<F32>(w, x, len, out) }
}

/// f16 tile.
///
/// # Safety
/// As [`f32`].
#[target_feature(enable = "avx2,fma,f16c")]
pub(super) unsafe fn f16(w: &[u8], x: &[f32], len: usize, out: &mut [f32]) {
    // SAFETY: forwarded caller contract.
    unsafe { run::<F16>(w, x, len, out) }
}

/// bf16 tile.
///
/// # Safety
/// As [`f32`].
#[target_feature(enable = "avx2,fma,f16c")]
pub(super) unsafe fn bf16(w: &[u8], x: &[f32], len: usize, out: &mut [f32]) {
    // SAFETY: forwarded caller contract.
    unsafe { run::<Bf16>(w, x, len, out) }
}
