//! [`generate`] and [`write()`]: a whole synthetic model, in memory or as a
//! GGUF file.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::rng::derive_seed;
use super::weights::{self, Init};
use super::{Preset, PresetSpec, SynthError, Vocab};
use crate::gguf::{GgufWriter, Value};
use crate::model::{Arch, ModelConfig, RopeScaling, Tensor, TensorName, TensorRole, TensorSet};
use crate::quant::GgmlType;

/// Most threads used to generate weights.
const MAX_THREADS: usize = 8;

/// A generated model in memory: its hyperparameters, GGUF metadata,
/// tokenizer and f32 tensors.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SynthModel {
    /// The preset it was generated from.
    pub preset: Preset,
    /// The seed it was generated from.
    pub seed: u64,
    /// The hyperparameters, as [`ModelConfig::from_gguf`] reads them back.
    pub config: ModelConfig,
    /// The tokenizer (also in `metadata`).
    pub vocab: Vocab,
    /// Every metadata key-value pair, in file order.
    pub metadata: Vec<(String, Value)>,
    /// The tensors, all f32.
    pub tensors: TensorSet,
    /// Tensor names in file order (llama.cpp's order).
    order: Vec<String>,
}

/// What [`write()`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Written {
    /// Number of weights.
    pub parameters: u64,
    /// Number of tensors.
    pub tensors: usize,
    /// File size in bytes.
    pub bytes: u64,
}

impl SynthModel {
    /// Tensor names in the order they are written.
    pub fn tensor_names(&self) -> &[String] {
        &self.order
    }

    /// A GGUF writer holding the metadata and borrowing the tensor bytes.
    ///
    /// # Errors
    /// [`SynthError::Gguf`] if the writer rejects a key or a tensor.
    pub fn to_writer(&self) -> Result<GgufWriter<'_>, SynthError> {
        let mut w = GgufWriter::new();
        for (k, v) in &self.metadata {
            w.add_metadata(k.clone(), v.clone())?;
        }
        for name in &self.order {
            let t = self.tensors.require(name)?;
            let dims: Vec<u64> = t.dims().iter().map(|&d| d as u64).collect();
            w.add_tensor(name.clone(), &dims, t.dtype(), t.bytes())?;
        }
        Ok(w)
    }

    /// The whole GGUF file in memory.
    ///
    /// # Errors
    /// As [`SynthModel::to_writer`].
    pub fn to_bytes(&self) -> Result<Vec<u8>, SynthError> {
        let mut out = Vec::new();
        self.to_writer()?.write_to(&mut out)?;
        Ok(out)
    }

    /// Writes the GGUF file to `path`; returns its size. The file is written
    /// under a temporary name next to `path` and renamed when complete, so a
    /// failed write never leaves a truncated model at `path`.
    ///
    /// # Errors
    /// [`SynthError::Write`] naming `path`.
    pub fn write_to_path(&self, path: &Path) -> Result<u64, SynthError> {
        let tmp = partial_path(path)?;
        let writer = self.to_writer()?;
        let fail = |source| SynthError::Write {
            path: path.to_owned(),
            source,
        };
        let result = writer
            .write_to_path(&tmp)
            .and_then(|n| std::fs::rename(&tmp, path).map(|()| n).map_err(Into::into));
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result.map_err(fail)
    }
}

/// The temporary name `path` is written under; an error when `path` cannot
/// name a file (a directory, or empty).
fn partial_path(path: &Path) -> Result<PathBuf, SynthError> {
    match path.file_name() {
        Some(name) if !path.is_dir() => {
            let mut name = name.to_owned();
            name.push(".partial");
            Ok(path.with_file_name(name))
        }
        _ => Err(SynthError::Write {
            path: path.to_owned(),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "not a file name (a directory, or empty)",
            )
            .into(),
        }),
    }
}

/// Generates the model of `preset` from `seed`, in memory.
///
/// # Errors
/// [`SynthError::Model`] if the preset's hyperparameters do not validate
/// (a bug in the preset table).
pub fn generate(preset: Preset, seed: u64) -> Result<SynthModel, SynthError> {
    let spec = preset.spec();
    let config = config_of(&spec);
    config.validate()?;
    let vocab = Vocab::train(spec.n_vocab)?;
    let metadata = all_metadata(preset, seed, &vocab);

    let layout = layout(&spec);
    let data = generate_all(&layout, seed);
    let mut tensors = TensorSet::new();
    let mut order = Vec::with_capacity(layout.len());
    for ((name, dims, _), bytes) in layout.into_iter().zip(data) {
        tensors.insert(
            name.clone(),
            Tensor::owned(&name, GgmlType::F32, dims, bytes)?,
        );
        order.push(name);
    }
    Ok(SynthModel {
        preset,
        seed,
        config,
        vocab,
        metadata,
        tensors,
        order,
    })
}

/// The metadata of the model of `preset` from `seed` (hyperparameters and
/// tokenizer), without generating any weights.
///
/// # Errors
/// As [`generate`].
pub fn metadata(preset: Preset, seed: u64) -> Result<Vec<(String, Value)>, SynthError> {
    let vocab = Vocab::train(preset.spec().n_vocab)?;
    Ok(all_metadata(preset, seed, &vocab))
}

fn all_metadata(preset: Preset, seed: u64, vocab: &Vocab) -> Vec<(String, Value)> {
    let mut md = llama_metadata(preset, seed, &preset.spec());
    md.extend(vocab.metadata());
    md
}

