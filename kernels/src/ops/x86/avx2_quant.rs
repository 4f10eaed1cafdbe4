//! AVX2 + FMA + F16C row dots for the 32-element block formats, following
//! ggml's AVX2 path: 8-bit products via `maddubs` (unsigned × signed into
//! 16-bit pairs), widened to 32 bits by `madd` with ones, converted to f32
//! and accumulated with one FMA per block against the product of scales.
//!
//! The sign trick moves the activation's sign onto the weight so that
//! `maddubs` sees `|x|` (unsigned, up to 128) times `sign(x) · w`. It is exact
//! for weights in `-127..=127` (what every quantizer produces) and any
//! activation byte; a weight of `-128` times a negative activation wraps.

use super::avx2_float::hsum_ps;
use crate::quant::{BlockQ4_0, BlockQ4_1, BlockQ8_0, BlockQ8_1, F16Bytes};
use std::arch::x86_64::*;

/// `d_a * d_b` broadcast to all lanes, converted with F16C.
///
/// Needs AVX2 and F16C; safe to call from code compiled with it.
#[inline]
#[target_feature(enable = "avx2,f16c")]
pub(super) fn scale_product(a: F16Bytes, b: F16Bytes) -> __m256 {
    let bits = a.bits() as u32 | (b.bits() as u32) << 16;
    let v = _mm_cvtph_ps(_mm_cvtsi32_si128(bits as i32));
    _mm256_broadcastss_ps(_mm_mul_ss(v, _mm_movehdup_ps(v)))
}

/// Σ w·x over 32 signed bytes as eight i32 lanes converted to f32.
///
/// Needs AVX2; safe to call from code compiled with it.
#[inline]
#[target_feature(enable = "avx2")]
pub(super) fn dot_i8x32(w: __m256i, x: __m256i) -> __m256 {
    let ax = _mm256_sign_epi8(x, x);
    let sw = _mm256_sign_epi8(w, x);
    sum_pairs(_mm256_maddubs_epi16(ax, sw))
}

/// Sixteen i16 lanes summed pairwise into eight i32 lanes, as f32.
///
/// Needs AVX2; safe to call from code compiled with it.
#[inline]
#[target_feature(enable = "avx2")]
pub(super) fn sum_pairs(p: __m256i) -> __m256 {
    _mm256_cvtepi32_ps(_mm256_madd_epi16(p, _mm256_set1_epi16(1)))
}

/// The 32 nibbles of a Q4 block as bytes `0..=15`, in element order (low
/// nibbles are elements 0–15, high nibbles 16–31).
///
/// # Safety
/// AVX2 must be available; `qs` must point at 16 readable bytes.
#[inline]
#[target_feature(enable = "avx2")]
pub(super) unsafe fn unpack_nibbles(qs: *const u8) -> __m256i {
    // SAFETY: the caller guarantees 16 readable bytes.
    let t = unsafe { _mm_loadu_si128(qs as *const __m128i) };
    let both = _mm256_inserti128_si256::<1>(_mm256_castsi128_si256(t), _mm_srli_epi16::<4>(t));
    _mm256_and_si256(both, _mm256_set1_epi8(0x0F))
}

/// # Safety
/// AVX2 must be available; `p` must point at 32 readable bytes.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn load32(p: *const i8) -> __m256i {
    // SAFETY: the caller guarantees 32 readable bytes.
    unsafe { _mm256_loadu_si256(p as *const __m256i) }
}

/// Q8_0 · Q8_0.
///
/// # Safety
/// AVX2, FMA and F16C must be available. `w.len() == x.len()`.
#[target_feature(enable = "avx2,fma,f16c")]
pub(super) unsafe fn dot_q8_0(w: &[BlockQ8_0], x: &[BlockQ8_0]) -> f32 {
    let mut acc = [_mm256_setzero_ps(); 2];
    let mut pairs = w.chunks_exact(2).zip(x.chunks_exact(2));
    for (wb, xb) in &mut pairs {
        for k in 0..2 {
            // SAFETY: each block holds 32 quant bytes.
            let (qw, qx) = unsafe { (load32(wb[k].qs.as_ptr()), load32(xb[k].qs.as_ptr())) };
            let d = scale_product(wb[k].d, xb[k].d);
            acc[k] = _mm256_fmadd_ps(d, dot_i8x32(qw, qx), acc[k]);
        }
    }
    if w.len() % 2 == 1 {
        let (a, b) = (&w[w.len() - 1], &x[x.len() - 1]);
        // SAFETY: each block holds 32 quant bytes; features enabled.
        unsafe {
            let (qw, qx) = (load32(a.qs.as_ptr()), load32(b.qs.as_ptr()));
            acc[0] = _mm256_fmadd_ps(scale_product(a.d, b.d), dot_i8x32(qw, qx), acc[0]);
        }
    }
    hsum_ps(_mm256_add_ps(acc[0], acc[1]))
}

