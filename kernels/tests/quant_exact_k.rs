//! K-quant dequantization against blocks built by hand from the format
//! definitions (ggml-common.h), with per-element index arithmetic written
//! independently of the library's loops.
//!
//! * Q4_K (144 bytes): d, dmin (f16), 12 bytes of packed 6-bit scales and
//!   minimums, 128 bytes of nibbles. Element e sits in 64-group c = e/64;
//!   byte 32c + e%32 holds it in the low nibble when e%64 < 32, else high.
//!   Value: d·scale[e/32]·q − dmin·min[e/32].
//! * Q5_K (176 bytes): Q4_K's header, 32 bytes qh, 128 bytes nibbles; the
//!   fifth bit of e is bit 2c + (e%64 ≥ 32) of qh[e%32].
//! * Q6_K (210 bytes): 128 bytes ql, 64 bytes qh, 16 signed scales, d. In
//!   128-half n = e/128, quarter k = (e%128)/32, l = e%32: low nibble from
//!   ql[64n + l + 32(k%2)] (low half for k < 2, high half otherwise), high
//!   two bits from qh[32n + l] bits 2k..2k+1. Value: d·scale[e/16]·(q − 32).

use edgebench_kernels::quant::{GgmlType, K_SCALE_SIZE, QK_K, dequantize, scale_min_k4};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Packs eight 6-bit scales and minimums: for j < 4, scale j is the low six
/// bits of byte j and minimum j of byte j+4; for j ≥ 4, byte j+4 holds the
/// low nibbles (scale low, minimum high) and the top two bits go to bits 6–7
/// of byte j-4 (scale) and byte j (minimum).
fn pack_scales(ls: [u8; 8], lm: [u8; 8]) -> [u8; K_SCALE_SIZE] {
    let mut s = [0u8; K_SCALE_SIZE];
    for j in 0..4 {
        s[j] = ls[j] | ((ls[j + 4] >> 4) << 6);
        s[j + 4] = lm[j] | ((lm[j + 4] >> 4) << 6);
        s[j + 8] = (ls[j + 4] & 0xF) | ((lm[j + 4] & 0xF) << 4);
    }
    s
}

const LS: [u8; 8] = [1, 2, 63, 17, 33, 48, 5, 60];
const LM: [u8; 8] = [0, 7, 63, 31, 32, 16, 62, 1];

/// ls4 = 33 = 0b10_0001 (top bits 2, low nibble 1), ls5 = 48 (3, 0),
/// ls6 = 5 (0, 5), ls7 = 60 (3, 12); lm4 = 32 (2, 0), lm5 = 16 (1, 0),
/// lm6 = 62 (3, 14), lm7 = 1 (0, 1). Byte 0 = 1 | 2<<6 = 0x81, byte 1 =
/// 2 | 3<<6 = 0xC2, byte 2 = 63 = 0x3F, byte 3 = 17 | 3<<6 = 0xD1; bytes
/// 4–7: 0 | 2<<6, 7 | 1<<6, 63 | 3<<6, 31; bytes 8–11: 1 | 0<<4, 0 | 0<<4,
/// 5 | 14<<4, 12 | 1<<4.
const PACKED: [u8; K_SCALE_SIZE] = [
    0x81, 0xC2, 0x3F, 0xD1, 0x80, 0x47, 0xFF, 0x1F, 0x01, 0x00, 0xE5, 0x1C,
];

#[test]
fn six_bit_scale_packing() {
    assert_eq!(pack_scales(LS, LM), PACKED);
    for j in 0..8 {
        assert_eq!(scale_min_k4(j, &PACKED), (LS[j], LM[j]), "sub-block {j}");
    }
}

fn f16b(v: f32) -> [u8; 2] {
    half::f16::from_f32(v).to_le_bytes()
}

/// A Q4_K block with element values `q(e)` (0..16).
fn q4k_block(d: [u8; 2], dmin: [u8; 2], scales: [u8; 12], q: impl Fn(usize) -> u8) -> Vec<u8> {
    let mut b = Vec::with_capacity(144);
    b.extend(d);
    b.extend(dmin);
    b.extend(scales);
    let mut qs = [0u8; 128];
    for e in 0..QK_K {
        let shift = if e % 64 < 32 { 0 } else { 4 };
        qs[32 * (e / 64) + e % 32] |= q(e) << shift;
    }
    b.extend(qs);
    b
}