/// Generates the model of `preset` from `seed` and writes it to `path`.
///
/// # Errors
/// As [`generate`] and [`SynthModel::write_to_path`].
pub fn write(preset: Preset, seed: u64, path: impl AsRef<Path>) -> Result<Written, SynthError> {
    // Fail before the (possibly long) generation when the path is unusable.
    partial_path(path.as_ref())?;
    let model = generate(preset, seed)?;
    let bytes = model.write_to_path(path.as_ref())?;
    Ok(Written {
        parameters: model.tensors.parameter_count(),
        tensors: model.tensors.len(),
        bytes,
    })
}

fn config_of(spec: &PresetSpec) -> ModelConfig {
    ModelConfig {
        arch: Arch::Llama,
        n_vocab: spec.n_vocab,
        n_embd: spec.n_embd,
        n_layer: spec.n_layer,
        n_ff: spec.n_ff,
        n_head: spec.n_head,
        n_head_kv: spec.n_head_kv,
        head_dim: spec.head_dim(),
        rope_dim: spec.head_dim(),
        context_length: spec.context_length,
        rms_eps: spec.rms_eps,
        rope_freq_base: spec.rope_freq_base,
        rope_scaling: RopeScaling::None,
    }
}

fn llama_metadata(preset: Preset, seed: u64, spec: &PresetSpec) -> Vec<(String, Value)> {
    let u32_of = |v: usize| Value::U32(u32::try_from(v).unwrap_or(u32::MAX));
    let s = |v: &str| Value::String(v.to_owned());
    let md = [
        ("general.architecture", s("llama")),
        ("general.name", s(&format!("edgebench synthetic {preset}"))),
        ("general.file_type", Value::U32(0)),
        ("llama.context_length", u32_of(spec.context_length)),
        ("llama.embedding_length", u32_of(spec.n_embd)),
        ("llama.block_count", u32_of(spec.n_layer)),
        ("llama.feed_forward_length", u32_of(spec.n_ff)),
        ("llama.attention.head_count", u32_of(spec.n_head)),
        ("llama.attention.head_count_kv", u32_of(spec.n_head_kv)),
        (
            "llama.attention.layer_norm_rms_epsilon",
            Value::F32(spec.rms_eps),
        ),
        ("llama.rope.freq_base", Value::F32(spec.rope_freq_base)),
        ("llama.rope.dimension_count", u32_of(spec.head_dim())),
        ("llama.vocab_size", u32_of(spec.n_vocab)),
        ("edgebench.synthetic.preset", s(preset.name())),
        ("edgebench.synthetic.seed", Value::U64(seed)),
    ];
    md.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// Every tensor in llama.cpp's order: name, dimensions (row length first)
/// and how it is initialised.
fn layout(spec: &PresetSpec) -> Vec<(String, Vec<usize>, Init)> {
    let (e, f, v) = (spec.n_embd, spec.n_ff, spec.n_vocab);
    let q = spec.n_head * spec.head_dim();
    let kv = spec.n_head_kv * spec.head_dim();
    let matrix = |gain| Init::Matrix { gain };
    let global = |role| TensorName::global(role).to_string();
    let mut out = vec![
        (global(TensorRole::TokenEmbd), vec![e, v], Init::Embedding),
        (global(TensorRole::OutputNorm), vec![e], Init::Norm),
    ];
    if !spec.tied_embeddings {
        out.push((global(TensorRole::Output), vec![e, v], matrix(1.0)));
    }
    for l in 0..spec.n_layer {
        let blocks = [
            (TensorRole::AttnNorm, vec![e], Init::Norm),
            (TensorRole::AttnQ, vec![e, q], matrix(1.0)),
            (TensorRole::AttnK, vec![e, kv], matrix(1.0)),
            (TensorRole::AttnV, vec![e, kv], matrix(0.8)),
            (TensorRole::AttnOutput, vec![q, e], matrix(0.6)),
            (TensorRole::FfnNorm, vec![e], Init::Norm),
            (TensorRole::FfnGate, vec![e, f], matrix(1.0)),
            (TensorRole::FfnUp, vec![e, f], matrix(1.0)),
            (TensorRole::FfnDown, vec![f, e], matrix(0.6)),
        ];
        out.extend(
            blocks
                .into_iter()
                .map(|(role, dims, init)| (TensorName::layer(l, role).to_string(), dims, init)),
        );
    }
    out
}

/// The bytes of every tensor of `layout`, generated on several threads.
/// Each tensor has its own stream (seeded from `seed` and its name), so the
/// result does not depend on the number of threads.
fn generate_all(layout: &[(String, Vec<usize>, Init)], seed: u64) -> Vec<Vec<u8>> {
    let results: Vec<Mutex<Vec<u8>>> = layout.iter().map(|_| Mutex::new(Vec::new())).collect();
    let next = AtomicUsize::new(0);
    let work = || {
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some((name, dims, init)) = layout.get(i) else {
                break;
            };
            let bytes = weights::generate(*init, dims, derive_seed(seed, name));
            *results[i].lock().unwrap_or_else(|e| e.into_inner()) = bytes;
        }
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(MAX_THREADS)
        .min(layout.len());
    std::thread::scope(|s| {
        for _ in 1..threads {
            // A helper that cannot be started just leaves more work for the
            // others; the calling thread always works too.
            let _ = std::thread::Builder::new().spawn_scoped(s, work);
        }
        work();
    });
    results
        .into_iter()
        .map(|m| m.into_inner().unwrap_or_else(|e| e.into_inner()))
        .collect()
}
