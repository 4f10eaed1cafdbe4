//! Every instruction-set level's tile kernels (a few weight rows × a few
//! activation rows) against the scalar reference tiles, on every tile shape
//! and odd row lengths, and against themselves: an output does not depend on
//! the shape of the tile it was computed in.

use bytemuck::Zeroable;
use edgebench_kernels::ops::{DotKernels, Isa, TILE_BATCH, TILE_ROWS};
use edgebench_kernels::quant::{
    BlockQ4_0, BlockQ4_1, BlockQ8_0, BlockQ8_1, F16Bytes, QK, quantize_q4_0, quantize_q4_1,
    quantize_q8_0, quantize_q8_1,
};
use half::{bf16, f16};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const BLOCK_COUNTS: [usize; 5] = [1, 2, 3, 7, 18];
const FLOAT_LENS: [usize; 7] = [1, 7, 8, 9, 31, 64, 101];

fn levels() -> Vec<DotKernels> {
    Isa::available()
        .into_iter()
        .map(|i| DotKernels::for_isa(i).expect("an available level has a table"))
        .collect()
}

fn random(rng: &mut StdRng, n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| {
            let v: f32 = rng.random_range(-1.0..1.0);
            if i % 29 == 3 { v * 40.0 } else { v }
        })
        .collect()
}

/// Σ |w_r · x_i| over the unquantized rows of `len` values: the scale of
/// the rounding error an output may carry.
fn magnitude(w: &[f32], x: &[f32], len: usize, r: usize, i: usize) -> f32 {
    let (wr, xi) = (&w[r * len..(r + 1) * len], &x[i * len..(i + 1) * len]);
    wr.iter().zip(xi).map(|(a, b)| (a * b).abs()).sum()
}

/// Runs `tile` on every shape up to the limits and compares each output
/// with the scalar reference `want` (tolerance relative to `mag(r, i)`) and
/// with the same output computed alone in a 1 × 1 tile (bit for bit).
#[allow(clippy::too_many_arguments)]
fn check<W, X>(
    what: &str,
    isa: Isa,
    w: &[W],
    x: &[X],
    k: usize,
    mag: impl Fn(usize, usize) -> f32,
    tile: impl Fn(&[W], &[X], &mut [f32]),
    want: impl Fn(&[W], &[X], &mut [f32]),
) {
    for rows in 1..=TILE_ROWS {
        for batch in 1..=TILE_BATCH {
            let (ws, xs) = (&w[..rows * k], &x[..batch * k]);
            let mut got = vec![f32::NAN; rows * batch];
            let mut exp = vec![f32::NAN; rows * batch];
            tile(ws, xs, &mut got);
            want(ws, xs, &mut exp);
            for i in 0..batch {
                for r in 0..rows {
                    let (g, e) = (got[i * rows + r], exp[i * rows + r]);
                    let tol = 1e-5 * mag(r, i) + 1e-6;
                    assert!(
                        (g - e).abs() <= tol,
                        "{isa} {what} {rows}x{batch} out[{i}][{r}]: {g} vs scalar {e}"
                    );
                    let mut one = [f32::NAN];
                    tile(&w[r * k..(r + 1) * k], &x[i * k..(i + 1) * k], &mut one);
                    assert_eq!(
                        one[0].to_bits(),
                        g.to_bits(),
                        "{isa} {what} {rows}x{batch} out[{i}][{r}] depends on the tile shape"
                    );
                }
            }
        }
    }
}

#[test]
fn quantized_tiles_match_scalar() {
    let mut rng = StdRng::seed_from_u64(11);
    let s = DotKernels::SCALAR;
    for k in levels() {
        for nb in BLOCK_COUNTS {
            let n = nb * QK;
            let w = random(&mut rng, TILE_ROWS * n);
            let x = random(&mut rng, TILE_BATCH * n);
            let mut x8 = vec![BlockQ8_0::zeroed(); TILE_BATCH * nb];
            quantize_q8_0(&x, &mut x8);
            let mut x81 = vec![BlockQ8_1::zeroed(); TILE_BATCH * nb];
            quantize_q8_1(&x, &mut x81);
            let mut w8 = vec![BlockQ8_0::zeroed(); TILE_ROWS * nb];
            quantize_q8_0(&w, &mut w8);
            let mut w40 = vec![BlockQ4_0::zeroed(); TILE_ROWS * nb];
            quantize_q4_0(&w, &mut w40);
            let mut w41 = vec![BlockQ4_1::zeroed(); TILE_ROWS * nb];
            quantize_q4_1(&w, &mut w41);
            let what = |f: &str| format!("{f} nb={nb}");
            check(
                &what("q8_0"),
                k.isa,
                &w8,
                &x8,
                nb,
                |r, i| magnitude(&w, &x, n, r, i),
                |a, b, o| (k.q8_0_tile)(a, b, nb, o),
                |a, b, o| (s.q8_0_tile)(a, b, nb, o),
            );
            check(
                &what("q4_0"),
                k.isa,
                &w40,
                &x8,
                nb,
                |r, i| magnitude(&w, &x, n, r, i),
                |a, b, o| (k.q4_0_tile)(a, b, nb, o),
                |a, b, o| (s.q4_0_tile)(a, b, nb, o),
            );
            check(
                &what("q4_1"),
                k.isa,
                &w41,
                &x81,
                nb,
                |r, i| magnitude(&w, &x, n, r, i),
                |a, b, o| (k.q4_1_tile)(a, b, nb, o),
                |a, b, o| (s.q4_1_tile)(a, b, nb, o),
            );
        }
    }
}

