//! Small Llama-family models built in memory for the recipe tests.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Arc;

use edgebench_kernels::gguf::{ArrayValue, GgufFile, GgufWriter, Value};
use edgebench_kernels::model::{ModelConfig, Tensor, TensorSet};
use edgebench_kernels::quant::GgmlType;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The shape of a test model.
#[derive(Debug, Clone)]
pub struct Spec {
    pub arch: &'static str,
    pub n_embd: usize,
    pub n_layer: usize,
    pub n_head: usize,
    pub n_head_kv: usize,
    pub n_ff: usize,
    pub n_vocab: usize,
}

impl Spec {
    /// n_embd 256, 2 layers, 8 heads of 32 in 2 kv groups, n_ff 128.
    pub fn gqa() -> Self {
        Spec {
            arch: "llama",
            n_embd: 256,
            n_layer: 2,
            n_head: 8,
            n_head_kv: 2,
            n_ff: 128,
            n_vocab: 64,
        }
    }

    pub fn head_dim(&self) -> usize {
        self.n_embd / self.n_head
    }
}

/// f32 values of every tensor before they are stored, editable by tests.
pub struct Draft {
    pub spec: Spec,
    /// name → (dims innermost first, values)
    pub tensors: BTreeMap<String, (Vec<usize>, Vec<f32>)>,
}

/// A model as the loader would see it.
pub struct Model {
    pub file: Arc<GgufFile>,
    pub config: ModelConfig,
    pub tensors: TensorSet,
}

impl Draft {
    /// Random weights (uniform in ±1), norms of ones, biases for qwen2.
    pub fn new(spec: Spec, seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut tensors = BTreeMap::new();
        let (e, hd) = (spec.n_embd, spec.head_dim());
        let (q, kv) = (spec.n_head * hd, spec.n_head_kv * hd);
        let mut add = |name: String, dims: Vec<usize>, ones: bool| {
            let n: usize = dims.iter().product();
            let v = if ones {
                vec![1.0; n]
            } else {
                (0..n).map(|_| rng.random_range(-1.0f32..1.0)).collect()
            };
            tensors.insert(name, (dims, v));
        };
        add("token_embd.weight".into(), vec![e, spec.n_vocab], false);
        add("output_norm.weight".into(), vec![e], true);
        add("output.weight".into(), vec![e, spec.n_vocab], false);
        for l in 0..spec.n_layer {
            let b = |s: &str| format!("blk.{l}.{s}");
            add(b("attn_norm.weight"), vec![e], true);
            add(b("attn_q.weight"), vec![e, q], false);
            add(b("attn_k.weight"), vec![e, kv], false);
            add(b("attn_v.weight"), vec![e, kv], false);
            add(b("attn_output.weight"), vec![q, e], false);
            if spec.arch == "qwen2" {
                add(b("attn_q.bias"), vec![q], false);
                add(b("attn_k.bias"), vec![kv], false);
                add(b("attn_v.bias"), vec![kv], false);
            }
            add(b("ffn_norm.weight"), vec![e], true);
            add(b("ffn_gate.weight"), vec![e, spec.n_ff], false);
            add(b("ffn_up.weight"), vec![e, spec.n_ff], false);
            add(b("ffn_down.weight"), vec![spec.n_ff, e], false);
        }
        Draft { spec, tensors }
    }

    /// Mutable values of `name`.
    pub fn values(&mut self, name: &str) -> &mut Vec<f32> {
        &mut self.tensors.get_mut(name).expect("tensor in the draft").1
    }

    /// Multiplies query head `head` of block `layer` (its attn_q rows and
    /// attn_output columns) by `factor`.
    pub fn scale_head(&mut self, layer: usize, head: usize, factor: f32) {
        let (e, hd) = (self.spec.n_embd, self.spec.head_dim());
        let q_dim = self.spec.n_head * hd;
        let q = self.values(&format!("blk.{layer}.attn_q.weight"));
        for v in &mut q[head * hd * e..(head + 1) * hd * e] {
            *v *= factor;
        }
        let o = self.values(&format!("blk.{layer}.attn_output.weight"));
        for row in o.chunks_exact_mut(q_dim) {
            for v in &mut row[head * hd..(head + 1) * hd] {
                *v *= factor;
            }
        }
    }

