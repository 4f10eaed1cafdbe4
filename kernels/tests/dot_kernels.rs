//! Every instruction-set level's row-dot kernels against the scalar reference,
//! on odd lengths and awkward data.

use edgebench_kernels::ops::{DotKernels, Isa};
use edgebench_kernels::quant::{
    BlockQ4_0, BlockQ4_1, BlockQ8_0, BlockQ8_1, QK, quantize_q4_0, quantize_q4_1, quantize_q8_0,
    quantize_q8_1,
};
use half::{bf16, f16};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Block counts: one block, odd counts, counts around typical SIMD unrolls.
const BLOCK_COUNTS: [usize; 12] = [1, 2, 3, 4, 5, 7, 8, 9, 15, 17, 18, 64];
/// Element counts for float formats, not tied to any block size.
const FLOAT_LENS: [usize; 16] = [1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 576, 1001];

fn simd_levels() -> Vec<DotKernels> {
    Isa::available()
        .into_iter()
        .filter(|&i| i != Isa::Scalar)
        .map(|i| DotKernels::for_isa(i).expect("an available level has a table"))
        .collect()
}

fn data(rng: &mut StdRng, n: usize, outliers: bool) -> Vec<f32> {
    (0..n)
        .map(|i| {
            let v: f32 = rng.random_range(-1.0..1.0);
            if outliers && i % 37 == 5 { v * 60.0 } else { v }
        })
        .collect()
}

/// Tolerance relative to the sum of absolute products (accumulation order differs).
fn assert_close(isa: Isa, what: &str, n: usize, got: f32, want: f32, scale: f32) {
    let tol = 1e-5 * scale.max(1.0);
    assert!(
        (got - want).abs() <= tol,
        "{isa} {what} n={n}: got {got}, scalar {want}, |diff| {} > {tol}",
        (got - want).abs()
    );
}

#[test]
fn float_formats_match_scalar() {
    let mut rng = StdRng::seed_from_u64(1);
    for k in simd_levels() {
        for &n in &FLOAT_LENS {
            for outliers in [false, true] {
                let w = data(&mut rng, n, outliers);
                let x = data(&mut rng, n, outliers);
                let scale: f32 = w.iter().zip(&x).map(|(a, b)| (a * b).abs()).sum();

                let w32: Vec<u8> = w.iter().flat_map(|v| v.to_le_bytes()).collect();
                let w16: Vec<u8> = w
                    .iter()
                    .flat_map(|&v| f16::from_f32(v).to_le_bytes())
                    .collect();
                let wb16: Vec<u8> = w
                    .iter()
                    .flat_map(|&v| bf16::from_f32(v).to_le_bytes())
                    .collect();
                let s = DotKernels::SCALAR;
                assert_close(k.isa, "f32", n, (k.f32)(&w32, &x), (s.f32)(&w32, &x), scale);
                assert_close(k.isa, "f16", n, (k.f16)(&w16, &x), (s.f16)(&w16, &x), scale);
                assert_close(
                    k.isa,
                    "bf16",
                    n,
                    (k.bf16)(&wb16, &x),
                    (s.bf16)(&wb16, &x),
                    scale,
                );

                // Unaligned weight bytes must work too (rows inside a mapped file).
                let mut shifted = vec![0u8; w32.len() + 1];
                shifted[1..].copy_from_slice(&w32);
                assert_close(
                    k.isa,
                    "f32 unaligned",
                    n,
                    (k.f32)(&shifted[1..], &x),
                    (s.f32)(&w32, &x),
                    scale,
                );
            }
        }
    }
}

fn q8_0(x: &[f32]) -> Vec<BlockQ8_0> {
    let mut b = vec![bytemuck::Zeroable::zeroed(); x.len() / QK];
    quantize_q8_0(x, &mut b);
    b
}

#[test]
fn quantized_formats_match_scalar() {
    let mut rng = StdRng::seed_from_u64(2);
    for k in simd_levels() {
        for &nb in &BLOCK_COUNTS {
            for outliers in [false, true] {
                let n = nb * QK;
                let w = data(&mut rng, n, outliers);
                let x = data(&mut rng, n, outliers);
                let scale: f32 = w.iter().zip(&x).map(|(a, b)| (a * b).abs()).sum();
                let s = DotKernels::SCALAR;

                let xq8 = q8_0(&x);
                let mut xq81 = vec![bytemuck::Zeroable::zeroed(); nb];
                quantize_q8_1(&x, &mut xq81);
                let xq81: Vec<BlockQ8_1> = xq81;

                let wq8 = q8_0(&w);
                assert_close(
                    k.isa,
                    "q8_0",
                    n,
                    (k.q8_0)(&wq8, &xq8),
                    (s.q8_0)(&wq8, &xq8),
                    scale,
                );

                let mut wq40: Vec<BlockQ4_0> = vec![bytemuck::Zeroable::zeroed(); nb];
                quantize_q4_0(&w, &mut wq40);
                assert_close(
                    k.isa,
                    "q4_0",
                    n,
                    (k.q4_0)(&wq40, &xq8),
                    (s.q4_0)(&wq40, &xq8),
                    scale,
                );

                let mut wq41: Vec<BlockQ4_1> = vec![bytemuck::Zeroable::zeroed(); nb];
                quantize_q4_1(&w, &mut wq41);
                assert_close(
                    k.isa,
                    "q4_1",
                    n,
                    (k.q4_1)(&wq41, &xq81),
                    (s.q4_1)(&wq41, &xq81),
                    scale,
                );
            }
        }
    }
}

#[test]
fn extreme_quantized_values_match_scalar() {
    // All weights and activations at the ends of their ranges: catches
    // saturating 16-bit intermediate sums (e.g. maddubs pairs).
    for k in simd_levels() {
        let s = DotKernels::SCALAR;
        for nb in [1, 3, 8] {
            let mut w = vec![bytemuck::Zeroable::zeroed(); nb];
            let mut x = vec![bytemuck::Zeroable::zeroed(); nb];
            for (bw, bx) in w.iter_mut().zip(x.iter_mut()) {
                let bw: &mut BlockQ8_0 = bw;
                let bx: &mut BlockQ8_0 = bx;
                bw.d = edgebench_kernels::quant::F16Bytes::from_f32(0.5);
                bx.d = edgebench_kernels::quant::F16Bytes::from_f32(0.25);
                bw.qs = [-127; QK];
                bx.qs = [-128; QK];
            }
            let want = (s.q8_0)(&w, &x);
            assert_eq!((k.q8_0)(&w, &x), want, "{} q8_0 extremes", k.isa);

            let w4: Vec<BlockQ4_0> = (0..nb)
                .map(|_| BlockQ4_0 {
                    d: edgebench_kernels::quant::F16Bytes::from_f32(1.0),
                    qs: [0x00; 16],
                })
                .collect();
            assert_eq!(
                (k.q4_0)(&w4, &x),
                (s.q4_0)(&w4, &x),
                "{} q4_0 extremes",
                k.isa
            );
        }
    }
}
