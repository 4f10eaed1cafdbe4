//! [`ModelConfig`]: the hyperparameters of a Llama-family model, read from
//! GGUF metadata and checked for consistency.

use super::{Arch, ModelError};
use crate::gguf::{GgufFile, Value};

/// Largest context, vocabulary, width or layer count accepted from a file;
/// guards allocations sized from metadata.
const MAX_DIM: usize = 1 << 24;

/// RoPE frequency scaling from `<arch>.rope.scaling.*`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RopeScaling {
    /// Positions are used as they are.
    None,
    /// Positions are divided by `factor` (`rope.scaling.type = linear`).
    Linear {
        /// The divisor, at least 1.
        factor: f32,
    },
}

/// The hyperparameters of a model: everything needed to size buffers and run
/// the forward pass.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ModelConfig {
    /// The architecture.
    pub arch: Arch,
    /// Vocabulary size (rows of `token_embd.weight`).
    pub n_vocab: usize,
    /// Hidden width.
    pub n_embd: usize,
    /// Transformer blocks.
    pub n_layer: usize,
    /// Inner width of the feed-forward network.
    pub n_ff: usize,
    /// Query heads.
    pub n_head: usize,
    /// Key/value heads (grouped-query attention when fewer than `n_head`).
    pub n_head_kv: usize,
    /// Width of one attention head (queries, keys and values).
    pub head_dim: usize,
    /// Dimensions of each head rotated by RoPE (the first `rope_dim`).
    pub rope_dim: usize,
    /// Context length the model was trained for.
    pub context_length: usize,
    /// RMSNorm epsilon.
    pub rms_eps: f32,
    /// RoPE base frequency.
    pub rope_freq_base: f32,
    /// RoPE frequency scaling.
    pub rope_scaling: RopeScaling,
}

impl ModelConfig {
    /// Reads and checks the hyperparameters of `file`.
    ///
    /// The vocabulary size comes from `token_embd.weight` when present,
    /// otherwise from `tokenizer.ggml.tokens`.
    ///
    /// # Errors
    /// [`ModelError::UnsupportedArchitecture`], [`ModelError::MissingKey`],
    /// [`ModelError::BadHyperparameter`] or a metadata type error.
    pub fn from_gguf(file: &GgufFile) -> Result<Self, ModelError> {
        let arch_name = file.get_str("general.architecture")?.unwrap_or("");
        let arch =
            Arch::from_name(arch_name).ok_or_else(|| ModelError::UnsupportedArchitecture {
                found: arch_name.to_owned(),
                supported: Arch::SUPPORTED,
            })?;
        let key = |suffix: &str| format!("{}.{suffix}", arch.name());
        let required = |suffix: &str| -> Result<usize, ModelError> {
            let k = key(suffix);
            let v = file
                .get_u64(&k)?
                .ok_or_else(|| ModelError::MissingKey { key: k.clone() })?;
            bounded(&k, v)
        };
        let optional = |suffix: &str| -> Result<Option<usize>, ModelError> {
            let k = key(suffix);
            file.get_u64(&k)?.map(|v| bounded(&k, v)).transpose()
        };

        let n_embd = required("embedding_length")?;
        let n_layer = required("block_count")?;
        let n_ff = required("feed_forward_length")?;
        let n_head = required("attention.head_count")?;
        let n_head_kv = optional("attention.head_count_kv")?.unwrap_or(n_head);
        let context_length = required("context_length")?;
        let head_dim = match optional("attention.key_length")? {
            Some(d) => d,
            None if n_head > 0 && n_embd.is_multiple_of(n_head) => n_embd / n_head,
            None => {
                return Err(bad(
                    &key("attention.head_count"),
                    format!("{n_head} heads do not divide the embedding width {n_embd}"),
                ));
            }
        };
        if let Some(v) = optional("attention.value_length")?
            && v != head_dim
        {
            return Err(bad(
                &key("attention.value_length"),
                format!("{v} differs from the key length {head_dim}"),
            ));
        }
        let rope_dim = optional("rope.dimension_count")?.unwrap_or(head_dim);
        let rms_eps = file
            .get_f32(&key("attention.layer_norm_rms_epsilon"))?
            .unwrap_or(1e-5);
        let rope_freq_base = file.get_f32(&key("rope.freq_base"))?.unwrap_or(10_000.0);
        let rope_scaling = rope_scaling(file, &key)?;
        let n_vocab = match file.tensor("token_embd.weight") {
            Some(t) if t.dims.len() == 2 => bounded("token_embd.weight rows", t.dims[1])?,
            _ => match file.get("tokenizer.ggml.tokens") {
                Some(Value::Array(a)) => a.len(),
                _ => {
                    return Err(ModelError::MissingTensor {
                        name: "token_embd.weight".into(),
                    });
                }
            },
        };

        let config = ModelConfig {
            arch,
            n_vocab,
            n_embd,
            n_layer,
            n_ff,
            n_head,
            n_head_kv,
            head_dim,
            rope_dim,
            context_length,
            rms_eps,
            rope_freq_base,
            rope_scaling,
        };
        config.validate()?;
        Ok(config)
    }

