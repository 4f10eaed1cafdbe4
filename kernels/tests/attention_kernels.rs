//! Every instruction-set level's attention and SwiGLU kernels against the
//! scalar reference: grouped heads (more than a register block of them),
//! head widths on and off the SIMD width, f32 and f16 cache rows with a
//! stride, context lengths from one position up, and gates far into
//! both tails of the exponential.

use edgebench_kernels::ops::{DotKernels, HeadQueries, Isa, KvHead};
use half::f16;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn levels() -> Vec<DotKernels> {
    Isa::available()
        .into_iter()
        .filter(|&i| i != Isa::Scalar)
        .map(|i| DotKernels::for_isa(i).expect("an available level has a table"))
        .collect()
}

fn random(rng: &mut StdRng, n: usize, scale: f32) -> Vec<f32> {
    (0..n)
        .map(|_| rng.random_range(-1.0f32..1.0) * scale)
        .collect()
}

/// Cache bytes of `n_ctx` positions × `n_kv` heads of `hd` values.
fn cache(values: &[f32], f16_rows: bool) -> Vec<u8> {
    if f16_rows {
        values
            .iter()
            .flat_map(|&v| f16::from_f32(v).to_le_bytes())
            .collect()
    } else {
        values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }
}

#[test]
fn attention_matches_the_reference() {
    let mut rng = StdRng::seed_from_u64(31);
    let (mut same, mut total) = (0usize, 0usize);
    for k in levels() {
        for hd in [8, 12, 16, 64, 128] {
            for heads in [1, 3, 4, 6] {
                for n_ctx in [1, 2, 7, 33, 200] {
                    for f16_rows in [false, true] {
                        let n_kv = 2;
                        let elem = if f16_rows { 2 } else { 4 };
                        let kvals = random(&mut rng, n_ctx * n_kv * hd, 1.0);
                        let vvals = random(&mut rng, n_ctx * n_kv * hd, 2.0);
                        let (kb, vb) = (cache(&kvals, f16_rows), cache(&vvals, f16_rows));
                        let q = random(&mut rng, heads * hd, 3.0);
                        // The second key/value head: rows at an offset, with
                        // the stride of two heads.
                        let at = hd * elem;
                        let stride = n_kv * hd * elem;
                        let keys = KvHead {
                            bytes: &kb[at..],
                            stride,
                        };
                        let values = KvHead {
                            bytes: &vb[at..],
                            stride,
                        };
                        let queries = HeadQueries {
                            q: &q,
                            head_dim: hd,
                            scale: 1.0 / (hd as f32).sqrt(),
                        };
                        let run = |t: &DotKernels| {
                            let mut scores = vec![f32::NAN; heads * n_ctx];
                            let mut out = vec![f32::NAN; heads * hd];
                            let f = if f16_rows { t.attend_f16 } else { t.attend_f32 };
                            f(queries, keys, values, n_ctx, &mut scores, &mut out);
                            out
                        };
                        let (got, want) = (run(&k), run(&DotKernels::SCALAR));
                        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                            // Bit for bit (checked below); a bound first,
                            // for a readable failure.
                            assert!(
                                (g - w).abs() <= 1e-6 * w.abs() + 1e-7,
                                "{} hd {hd} heads {heads} n_ctx {n_ctx} f16 {f16_rows}: out[{i}] = {g}, reference {w}",
                                k.isa
                            );
                        }
                        same += got.iter().zip(&want).filter(|(g, w)| g == w).count();
                        total += got.len();
                    }
                }
            }
        }
    }
    assert!(
        same * 100 >= total * 99,
        "{same} of {total} outputs identical"
    );
}

#[test]
fn swiglu_matches_the_reference_across_the_exponential() {
    let mut rng = StdRng::seed_from_u64(32);
    let mut gate: Vec<f32> = random(&mut rng, 1000, 8.0);
    gate.extend([
        0.0,
        -0.0,
        1e-30,
        -1e-30,
        20.0,
        -20.0,
        87.0,
        -87.0,
        88.5,
        -88.5,
        100.0,
        -100.0,
        1e30,
        -1e30,
        f32::MAX,
        -f32::MAX,
        3.5,
        -3.5,
    ]);
    // Every 97th float from -110 to 110: the whole range of the exponential.
    let mut bits = (-110.0f32).to_bits();
    while f32::from_bits(bits) < -1e-30 {
        gate.push(f32::from_bits(bits));
        bits -= 97;
    }
    let mut bits = 1e-30f32.to_bits();
    while f32::from_bits(bits) < 110.0 {
        gate.push(f32::from_bits(bits));
        bits += 97;
    }
    let up = random(&mut rng, gate.len(), 2.0);
    for k in levels() {
        let (mut got, mut want) = (gate.clone(), gate.clone());
        (k.swiglu)(&mut got, &up);
        (DotKernels::SCALAR.swiglu)(&mut want, &up);
        let mut differ = 0;
        for (i, (&g, &w)) in got.iter().zip(&want).enumerate() {
            if g == w || (g.is_nan() && w.is_nan()) {
                continue;
            }
            differ += 1;
            // At most the last bit of exp, carried through one division.
            let tol = 2.0 * f32::EPSILON * w.abs() + f32::MIN_POSITIVE;
            assert!(
                (g - w).abs() <= tol,
                "{} gate {} up {}: {g} vs reference {w}",
                k.isa,
                gate[i],
                up[i]
            );
        }
        // The C library's expf is within 0.502 ulp, ours within ~1e-8 ulp of
        // the exact value: they part on about one input in 10⁴.
        assert!(
            differ * 1000 <= gate.len(),
            "{}: {differ} of {} differ",
            k.isa,
            gate.len()
        );
        println!(
            "{}: {differ} of {} differ from f32::exp's",
            k.isa,
            gate.len()
        );
    }
}
