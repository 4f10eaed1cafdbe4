//! The constants of the vector `exp` kernels (x86 and aarch64 alike): an
//! f64 range reduction by `ln 2` and the Taylor series of `eʳ`.

/// `log₂ e`.
pub(crate) const LOG2E: f64 = std::f64::consts::LOG2_E;
/// `ln 2` split so that `n · LN2_HI` is exact for every `|n| < 2¹¹`.
pub(crate) const LN2_HI: f64 = 0.693_147_180_369_123_8;
/// `ln 2 − LN2_HI`.
pub(crate) const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
/// `1/k!` for `k = 12, 11, …, 2` (Horner order): with `|r| ≤ 0.35` the
/// series' remainder is below 2e-16 of `eʳ`.
pub(crate) const INV_FACT: [f64; 11] = [
    2.087_675_698_786_81e-9,
    2.505_210_838_544_172e-8,
    2.755_731_922_398_589e-7,
    2.755_731_922_398_589_3e-6,
    2.480_158_730_158_73e-5,
    1.984_126_984_126_984e-4,
    1.388_888_888_888_889e-3,
    8.333_333_333_333_333e-3,
    4.166_666_666_666_666_4e-2,
    0.166_666_666_666_666_66,
    0.5,
];
/// Inputs are clamped to `[EXP_MIN, EXP_MAX]`: `e^EXP_MIN` rounds to 0 in
/// f32 and `e^EXP_MAX` to infinity, and `2ⁿ` stays a normal f64 between.
pub(crate) const EXP_MIN: f32 = -104.0;
/// See [`EXP_MIN`].
pub(crate) const EXP_MAX: f32 = 89.0;
/// The f64 mantissa bits below an f32 result's last bit.
pub(crate) const BELOW_F32: u64 = (1 << 29) - 1;
/// Those bits at a rounding midpoint.
pub(crate) const MIDPOINT: u64 = 1 << 28;
/// Results whose f64 value lies within this many of those bits (0.0039
/// ulp) of a midpoint are taken from `f32::exp` instead: the C library's
/// `expf` errs by at most 0.502 ulp, so everywhere else its result is the
/// correctly rounded one, which the f64 value (good to ~1e-8 ulp) rounds
/// to. The kernels thus return exactly `f32::exp`'s results, at the cost
/// of about one lane in 130 computed twice.
pub(crate) const NEAR_MIDPOINT: u64 = 1 << 21;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_constants_are_what_they_say() {
        let mut f = 1.0f64;
        let mut want = Vec::new();
        for k in 2..=12 {
            f *= k as f64;
            want.push(1.0 / f);
        }
        want.reverse();
        for (c, w) in INV_FACT.iter().zip(&want) {
            assert!((c - w).abs() <= w * 1e-15, "{c} vs {w}");
        }
        assert!((LN2_HI + LN2_LO - std::f64::consts::LN_2).abs() < 1e-18);
        assert_eq!(LN2_HI.to_bits() & 0x1f_ffff, 0, "n · LN2_HI exact");
        assert_eq!((EXP_MIN as f64).exp() as f32, 0.0);
        assert_eq!((EXP_MAX as f64).exp() as f32, f32::INFINITY);
    }
}
