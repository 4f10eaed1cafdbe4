//! Bit-exact known vectors for the 32-wide block formats (Q8_0, Q8_1, Q4_0,
//! Q4_1), each derived by hand from ggml's reference quantizers:
//!
//! * Q8_0: `d = amax / 127`, `q = roundf(x * (1/d))` (half away from zero);
//! * Q4_0: `d = max / -8` with `max` the first value of largest magnitude
//!   (sign kept), `q = min(15, (int8)(x * (1/d) + 8.5))` (truncation);
//! * Q4_1: `d = (max - min) / 15`, `m = min`, `q = min(15, (int8)((x - min) * (1/d) + 0.5))`;
//! * scales stored with f16 round-to-nearest-even; nibbles packed with
//!   element `j` low and `j + 16` high in byte `j`.

use edgebench_kernels::quant::{
    BlockQ8_1, GgmlType, QK, dequantize, quantize, quantize_q8_1, quantized_len,
};

/// Quantizes one block through the generic API and returns its bytes.
fn block(dtype: GgmlType, x: &[f32; QK]) -> Vec<u8> {
    let mut out = vec![0u8; quantized_len(dtype, QK).expect("one block")];
    quantize(dtype, x, &mut out).expect("supported type");
    out
}

fn dequant(dtype: GgmlType, bytes: &[u8]) -> [f32; QK] {
    let mut out = [0f32; QK];
    dequantize(dtype, bytes, &mut out).expect("valid block");
    out
}