#[test]
fn float_tiles_match_scalar() {
    let mut rng = StdRng::seed_from_u64(12);
    let s = DotKernels::SCALAR;
    for k in levels() {
        for len in FLOAT_LENS {
            let w = random(&mut rng, TILE_ROWS * len);
            let x = random(&mut rng, TILE_BATCH * len);
            let encodings: [(&str, Vec<u8>, usize); 3] = [
                ("f32", w.iter().flat_map(|v| v.to_le_bytes()).collect(), 4),
                (
                    "f16",
                    w.iter()
                        .flat_map(|&v| f16::from_f32(v).to_le_bytes())
                        .collect(),
                    2,
                ),
                (
                    "bf16",
                    w.iter()
                        .flat_map(|&v| bf16::from_f32(v).to_le_bytes())
                        .collect(),
                    2,
                ),
            ];
            for (name, bytes, size) in encodings {
                let (kt, st) = match name {
                    "f32" => (k.f32_tile, s.f32_tile),
                    "f16" => (k.f16_tile, s.f16_tile),
                    _ => (k.bf16_tile, s.bf16_tile),
                };
                // Weight rows as `size`-byte elements, tiled per element.
                let rows: Vec<&[u8]> = bytes.chunks_exact(size).collect();
                let tile = |a: &[&[u8]], b: &[f32], o: &mut [f32]| kt(&a.concat(), b, len, o);
                let want = |a: &[&[u8]], b: &[f32], o: &mut [f32]| st(&a.concat(), b, len, o);
                check(
                    &format!("{name} len={len}"),
                    k.isa,
                    &rows,
                    &x,
                    len,
                    |r, i| magnitude(&w, &x, len, r, i),
                    tile,
                    want,
                );
                // Misaligned weight bytes give the same results.
                let mut shifted = vec![0u8; bytes.len() + 1];
                shifted[1..].copy_from_slice(&bytes);
                let (mut a, mut b) = (vec![0.0; TILE_ROWS], vec![0.0; TILE_ROWS]);
                kt(&bytes, &x[..len], len, &mut a);
                kt(&shifted[1..], &x[..len], len, &mut b);
                assert_eq!(a, b, "{} {name} len={len} misaligned", k.isa);
            }
        }
    }
}

#[test]
fn extreme_quantized_tiles_are_exact() {
    // Weights and activations at the ends of their ranges: saturating
    // 16-bit pair sums or lost integer bits would show here.
    for k in levels() {
        let s = DotKernels::SCALAR;
        for nb in [1, 3] {
            let block = |d: f32, q: i8| BlockQ8_0 {
                d: F16Bytes::from_f32(d),
                qs: [q; QK],
            };
            let w: Vec<BlockQ8_0> = (0..TILE_ROWS * nb).map(|_| block(0.5, -127)).collect();
            let x: Vec<BlockQ8_0> = (0..TILE_BATCH * nb).map(|_| block(0.25, -128)).collect();
            let w4: Vec<BlockQ4_0> = (0..TILE_ROWS * nb)
                .map(|_| BlockQ4_0 {
                    d: F16Bytes::from_f32(1.0),
                    qs: [0x00; 16],
                })
                .collect();
            let n = TILE_ROWS * TILE_BATCH;
            let (mut got, mut want) = (vec![0.0; n], vec![0.0; n]);
            (k.q8_0_tile)(&w, &x, nb, &mut got);
            (s.q8_0_tile)(&w, &x, nb, &mut want);
            assert_eq!(got, want, "{} q8_0 extremes", k.isa);
            (k.q4_0_tile)(&w4, &x, nb, &mut got);
            (s.q4_0_tile)(&w4, &x, nb, &mut want);
            assert_eq!(got, want, "{} q4_0 extremes", k.isa);
        }
    }
}

#[test]
#[should_panic(expected = "tile limits")]
fn oversized_tiles_are_refused() {
    let k = levels().pop().expect("the scalar level is always there");
    let w = vec![BlockQ8_0::zeroed(); TILE_ROWS + 1];
    let x = vec![BlockQ8_0::zeroed(); 1];
    let mut out = vec![0.0; TILE_ROWS + 1];
    (k.q8_0_tile)(&w, &x, 1, &mut out);
}
