//! Panel kernels (eight interleaved weight rows × up to four activation
//! rows) of every instruction-set level: against the scalar reference, and,
//! for the levels that repack models into panels, bit-identical to the same
//! level's row tiles on the rows they repack; on odd block counts and
//! extreme quants.

use bytemuck::Zeroable;
use edgebench_kernels::ops::{DotKernels, Isa};
use edgebench_kernels::quant::{
    BlockQ4_0, BlockQ8_0, F16Bytes, PANEL_ROWS, QK, pack_q4_0, pack_q8_0, quantize_q4_0,
    quantize_q8_0,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const BLOCK_COUNTS: [usize; 7] = [1, 2, 3, 5, 17, 18, 48];

fn levels() -> Vec<DotKernels> {
    Isa::available()
        .into_iter()
        .map(|i| DotKernels::for_isa(i).expect("an available level has a table"))
        .collect()
}

fn random(rng: &mut StdRng, n: usize, extreme: bool) -> Vec<f32> {
    (0..n)
        .map(|i| {
            let v: f32 = rng.random_range(-1.0..1.0);
            if extreme && i % 32 == 0 {
                1e4 * v.signum()
            } else {
                v
            }
        })
        .collect()
}

fn q8(x: &[f32]) -> Vec<BlockQ8_0> {
    let mut b = vec![BlockQ8_0::zeroed(); x.len() / QK];
    quantize_q8_0(x, &mut b);
    b
}

fn sums(x: &[BlockQ8_0]) -> Vec<i32> {
    x.iter()
        .map(|b| b.qs.iter().map(|&q| i32::from(q)).sum())
        .collect()
}

/// The row tile kernel applied to the eight rows in two tiles of four.
fn by_rows<W>(
    rows: &[W],
    x: &[BlockQ8_0],
    nb: usize,
    tile: fn(&[W], &[BlockQ8_0], usize, &mut [f32]),
) -> Vec<f32> {
    let batch = x.len() / nb;
    let mut out = vec![0.0; PANEL_ROWS * batch];
    for half in 0..2 {
        let mut part = vec![0.0; 4 * batch];
        tile(&rows[half * 4 * nb..(half + 1) * 4 * nb], x, nb, &mut part);
        for i in 0..batch {
            out[i * 8 + half * 4..][..4].copy_from_slice(&part[i * 4..][..4]);
        }
    }
    out
}

/// Σ |w·x| per output (activation-major, eight rows): the scale of the
/// rounding differences between accumulation orders.
fn magnitude(w: &[[i32; QK]], dw: &[f32], x: &[BlockQ8_0], nb: usize) -> Vec<f32> {
    let batch = x.len() / nb;
    let mut out = vec![0.0; PANEL_ROWS * batch];
    for i in 0..batch {
        for r in 0..PANEL_ROWS {
            for b in 0..nb {
                let xb = &x[i * nb + b];
                let s: i32 = (0..QK)
                    .map(|e| (w[r * nb + b][e] * i32::from(xb.qs[e])).abs())
                    .sum();
                out[i * 8 + r] += s as f32 * (dw[r * nb + b] * xb.d.to_f32()).abs();
            }
        }
    }
    out
}

fn close(what: &str, got: &[f32], want: &[f32], scale: &[f32]) {
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let tol = 1e-5 * scale[i].max(1.0);
        assert!(
            (g - w).abs() <= tol,
            "{what}: out[{i}] = {g}, reference {w}\n got {got:?}\nwant {want:?}"
        );
    }
}