    /// Checks the relations between the hyperparameters.
    ///
    /// # Errors
    /// [`ModelError::BadHyperparameter`] naming the first broken relation.
    pub fn validate(&self) -> Result<(), ModelError> {
        let k = |suffix: &str| format!("{}.{suffix}", self.arch.name());
        let positive = [
            ("embedding_length", self.n_embd),
            ("block_count", self.n_layer),
            ("feed_forward_length", self.n_ff),
            ("attention.head_count", self.n_head),
            ("attention.head_count_kv", self.n_head_kv),
            ("attention.key_length", self.head_dim),
            ("context_length", self.context_length),
        ];
        for (suffix, v) in positive {
            if v == 0 {
                return Err(bad(&k(suffix), "must be at least 1".into()));
            }
        }
        if self.n_vocab == 0 {
            return Err(bad("tokenizer.ggml.tokens", "empty vocabulary".into()));
        }
        if !self.n_head.is_multiple_of(self.n_head_kv) {
            return Err(bad(
                &k("attention.head_count_kv"),
                format!(
                    "{} key/value heads do not divide {} query heads",
                    self.n_head_kv, self.n_head
                ),
            ));
        }
        if self.rope_dim > self.head_dim || !self.rope_dim.is_multiple_of(2) {
            return Err(bad(
                &k("rope.dimension_count"),
                format!(
                    "{} must be even and at most the head width {}",
                    self.rope_dim, self.head_dim
                ),
            ));
        }
        if !(self.rms_eps.is_finite() && self.rms_eps > 0.0) {
            return Err(bad(
                &k("attention.layer_norm_rms_epsilon"),
                format!("{} is not a positive number", self.rms_eps),
            ));
        }
        if !(self.rope_freq_base.is_finite() && self.rope_freq_base > 0.0) {
            return Err(bad(
                &k("rope.freq_base"),
                format!("{} is not a positive number", self.rope_freq_base),
            ));
        }
        Ok(())
    }

    /// Width of the query projection output (`n_head * head_dim`).
    pub fn q_dim(&self) -> usize {
        self.n_head * self.head_dim
    }

    /// Width of the key and value projection outputs (`n_head_kv * head_dim`).
    pub fn kv_dim(&self) -> usize {
        self.n_head_kv * self.head_dim
    }

    /// Query heads sharing one key/value head.
    pub fn gqa_group(&self) -> usize {
        self.n_head / self.n_head_kv
    }
}

fn bounded(key: &str, v: u64) -> Result<usize, ModelError> {
    usize::try_from(v)
        .ok()
        .filter(|&v| v <= MAX_DIM)
        .ok_or_else(|| bad(key, format!("{v} is larger than {MAX_DIM}")))
}

fn bad(key: &str, reason: String) -> ModelError {
    ModelError::BadHyperparameter {
        key: key.to_owned(),
        reason,
    }
}

fn rope_scaling(file: &GgufFile, key: &dyn Fn(&str) -> String) -> Result<RopeScaling, ModelError> {
    let type_key = key("rope.scaling.type");
    let factor_key = key("rope.scaling.factor");
    let factor = file.get_f32(&factor_key)?;
    match file.get_str(&type_key)? {
        None | Some("none") => Ok(RopeScaling::None),
        Some("linear") => match factor {
            None => Ok(RopeScaling::None),
            Some(f) if f.is_finite() && f >= 1.0 => {
                if f == 1.0 {
                    Ok(RopeScaling::None)
                } else {
                    Ok(RopeScaling::Linear { factor: f })
                }
            }
            Some(f) => Err(bad(
                &factor_key,
                format!("{f} is not a factor of 1 or more"),
            )),
        },
        Some(other) => Err(bad(
            &type_key,
            format!("'{other}' scaling is not supported (supported: none, linear)"),
        )),
    }
}
