//! f16 and bf16 conversions: hand-derived edge cases (ties to even,
//! subnormals, overflow, infinities, NaN) and sweeps against a line-by-line
//! port of ggml's portable converters (`ggml-impl.h`).

use edgebench_kernels::quant::{
    GgmlType, bf16_bits_to_f32, dequantize, f16_bits_to_f32, f32_to_bf16_bits, f32_to_f16_bits,
    quantize,
};

// ------------------------------------------------- ggml oracle (ggml-impl.h)

/// `ggml_compute_fp32_to_fp16`, transcribed.
fn ggml_fp32_to_fp16(f: f32) -> u16 {
    let scale_to_inf = f32::from_bits(0x7780_0000); // 0x1.0p+112f
    let scale_to_zero = f32::from_bits(0x0880_0000); // 0x1.0p-110f
    let mut base = (f.abs() * scale_to_inf) * scale_to_zero;
    let w = f.to_bits();
    let shl1_w = w.wrapping_add(w);
    let sign = w & 0x8000_0000;
    let mut bias = shl1_w & 0xFF00_0000;
    if bias < 0x7100_0000 {
        bias = 0x7100_0000;
    }
    base += f32::from_bits((bias >> 1) + 0x0780_0000);
    let bits = base.to_bits();
    let exp_bits = (bits >> 13) & 0x0000_7C00;
    let mantissa_bits = bits & 0x0000_0FFF;
    let nonsign = exp_bits + mantissa_bits;
    ((sign >> 16)
        | if shl1_w > 0xFF00_0000 {
            0x7E00
        } else {
            nonsign
        }) as u16
}

/// `ggml_compute_fp16_to_fp32`, transcribed.
fn ggml_fp16_to_fp32(h: u16) -> f32 {
    let w = (h as u32) << 16;
    let sign = w & 0x8000_0000;
    let two_w = w.wrapping_add(w);
    let exp_offset = 0xE0u32 << 23;
    let exp_scale = f32::from_bits(0x0780_0000); // 0x1.0p-112f
    let normalized = f32::from_bits((two_w >> 4) + exp_offset) * exp_scale;
    let magic_mask = 126u32 << 23;
    let denormalized = f32::from_bits((two_w >> 17) | magic_mask) - 0.5;
    let result = sign
        | if two_w < (1 << 27) {
            denormalized.to_bits()
        } else {
            normalized.to_bits()
        };
    f32::from_bits(result)
}

/// `ggml_compute_fp32_to_bf16`, transcribed.
fn ggml_fp32_to_bf16(s: f32) -> u16 {
    let u = s.to_bits();
    if (u & 0x7fff_ffff) > 0x7f80_0000 {
        return ((u >> 16) | 64) as u16;
    }
    (u.wrapping_add(0x7fff + ((u >> 16) & 1)) >> 16) as u16
}

/// f32 bit patterns: a strided sweep of all 2^32 plus the neighbourhood of
/// every power of two (where rounding and range edges live).
fn f32_patterns() -> impl Iterator<Item = u32> {
    let sweep = (0..=u32::MAX).step_by(4099);
    let edges = (0..=255u32).flat_map(|e| {
        let base = e << 23;
        (0..64u32).flat_map(move |k| {
            let lo = base.wrapping_sub(32).wrapping_add(k);
            [lo, lo | 0x8000_0000, base | 0x1000 | k, base | 0x2000 | k]
        })
    });
    sweep.chain(edges)
}

// ------------------------------------------------------------- f16 cases

