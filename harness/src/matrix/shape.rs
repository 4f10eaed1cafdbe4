//! [`ModelShape`]: the hyperparameters the plan needs to size a cell,
//! from a synthetic preset or a GGUF file's metadata.

use std::path::Path;

use edgebench_kernels::gguf::GgufFile;
use edgebench_kernels::model::ModelConfig;
use edgebench_kernels::synth::Preset;
use serde::Serialize;

/// The tensor shapes of a Llama-family model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ModelShape {
    /// Vocabulary size.
    pub n_vocab: u64,
    /// Hidden width.
    pub n_embd: u64,
    /// Transformer blocks.
    pub n_layer: u64,
    /// Query heads.
    pub n_head: u64,
    /// Key/value heads.
    pub n_head_kv: u64,
    /// Width of one head.
    pub head_dim: u64,
    /// Feed-forward inner width.
    pub n_ff: u64,
    /// Context length in tokens.
    pub context_length: u64,
    /// Whether the output head reuses the token embedding.
    pub tied_embeddings: bool,
    /// Whether the q/k/v projections have biases (Qwen2).
    pub qkv_bias: bool,
}

impl ModelShape {
    /// The shape of a synthetic preset.
    pub fn of_preset(preset: Preset) -> ModelShape {
        let s = preset.spec();
        ModelShape {
            n_vocab: s.n_vocab as u64,
            n_embd: s.n_embd as u64,
            n_layer: s.n_layer as u64,
            n_head: s.n_head as u64,
            n_head_kv: s.n_head_kv as u64,
            head_dim: s.head_dim() as u64,
            n_ff: s.n_ff as u64,
            context_length: s.context_length as u64,
            tied_embeddings: s.tied_embeddings,
            qkv_bias: false,
        }
    }

    /// The shape of a GGUF model, from its metadata (the tensor data is
    /// mapped, not read).
    ///
    /// # Errors
    /// A message saying why the file is not a usable model.
    pub fn of_gguf(path: &Path) -> Result<ModelShape, String> {
        let file = GgufFile::open(path).map_err(|e| format!("not a readable GGUF model: {e}"))?;
        let c = ModelConfig::from_gguf(&file).map_err(|e| format!("unsupported model: {e}"))?;
        Ok(ModelShape {
            n_vocab: c.n_vocab as u64,
            n_embd: c.n_embd as u64,
            n_layer: c.n_layer as u64,
            n_head: c.n_head as u64,
            n_head_kv: c.n_head_kv as u64,
            head_dim: c.head_dim as u64,
            n_ff: c.n_ff as u64,
            context_length: c.context_length as u64,
            tied_embeddings: file.tensor("output.weight").is_none(),
            qkv_bias: c.arch.has_qkv_bias(),
        })
    }

    /// Width of the keys (and values) of one token in one layer.
    pub fn kv_dim(&self) -> u64 {
        self.n_head_kv * self.head_dim
    }
}
