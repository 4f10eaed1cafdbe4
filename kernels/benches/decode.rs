//! One decode step at position 128 and a 128-token prefill on a random
//! model in the SmolLM2-135M shape (576 wide, 30 layers, 9 heads over 3 KV
//! heads, ff 1536, vocabulary 49152, tied embeddings) with an f16 KV cache,
//! in Q8_0 and Q4_0 with the tied embedding at Q8_0 as llama-quantize
//! writes both files, on 1 and 2 threads.
//!
//! `cargo bench -p edgebench-kernels --bench decode`

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use edgebench_kernels::gguf::{ArrayValue, GgufFile, GgufWriter, Value};
use edgebench_kernels::model::{
    KvType, Logits, Model, ModelConfig, Session, SessionOptions, Tensor, TensorSet,
};
use edgebench_kernels::quant::GgmlType;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

const N_EMBD: usize = 576;
const N_LAYER: usize = 30;
const N_HEAD: usize = 9;
const N_HEAD_KV: usize = 3;
const HEAD_DIM: usize = 64;
const N_FF: usize = 1536;
const N_VOCAB: usize = 49152;
const THREADS: [usize; 2] = [1, 2];
const CONTEXT: usize = 256;

fn config() -> ModelConfig {
    let u32v = |v: usize| Value::U32(v as u32);
    let mut w = GgufWriter::new();
    let meta = [
        ("general.architecture", Value::String("llama".into())),
        ("llama.embedding_length", u32v(N_EMBD)),
        ("llama.block_count", u32v(N_LAYER)),
        ("llama.feed_forward_length", u32v(N_FF)),
        ("llama.attention.head_count", u32v(N_HEAD)),
        ("llama.attention.head_count_kv", u32v(N_HEAD_KV)),
        ("llama.context_length", u32v(8192)),
        ("llama.rope.freq_base", Value::F32(100_000.0)),
        (
            "tokenizer.ggml.tokens",
            Value::Array(ArrayValue::String(vec![String::new(); N_VOCAB])),
        ),
    ];
    for (k, v) in meta {
        w.add_metadata(k, v).unwrap();
    }
    let mut bytes = Vec::new();
    w.write_to(&mut bytes).unwrap();
    ModelConfig::from_gguf(&GgufFile::from_bytes(bytes).unwrap()).unwrap()
}

fn model(dtype: GgmlType) -> Arc<Model> {
    let mut rng = SmallRng::seed_from_u64(1);
    let mut set = TensorSet::new();
    let mut add = |name: String, dims: Vec<usize>, dtype: GgmlType, scale: f32| {
        let n: usize = dims.iter().product();
        let values: Vec<f32> = (0..n).map(|_| rng.random_range(-scale..scale)).collect();
        let t = Tensor::from_f32(&name, dtype, dims, &values).unwrap();
        set.insert(name, t);
    };
    let (q, kv) = (N_HEAD * HEAD_DIM, N_HEAD_KV * HEAD_DIM);
    add(
        "token_embd.weight".into(),
        vec![N_EMBD, N_VOCAB],
        GgmlType::Q8_0,
        1.0,
    );
    add(
        "output_norm.weight".into(),
        vec![N_EMBD],
        GgmlType::F32,
        1.0,
    );
    for l in 0..N_LAYER {
        let n = |s: &str| format!("blk.{l}.{s}.weight");
        let s = |cols: usize| (3.0 / cols as f32).sqrt();
        add(n("attn_norm"), vec![N_EMBD], GgmlType::F32, 1.0);
        add(n("ffn_norm"), vec![N_EMBD], GgmlType::F32, 1.0);
        add(n("attn_q"), vec![N_EMBD, q], dtype, s(N_EMBD));
        add(n("attn_k"), vec![N_EMBD, kv], dtype, s(N_EMBD));
        add(n("attn_v"), vec![N_EMBD, kv], dtype, s(N_EMBD));
        add(n("attn_output"), vec![q, N_EMBD], dtype, s(q));
        add(n("ffn_gate"), vec![N_EMBD, N_FF], dtype, s(N_EMBD));
        add(n("ffn_up"), vec![N_EMBD, N_FF], dtype, s(N_EMBD));
        add(n("ffn_down"), vec![N_FF, N_EMBD], dtype, s(N_FF));
    }
    Arc::new(Model::from_tensors(config(), &set).unwrap())
}

fn tokens(n: usize) -> Vec<u32> {
    let mut rng = SmallRng::seed_from_u64(2);
    (0..n)
        .map(|_| rng.random_range(0..N_VOCAB as u32))
        .collect()
}

fn decode(c: &mut Criterion) {
    let prompt = tokens(128);
    for dtype in [GgmlType::Q8_0, GgmlType::Q4_0] {
        let m = model(dtype);
        let mut g = c.benchmark_group(format!("decode/{}", dtype.name()));
        g.sample_size(10).warm_up_time(Duration::from_millis(500));
        g.throughput(Throughput::Elements(1));
        for threads in THREADS {
            let options = SessionOptions::new(CONTEXT)
                .kv_type(KvType::F16)
                .threads(threads);
            let mut s = Session::new(Arc::clone(&m), &options).unwrap();
            s.forward(&prompt, Logits::Last).unwrap();
            let id = BenchmarkId::new("pos128", format!("{threads}t"));
            g.bench_function(id, |b| {
                b.iter(|| {
                    s.truncate(128);
                    black_box(s.forward(&[prompt[0]], Logits::Last).unwrap()[0])
                })
            });
        }
        g.finish();

        let mut g = c.benchmark_group(format!("prefill/{}", dtype.name()));
        g.sample_size(10).warm_up_time(Duration::from_millis(500));
        g.throughput(Throughput::Elements(prompt.len() as u64));
        for threads in THREADS {
            let options = SessionOptions::new(CONTEXT)
                .kv_type(KvType::F16)
                .threads(threads);
            let mut s = Session::new(Arc::clone(&m), &options).unwrap();
            let id = BenchmarkId::new("128", format!("{threads}t"));
            g.bench_function(id, |b| {
                b.iter(|| {
                    s.reset();
                    black_box(s.forward(&prompt, Logits::Last).unwrap()[0])
                })
            });
        }
        g.finish();
    }
}

criterion_group!(benches, decode);
criterion_main!(benches);
