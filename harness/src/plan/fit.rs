//! The fit check: an estimate of a cell's memory (recipe weights, KV cache
//! and scratch), compared with the device's memory.

use edgebench_kernels::model::TensorRole;
use edgebench_kernels::recipe::{Recipe, fitting_format};
use serde::Serialize;

use crate::matrix::ModelShape;

/// Memory the agent needs besides weights, KV cache and activations: its
/// code, allocator and thread stacks.
pub const RUNTIME_BYTES: u64 = 16 << 20;
/// FFN widths kept by pruning are multiples of this (as the kernel rounds).
const FFN_MULTIPLE: u64 = 32;
const MIB: f64 = (1u64 << 20) as f64;

/// A cell's estimated memory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FitEstimate {
    /// Weights in the recipe's formats, after pruning.
    pub weights_bytes: u64,
    /// KV cache for prompt + generated tokens.
    pub kv_bytes: u64,
    /// Activations, logits and the runtime.
    pub scratch_bytes: u64,
    /// The sum.
    pub total_bytes: u64,
    /// The KV cache arithmetic, e.g. `2 · 4 layers · 128 · 192 tokens · 4 B`.
    pub kv_formula: String,
    /// Whether `weights_bytes` is the recipe file's real size rather than
    /// an estimate from the model's shapes.
    pub weights_from_file: bool,
}

impl FitEstimate {
    /// The estimate for a model of `shape` under `recipe`, holding
    /// `tokens` positions of KV cache with `kv_elem_bytes` per element, and
    /// prefilling `prompt` tokens at once.
    pub fn new(
        shape: &ModelShape,
        recipe: &Recipe,
        prompt: u64,
        tokens: u64,
        kv_elem_bytes: u64,
    ) -> FitEstimate {
        let p = pruned(shape, recipe);
        let kv_dim = p.n_head_kv * shape.head_dim;
        let kv_bytes = 2 * shape.n_layer * kv_dim * tokens * kv_elem_bytes;
        let q_dim = p.n_head * shape.head_dim;
        let per_token = 3 * shape.n_embd + q_dim + 2 * kv_dim + 2 * p.n_ff;
        let scratch_bytes =
            4 * (shape.n_vocab + prompt * per_token + p.n_head * tokens) + RUNTIME_BYTES;
        let weights_bytes = weight_bytes(shape, recipe, &p);
        FitEstimate {
            weights_bytes,
            kv_bytes,
            scratch_bytes,
            total_bytes: weights_bytes + kv_bytes + scratch_bytes,
            kv_formula: format!(
                "2 · {} layers · {kv_dim} · {tokens} tokens · {kv_elem_bytes} B",
                shape.n_layer
            ),
            weights_from_file: false,
        }
    }

    /// The estimate with the weights taken as the recipe file's real size,
    /// `file_bytes` (the file is memory-mapped as it is).
    pub fn with_file(&self, file_bytes: u64) -> FitEstimate {
        FitEstimate {
            weights_bytes: file_bytes,
            total_bytes: file_bytes + self.kv_bytes + self.scratch_bytes,
            weights_from_file: true,
            ..self.clone()
        }
    }

    /// Why a device with `memory_bytes` cannot hold this cell, or `None`
    /// when it fits.
    pub fn exceeds(&self, device: &str, memory_bytes: u64) -> Option<String> {
        (self.total_bytes > memory_bytes).then(|| {
            format!(
                "needs about {} but device `{device}` has {}: {} {} + KV cache {} = {} + scratch {} = {}",
                mib(self.total_bytes),
                mib(memory_bytes),
                if self.weights_from_file {
                    "recipe file"
                } else {
                    "weights"
                },
                mib(self.weights_bytes),
                self.kv_formula,
                mib(self.kv_bytes),
                mib(self.scratch_bytes),
                mib(self.total_bytes),
            )
        })
    }
}

/// `12.3 MiB`.
pub fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / MIB)
}

/// Head and FFN counts after structured pruning.
struct Pruned {
    n_head: u64,
    n_head_kv: u64,
    n_ff: u64,
}

fn keep_of(n: u64, percent: u8) -> u64 {
    ((100 - u64::from(percent)) * n + 50) / 100
}

