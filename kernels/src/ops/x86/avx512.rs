//! AVX-512 (F + BW + VL) row dots, with a VNNI (`vpdpbusd`) variant of the
//! quantized kernels for CPUs that have it.
//!
//! Float kernels run 16 lanes with masked loads for the tail. Quantized
//! kernels put two 32-element blocks in one 512-bit register and reuse the
//! AVX2 sign trick (AVX-512 has no `vpsignb`: a masked subtract negates the
//! weights where the activation is negative); an odd last block goes through
//! the AVX2 kernel, which every AVX-512 CPU can run.

use super::avx2_quant::{self, scale_product, unpack_nibbles};
use crate::quant::{BlockQ4_0, BlockQ4_1, BlockQ8_0, BlockQ8_1};
use std::arch::x86_64::*;

/// Loads (at most 16) weights from element `i` as f32 lanes; `m` masks the
/// lanes past the end of the row.
type Widen = unsafe fn(*const u8, usize, __mmask16) -> __m512;

/// # Safety
/// AVX-512 F/BW/VL must be available; the weight row behind `w` must hold
/// `x.len()` elements of the format `widen` reads.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx2,fma,f16c")]
unsafe fn dot_float(w: *const u8, x: &[f32], widen: Widen) -> f32 {
    let n = x.len();
    let xp = x.as_ptr();
    // SAFETY: full loads stay below `n`; the tail uses masked loads, which
    // do not touch masked-off memory.
    unsafe {
        let mut acc = [_mm512_setzero_ps(); 4];
        let mut i = 0;
        while i + 64 <= n {
            for (k, a) in acc.iter_mut().enumerate() {
                let j = i + 16 * k;
                *a = _mm512_fmadd_ps(widen(w, j, !0), _mm512_loadu_ps(xp.add(j)), *a);
            }
            i += 64;
        }
        while i < n {
            let m: __mmask16 = if n - i >= 16 {
                !0
            } else {
                (1u16 << (n - i)) - 1
            };
            let xv = _mm512_maskz_loadu_ps(m, xp.add(i));
            acc[0] = _mm512_fmadd_ps(widen(w, i, m), xv, acc[0]);
            i += 16;
        }
        let s = _mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), _mm512_add_ps(acc[2], acc[3]));
        _mm512_reduce_add_ps(s)
    }
}

/// # Safety
/// AVX-512 F must be available; the unmasked lanes must be readable.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn widen_f32(w: *const u8, i: usize, m: __mmask16) -> __m512 {
    // SAFETY: the caller guarantees the unmasked lanes are inside the row.
    unsafe { _mm512_maskz_loadu_ps(m, w.add(4 * i) as *const f32) }
}

/// # Safety
/// AVX-512 F/BW/VL must be available; the unmasked lanes must be readable.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vl")]
unsafe fn widen_f16(w: *const u8, i: usize, m: __mmask16) -> __m512 {
    // SAFETY: the caller guarantees the unmasked lanes are inside the row.
    unsafe { _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, w.add(2 * i) as *const i16)) }
}

/// # Safety
/// AVX-512 F/BW/VL must be available; the unmasked lanes must be readable.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vl")]
unsafe fn widen_bf16(w: *const u8, i: usize, m: __mmask16) -> __m512 {
    // SAFETY: the caller guarantees the unmasked lanes are inside the row.
    unsafe {
        let h = _mm256_maskz_loadu_epi16(m, w.add(2 * i) as *const i16);
        _mm512_castsi512_ps(_mm512_slli_epi32::<16>(_mm512_cvtepu16_epi32(h)))
    }
}

/// f32 weights · f32.
///
/// # Safety
/// AVX-512 F/BW/VL, AVX2, FMA and F16C must be available; `w.len() == 4 * x.len()`.
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx2,fma,f16c")]
pub(super) unsafe fn dot_f32(w: &[u8], x: &[f32]) -> f32 {
    // SAFETY: forwarded caller contract.
    unsafe { dot_float(w.as_ptr(), x, widen_f32) }
}

