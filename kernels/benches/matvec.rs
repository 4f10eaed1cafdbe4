//! Matrix-vector throughput per weight format against a STREAM-style triad
//! (the memory bandwidth ceiling) on SmolLM2-135M's shapes (Q|K|V 960×576,
//! attention out 576×576, gate|up 3072×576, down 576×1536, output
//! 49152×576) and a large matrix, prefill matmul, and the thread pool's
//! per-call overhead. Q8_0 and Q4_0 also run repacked into panels
//! (`-panels`), as models are loaded on CPUs whose kernels prefer them.
//!
//! `cargo bench -p edgebench-kernels --bench matvec`

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use edgebench_kernels::ops::{Matmul, ThreadPool, WeightMatrix};
use edgebench_kernels::quant::{
    BlockQ4_0, BlockQ4_1, BlockQ8_0, GgmlType, QK, pack_q4_0, pack_q8_0, quantize_q4_0,
    quantize_q4_1, quantize_q8_0,
};
use half::{bf16, f16};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::hint::black_box;
use std::time::Duration;

const FORMATS: [GgmlType; 6] = [
    GgmlType::F32,
    GgmlType::F16,
    GgmlType::BF16,
    GgmlType::Q8_0,
    GgmlType::Q4_0,
    GgmlType::Q4_1,
];
const THREADS: [usize; 2] = [1, 2];

fn random(seed: u64, n: usize) -> Vec<f32> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n).map(|_| rng.random_range(-1.0f32..1.0)).collect()
}

fn encode(dtype: GgmlType, w: &[f32]) -> Vec<u8> {
    fn blocks<B: bytemuck::Pod>(w: &[f32], q: fn(&[f32], &mut [B])) -> Vec<u8> {
        let mut b = vec![B::zeroed(); w.len() / QK];
        q(w, &mut b);
        bytemuck::cast_slice(&b).to_vec()
    }
    match dtype {
        GgmlType::F32 => bytemuck::cast_slice(w).to_vec(),
        GgmlType::F16 => w
            .iter()
            .flat_map(|&v| f16::from_f32(v).to_le_bytes())
            .collect(),
        GgmlType::BF16 => w
            .iter()
            .flat_map(|&v| bf16::from_f32(v).to_le_bytes())
            .collect(),
        GgmlType::Q8_0 => blocks::<BlockQ8_0>(w, quantize_q8_0),
        GgmlType::Q4_0 => blocks::<BlockQ4_0>(w, quantize_q4_0),
        GgmlType::Q4_1 => blocks::<BlockQ4_1>(w, quantize_q4_1),
        other => unreachable!("{other} is not a compute format"),
    }
}

/// Row-major Q8_0 or Q4_0 bytes (`rows × cols`) repacked into panels.
fn panels(dtype: GgmlType, bytes: &[u8], rows: usize, cols: usize) -> Vec<u8> {
    let nb = cols / QK;
    match dtype {
        GgmlType::Q8_0 => {
            bytemuck::cast_slice(&pack_q8_0(bytemuck::cast_slice(bytes), rows, nb)).to_vec()
        }
        _ => bytemuck::cast_slice(&pack_q4_0(bytemuck::cast_slice(bytes), rows, nb)).to_vec(),
    }
}

/// The formats of a group: each compute format, and Q8_0 and Q4_0 again as
/// panels.
fn layouts(wf: &[f32], rows: usize, cols: usize) -> Vec<(String, GgmlType, bool, Vec<u8>)> {
    let mut out = Vec::new();
    for dtype in FORMATS {
        let bytes = encode(dtype, wf);
        if matches!(dtype, GgmlType::Q8_0 | GgmlType::Q4_0) {
            let packed = panels(dtype, &bytes, rows, cols);
            out.push((format!("{}-panels", dtype.name()), dtype, true, packed));
        }
        out.push((dtype.name().to_owned(), dtype, false, bytes));
    }
    out
}

