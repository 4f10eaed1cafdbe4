//! Every instruction-set level's activation quantizer is bit-identical to
//! the scalar reference `quantize_q8_0`: on random rows of odd block counts,
//! on every half-way point and its neighbours, and on blocks with zeros,
//! infinities and NaNs.

use edgebench_kernels::ops::{DotKernels, Isa};
use edgebench_kernels::quant::{BlockQ8_0, QK, quantize_q8_0};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn simd_levels() -> Vec<DotKernels> {
    Isa::available()
        .into_iter()
        .filter(|&i| i != Isa::Scalar)
        .map(|i| DotKernels::for_isa(i).expect("an available level has a table"))
        .collect()
}

/// Quantizes `x` with the reference and with every level; all must agree
/// byte for byte.
fn check(what: &str, x: &[f32]) {
    let nb = x.len() / QK;
    let mut want = vec![
        BlockQ8_0 {
            d: Default::default(),
            qs: [0; QK]
        };
        nb
    ];
    quantize_q8_0(x, &mut want);
    let want: &[u8] = bytemuck::cast_slice(&want);
    for k in simd_levels() {
        let mut got = vec![
            BlockQ8_0 {
                d: Default::default(),
                qs: [1; QK]
            };
            nb
        ];
        (k.quantize_q8_0)(x, &mut got);
        let got: &[u8] = bytemuck::cast_slice(&got);
        if let Some(i) = got.iter().zip(want).position(|(a, b)| a != b) {
            let block = i / size_of::<BlockQ8_0>();
            panic!(
                "{} {what}: byte {i} (block {block}) differs: {:?} vs reference {:?}; input {:?}",
                k.isa,
                &got[block * 34..block * 34 + 34],
                &want[block * 34..block * 34 + 34],
                &x[block * QK..block * QK + QK],
            );
        }
    }
}

#[test]
fn random_rows_match_the_reference() {
    let mut rng = StdRng::seed_from_u64(7);
    for nb in [1, 2, 3, 5, 17, 18, 48, 96] {
        for scale in [1e-30f32, 1e-3, 1.0, 37.5, 1e20] {
            let x: Vec<f32> = (0..nb * QK)
                .map(|_| rng.random_range(-1.0f32..1.0) * scale)
                .collect();
            check(&format!("nb {nb} scale {scale}"), &x);
        }
    }
}

#[test]
fn every_half_way_point_rounds_as_roundf() {
    // With 127 in the block the scale is exactly 1, so each value is
    // rounded as it is: every k + 0.5 in range and the floats either side.
    let mut values = Vec::new();
    for k in -127i32..127 {
        let h = k as f32 + 0.5;
        values.extend([
            h,
            h.next_down(),
            h.next_up(),
            k as f32,
            (k as f32).next_up(),
        ]);
    }
    values.extend([
        0.0,
        -0.0,
        0.499_999_97,
        -0.499_999_97,
        f32::MIN_POSITIVE,
        -1e-40,
    ]);
    let mut x = Vec::new();
    for chunk in values.chunks(QK - 1) {
        x.push(127.0);
        x.extend_from_slice(chunk);
        x.resize(x.len().next_multiple_of(QK), 0.25);
    }
    check("half-way points", &x);
    for v in &mut x {
        *v = -*v;
    }
    check("negated half-way points", &x);
}

#[test]
fn special_blocks_take_the_reference_path() {
    let mut blocks: Vec<[f32; QK]> = Vec::new();
    blocks.push([0.0; QK]);
    blocks.push([-0.0; QK]);
    for special in [
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::MAX,
        -f32::MAX,
    ] {
        for at in [0, 1, 7, 8, 30, 31] {
            let mut b: [f32; QK] = std::array::from_fn(|i| i as f32 * 0.37 - 5.0);
            b[at] = special;
            blocks.push(b);
        }
    }
    let mut nan_then_big: [f32; QK] = [1.0; QK];
    nan_then_big[3] = f32::NAN;
    nan_then_big[4] = 2.0;
    blocks.push(nan_then_big);
    let x: Vec<f32> = blocks.concat();
    check("special values", &x);
}