/// f16 weights · f32.
///
/// # Safety
/// As [`dot_f32`], with `w.len() == 2 * x.len()`.
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx2,fma,f16c")]
pub(super) unsafe fn dot_f16(w: &[u8], x: &[f32]) -> f32 {
    // SAFETY: forwarded caller contract.
    unsafe { dot_float(w.as_ptr(), x, widen_f16) }
}

/// bf16 weights · f32.
///
/// # Safety
/// As [`dot_f32`], with `w.len() == 2 * x.len()`.
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx2,fma,f16c")]
pub(super) unsafe fn dot_bf16(w: &[u8], x: &[f32]) -> f32 {
    // SAFETY: forwarded caller contract.
    unsafe { dot_float(w.as_ptr(), x, widen_bf16) }
}

/// Two 256-bit halves as one register.
#[inline]
#[target_feature(enable = "avx512f")]
fn join(lo: __m256i, hi: __m256i) -> __m512i {
    _mm512_inserti64x4::<1>(_mm512_castsi256_si512(lo), hi)
}

/// Two blocks' scale products: lanes 0–7 `lo`, 8–15 `hi`.
#[inline]
#[target_feature(enable = "avx512f")]
fn join_ps(lo: __m256, hi: __m256) -> __m512 {
    let v = _mm512_insertf64x4::<1>(
        _mm512_castpd256_pd512(_mm256_castps_pd(lo)),
        _mm256_castps_pd(hi),
    );
    _mm512_castpd_ps(v)
}

/// The 32 quant bytes of two consecutive blocks.
///
/// # Safety
/// AVX-512 F must be available; both pointers must have 32 readable bytes.
#[inline]
#[target_feature(enable = "avx512f,avx2")]
unsafe fn load_pair(a: *const i8, b: *const i8) -> __m512i {
    // SAFETY: the caller guarantees 32 readable bytes at each pointer.
    unsafe {
        join(
            _mm256_loadu_si256(a as *const __m256i),
            _mm256_loadu_si256(b as *const __m256i),
        )
    }
}

/// `(|x|, sign(x) · w)`: the unsigned and signed operands of the byte dot.
#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
fn move_sign(w: __m512i, x: __m512i) -> (__m512i, __m512i) {
    let neg = _mm512_movepi8_mask(x);
    (
        _mm512_abs_epi8(x),
        _mm512_mask_sub_epi8(w, neg, _mm512_setzero_si512(), w),
    )
}

/// Unsigned × signed bytes summed in groups of four into i32 lanes.
#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
fn udot_bw(u: __m512i, s: __m512i) -> __m512i {
    _mm512_madd_epi16(_mm512_maddubs_epi16(u, s), _mm512_set1_epi16(1))
}

/// As [`udot_bw`] in one `vpdpbusd`.
#[inline]
#[target_feature(enable = "avx512f,avx512vnni")]
fn udot_vnni(u: __m512i, s: __m512i) -> __m512i {
    _mm512_dpbusd_epi32(_mm512_setzero_si512(), u, s)
}