fn pruned(s: &ModelShape, r: &Recipe) -> Pruned {
    let group = (s.n_head / s.n_head_kv.max(1)).max(1);
    let (n_head, n_head_kv) = if r.head_pruning() == 0 {
        (s.n_head, s.n_head_kv)
    } else if group == 1 {
        let keep = keep_of(s.n_head, r.head_pruning()).max(1);
        (keep, keep)
    } else {
        (
            keep_of(group, r.head_pruning()).max(1) * s.n_head_kv,
            s.n_head_kv,
        )
    };
    let n_ff = if r.ffn_pruning() == 0 {
        s.n_ff
    } else {
        ((keep_of(s.n_ff, r.ffn_pruning()) + FFN_MULTIPLE / 2) / FFN_MULTIPLE * FFN_MULTIPLE)
            .max(FFN_MULTIPLE)
    };
    Pruned {
        n_head,
        n_head_kv,
        n_ff,
    }
}

/// Bytes of a `rows × cols` matrix of class `role` under `recipe`.
fn matrix_bytes(recipe: &Recipe, role: TensorRole, rows: u64, cols: u64) -> u64 {
    let dtype = fitting_format(recipe.scheme_for(role).dtype(), cols as usize);
    let blocks = cols.div_ceil(dtype.block_size() as u64);
    rows * blocks * dtype.block_bytes() as u64
}

fn weight_bytes(s: &ModelShape, r: &Recipe, p: &Pruned) -> u64 {
    let (e, hd) = (s.n_embd, s.head_dim);
    let (q, kv) = (p.n_head * hd, p.n_head_kv * hd);
    let m = |role, rows, cols| matrix_bytes(r, role, rows, cols);
    let head = if s.tied_embeddings {
        0
    } else {
        m(TensorRole::Output, s.n_vocab, e)
    };
    let bias = if s.qkv_bias { 4 * (q + 2 * kv) } else { 0 };
    let layer = m(TensorRole::AttnQ, q, e)
        + m(TensorRole::AttnK, kv, e)
        + m(TensorRole::AttnV, kv, e)
        + m(TensorRole::AttnOutput, e, q)
        + m(TensorRole::FfnGate, p.n_ff, e)
        + m(TensorRole::FfnUp, p.n_ff, e)
        + m(TensorRole::FfnDown, e, p.n_ff)
        + 2 * 4 * e
        + bias;
    m(TensorRole::TokenEmbd, s.n_vocab, e) + head + 4 * e + s.n_layer * layer
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgebench_kernels::synth::{self, Preset};

    #[test]
    fn f32_weights_match_the_preset_parameter_count() {
        for preset in Preset::ALL {
            let shape = ModelShape::of_preset(preset);
            let f = FitEstimate::new(&shape, &"f32".parse().unwrap(), 1, 1, 4);
            assert_eq!(
                f.weights_bytes,
                4 * preset.spec().parameter_count(),
                "{preset}"
            );
        }
    }

    #[test]
    fn the_real_file_size_decides_the_fit() {
        let shape = ModelShape::of_preset(Preset::Small);
        let est = FitEstimate::new(&shape, &"q8_0".parse().unwrap(), 64, 96, 4);
        // A device with exactly the estimate: the estimate fits, but the
        // recipe file (tensors plus metadata and padding) does not.
        let memory = est.total_bytes;
        assert_eq!(est.exceeds("box", memory), None);
        let file = est.weights_bytes + 300_000;
        let real = est.with_file(file);
        assert_eq!(real.total_bytes, est.total_bytes + 300_000);
        assert!(real.weights_from_file && !est.weights_from_file);
        let why = real.exceeds("box", memory).unwrap();
        assert!(why.contains(&format!("recipe file {}", mib(file))), "{why}");
    }

    #[test]
    fn recipe_weights_match_the_applied_recipe() {
        let model = synth::generate(Preset::Tiny, 3).unwrap();
        let shape = ModelShape::of_preset(Preset::Tiny);
        for text in ["q4_0", "q8_0+heads50", "f16+ffn25+token_embd=q8_0"] {
            let recipe: Recipe = text.parse().unwrap();
            let applied =
                edgebench_kernels::recipe::apply(&recipe, &model.config, &model.tensors).unwrap();
            let est = FitEstimate::new(&shape, &recipe, 1, 1, 4);
            assert_eq!(est.weights_bytes, applied.tensors.total_bytes(), "{text}");
        }
    }
}
