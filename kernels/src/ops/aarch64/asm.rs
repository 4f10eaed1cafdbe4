//! The few instructions the kernels need that stable `core::arch::aarch64`
//! does not offer for the workspace's declared `rust-version`, as
//! one-instruction inline assembly helpers.
//!
//! - `fcvtl`/`fcvtl2`/`fcvt` (f16 → f32): base Armv8-A floating point and
//!   Advanced SIMD; no FEAT_FP16 needed (that extension adds f16
//!   *arithmetic*). The intrinsics `vcvt_f32_f16`/`vcvt_high_f32_f16` and the
//!   `float16x4_t` types are stable only since Rust 1.94, newer than the
//!   declared `rust-version` (clippy's `incompatible_msrv` rejects them).
//! - `sdot` (Armv8.2 dotprod): `vdotq_s32` is still unstable
//!   (`stdarch_neon_dotprod`).
//!
//! Every block is `pure, nomem, nostack`: it reads only its input registers
//! and writes only its outputs, so the compiler may schedule or drop it like
//! an ordinary arithmetic operation.

use core::arch::aarch64::{float32x4_t, int8x16_t, int32x4_t, uint16x8_t};
use core::arch::asm;

/// Widens eight IEEE half-precision values (raw bits, lane order = memory
/// order) to two f32 vectors: lanes 0..4 and lanes 4..8. Exact for every
/// input, subnormals included; NaNs stay NaN (signalling ones are quieted).
#[inline]
#[target_feature(enable = "neon")]
pub(super) fn f16x8_to_f32(h: uint16x8_t) -> (float32x4_t, float32x4_t) {
    let lo: float32x4_t;
    let hi: float32x4_t;
    // SAFETY: `fcvtl`/`fcvtl2` are Advanced SIMD instructions, present because
    // this function requires `neon`; the block touches only its operands.
    unsafe {
        asm!(
            "fcvtl  {lo:v}.4s, {h:v}.4h",
            "fcvtl2 {hi:v}.4s, {h:v}.8h",
            h = in(vreg) h,
            lo = out(vreg) lo,
            hi = out(vreg) hi,
            options(pure, nomem, nostack, preserves_flags),
        );
    }
    (lo, hi)
}

/// Converts one IEEE half (raw bits) to f32 with the scalar `fcvt`: the same
/// rounding-free conversion as [`f16x8_to_f32`], for block scales and tails.
#[inline]
#[target_feature(enable = "neon")]
pub(super) fn f16_to_f32(bits: u16) -> f32 {
    let out: f32;
    // SAFETY: `fmov` (general → SIMD&FP register) and `fcvt` (half → single)
    // are base Armv8-A floating-point instructions, present because this
    // function requires `neon`; the block touches only its operands.
    unsafe {
        asm!(
            "fmov {t:s}, {b:w}",
            "fcvt {o:s}, {t:h}",
            b = in(reg) u32::from(bits),
            t = out(vreg) _,
            o = lateout(vreg) out,
            options(pure, nomem, nostack, preserves_flags),
        );
    }
    out
}

