//! `Matmul::matvec` and `Matmul::matmul` for every compute format, every
//! available instruction-set level and several thread counts, on odd shapes,
//! against a naive f64 reference on the dequantized weights.

use bytemuck::Zeroable;
use edgebench_kernels::ops::{DotKernels, Isa, Layout, Matmul, OpsError, Product, WeightMatrix};
use edgebench_kernels::quant::{
    BlockQ4_0, BlockQ4_1, BlockQ8_0, BlockQ8_1, GgmlType, QK, dequantize_q4_0, dequantize_q8_0,
    pack_q4_0, pack_q8_0, quantize_q4_0, quantize_q4_1, quantize_q8_0, quantize_q8_1,
};
use half::{bf16, f16};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const FORMATS: [GgmlType; 6] = [
    GgmlType::F32,
    GgmlType::F16,
    GgmlType::BF16,
    GgmlType::Q8_0,
    GgmlType::Q4_0,
    GgmlType::Q4_1,
];
/// rows × cols: one row, one block, odd row counts around the 16-row groups
/// and the thread counts.
const SHAPES: [(usize, usize); 8] = [
    (1, 32),
    (2, 32),
    (33, 64),
    (17, 96),
    (3, 320),
    (50, 32),
    (129, 160),
    (16, 64),
];

fn random(rng: &mut StdRng, n: usize) -> Vec<f32> {
    (0..n).map(|_| rng.random_range(-1.0f32..1.0)).collect()
}

/// Stores `w` (rows × cols) in `dtype`.
fn encode(dtype: GgmlType, w: &[f32]) -> Vec<u8> {
    match dtype {
        GgmlType::F32 => w.iter().flat_map(|v| v.to_le_bytes()).collect(),
        GgmlType::F16 => w
            .iter()
            .flat_map(|&v| f16::from_f32(v).to_le_bytes())
            .collect(),
        GgmlType::BF16 => w
            .iter()
            .flat_map(|&v| bf16::from_f32(v).to_le_bytes())
            .collect(),
        GgmlType::Q8_0 => {
            let mut b = vec![BlockQ8_0::zeroed(); w.len() / QK];
            quantize_q8_0(w, &mut b);
            bytemuck::cast_slice(&b).to_vec()
        }
        GgmlType::Q4_0 => {
            let mut b = vec![BlockQ4_0::zeroed(); w.len() / QK];
            quantize_q4_0(w, &mut b);
            bytemuck::cast_slice(&b).to_vec()
        }
        GgmlType::Q4_1 => {
            let mut b = vec![BlockQ4_1::zeroed(); w.len() / QK];
            quantize_q4_1(w, &mut b);
            bytemuck::cast_slice(&b).to_vec()
        }
        other => unreachable!("{other} is not a compute format"),
    }
}

/// Naive reference for one weight row (raw bytes) and one activation row:
/// (value, sum of absolute products for the tolerance).
fn reference(dtype: GgmlType, w: &[u8], x: &[f32]) -> (f64, f64) {
    let n = x.len();
    let nb = n / QK.max(1);
    let dot = |a: &[f32], b: &[f32]| {
        a.iter().zip(b).fold((0.0f64, 0.0f64), |(s, m), (&p, &q)| {
            let t = p as f64 * q as f64;
            (s + t, m + t.abs())
        })
    };
    let x8 = || {
        let mut q = vec![BlockQ8_0::zeroed(); nb];
        quantize_q8_0(x, &mut q);
        let mut d = vec![0.0; n];
        dequantize_q8_0(&q, &mut d);
        d
    };
    match dtype {
        GgmlType::F32 => {
            let wf: Vec<f32> = w
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
                .collect();
            dot(&wf, x)
        }
        GgmlType::F16 => {
            let wf: Vec<f32> = w
                .chunks_exact(2)
                .map(|b| f16::from_le_bytes([b[0], b[1]]).to_f32())
                .collect();
            dot(&wf, x)
        }
        GgmlType::BF16 => {
            let wf: Vec<f32> = w
                .chunks_exact(2)
                .map(|b| bf16::from_le_bytes([b[0], b[1]]).to_f32())
                .collect();
            dot(&wf, x)
        }
        GgmlType::Q8_0 => {
            let mut wf = vec![0.0; n];
            dequantize_q8_0(bytemuck::cast_slice(w), &mut wf);
            dot(&wf, &x8())
        }
        GgmlType::Q4_0 => {
            let mut wf = vec![0.0; n];
            dequantize_q4_0(bytemuck::cast_slice(w), &mut wf);
            dot(&wf, &x8())
        }
        GgmlType::Q4_1 => {
            // Q8_1 carries the activations' sum as the f16 `s`, which the
            // weights' minimum multiplies: Σ (d·q)(d_x·q_x) + m·s per block.
            let wb: &[BlockQ4_1] = bytemuck::cast_slice(w);
            let mut xq = vec![BlockQ8_1::zeroed(); nb];
            quantize_q8_1(x, &mut xq);
            let (mut s, mut m) = (0.0f64, 0.0f64);
            for (a, b) in wb.iter().zip(&xq) {
                let (d, dx) = (a.d.to_f32() as f64, b.d.to_f32() as f64);
                for j in 0..QK {
                    let q = if j < 16 {
                        a.qs[j] & 0x0F
                    } else {
                        a.qs[j - 16] >> 4
                    };
                    let t = d * q as f64 * dx * b.qs[j] as f64;
                    s += t;
                    m += t.abs();
                }
                let t = a.m.to_f32() as f64 * b.s.to_f32() as f64;
                s += t;
                m += t.abs();
            }
            (s, m)
        }
        other => unreachable!("{other} is not a compute format"),
    }
}