/// A Q5_K block with element values `q(e)` (0..32).
fn q5k_block(d: [u8; 2], dmin: [u8; 2], scales: [u8; 12], q: impl Fn(usize) -> u8) -> Vec<u8> {
    let mut qh = [0u8; 32];
    for e in 0..QK_K {
        let bit = 2 * (e / 64) + usize::from(e % 64 >= 32);
        qh[e % 32] |= (q(e) >> 4) << bit;
    }
    let low = q4k_block(d, dmin, scales, |e| q(e) & 0xF);
    let mut b = low[..16].to_vec();
    b.extend(qh);
    b.extend(&low[16..]);
    b
}

/// A Q6_K block with stored values `q(e)` (0..64, value q − 32).
fn q6k_block(d: [u8; 2], scales: [i8; 16], q: impl Fn(usize) -> u8) -> Vec<u8> {
    let (mut ql, mut qh) = ([0u8; 128], [0u8; 64]);
    for e in 0..QK_K {
        let (n, k, l) = (e / 128, (e % 128) / 32, e % 32);
        let shift = if k < 2 { 0 } else { 4 };
        ql[64 * n + l + 32 * (k % 2)] |= (q(e) & 0xF) << shift;
        qh[32 * n + l] |= (q(e) >> 4) << (2 * k);
    }
    let mut b = ql.to_vec();
    b.extend(qh);
    b.extend(scales.map(|s| s as u8));
    b.extend(d);
    b
}

fn dequant(dtype: GgmlType, bytes: &[u8]) -> Vec<f32> {
    let mut out = vec![0f32; bytes.len() / dtype.block_bytes() * QK_K];
    dequantize(dtype, bytes, &mut out).expect("valid blocks");
    out
}

/// d = 0.5, dmin = 0.25, q(e) = (7e + 3) mod 16. By hand:
/// e = 0: q 3, sub-block 0 (scale 1, min 0): 0.5·1·3 − 0 = 1.5;
/// e = 37: q 262 mod 16 = 6, sub-block 1 (2, 7): 6 − 1.75 = 4.25;
/// e = 69: q 486 mod 16 = 6, sub-block 2 (63, 63): 189 − 15.75 = 173.25;
/// e = 200: q 1403 mod 16 = 11, sub-block 6 (5, 62): 27.5 − 15.5 = 12;
/// e = 255: q 1788 mod 16 = 12, sub-block 7 (60, 1): 360 − 0.25 = 359.75.
#[test]
fn q4_k_hand_block() {
    let q = |e: usize| ((7 * e + 3) % 16) as u8;
    let b = q4k_block(f16b(0.5), f16b(0.25), PACKED, q);
    let y = dequant(GgmlType::Q4_K, &b);
    let picks = [
        (0, 1.5),
        (37, 4.25),
        (69, 173.25),
        (200, 12.0),
        (255, 359.75),
    ];
    for (e, want) in picks {
        assert_eq!(y[e], want, "element {e}");
    }
    for (e, &got) in y.iter().enumerate() {
        let j = e / 32;
        let want = 0.5 * LS[j] as f32 * q(e) as f32 - 0.25 * LM[j] as f32;
        assert_eq!(got, want, "element {e}");
    }
}

/// Same scales, q(e) = (11e + 5) mod 32. By hand:
/// e = 0: q 5: 0.5·1·5 = 2.5;
/// e = 100: q 1105 mod 32 = 17 (fifth bit in qh[4] bit 3), sub-block 3
/// (17, 31): 0.5·17·17 − 7.75 = 136.75;
/// e = 255: q 2810 mod 32 = 26, sub-block 7 (60, 1): 780 − 0.25 = 779.75.
#[test]
fn q5_k_hand_block() {
    let q = |e: usize| ((11 * e + 5) % 32) as u8;
    let b = q5k_block(f16b(0.5), f16b(0.25), PACKED, q);
    assert_eq!(b.len(), 176);
    assert_eq!(
        b[16 + 4] >> 3 & 1,
        1,
        "qh[4] bit 3 carries e = 100's fifth bit"
    );
    let y = dequant(GgmlType::Q5_K, &b);
    for (e, want) in [(0, 2.5), (100, 136.75), (255, 779.75)] {
        assert_eq!(y[e], want, "element {e}");
    }
    for (e, &got) in y.iter().enumerate() {
        let j = e / 32;
        let want = 0.5 * LS[j] as f32 * q(e) as f32 - 0.25 * LM[j] as f32;
        assert_eq!(got, want, "element {e}");
    }
}