/// Generates the three quantized kernels for one byte-dot flavour.
macro_rules! quant_kernels {
    ($features:literal, $udot:ident, $q8_0:ident, $q4_0:ident, $q4_1:ident) => {
        /// Q8_0 · Q8_0, two blocks per step.
        ///
        /// # Safety
        /// Every feature this function enables must be available; `w.len() == x.len()`.
        #[target_feature(enable = $features)]
        pub(super) unsafe fn $q8_0(w: &[BlockQ8_0], x: &[BlockQ8_0]) -> f32 {
            let mut acc = _mm512_setzero_ps();
            for (a, b) in w.chunks_exact(2).zip(x.chunks_exact(2)) {
                // SAFETY: every block holds 32 quant bytes.
                let (qw, qx) = unsafe {
                    (
                        load_pair(a[0].qs.as_ptr(), a[1].qs.as_ptr()),
                        load_pair(b[0].qs.as_ptr(), b[1].qs.as_ptr()),
                    )
                };
                let (u, s) = move_sign(qw, qx);
                let d = join_ps(scale_product(a[0].d, b[0].d), scale_product(a[1].d, b[1].d));
                acc = _mm512_fmadd_ps(d, _mm512_cvtepi32_ps($udot(u, s)), acc);
            }
            let mut sum = _mm512_reduce_add_ps(acc);
            if w.len() % 2 == 1 {
                let k = w.len() - 1;
                // SAFETY: AVX-512 CPUs run AVX2 + FMA + F16C (enabled here).
                sum += unsafe { avx2_quant::dot_q8_0(&w[k..], &x[k..]) };
            }
            sum
        }

        /// Q4_0 · Q8_0, two blocks per step.
        ///
        /// # Safety
        /// Every feature this function enables must be available; `w.len() == x.len()`.
        #[target_feature(enable = $features)]
        pub(super) unsafe fn $q4_0(w: &[BlockQ4_0], x: &[BlockQ8_0]) -> f32 {
            let mut acc = _mm512_setzero_ps();
            let eight = _mm512_set1_epi8(8);
            for (a, b) in w.chunks_exact(2).zip(x.chunks_exact(2)) {
                // SAFETY: blocks hold 16 packed and 32 quant bytes.
                let (qw, qx) = unsafe {
                    (
                        join(
                            unpack_nibbles(a[0].qs.as_ptr()),
                            unpack_nibbles(a[1].qs.as_ptr()),
                        ),
                        load_pair(b[0].qs.as_ptr(), b[1].qs.as_ptr()),
                    )
                };
                let (u, s) = move_sign(_mm512_sub_epi8(qw, eight), qx);
                let d = join_ps(scale_product(a[0].d, b[0].d), scale_product(a[1].d, b[1].d));
                acc = _mm512_fmadd_ps(d, _mm512_cvtepi32_ps($udot(u, s)), acc);
            }
            let mut sum = _mm512_reduce_add_ps(acc);
            if w.len() % 2 == 1 {
                let k = w.len() - 1;
                // SAFETY: AVX-512 CPUs run AVX2 + FMA + F16C (enabled here).
                sum += unsafe { avx2_quant::dot_q4_0(&w[k..], &x[k..]) };
            }
            sum
        }

        /// Q4_1 · Q8_1, two blocks per step.
        ///
        /// # Safety
        /// Every feature this function enables must be available; `w.len() == x.len()`.
        #[target_feature(enable = $features)]
        pub(super) unsafe fn $q4_1(w: &[BlockQ4_1], x: &[BlockQ8_1]) -> f32 {
            let mut acc = _mm512_setzero_ps();
            let mut summs = 0.0f32;
            for (a, b) in w.chunks_exact(2).zip(x.chunks_exact(2)) {
                // SAFETY: blocks hold 16 packed and 32 quant bytes.
                let (qw, qx) = unsafe {
                    (
                        join(
                            unpack_nibbles(a[0].qs.as_ptr()),
                            unpack_nibbles(a[1].qs.as_ptr()),
                        ),
                        load_pair(b[0].qs.as_ptr(), b[1].qs.as_ptr()),
                    )
                };
                let d = join_ps(scale_product(a[0].d, b[0].d), scale_product(a[1].d, b[1].d));
                acc = _mm512_fmadd_ps(d, _mm512_cvtepi32_ps($udot(qw, qx)), acc);
                for k in 0..2 {
                    summs += _mm256_cvtss_f32(scale_product(a[k].m, b[k].s));
                }
            }
            let mut sum = _mm512_reduce_add_ps(acc) + summs;
            if w.len() % 2 == 1 {
                let k = w.len() - 1;
                // SAFETY: AVX-512 CPUs run AVX2 + FMA + F16C (enabled here).
                sum += unsafe { avx2_quant::dot_q4_1(&w[k..], &x[k..]) };
            }
            sum
        }
    };
}

quant_kernels!(
    "avx512f,avx512bw,avx512vl,avx2,fma,f16c",
    udot_bw,
    dot_q8_0,
    dot_q4_0,
    dot_q4_1
);
quant_kernels!(
    "avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma,f16c",
    udot_vnni,
    dot_q8_0_vnni,
    dot_q4_0_vnni,
    dot_q4_1_vnni
);