    /// Stores the matrices in `matrices`, the rest in f32, and loads the
    /// result as the kernel would.
    pub fn build(&self, matrices: GgmlType) -> Model {
        let bytes = self.gguf_bytes(matrices);
        let file = Arc::new(GgufFile::from_bytes(bytes).expect("valid GGUF"));
        let config = ModelConfig::from_gguf(&file).expect("valid config");
        let tensors = TensorSet::from_gguf(&file);
        Model {
            file,
            config,
            tensors,
        }
    }

    /// The GGUF file: llama-style metadata, a tokenizer and the tensors in
    /// draft order (global tensors, then blocks).
    pub fn gguf_bytes(&self, matrices: GgmlType) -> Vec<u8> {
        let s = &self.spec;
        let a = s.arch;
        let mut w = GgufWriter::new();
        let md = [
            ("general.architecture".to_owned(), Value::String(a.into())),
            ("general.name".to_owned(), Value::String("tiny".into())),
            (format!("{a}.context_length"), Value::U32(128)),
            (format!("{a}.embedding_length"), Value::U32(s.n_embd as u32)),
            (format!("{a}.block_count"), Value::U32(s.n_layer as u32)),
            (
                format!("{a}.feed_forward_length"),
                Value::U32(s.n_ff as u32),
            ),
            (
                format!("{a}.attention.head_count"),
                Value::U32(s.n_head as u32),
            ),
            (
                format!("{a}.attention.head_count_kv"),
                Value::U32(s.n_head_kv as u32),
            ),
            (format!("{a}.rope.freq_base"), Value::F32(10_000.0)),
            (
                format!("{a}.attention.layer_norm_rms_epsilon"),
                Value::F32(1e-5),
            ),
            ("general.file_type".to_owned(), Value::U32(0)),
            (
                "tokenizer.ggml.model".to_owned(),
                Value::String("gpt2".into()),
            ),
            (
                "tokenizer.ggml.tokens".to_owned(),
                Value::Array(ArrayValue::String(
                    (0..s.n_vocab).map(|i| format!("t{i}")).collect(),
                )),
            ),
        ];
        for (k, v) in md {
            w.add_metadata(k, v).unwrap();
        }
        let mut names: Vec<&String> = self.tensors.keys().collect();
        // Global tensors first, blocks in numeric order, like converters do.
        names.sort_by_key(|n| (n.starts_with("blk."), n.len(), n.as_str()));
        let mut owned = Vec::new();
        for name in names {
            let (dims, values) = &self.tensors[name];
            let dtype = if dims.len() == 2 {
                matrices
            } else {
                GgmlType::F32
            };
            let t = Tensor::from_f32(name, dtype, dims.clone(), values).unwrap();
            owned.push((name.clone(), dims.clone(), t));
        }
        for (name, dims, t) in &owned {
            let d: Vec<u64> = dims.iter().map(|&x| x as u64).collect();
            w.add_tensor(name.as_str(), &d, t.dtype(), t.bytes().to_vec())
                .unwrap();
        }
        let mut out = Vec::new();
        w.write_to(&mut out).unwrap();
        out
    }
}

/// The tensor `name` of `set` as f32.
pub fn f32_of(set: &TensorSet, name: &str) -> Vec<f32> {
    set.require(name).unwrap().to_f32(name).unwrap()
}

/// A path in the temp dir, removed on drop.
pub struct TempPath(pub std::path::PathBuf);

impl TempPath {
    /// `edgebench-recipe-<pid>-<tag>.gguf` in the temp dir.
    pub fn new(tag: &str) -> Self {
        TempPath(std::env::temp_dir().join(format!(
            "edgebench-recipe-{}-{tag}.gguf",
            std::process::id()
        )))
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// `s` parsed as a recipe.
pub fn recipe(s: &str) -> edgebench_kernels::recipe::Recipe {
    s.parse().expect("a valid recipe")
}