/// `acc + sdot(a, b)`: lane `i` of the result adds the four products
/// `a[4i..4i+4] · b[4i..4i+4]` (signed 8-bit, exact in 32 bits) to `acc[i]`.
///
/// # Safety
/// The CPU must support the Armv8.2 dotprod extension. (The assembler
/// accepts `sdot` only inside a function compiled with `dotprod`, so callers
/// that inline it carry `#[target_feature(enable = "neon,dotprod")]` too.)
#[inline]
#[target_feature(enable = "neon,dotprod")]
pub(super) unsafe fn sdot(acc: int32x4_t, a: int8x16_t, b: int8x16_t) -> int32x4_t {
    let mut acc = acc;
    // SAFETY: the caller guarantees dotprod; the block touches only its operands.
    unsafe {
        asm!(
            "sdot {acc:v}.4s, {a:v}.16b, {b:v}.16b",
            acc = inout(vreg) acc,
            a = in(vreg) a,
            b = in(vreg) b,
            options(pure, nomem, nostack, preserves_flags),
        );
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::arch::aarch64::{vaddvq_s32, vdupq_n_s32, vld1q_s8, vld1q_u16, vst1q_f32};
    use half::f16;

    /// The reference conversion, bit for bit; NaNs only need to stay NaN
    /// with their sign.
    fn assert_same(bits: u16, got: f32) {
        let want = f16::from_bits(bits).to_f32();
        if want.is_nan() {
            assert!(got.is_nan(), "{bits:#06x}: got {got}, want NaN");
            assert_eq!(
                got.is_sign_negative(),
                want.is_sign_negative(),
                "{bits:#06x} sign"
            );
        } else {
            assert_eq!(
                got.to_bits(),
                want.to_bits(),
                "{bits:#06x}: got {got}, want {want}"
            );
        }
    }

    fn scalar(bits: u16) -> f32 {
        // SAFETY: every aarch64 Linux CPU has neon (the target baseline).
        unsafe { f16_to_f32(bits) }
    }

    #[test]
    fn scalar_conversion_special_values() {
        assert_eq!(scalar(0x0000).to_bits(), 0.0f32.to_bits());
        assert_eq!(scalar(0x8000).to_bits(), (-0.0f32).to_bits());
        assert_eq!(scalar(0x0001), 2.0f32.powi(-24)); // smallest subnormal
        assert_eq!(scalar(0x83FF), -(1023.0 * 2.0f32.powi(-24))); // largest subnormal
        assert_eq!(scalar(0x0400), 2.0f32.powi(-14)); // smallest normal
        assert_eq!(scalar(0x7BFF), 65504.0); // largest finite
        assert_eq!(scalar(0x3C00), 1.0);
        assert_eq!(scalar(0x7C00), f32::INFINITY);
        assert_eq!(scalar(0xFC00), f32::NEG_INFINITY);
        assert!(scalar(0x7E00).is_nan()); // quiet NaN
        assert!(scalar(0x7C01).is_nan()); // signalling NaN: not infinity
        assert!(scalar(0xFE00).is_nan() && scalar(0xFE00).is_sign_negative());
    }

    #[test]
    fn scalar_conversion_matches_reference_exhaustively() {
        for bits in 0..=u16::MAX {
            assert_same(bits, scalar(bits));
        }
    }

    #[test]
    fn vector_conversion_matches_reference_exhaustively() {
        let all: Vec<u16> = (0..=u16::MAX).collect();
        for chunk in all.chunks_exact(8) {
            let mut out = [0.0f32; 8];
            // SAFETY: neon is the target baseline; `chunk` holds 8 u16 and
            // `out` has room for 8 f32.
            unsafe {
                let (lo, hi) = f16x8_to_f32(vld1q_u16(chunk.as_ptr()));
                vst1q_f32(out.as_mut_ptr(), lo);
                vst1q_f32(out.as_mut_ptr().add(4), hi);
            }
            for (&bits, &got) in chunk.iter().zip(&out) {
                assert_same(bits, got);
            }
        }
    }

    #[test]
    fn sdot_sums_products_exactly() {
        if !std::arch::is_aarch64_feature_detected!("dotprod") {
            return;
        }
        let cases: [([i8; 16], [i8; 16]); 3] = [
            ([-128; 16], [-128; 16]),
            ([127; 16], [-128; 16]),
            (
                core::array::from_fn(|i| (i as i32 * 17 - 128) as i8),
                core::array::from_fn(|i| (127 - i as i32 * 13) as i8),
            ),
        ];
        for (a, b) in cases {
            let want: i32 = a.iter().zip(&b).map(|(&p, &q)| p as i32 * q as i32).sum();
            // SAFETY: dotprod was detected above; both arrays hold 16 bytes.
            let got = unsafe {
                let acc = sdot(vdupq_n_s32(7), vld1q_s8(a.as_ptr()), vld1q_s8(b.as_ptr()));
                vaddvq_s32(acc)
            };
            assert_eq!(got, want + 4 * 7);
        }
    }
}