fn matvec(c: &mut Criterion) {
    let mut drivers: Vec<Matmul> = THREADS.iter().map(|&t| Matmul::new(t).unwrap()).collect();
    let shapes = [
        (960, 576, 2),
        (576, 576, 2),
        (3072, 576, 2),
        (576, 1536, 2),
        (49152, 576, 3),
        (8192, 8192, 4),
    ];
    for (rows, cols, secs) in shapes {
        let mut g = c.benchmark_group(format!("matvec/{rows}x{cols}"));
        g.sample_size(10)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(secs));
        let wf = random(1, rows * cols);
        let x = random(2, cols);
        let mut y = vec![0.0f32; rows];
        for (name, dtype, packed, bytes) in layouts(&wf, rows, cols) {
            let w = if packed {
                WeightMatrix::panels(dtype, rows, cols, &bytes).unwrap()
            } else {
                WeightMatrix::new(dtype, rows, cols, &bytes).unwrap()
            };
            g.throughput(Throughput::Bytes(bytes.len() as u64));
            for m in &mut drivers {
                let id = BenchmarkId::new(&name, format!("{}t", m.threads()));
                g.bench_function(id, |b| {
                    b.iter(|| m.matvec(&w, black_box(&x), &mut y).unwrap())
                });
            }
        }
        g.finish();
    }
}

fn prefill(c: &mut Criterion) {
    let (rows, cols, n) = (576, 1536, 128);
    let mut g = c.benchmark_group(format!("matmul/{rows}x{cols}x{n}"));
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    g.throughput(Throughput::Elements((rows * cols * n) as u64));
    let wf = random(3, rows * cols);
    let x = random(4, n * cols);
    let mut y = vec![0.0f32; n * rows];
    for (name, dtype, packed, bytes) in layouts(&wf, rows, cols) {
        if !matches!(dtype, GgmlType::Q8_0 | GgmlType::Q4_0) {
            continue;
        }
        let w = if packed {
            WeightMatrix::panels(dtype, rows, cols, &bytes).unwrap()
        } else {
            WeightMatrix::new(dtype, rows, cols, &bytes).unwrap()
        };
        for &t in &THREADS {
            let mut m = Matmul::new(t).unwrap();
            let id = BenchmarkId::new(&name, format!("{t}t"));
            g.bench_function(id, |b| {
                b.iter(|| m.matmul(&w, black_box(&x), n, &mut y).unwrap())
            });
        }
    }
    g.finish();
}

/// `a[i] = b[i] + s * c[i]` over arrays far larger than any cache.
fn triad(c: &mut Criterion) {
    let n = 32 << 20;
    let mut g = c.benchmark_group("triad");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(4));
    g.throughput(Throughput::Bytes((3 * 4 * n) as u64));
    let b_arr = random(5, n);
    let c_arr = random(6, n);
    let mut a = vec![0.0f32; n];
    for &t in &THREADS {
        let mut pool = ThreadPool::new(t).unwrap();
        let tile = n / (4 * t);
        g.bench_function(BenchmarkId::new("f32", format!("{t}t")), |bch| {
            bch.iter(|| {
                let s = black_box(3.0f32);
                pool.for_each_column_tile(&mut a, 1, n, tile, &|mut tl| {
                    let st = tl.start();
                    let out = tl.row_mut(0);
                    let (bs, cs) = (&b_arr[st..st + out.len()], &c_arr[st..st + out.len()]);
                    for ((o, &p), &q) in out.iter_mut().zip(bs).zip(cs) {
                        *o = p + s * q;
                    }
                });
            })
        });
    }
    g.finish();
}

/// An empty parallel call: the pool's fixed cost per matvec.
fn pool_overhead(c: &mut Criterion) {
    let mut g = c.benchmark_group("pool/empty_call");
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for t in [1, 2] {
        let mut pool = ThreadPool::new(t).unwrap();
        g.bench_function(BenchmarkId::from_parameter(format!("{t}t")), |b| {
            b.iter(|| {
                pool.run(black_box(t), &|i| {
                    black_box(i);
                })
            })
        });
    }
    g.finish();
}

criterion_group!(benches, pool_overhead, triad, matvec, prefill);
criterion_main!(benches);