#[test]
fn q8_0_panels_match_the_reference_and_the_row_tiles() {
    let mut rng = StdRng::seed_from_u64(21);
    for &nb in &BLOCK_COUNTS {
        for extreme in [false, true] {
            let mut rows = q8(&random(&mut rng, PANEL_ROWS * nb * QK, extreme));
            if extreme {
                // Quants at both ends, and a zero scale.
                rows[0].qs = [-127; QK];
                rows[nb].qs = [127; QK];
                rows[2 * nb].d = F16Bytes::from_f32(0.0);
            }
            let panel = pack_q8_0(&rows, PANEL_ROWS, nb);
            for batch in 1..=4 {
                let mut x = q8(&random(&mut rng, batch * nb * QK, extreme));
                if extreme {
                    x[0].qs = [-128; QK];
                }
                let mut want = vec![0.0; PANEL_ROWS * batch];
                (DotKernels::SCALAR.q8_0_panel)(&panel, &x, nb, &mut want);
                let qs: Vec<[i32; QK]> = rows.iter().map(|b| b.qs.map(i32::from)).collect();
                let dw: Vec<f32> = rows.iter().map(|b| b.d.to_f32()).collect();
                let scale = magnitude(&qs, &dw, &x, nb);
                close(
                    "scalar panel vs scalar rows",
                    &want,
                    &by_rows(&rows, &x, nb, DotKernels::SCALAR.q8_0_tile),
                    &scale,
                );
                for k in levels() {
                    let mut got = vec![f32::NAN; PANEL_ROWS * batch];
                    (k.q8_0_panel)(&panel, &x, nb, &mut got);
                    let what = format!("{} q8_0 nb {nb} batch {batch}", k.isa);
                    close(&what, &got, &want, &scale);
                    if k.prefers_panels {
                        assert_eq!(
                            got,
                            by_rows(&rows, &x, nb, k.q8_0_tile),
                            "{what}: panel vs tiles"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn q4_0_panels_match_the_reference_and_the_row_tiles() {
    let mut rng = StdRng::seed_from_u64(22);
    for &nb in &BLOCK_COUNTS {
        for extreme in [false, true] {
            let w = random(&mut rng, PANEL_ROWS * nb * QK, extreme);
            let mut rows = vec![BlockQ4_0::zeroed(); PANEL_ROWS * nb];
            quantize_q4_0(&w, &mut rows);
            if extreme {
                rows[0].qs = [0x00; 16];
                rows[nb].qs = [0xFF; 16];
            }
            let panel = pack_q4_0(&rows, PANEL_ROWS, nb);
            for batch in 1..=4 {
                let mut x = q8(&random(&mut rng, batch * nb * QK, extreme));
                if extreme {
                    x[0].qs = [-128; QK];
                    x[batch * nb - 1].qs = [127; QK];
                }
                let s = sums(&x);
                let mut want = vec![0.0; PANEL_ROWS * batch];
                (DotKernels::SCALAR.q4_0_panel)(&panel, &x, &s, nb, &mut want);
                let qs: Vec<[i32; QK]> = rows
                    .iter()
                    .map(|b| {
                        std::array::from_fn(|e| {
                            let byte = b.qs[e % 16];
                            i32::from(if e < 16 { byte & 0x0F } else { byte >> 4 }) - 8
                        })
                    })
                    .collect();
                let dw: Vec<f32> = rows.iter().map(|b| b.d.to_f32()).collect();
                let scale = magnitude(&qs, &dw, &x, nb);
                close(
                    "scalar panel vs scalar rows",
                    &want,
                    &by_rows(&rows, &x, nb, DotKernels::SCALAR.q4_0_tile),
                    &scale,
                );
                for k in levels() {
                    let mut got = vec![f32::NAN; PANEL_ROWS * batch];
                    (k.q4_0_panel)(&panel, &x, &s, nb, &mut got);
                    let what = format!("{} q4_0 nb {nb} batch {batch}", k.isa);
                    close(&what, &got, &want, &scale);
                    if k.prefers_panels {
                        assert_eq!(
                            got,
                            by_rows(&rows, &x, nb, k.q4_0_tile),
                            "{what}: panel vs tiles"
                        );
                    }
                }
            }
        }
    }
}

#[test]
#[should_panic(expected = "one sum per activation block")]
fn q4_0_panels_need_every_sum() {
    let panel = pack_q4_0(&[BlockQ4_0::zeroed(); 8], 8, 1);
    let x = [BlockQ8_0::zeroed(); 2];
    (DotKernels::best().q4_0_panel)(&panel, &x, &[0], 1, &mut [0.0; 16]);
}
