//! Small random Llama-family models built in memory as GGUF files, shared by
//! the forward-pass tests.

#![allow(dead_code)]

use std::sync::Arc;

use edgebench_kernels::gguf::{GgufFile, GgufWriter, Value};
use edgebench_kernels::quant::{self, GgmlType};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// What to build.
#[derive(Debug, Clone)]
pub struct Spec {
    pub arch: &'static str,
    pub n_embd: usize,
    pub n_layer: usize,
    pub n_head: usize,
    pub n_head_kv: usize,
    pub n_ff: usize,
    pub n_vocab: usize,
    pub context: usize,
    /// `rope.dimension_count`; the head width when `None`.
    pub rope_dim: Option<usize>,
    pub rope_freqs: bool,
    /// `rope.scaling.type = linear` with this factor.
    pub linear_scaling: Option<f32>,
    pub tied: bool,
    /// Format of every weight matrix.
    pub dtype: GgmlType,
    pub seed: u64,
}

impl Spec {
    /// n_embd 64, 2 layers, 4 heads over 2 KV heads, ff 160, vocab 96.
    pub fn small(arch: &'static str, dtype: GgmlType, tied: bool) -> Self {
        Spec {
            arch,
            n_embd: 64,
            n_layer: 2,
            n_head: 4,
            n_head_kv: 2,
            n_ff: 160,
            n_vocab: 96,
            context: 64,
            rope_dim: None,
            rope_freqs: false,
            linear_scaling: None,
            tied,
            dtype,
            seed: 7,
        }
    }

    pub fn head_dim(&self) -> usize {
        self.n_embd / self.n_head
    }
}

/// A tensor before it is written: name, dims (innermost first), format, bytes.
#[derive(Debug, Clone)]
pub struct RawTensor {
    pub name: String,
    pub dims: Vec<u64>,
    pub dtype: GgmlType,
    pub bytes: Vec<u8>,
}

/// Metadata and tensors of a model, editable before writing.
#[derive(Debug, Clone)]
pub struct Parts {
    pub metadata: Vec<(String, Value)>,
    pub tensors: Vec<RawTensor>,
}

impl Parts {
    pub fn file(&self) -> Arc<GgufFile> {
        let mut w = GgufWriter::new();
        for (k, v) in &self.metadata {
            w.add_metadata(k.clone(), v.clone()).unwrap();
        }
        for t in &self.tensors {
            w.add_tensor(t.name.clone(), &t.dims, t.dtype, t.bytes.clone())
                .unwrap();
        }
        let mut bytes = Vec::new();
        w.write_to(&mut bytes).unwrap();
        Arc::new(GgufFile::from_bytes(bytes).unwrap())
    }

    pub fn remove(&mut self, name: &str) {
        let before = self.tensors.len();
        self.tensors.retain(|t| t.name != name);
        assert_eq!(before, self.tensors.len() + 1, "no tensor {name}");
    }

    pub fn tensor_mut(&mut self, name: &str) -> &mut RawTensor {
        self.tensors.iter_mut().find(|t| t.name == name).unwrap()
    }
}

fn encode(dtype: GgmlType, values: &[f32]) -> Vec<u8> {
    let mut out = vec![0u8; quant::quantized_len(dtype, values.len()).unwrap()];
    quant::quantize(dtype, values, &mut out).unwrap();
    out
}