fn drivers() -> Vec<Matmul> {
    let mut out = Vec::new();
    // Levels whose table is not written yet are skipped, not failed.
    let levels = Isa::available()
        .into_iter()
        .filter(|&i| DotKernels::for_isa(i).is_some());
    for isa in levels {
        for threads in [1, 2, 3] {
            out.push(Matmul::with_isa(isa, threads).unwrap());
        }
    }
    out
}

#[test]
fn matvec_and_matmul_match_the_reference() {
    let mut rng = StdRng::seed_from_u64(7);
    let mut drivers = drivers();
    for dtype in FORMATS {
        for (rows, cols) in SHAPES {
            let bytes = encode(dtype, &random(&mut rng, rows * cols));
            let w = WeightMatrix::new(dtype, rows, cols, &bytes).unwrap();
            let rb = w.row_bytes();
            for n in [1, 2, 3, 5, 17] {
                let x = random(&mut rng, n * cols);
                for m in &mut drivers {
                    let what = format!(
                        "{dtype} {rows}x{cols} n={n} {} threads={}",
                        m.isa(),
                        m.threads()
                    );
                    let mut y = vec![f32::NAN; n * rows];
                    m.matmul(&w, &x, n, &mut y).unwrap();
                    for i in 0..n {
                        let xi = &x[i * cols..(i + 1) * cols];
                        let mut yi = vec![f32::NAN; rows];
                        m.matvec(&w, xi, &mut yi).unwrap();
                        assert_eq!(
                            &y[i * rows..(i + 1) * rows],
                            &yi[..],
                            "{what}: matmul row {i} != matvec"
                        );
                        for (r, &got) in yi.iter().enumerate() {
                            let (want, mag) = reference(dtype, &bytes[r * rb..(r + 1) * rb], xi);
                            let tol = 1e-5 * mag + 1e-6;
                            assert!(
                                (got as f64 - want).abs() <= tol,
                                "{what}: y[{i}][{r}] = {got}, reference {want} (tol {tol})"
                            );
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn products_of_one_input_equal_their_own_products() {
    // Q, K and V of a layer (or gate and up) share one quantized input and
    // one parallel call; each output must be what its own call gives, for
    // mixed formats (Q8_0 and Q4_0 share Q8_0 activations, Q4_1 takes Q8_1,
    // floats take the input as it is) and batches above and below the
    // parallel quantization threshold.
    let mut rng = StdRng::seed_from_u64(9);
    let cols = 320;
    let sets: [&[(GgmlType, usize)]; 3] = [
        &[
            (GgmlType::Q8_0, 33),
            (GgmlType::Q4_0, 17),
            (GgmlType::Q4_0, 17),
        ],
        &[(GgmlType::Q4_1, 50), (GgmlType::F16, 3)],
        &[
            (GgmlType::Q8_0, 129),
            (GgmlType::F32, 16),
            (GgmlType::Q4_1, 2),
            (GgmlType::BF16, 1),
        ],
    ];
    for set in sets {
        let bytes: Vec<Vec<u8>> = set
            .iter()
            .map(|&(t, rows)| encode(t, &random(&mut rng, rows * cols)))
            .collect();
        let ws: Vec<WeightMatrix<'_>> = set
            .iter()
            .zip(&bytes)
            .map(|(&(t, rows), b)| WeightMatrix::new(t, rows, cols, b).unwrap())
            .collect();
        for n in [1, 4, 40] {
            let x = random(&mut rng, n * cols);
            for m in &mut drivers() {
                let mut ys: Vec<Vec<f32>> =
                    ws.iter().map(|w| vec![f32::NAN; n * w.rows()]).collect();
                let mut products: Vec<Product<'_, '_>> = ws
                    .iter()
                    .zip(&mut ys)
                    .map(|(w, y)| Product::new(w, y))
                    .collect();
                m.matmul_each(&x, n, &mut products).unwrap();
                for (w, y) in ws.iter().zip(&ys) {
                    let mut alone = vec![f32::NAN; n * w.rows()];
                    m.matmul(w, &x, n, &mut alone).unwrap();
                    assert_eq!(
                        y,
                        &alone,
                        "{} {}x{cols} n={n} {} threads={}",
                        w.dtype(),
                        w.rows(),
                        m.isa(),
                        m.threads()
                    );
                }
            }
        }
    }
}

/// `bytes` (row-major `dtype` blocks, `rows × cols`) repacked into panels.
fn panels(dtype: GgmlType, bytes: &[u8], rows: usize, cols: usize) -> Vec<u8> {
    let nb = cols / QK;
    match dtype {
        GgmlType::Q8_0 => {
            bytemuck::cast_slice(&pack_q8_0(bytemuck::cast_slice(bytes), rows, nb)).to_vec()
        }
        _ => bytemuck::cast_slice(&pack_q4_0(bytemuck::cast_slice(bytes), rows, nb)).to_vec(),
    }
}

#[test]
fn panel_matrices_give_what_their_rows_give() {
    // Levels whose panel kernels are used (prefers_panels) must reproduce
    // their row tiles exactly, so repacking a model changes no logit; the
    // others' panel kernels are checked against the rows' result.
    let mut rng = StdRng::seed_from_u64(12);
    for dtype in [GgmlType::Q8_0, GgmlType::Q4_0] {
        for (rows, cols) in [(8, 32), (16, 64), (24, 576), (136, 96), (192, 320)] {
            let bytes = encode(dtype, &random(&mut rng, rows * cols));
            let packed = panels(dtype, &bytes, rows, cols);
            let w = WeightMatrix::new(dtype, rows, cols, &bytes).unwrap();
            let p = WeightMatrix::panels(dtype, rows, cols, &packed).unwrap();
            assert_eq!(p.layout(), Layout::Panels);
            for n in [1, 3, 4, 9] {
                let x = random(&mut rng, n * cols);
                for m in &mut drivers() {
                    let what = format!("{dtype} {rows}x{cols} n={n} {} t{}", m.isa(), m.threads());
                    let (mut a, mut b) = (vec![f32::NAN; n * rows], vec![f32::NAN; n * rows]);
                    m.matmul(&w, &x, n, &mut a).unwrap();
                    m.matmul(&p, &x, n, &mut b).unwrap();
                    if m.kernels().prefers_panels {
                        assert_eq!(a, b, "{what}");
                    } else {
                        for (i, (&a, &b)) in a.iter().zip(&b).enumerate() {
                            assert!(
                                (a - b).abs() <= 1e-4 * a.abs().max(1.0),
                                "{what} [{i}]: {a} vs {b}"
                            );
                        }
                    }
                }
            }
        }
    }
    let bytes = encode(GgmlType::Q8_0, &random(&mut rng, 12 * 32));
    assert!(matches!(
        WeightMatrix::panels(GgmlType::Q8_0, 12, 32, &bytes),
        Err(OpsError::NotPanelable { rows: 12, .. })
    ));
    let bytes = encode(GgmlType::F16, &random(&mut rng, 8 * 32));
    let e = WeightMatrix::panels(GgmlType::F16, 8, 32, &bytes).unwrap_err();
    assert!(e.to_string().contains("only q8_0 and q4_0"), "{e}");
}

#[test]
fn a_bad_product_fails_the_call_before_anything_is_written() {
    let mut rng = StdRng::seed_from_u64(10);
    let a = encode(GgmlType::Q8_0, &random(&mut rng, 4 * 64));
    let w = WeightMatrix::new(GgmlType::Q8_0, 4, 64, &a).unwrap();
    let b = encode(GgmlType::Q8_0, &random(&mut rng, 4 * 32));
    let narrow = WeightMatrix::new(GgmlType::Q8_0, 4, 32, &b).unwrap();
    let mut m = Matmul::new(2).unwrap();
    let (mut y0, mut y1) = (vec![7.0; 4], vec![7.0; 4]);
    let e = m
        .matmul_each(
            &random(&mut rng, 64),
            1,
            &mut [Product::new(&w, &mut y0), Product::new(&narrow, &mut y1)],
        )
        .unwrap_err();
    assert!(
        matches!(
            e,
            OpsError::ActivationLength {
                cols: 32,
                actual: 64,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!((y0, y1), (vec![7.0; 4], vec![7.0; 4]));
}

#[test]
fn unaligned_weight_bytes_work() {
    let mut rng = StdRng::seed_from_u64(8);
    let mut m = Matmul::new(2).unwrap();
    for dtype in FORMATS {
        let (rows, cols) = (19, 64);
        let bytes = encode(dtype, &random(&mut rng, rows * cols));
        let mut shifted = vec![0u8; bytes.len() + 1];
        shifted[1..].copy_from_slice(&bytes);
        let x = random(&mut rng, cols);
        let (mut a, mut b) = (vec![0.0; rows], vec![0.0; rows]);
        m.matvec(
            &WeightMatrix::new(dtype, rows, cols, &bytes).unwrap(),
            &x,
            &mut a,
        )
        .unwrap();
        m.matvec(
            &WeightMatrix::new(dtype, rows, cols, &shifted[1..]).unwrap(),
            &x,
            &mut b,
        )
        .unwrap();
        assert_eq!(a, b, "{dtype}");
    }
}

#[test]
fn bad_shapes_are_typed_errors() {
    let bytes = vec![0u8; 4 * 34];
    let err = |r: Result<WeightMatrix<'_>, OpsError>| r.unwrap_err();
    assert!(matches!(
        err(WeightMatrix::new(GgmlType::Q4_K, 1, 256, &bytes)),
        OpsError::UnsupportedType {
            dtype: GgmlType::Q4_K
        }
    ));
    assert!(matches!(
        err(WeightMatrix::new(GgmlType::Q8_0, 0, 32, &bytes)),
        OpsError::EmptyMatrix { rows: 0, .. }
    ));
    assert!(matches!(
        err(WeightMatrix::new(GgmlType::Q8_0, 2, 48, &bytes)),
        OpsError::PartialBlock {
            cols: 48,
            block: 32,
            ..
        }
    ));
    let e = err(WeightMatrix::new(GgmlType::Q8_0, 3, 32, &bytes));
    assert!(
        matches!(
            e,
            OpsError::ByteCount {
                expected: 102,
                actual: 136,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(
        e.to_string().contains("q8_0") && e.to_string().contains("3 × 32"),
        "{e}"
    );
    assert!(matches!(
        err(WeightMatrix::new(GgmlType::F32, usize::MAX, 2, &bytes)),
        OpsError::ByteCount {
            expected: usize::MAX,
            ..
        }
    ));

    let w = WeightMatrix::new(GgmlType::Q8_0, 2, 64, &bytes).unwrap();
    let mut m = Matmul::new(2).unwrap();
    let mut y = vec![0.0; 2];
    assert!(matches!(
        m.matvec(&w, &[0.0; 63], &mut y),
        Err(OpsError::ActivationLength {
            expected: 64,
            actual: 63,
            ..
        })
    ));
    assert!(matches!(
        m.matvec(&w, &[0.0; 64], &mut y[..1]),
        Err(OpsError::OutputLength {
            expected: 2,
            actual: 1,
            ..
        })
    ));
    assert!(matches!(
        m.matmul(&w, &[0.0; 128], 3, &mut [0.0; 6]),
        Err(OpsError::ActivationLength {
            batch: 3,
            expected: 192,
            ..
        })
    ));
    m.matmul(&w, &[], 0, &mut []).unwrap();

    let missing = [Isa::Avx2, Isa::Avx512, Isa::Neon, Isa::NeonDotprod]
        .into_iter()
        .find(|i| !i.is_available());
    if let Some(isa) = missing {
        assert!(matches!(
            Matmul::with_isa(isa, 1),
            Err(OpsError::IsaUnavailable { .. })
        ));
    }
}