/// One Q4_0 block's contribution: nibbles minus 8, then the Q8_0 path.
///
/// # Safety
/// AVX2, FMA and F16C must be available.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn fma_q4_0(a: &BlockQ4_0, b: &BlockQ8_0, acc: __m256) -> __m256 {
    // SAFETY: blocks hold 16 packed and 32 quant bytes.
    let (qw, qx) = unsafe { (unpack_nibbles(a.qs.as_ptr()), load32(b.qs.as_ptr())) };
    let qw = _mm256_sub_epi8(qw, _mm256_set1_epi8(8));
    _mm256_fmadd_ps(scale_product(a.d, b.d), dot_i8x32(qw, qx), acc)
}

/// Q4_0 · Q8_0.
///
/// # Safety
/// AVX2, FMA and F16C must be available. `w.len() == x.len()`.
#[target_feature(enable = "avx2,fma,f16c")]
pub(super) unsafe fn dot_q4_0(w: &[BlockQ4_0], x: &[BlockQ8_0]) -> f32 {
    let (mut acc0, mut acc1) = (_mm256_setzero_ps(), _mm256_setzero_ps());
    for (a, b) in w.chunks_exact(2).zip(x.chunks_exact(2)) {
        // SAFETY: features enabled on this function.
        unsafe {
            acc0 = fma_q4_0(&a[0], &b[0], acc0);
            acc1 = fma_q4_0(&a[1], &b[1], acc1);
        }
    }
    if let (Some(a), true) = (w.last(), w.len() % 2 == 1) {
        // SAFETY: features enabled on this function; `x` is as long as `w`.
        acc0 = unsafe { fma_q4_0(a, &x[w.len() - 1], acc0) };
    }
    hsum_ps(_mm256_add_ps(acc0, acc1))
}

/// One Q4_1 block's `d_w d_x Σ q_w q_x` (the `m_w s_x` term is separate).
///
/// # Safety
/// AVX2, FMA and F16C must be available.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn fma_q4_1(a: &BlockQ4_1, b: &BlockQ8_1, acc: __m256) -> __m256 {
    // SAFETY: blocks hold 16 packed and 32 quant bytes.
    let (qw, qx) = unsafe { (unpack_nibbles(a.qs.as_ptr()), load32(b.qs.as_ptr())) };
    let p = sum_pairs(_mm256_maddubs_epi16(qw, qx));
    _mm256_fmadd_ps(scale_product(a.d, b.d), p, acc)
}

/// Q4_1 · Q8_1: unsigned nibbles straight into `maddubs`, plus `m_w · s_x`.
///
/// # Safety
/// AVX2, FMA and F16C must be available. `w.len() == x.len()`.
#[target_feature(enable = "avx2,fma,f16c")]
pub(super) unsafe fn dot_q4_1(w: &[BlockQ4_1], x: &[BlockQ8_1]) -> f32 {
    let (mut acc0, mut acc1) = (_mm256_setzero_ps(), _mm256_setzero_ps());
    let mut summs = 0.0f32;
    for (a, b) in w.chunks_exact(2).zip(x.chunks_exact(2)) {
        // SAFETY: features enabled on this function.
        unsafe {
            acc0 = fma_q4_1(&a[0], &b[0], acc0);
            acc1 = fma_q4_1(&a[1], &b[1], acc1);
        }
    }
    if let (Some(a), true) = (w.last(), w.len() % 2 == 1) {
        // SAFETY: features enabled on this function; `x` is as long as `w`.
        acc0 = unsafe { fma_q4_1(a, &x[w.len() - 1], acc0) };
    }
    for (a, b) in w.iter().zip(x) {
        summs += _mm256_cvtss_f32(scale_product(a.m, b.s));
    }
    hsum_ps(_mm256_add_ps(acc0, acc1)) + summs
}