/// The model of `spec` with random weights.
pub fn build(spec: &Spec) -> Parts {
    let mut rng = StdRng::seed_from_u64(spec.seed);
    let hd = spec.head_dim();
    let rope_dim = spec.rope_dim.unwrap_or(hd);
    let a = spec.arch;
    let u32v = |v: usize| Value::U32(v as u32);
    let mut metadata = vec![
        ("general.architecture".to_owned(), Value::String(a.into())),
        (format!("{a}.embedding_length"), u32v(spec.n_embd)),
        (format!("{a}.block_count"), u32v(spec.n_layer)),
        (format!("{a}.feed_forward_length"), u32v(spec.n_ff)),
        (format!("{a}.attention.head_count"), u32v(spec.n_head)),
        (format!("{a}.attention.head_count_kv"), u32v(spec.n_head_kv)),
        (format!("{a}.context_length"), u32v(spec.context)),
        (format!("{a}.rope.dimension_count"), u32v(rope_dim)),
        (
            format!("{a}.attention.layer_norm_rms_epsilon"),
            Value::F32(1e-5),
        ),
        (format!("{a}.rope.freq_base"), Value::F32(10_000.0)),
    ];
    if let Some(f) = spec.linear_scaling {
        metadata.push((
            format!("{a}.rope.scaling.type"),
            Value::String("linear".into()),
        ));
        metadata.push((format!("{a}.rope.scaling.factor"), Value::F32(f)));
    }

    let mut tensors = Vec::new();
    let mut add = |name: String, dims: Vec<usize>, dtype: GgmlType, values: Vec<f32>| {
        tensors.push(RawTensor {
            name,
            dims: dims.iter().map(|&d| d as u64).collect(),
            dtype,
            bytes: encode(dtype, &values),
        });
    };
    let mut uniform = |n: usize, lo: f32, hi: f32| -> Vec<f32> {
        (0..n).map(|_| rng.random_range(lo..hi)).collect()
    };
    let (e, qd, kvd, ff, nv) = (
        spec.n_embd,
        spec.n_head * hd,
        spec.n_head_kv * hd,
        spec.n_ff,
        spec.n_vocab,
    );
    let mut matrix = |cols: usize, rows: usize| {
        let s = (3.0 / cols as f32).sqrt();
        uniform(cols * rows, -s, s)
    };
    let mut parts = Vec::new();
    parts.push(("token_embd.weight".to_owned(), vec![e, nv], matrix(e, nv)));
    if !spec.tied {
        parts.push(("output.weight".to_owned(), vec![e, nv], matrix(e, nv)));
    }
    for l in 0..spec.n_layer {
        let n = |s: &str| format!("blk.{l}.{s}.weight");
        parts.push((n("attn_q"), vec![e, qd], matrix(e, qd)));
        parts.push((n("attn_k"), vec![e, kvd], matrix(e, kvd)));
        parts.push((n("attn_v"), vec![e, kvd], matrix(e, kvd)));
        parts.push((n("attn_output"), vec![qd, e], matrix(qd, e)));
        parts.push((n("ffn_gate"), vec![e, ff], matrix(e, ff)));
        parts.push((n("ffn_up"), vec![e, ff], matrix(e, ff)));
        parts.push((n("ffn_down"), vec![ff, e], matrix(ff, e)));
    }
    for (name, dims, values) in parts {
        add(name, dims, spec.dtype, values);
    }
    let mut rng = StdRng::seed_from_u64(spec.seed ^ 0x5eed);
    let mut uniform = |n: usize, lo: f32, hi: f32| -> Vec<f32> {
        (0..n).map(|_| rng.random_range(lo..hi)).collect()
    };
    add(
        "output_norm.weight".into(),
        vec![e],
        GgmlType::F32,
        uniform(e, 0.8, 1.2),
    );
    if spec.rope_freqs {
        add(
            "rope_freqs.weight".into(),
            vec![rope_dim / 2],
            GgmlType::F32,
            uniform(rope_dim / 2, 1.0, 4.0),
        );
    }
    for l in 0..spec.n_layer {
        let n = |s: &str| format!("blk.{l}.{s}");
        add(
            n("attn_norm.weight"),
            vec![e],
            GgmlType::F32,
            uniform(e, 0.8, 1.2),
        );
        add(
            n("ffn_norm.weight"),
            vec![e],
            GgmlType::F16,
            uniform(e, 0.8, 1.2),
        );
        if spec.arch == "qwen2" {
            add(
                n("attn_q.bias"),
                vec![qd],
                GgmlType::F32,
                uniform(qd, -0.5, 0.5),
            );
            add(
                n("attn_k.bias"),
                vec![kvd],
                GgmlType::F32,
                uniform(kvd, -0.5, 0.5),
            );
            add(
                n("attn_v.bias"),
                vec![kvd],
                GgmlType::F32,
                uniform(kvd, -0.5, 0.5),
            );
        }
    }
    Parts { metadata, tensors }
}

/// Deterministic token ids below `n_vocab`.
pub fn tokens(n: usize, n_vocab: usize, seed: u64) -> Vec<u32> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n)
        .map(|_| rng.random_range(0..n_vocab as u32))
        .collect()
}

/// Largest absolute difference over the largest absolute reference value.
pub fn max_rel_error(got: &[f32], want: &[f32]) -> f32 {
    assert_eq!(got.len(), want.len());
    let scale = want.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let diff = got
        .iter()
        .zip(want)
        .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
    diff / scale
}