fn f16_at(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

/// Packs 32 nibble values the way Q4_0/Q4_1 store them.
fn pack(q: &[u8; QK]) -> Vec<u8> {
    (0..QK / 2).map(|j| q[j] | (q[j + QK / 2] << 4)).collect()
}

fn with(pairs: &[(usize, f32)]) -> [f32; QK] {
    let mut x = [0f32; QK];
    for &(i, v) in pairs {
        x[i] = v;
    }
    x
}

// ---------------------------------------------------------------- Q8_0

/// x = 0, 1, …, 31: amax = 31, d = 31/127 = 0.244094… In f16 that lies in
/// [2^-3, 2^-2): mantissa 0.244094/0.125 = 1.952756, fraction × 1024 =
/// 975.62 → 976, exponent field 15 - 3 = 12: bits (12 << 10) + 976 = 0x33D0.
/// q_i = round(127·i/31); the fraction of 127·i/31 is (3i mod 31)/31, never
/// within 1/62 of one half, so f32 error in 1/d cannot change a rounding.
const RAMP_Q: [i8; 32] = [
    0, 4, 8, 12, 16, 20, 25, 29, 33, 37, 41, 45, 49, 53, 57, 61, 66, 70, 74, 78, 82, 86, 90, 94,
    98, 102, 107, 111, 115, 119, 123, 127,
];

#[test]
fn q8_0_ramp() {
    let x: [f32; QK] = std::array::from_fn(|i| i as f32);
    let b = block(GgmlType::Q8_0, &x);
    assert_eq!(f16_at(&b, 0), 0x33D0);
    assert_eq!(b[2..], RAMP_Q.map(|q| q as u8));
    // Symmetric format: the negated ramp keeps d and negates every q.
    let b = block(GgmlType::Q8_0, &x.map(|v| -v));
    assert_eq!(f16_at(&b, 0), 0x33D0);
    assert_eq!(b[2..], RAMP_Q.map(|q| q.wrapping_neg() as u8));
    // Dequantized: q · 0.244140625 (the f16 scale), exact in f32.
    let y = dequant(GgmlType::Q8_0, &block(GgmlType::Q8_0, &x));
    let d16 = 125.0 / 512.0; // 0x33D0 = (1 + 976/1024) · 2^-3
    assert_eq!(y[31], 127.0 * d16);
    assert_eq!(y[1], 4.0 * d16);
}

/// amax = 127 makes d = 1 (0x3C00) and 1/d = 1, so x·(1/d) = x exactly and
/// roundf's half-away-from-zero shows: 0.5 → 1, -0.5 → -1, 2.5 → 3 (not 2),
/// -2.5 → -3, 126.5 → 127.
#[test]
fn q8_0_ties_round_half_away_from_zero() {
    let x = with(&[
        (0, 127.0),
        (1, 0.5),
        (2, -0.5),
        (3, 1.5),
        (4, 2.5),
        (5, -2.5),
        (6, -127.0),
        (7, 126.5),
        (8, 0.499_999_97),
    ]);
    let b = block(GgmlType::Q8_0, &x);
    assert_eq!(f16_at(&b, 0), 0x3C00);
    let q: Vec<i8> = b[2..].iter().map(|&v| v as i8).collect();
    assert_eq!(q[..9], [127, 1, -1, 2, 3, -3, -127, 127, 0]);
    assert!(q[9..].iter().all(|&v| v == 0));
}

/// One nonzero, -3 at index 5: d = 3/127 = 0.0236220; in [2^-6, 2^-5):
/// 0.023622/0.015625 = 1.511811, fraction × 1024 = 524.09 → 524, exponent
/// field 9: 0x2400 + 0x20C = 0x260C. q5 = round(-3 · 127/3) = -127 (0x81).
#[test]
fn q8_0_single_nonzero_and_zero_block() {
    let b = block(GgmlType::Q8_0, &with(&[(5, -3.0)]));
    assert_eq!(f16_at(&b, 0), 0x260C);
    let mut expect = [0u8; QK];
    expect[5] = 0x81;
    assert_eq!(b[2..], expect);

    // All zeros: amax = 0, d = 0, 1/d replaced by 0: every byte zero.
    assert!(block(GgmlType::Q8_0, &[0.0; QK]).iter().all(|&v| v == 0));
}

/// Large but NaN-free: amax = 3e6, d = 23622.047; f16 spacing in
/// [2^14, 2^15) is 16, 23622.047/16 = 1476.38 → 1476·16 = 23616: exponent
/// field 29 (0x7400), mantissa 23616/16384 - 1 = 0.44140625 → 452 (0x1C4),
/// bits 0x75C4. 1e6 · 127/3e6 = 42.33 → 42. Dequantized: 127·23616 and
/// 42·23616, finite.
#[test]
fn q8_0_large_values() {
    let x = with(&[(0, 3e6), (1, 1e6), (2, -3e6)]);
    let b = block(GgmlType::Q8_0, &x);
    assert_eq!(f16_at(&b, 0), 0x75C4);
    assert_eq!(b[2..5], [127, 42, (-127i8) as u8]);
    let y = dequant(GgmlType::Q8_0, &b);
    assert_eq!(y[..3], [2_999_232.0, 991_872.0, -2_999_232.0]);
    assert!(y.iter().all(|v| v.is_finite()));

    // Beyond 65504·127 the f16 scale overflows to +inf, as in ggml.
    let b = block(GgmlType::Q8_0, &with(&[(0, 1e7)]));
    assert_eq!(f16_at(&b, 0), 0x7C00);
}

/// Q8_1 of the ramp: same d and qs as Q8_0; sum(q) = 2032 and
/// s = f16(2032 · 0.24409449) = f16(496.0000057) = 496 = 1.9375 · 2^8:
/// exponent field 23 (0x5C00) + 0.9375·1024 = 960 (0x3C0) → 0x5FC0.
#[test]
fn q8_1_ramp_sum() {
    let x: [f32; QK] = std::array::from_fn(|i| i as f32);
    let mut b = [BlockQ8_1 {
        d: Default::default(),
        s: Default::default(),
        qs: [0; QK],
    }];
    quantize_q8_1(&x, &mut b);
    assert_eq!(b[0].d.bits(), 0x33D0);
    assert_eq!(b[0].s.bits(), 0x5FC0);
    assert_eq!(b[0].qs, RAMP_Q);
}

// ---------------------------------------------------------------- Q4_0

/// The value of largest magnitude is -4, so max = -4, d = -4/-8 = 0.5
/// (0x3800), 1/d = 2: -4 → trunc(-8 + 8.5) = 0, 1 → trunc(10.5) = 10,
/// 2 → 12, 3 → 14, 0 → 8.
#[test]
fn q4_0_negative_max_maps_to_minus_8() {
    let x = with(&[(0, -4.0), (1, 1.0), (2, 2.0), (3, 3.0)]);
    let b = block(GgmlType::Q4_0, &x);
    assert_eq!(f16_at(&b, 0), 0x3800);
    let mut q = [8u8; QK];
    q[..4].copy_from_slice(&[0, 10, 12, 14]);
    assert_eq!(b[2..], pack(&q));
    assert_eq!(b[2..6], [0x80, 0x8A, 0x8C, 0x8E]);
    let y = dequant(GgmlType::Q4_0, &b);
    assert_eq!(y[..4], [-4.0, 1.0, 2.0, 3.0]);
}

/// A positive max (4, first) gives d = -0.5 (0xB800), 1/d = -2: 4 → 0;
/// -3 → trunc(14.5) = 14; the opposite extreme -4 → trunc(16.5) = 16,
/// clamped to 15, which decodes to (15 - 8)·(-0.5) = -3.5: the format's
/// one-sided clamp costs a full |d| there.
#[test]
fn q4_0_positive_max_and_clamp() {
    let x = with(&[(0, 4.0), (1, -3.0), (20, -4.0)]);
    let b = block(GgmlType::Q4_0, &x);
    assert_eq!(f16_at(&b, 0), 0xB800);
    let mut q = [8u8; QK];
    q[0] = 0;
    q[1] = 14;
    q[20] = 15;
    assert_eq!(b[2..], pack(&q));
    assert_eq!(b[2 + 4], 0xF8);
    let y = dequant(GgmlType::Q4_0, &b);
    assert_eq!((y[0], y[1], y[20]), (4.0, -3.0, -3.5));
}

/// max = -8 gives d = 1 (0x3C00), 1/d = 1, so q = trunc(x + 8.5): a
/// round-half-up, not half-away. 0.5 → 9, -0.5 → 8, -1.5 → 7, 6.5 → 15,
/// 7.5 → 16 → 15 (clamped), 0.49 → trunc(8.99) = 8, -7.5 → 1, -8 → 0.
#[test]
fn q4_0_ties_truncate_x_plus_8_5() {
    let x = with(&[
        (0, -8.0),
        (1, 0.5),
        (2, -0.5),
        (3, -1.5),
        (4, 6.5),
        (5, 7.5),
        (6, 0.49),
        (7, -7.5),
    ]);
    let b = block(GgmlType::Q4_0, &x);
    assert_eq!(f16_at(&b, 0), 0x3C00);
    let mut q = [8u8; QK];
    q[..8].copy_from_slice(&[0, 9, 8, 7, 15, 15, 8, 1]);
    assert_eq!(b[2..], pack(&q));
    let y = dequant(GgmlType::Q4_0, &b);
    assert_eq!(y[..8], [-8.0, 1.0, 0.0, -1.0, 7.0, 7.0, 0.0, -7.0]);
}

/// All zeros: max = +0 and d = +0 / -8 = -0 in IEEE arithmetic, so the
/// stored scale is 0x8000 (as ggml writes it); `d ? 1/d : 0` treats -0 as
/// zero, every q = trunc(8.5) = 8 and every byte is 0x88. One nonzero 3 at index 9: d = 3/-8 = -0.375
/// (1.5·2^-2: 0x3600 with the sign, 0xB600); 3·(1/d) rounds to -8 in f32,
/// q = 0; byte 9 = 0 | (8 << 4) = 0x80.
#[test]
fn q4_0_zero_block_and_single_nonzero() {
    let b = block(GgmlType::Q4_0, &[0.0; QK]);
    assert_eq!(f16_at(&b, 0), 0x8000);
    assert!(b[2..].iter().all(|&v| v == 0x88));

    let b = block(GgmlType::Q4_0, &with(&[(9, 3.0)]));
    assert_eq!(f16_at(&b, 0), 0xB600);
    let mut expect = [0x88u8; QK / 2];
    expect[9] = 0x80;
    assert_eq!(b[2..], expect);
}

// ---------------------------------------------------------------- Q4_1

/// x_j = (j mod 16) - 1: min = -1 (0xBC00), max = 14, d = 15/15 = 1
/// (0x3C00); q_j = trunc(x_j + 1 + 0.5) = j mod 16, so byte j = (j mod 16)·0x11.
#[test]
fn q4_1_ramp() {
    let x: [f32; QK] = std::array::from_fn(|j| (j % 16) as f32 - 1.0);
    let b = block(GgmlType::Q4_1, &x);
    assert_eq!((f16_at(&b, 0), f16_at(&b, 2)), (0x3C00, 0xBC00));
    let expect: Vec<u8> = (0..16u8).map(|j| j * 0x11).collect();
    assert_eq!(b[4..], expect);
    assert_eq!(dequant(GgmlType::Q4_1, &b), x);
}

/// min = -1, max = 14, d = 1: q = trunc(x + 1.5), round-half-up:
/// 0.5 → 2 (decodes 1.0), 1.5 → 3 (2.0), -0.5 → 1 (0.0), 0 → 1 (0.0).
#[test]
fn q4_1_ties_round_half_up() {
    let x = with(&[(0, -1.0), (1, 14.0), (2, 0.5), (3, 1.5), (4, -0.5)]);
    let b = block(GgmlType::Q4_1, &x);
    let mut q = [1u8; QK];
    q[..5].copy_from_slice(&[0, 15, 2, 3, 1]);
    assert_eq!(b[4..], pack(&q));
    let y = dequant(GgmlType::Q4_1, &b);
    assert_eq!(y[..6], [-1.0, 14.0, 1.0, 2.0, 0.0, 0.0]);
}

/// Constant block 3.0: max = min, d = 0 and 1/d replaced by 0, so every
/// q = trunc(0.5) = 0; m = 3.0 = 1.5·2^1 → 0x4200. Decodes exactly.
#[test]
fn q4_1_constant_block() {
    let b = block(GgmlType::Q4_1, &[3.0; QK]);
    assert_eq!((f16_at(&b, 0), f16_at(&b, 2)), (0x0000, 0x4200));
    assert!(b[4..].iter().all(|&v| v == 0));
    assert_eq!(dequant(GgmlType::Q4_1, &b), [3.0; QK]);
}

/// ggml's `if (v < min) min = v;` keeps the first of two equal zeros:
/// [+0, -0, …] has min +0 (m = 0x0000), [-0, +0, …] has min -0 (0x8000).
#[test]
fn q4_1_signed_zero_minimum_follows_ggml() {
    let b = block(GgmlType::Q4_1, &with(&[(1, -0.0)]));
    assert_eq!((f16_at(&b, 0), f16_at(&b, 2)), (0x0000, 0x0000));
    let mut x = [0f32; QK];
    x[0] = -0.0;
    let b = block(GgmlType::Q4_1, &x);
    assert_eq!((f16_at(&b, 0), f16_at(&b, 2)), (0x0000, 0x8000));
}

/// min = -60000, max = 60000: d = 120000/15 = 8000 = 1.953125·2^12
/// (exponent field 27: 0x6C00, mantissa 976: 0x3D0 → 0x6FD0); m = -60000 =
/// 1.8310546875·2^15 (0x7800 + 851 = 0x7B53, signed 0xFB53). The exact tie
/// at 0 is decided by f32: 1/8000 rounds up to 1.25000006e-4, so
/// 60000·(1/d) = 7.5000005, + 0.5 → trunc(8.0000005) = 8, which decodes to
/// 8·8000 - 60000 = 4000. Everything finite.
#[test]
fn q4_1_large_values() {
    let x = with(&[(0, -60000.0), (31, 60000.0)]);
    let b = block(GgmlType::Q4_1, &x);
    assert_eq!((f16_at(&b, 0), f16_at(&b, 2)), (0x6FD0, 0xFB53));
    let y = dequant(GgmlType::Q4_1, &b);
    assert_eq!((y[0], y[1], y[31]), (-60000.0, 4000.0, 60000.0));
}