const SC6: [i8; 16] = [
    1, -1, 127, -128, 5, 0, 64, -64, 3, 7, -3, 100, 2, -2, 16, -16,
];

/// d = 0.5, stored q(e) = (13e + 7) mod 64. By hand:
/// e = 0: q 7 → −25, scale 1: −12.5;
/// e = 50: q 657 mod 64 = 17 → −15, scale[3] = −128: 960;
/// e = 130: q 1697 mod 64 = 33 → 1, scale[8] = 3: 1.5;
/// e = 255: q 3322 mod 64 = 58 → 26, scale[15] = −16: −208.
#[test]
fn q6_k_hand_block() {
    let q = |e: usize| ((13 * e + 7) % 64) as u8;
    let b = q6k_block(f16b(0.5), SC6, q);
    assert_eq!(b.len(), 210);
    let y = dequant(GgmlType::Q6_K, &b);
    for (e, want) in [(0, -12.5), (50, 960.0), (130, 1.5), (255, -208.0)] {
        assert_eq!(y[e], want, "element {e}");
    }
    for (e, &got) in y.iter().enumerate() {
        let want = 0.5 * SC6[e / 16] as f32 * (q(e) as f32 - 32.0);
        assert_eq!(got, want, "element {e}");
    }
}

/// Random scales and values over several blocks, compared bit for bit with
/// ggml's expression order: `(d·sc)·q − (dmin·m)` and `(d·sc)·q`.
#[test]
fn random_blocks_follow_ggml_expression_order() {
    let mut rng = StdRng::seed_from_u64(0x6b71);
    let mut b4 = Vec::new();
    let mut b5 = Vec::new();
    let mut b6 = Vec::new();
    let mut want4 = Vec::new();
    let mut want5 = Vec::new();
    let mut want6 = Vec::new();
    for _ in 0..5 {
        let d: f32 = rng.random_range(-3.0..3.0);
        let dmin: f32 = rng.random_range(-3.0..3.0);
        let (d16, dmin16) = (half::f16::from_f32(d), half::f16::from_f32(dmin));
        let (df, dminf) = (d16.to_f32(), dmin16.to_f32());
        let ls: [u8; 8] = std::array::from_fn(|_| rng.random_range(0..64));
        let lm: [u8; 8] = std::array::from_fn(|_| rng.random_range(0..64));
        let sc6: [i8; 16] = std::array::from_fn(|_| rng.random());
        let q: Vec<u8> = (0..QK_K).map(|_| rng.random_range(0..64)).collect();
        let scales = pack_scales(ls, lm);
        b4.extend(q4k_block(
            d16.to_le_bytes(),
            dmin16.to_le_bytes(),
            scales,
            |e| q[e] & 15,
        ));
        b5.extend(q5k_block(
            d16.to_le_bytes(),
            dmin16.to_le_bytes(),
            scales,
            |e| q[e] & 31,
        ));
        b6.extend(q6k_block(d16.to_le_bytes(), sc6, |e| q[e]));
        for (e, &qe) in q.iter().enumerate() {
            let (s, m) = (df * ls[e / 32] as f32, dminf * lm[e / 32] as f32);
            want4.push(s * (qe & 15) as f32 - m);
            want5.push(s * (qe & 31) as f32 - m);
            want6.push(df * sc6[e / 16] as f32 * (qe as i32 - 32) as f32);
        }
    }
    for (dtype, bytes, want) in [
        (GgmlType::Q4_K, b4, want4),
        (GgmlType::Q5_K, b5, want5),
        (GgmlType::Q6_K, b6, want6),
    ] {
        let got = dequant(dtype, &bytes);
        assert_eq!(got.len(), want.len());
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(g.to_bits(), w.to_bits(), "{dtype} element {i}");
        }
    }
}
