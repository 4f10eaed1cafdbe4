//! AVX2 + FMA + F16C row dots for float weights (f32, f16, bf16).
//!
//! Weights arrive as raw little-endian bytes with alignment 1, so every load
//! is unaligned. Four independent accumulators hide the FMA latency; a
//! scalar loop finishes lengths that are not a multiple of 8.

use std::arch::x86_64::*;

/// Sum of the eight lanes.
///
/// Needs AVX; safe to call from code compiled with it.
#[inline]
#[target_feature(enable = "avx")]
pub(super) fn hsum_ps(v: __m256) -> f32 {
    let lo = _mm256_castps256_ps128(v);
    let hi = _mm256_extractf128_ps::<1>(v);
    let s = _mm_add_ps(lo, hi);
    let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    let s = _mm_add_ss(s, _mm_movehdup_ps(s));
    _mm_cvtss_f32(s)
}

/// Loads 8 weights starting at element `i` as f32 lanes.
pub(super) type Widen = unsafe fn(*const u8, usize) -> __m256;

/// Shared loop: `widen(w, i)` yields elements `i..i + 8` of the weights;
/// `tail(i)` the product of element `i` with `x[i]`.
///
/// # Safety
/// AVX2, FMA and F16C must be available; `widen` must read only inside the
/// weight row for `i + 8 <= x.len()`.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn dot_loop(w: *const u8, x: &[f32], widen: Widen, tail: impl Fn(usize) -> f32) -> f32 {
    let n = x.len();
    let xp = x.as_ptr();
    // SAFETY: every index below stays under `n`, the length of `x` and (by
    // the caller's contract) of the weight row; the CPU features are enabled.
    unsafe {
        let mut acc = [_mm256_setzero_ps(); 4];
        let mut i = 0;
        while i + 32 <= n {
            for (k, a) in acc.iter_mut().enumerate() {
                let j = i + 8 * k;
                *a = _mm256_fmadd_ps(widen(w, j), _mm256_loadu_ps(xp.add(j)), *a);
            }
            i += 32;
        }
        while i + 8 <= n {
            acc[0] = _mm256_fmadd_ps(widen(w, i), _mm256_loadu_ps(xp.add(i)), acc[0]);
            i += 8;
        }
        let s = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]));
        let mut sum = hsum_ps(s);
        while i < n {
            sum += tail(i);
            i += 1;
        }
        sum
    }
}

/// # Safety
/// AVX must be available; `w + 4 * i .. + 32` must be readable.
#[inline]
#[target_feature(enable = "avx")]
pub(super) unsafe fn widen_f32(w: *const u8, i: usize) -> __m256 {
    // SAFETY: the caller guarantees the 32 bytes are inside the row.
    unsafe { _mm256_loadu_ps(w.add(4 * i) as *const f32) }
}

/// # Safety
/// AVX and F16C must be available; `w + 2 * i .. + 16` must be readable.
#[inline]
#[target_feature(enable = "avx,f16c")]
pub(super) unsafe fn widen_f16(w: *const u8, i: usize) -> __m256 {
    // SAFETY: the caller guarantees the 16 bytes are inside the row.
    unsafe { _mm256_cvtph_ps(_mm_loadu_si128(w.add(2 * i) as *const __m128i)) }
}

/// # Safety
/// AVX2 must be available; `w + 2 * i .. + 16` must be readable.
#[inline]
#[target_feature(enable = "avx2")]
pub(super) unsafe fn widen_bf16(w: *const u8, i: usize) -> __m256 {
    // SAFETY: the caller guarantees the 16 bytes are inside the row.
    unsafe {
        let h = _mm256_cvtepu16_epi32(_mm_loadu_si128(w.add(2 * i) as *const __m128i));
        _mm256_castsi256_ps(_mm256_slli_epi32::<16>(h))
    }
}

/// f32 weights · f32.
///
/// # Safety
/// AVX2, FMA and F16C must be available. `w.len() == 4 * x.len()`.
#[target_feature(enable = "avx2,fma,f16c")]
pub(super) unsafe fn dot_f32(w: &[u8], x: &[f32]) -> f32 {
    let tail =
        |i: usize| f32::from_le_bytes([w[4 * i], w[4 * i + 1], w[4 * i + 2], w[4 * i + 3]]) * x[i];
    // SAFETY: features checked by the caller; lengths match (caller contract).
    unsafe { dot_loop(w.as_ptr(), x, widen_f32, tail) }
}

/// f16 weights · f32.
///
/// # Safety
/// AVX2, FMA and F16C must be available. `w.len() == 2 * x.len()`.
#[target_feature(enable = "avx2,fma,f16c")]
pub(super) unsafe fn dot_f16(w: &[u8], x: &[f32]) -> f32 {
    let tail = |i: usize| half::f16::from_le_bytes([w[2 * i], w[2 * i + 1]]).to_f32() * x[i];
    // SAFETY: features checked by the caller; lengths match (caller contract).
    unsafe { dot_loop(w.as_ptr(), x, widen_f16, tail) }
}

/// bf16 weights · f32.
///
/// # Safety
/// AVX2, FMA and F16C must be available. `w.len() == 2 * x.len()`.
#[target_feature(enable = "avx2,fma,f16c")]
pub(super) unsafe fn dot_bf16(w: &[u8], x: &[f32]) -> f32 {
    let tail = |i: usize| half::bf16::from_le_bytes([w[2 * i], w[2 * i + 1]]).to_f32() * x[i];
    // SAFETY: features checked by the caller; lengths match (caller contract).
    unsafe { dot_loop(w.as_ptr(), x, widen_bf16, tail) }
}