fn to_f16_bytes(x: &[f32]) -> Vec<u16> {
    let mut out = vec![0u8; 2 * x.len()];
    quantize(GgmlType::F16, x, &mut out).expect("f16 row");
    out.chunks_exact(2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .collect()
}

fn from_f16_bytes(h: &[u16]) -> Vec<f32> {
    let bytes: Vec<u8> = h.iter().flat_map(|v| v.to_le_bytes()).collect();
    let mut out = vec![0f32; h.len()];
    dequantize(GgmlType::F16, &bytes, &mut out).expect("f16 row");
    out
}

/// Each case: f32 bits → expected f16 bits, with the derivation.
const F16_CASES: &[(u32, u16)] = &[
    (0x3F80_0000, 0x3C00), // 1.0
    (0x3F80_1000, 0x3C00), // 1 + 2^-11: halfway 1 / 1+2^-10, even is 1
    (0x3F80_3000, 0x3C02), // 1 + 3·2^-11: halfway 1+2^-10 / 1+2^-9, even is …02
    (0x3F80_1001, 0x3C01), // just above the tie: up
    (0x4500_1000, 0x6800), // 2049: halfway 2048 / 2050 → 2048
    (0x4500_3000, 0x6802), // 2051: halfway 2050 / 2052 → 2052
    (0x3380_0000, 0x0001), // 2^-24: smallest subnormal
    (0x3300_0000, 0x0000), // 2^-25: halfway 0 / 2^-24 → 0 (even)
    (0x3300_0001, 0x0001), // just above 2^-25 → 2^-24
    (0x33C0_0000, 0x0002), // 3·2^-25 = 1.5·2^-24: halfway 2^-24 / 2^-23 → 2^-23 (even)
    (0x387F_C000, 0x03FF), // 2^-14 - 2^-24: largest subnormal
    (0x3880_0000, 0x0400), // 2^-14: smallest normal
    (0xB380_0000, 0x8001), // -2^-24
    (0x0000_0001, 0x0000), // smallest f32 subnormal → +0
    (0x8000_0001, 0x8000), // … → -0
    (0x477F_E000, 0x7BFF), // 65504: largest finite
    (0x477F_EFFF, 0x7BFF), // just below 65520: down
    (0x477F_F000, 0x7C00), // 65520: halfway 65504 / 65536 → 65536 = inf (even)
    (0x5015_02F9, 0x7C00), // 1e10 → inf
    (0x7F80_0000, 0x7C00), // +inf
    (0xFF80_0000, 0xFC00), // -inf
    (0x7FC0_0000, 0x7E00), // quiet NaN
    (0x7FC1_2345, 0x7E00), // NaN payload dropped (ggml)
    (0x7F80_0001, 0x7E00), // signalling NaN → quiet
    (0xFFC0_0001, 0xFE00), // negative NaN keeps its sign
];

#[test]
fn f16_hand_cases() {
    let xs: Vec<f32> = F16_CASES.iter().map(|&(b, _)| f32::from_bits(b)).collect();
    let got = to_f16_bytes(&xs);
    for (&(bits, want), got) in F16_CASES.iter().zip(&got) {
        assert_eq!(
            *got, want,
            "f32 {bits:#010x}: got {got:#06x}, want {want:#06x}"
        );
        assert_eq!(f32_to_f16_bits(f32::from_bits(bits)), want);
        assert_eq!(ggml_fp32_to_fp16(f32::from_bits(bits)), want, "oracle");
    }
}

#[test]
fn f16_to_f32_hand_cases() {
    let cases: &[(u16, u32)] = &[
        (0x0001, 0x3380_0000), // 2^-24
        (0x03FF, 0x387F_C000), // largest subnormal
        (0x3C00, 0x3F80_0000), // 1
        (0x7BFF, 0x477F_E000), // 65504
        (0x7C00, 0x7F80_0000), // inf
        (0xFC00, 0xFF80_0000), // -inf
        (0x8000, 0x8000_0000), // -0
        (0x7E00, 0x7FC0_0000), // quiet NaN
        (0x7C01, 0x7FC0_2000), // signalling NaN: payload kept, made quiet
        (0xFE01, 0xFFC0_2000), // negative NaN
    ];
    let hs: Vec<u16> = cases.iter().map(|&(h, _)| h).collect();
    for (&(h, want), got) in cases.iter().zip(from_f16_bytes(&hs)) {
        assert_eq!(got.to_bits(), want, "f16 {h:#06x}");
    }
}

/// Every one of the 65536 f16 patterns decodes like ggml's portable path.
#[test]
fn f16_to_f32_exhaustive_against_ggml() {
    let all: Vec<u16> = (0..=u16::MAX).collect();
    for (h, got) in all.iter().zip(from_f16_bytes(&all)) {
        let want = ggml_fp16_to_fp32(*h);
        assert_eq!(got.to_bits(), want.to_bits(), "f16 {h:#06x}");
        assert_eq!(f16_bits_to_f32(*h).to_bits(), want.to_bits());
    }
}

/// About 1.1 million f32 patterns encode like ggml's portable path, through
/// both the row (SIMD where available) and the scalar function.
#[test]
fn f32_to_f16_sweep_against_ggml() {
    let xs: Vec<f32> = f32_patterns().map(f32::from_bits).collect();
    let got = to_f16_bytes(&xs);
    for (x, got) in xs.iter().zip(got) {
        let want = ggml_fp32_to_fp16(*x);
        assert_eq!(got, want, "f32 {:#010x}", x.to_bits());
        assert_eq!(f32_to_f16_bits(*x), want);
    }
}

// ------------------------------------------------------------ bf16 cases

/// Each case: f32 bits → expected bf16 bits. bf16 keeps the top 16 bits,
/// rounding on bit 15 with ties to even.
const BF16_CASES: &[(u32, u16)] = &[
    (0x3F80_0000, 0x3F80), // 1.0
    (0x3F80_8000, 0x3F80), // tie, lsb 0: stays
    (0x3F81_8000, 0x3F82), // tie, lsb 1: up to even
    (0x3F80_8001, 0x3F81), // above the tie: up
    (0x3F80_7FFF, 0x3F80), // below the tie: down
    (0x0000_8000, 0x0000), // subnormal tie → 0
    (0x0001_8000, 0x0002), // subnormal tie → even
    (0x0001_0000, 0x0001), // smallest bf16 subnormal, exact
    (0x8000_0000, 0x8000), // -0
    (0x7F7F_FFFF, 0x7F80), // f32::MAX rounds to inf
    (0x7F7F_7FFF, 0x7F7F), // largest value that stays finite
    (0x7F80_0000, 0x7F80), // +inf
    (0xFF80_0000, 0xFF80), // -inf
    (0x7FC0_0001, 0x7FC0), // quiet NaN: (bits >> 16) | 64
    (0x7F80_0001, 0x7FC0), // signalling NaN, low payload: made quiet
    (0x7F81_0000, 0x7FC1), // signalling NaN, high payload kept
    (0xFF81_2345, 0xFFC1), // negative NaN keeps sign and upper payload
];

#[test]
fn bf16_hand_cases() {
    let xs: Vec<f32> = BF16_CASES.iter().map(|&(b, _)| f32::from_bits(b)).collect();
    let mut out = vec![0u8; 2 * xs.len()];
    quantize(GgmlType::BF16, &xs, &mut out).expect("bf16 row");
    for (&(bits, want), got) in BF16_CASES.iter().zip(out.chunks_exact(2)) {
        let got = u16::from_le_bytes([got[0], got[1]]);
        assert_eq!(
            got, want,
            "f32 {bits:#010x}: got {got:#06x}, want {want:#06x}"
        );
        assert_eq!(ggml_fp32_to_bf16(f32::from_bits(bits)), want, "oracle");
    }
}

/// bf16 → f32 is a shift: every pattern, signalling NaNs included, comes
/// back with its bits unchanged in the upper half.
#[test]
fn bf16_to_f32_exhaustive() {
    let bytes: Vec<u8> = (0..=u16::MAX).flat_map(|h| h.to_le_bytes()).collect();
    let mut out = vec![0f32; 1 << 16];
    dequantize(GgmlType::BF16, &bytes, &mut out).expect("bf16 row");
    for (h, got) in (0..=u16::MAX).zip(out) {
        assert_eq!(got.to_bits(), (h as u32) << 16, "bf16 {h:#06x}");
        assert_eq!(bf16_bits_to_f32(h).to_bits(), (h as u32) << 16);
    }
}

#[test]
fn f32_to_bf16_sweep_against_ggml() {
    let xs: Vec<f32> = f32_patterns().map(f32::from_bits).collect();
    let mut out = vec![0u8; 2 * xs.len()];
    quantize(GgmlType::BF16, &xs, &mut out).expect("bf16 row");
    for (x, got) in xs.iter().zip(out.chunks_exact(2)) {
        let want = ggml_fp32_to_bf16(*x);
        assert_eq!(u16::from_le_bytes([got[0], got[1]]), want);
        assert_eq!(f32_to_bf16_bits(*x), want, "f32 {:#010x}", x.to_bits());
    }
}

/// F32 storage is the little-endian bytes, both ways, NaN bits included.
#[test]
fn f32_storage_is_identity() {
    let xs = [1.5f32, -0.0, f32::from_bits(0x7F80_0001), f32::MIN_POSITIVE];
    let mut bytes = vec![0u8; 16];
    quantize(GgmlType::F32, &xs, &mut bytes).expect("f32 row");
    assert_eq!(bytes[..4], 1.5f32.to_le_bytes());
    let mut back = [0f32; 4];
    dequantize(GgmlType::F32, &bytes, &mut back).expect("f32 row");
    assert_eq!(back.map(f32::to_bits), xs.map(f32::to_bits));
}
