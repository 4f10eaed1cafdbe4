//! [`Preset`]: the named model shapes the generator can produce.

use std::fmt;
use std::str::FromStr;

use super::SynthError;

/// A synthetic model shape.
///
/// | preset | width | layers | heads (kv) | ffn | vocab | context | head |
/// |---|---|---|---|---|---|---|---|
/// | `tiny` | 64 | 2 | 4 (2) | 192 | 512 | 256 | separate `output.weight` |
/// | `small` | 256 | 4 | 8 (4) | 768 | 2048 | 512 | tied to the embedding |
/// | `smollm-135m-shape` | 576 | 30 | 9 (3) | 1536 | 49152 | 2048 | tied to the embedding |
///
/// `smollm-135m-shape` has exactly the tensor shapes and hyperparameters of
/// SmolLM2-135M (about 135 M parameters), so size, memory and speed figures
/// measured on it carry over to the real model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Preset {
    /// About 0.1 M parameters: unit tests and quick end-to-end checks.
    Tiny,
    /// About 4 M parameters: integration tests and the quickstart matrix.
    Small,
    /// The shapes of SmolLM2-135M: realistic sizes and speeds.
    Smollm135mShape,
}

/// The hyperparameters of a preset.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct PresetSpec {
    /// Hidden width.
    pub n_embd: usize,
    /// Transformer blocks.
    pub n_layer: usize,
    /// Query heads.
    pub n_head: usize,
    /// Key/value heads.
    pub n_head_kv: usize,
    /// Inner width of the feed-forward network.
    pub n_ff: usize,
    /// Vocabulary size (exact).
    pub n_vocab: usize,
    /// Context length.
    pub context_length: usize,
    /// RoPE base frequency.
    pub rope_freq_base: f32,
    /// RMSNorm epsilon.
    pub rms_eps: f32,
    /// Whether the output head reuses the token embedding (no `output.weight`).
    pub tied_embeddings: bool,
}

impl PresetSpec {
    /// Width of one attention head.
    pub fn head_dim(&self) -> usize {
        self.n_embd / self.n_head
    }

    /// Number of weights of the model (all tensors).
    pub fn parameter_count(&self) -> u64 {
        let (e, f, v) = (self.n_embd as u64, self.n_ff as u64, self.n_vocab as u64);
        let q = (self.n_head * self.head_dim()) as u64;
        let kv = (self.n_head_kv * self.head_dim()) as u64;
        let per_layer = 2 * e + e * q + 2 * e * kv + q * e + 3 * e * f;
        let head = if self.tied_embeddings { 0 } else { e * v };
        e * v + e + head + self.n_layer as u64 * per_layer
    }
}

impl Preset {
    /// Every preset, smallest first.
    pub const ALL: [Preset; 3] = [Preset::Tiny, Preset::Small, Preset::Smollm135mShape];

    /// The name used on the command line and in `edgebench.synthetic.preset`.
    pub fn name(self) -> &'static str {
        match self {
            Preset::Tiny => "tiny",
            Preset::Small => "small",
            Preset::Smollm135mShape => "smollm-135m-shape",
        }
    }

    /// The preset called `name`, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The names of all presets, comma-separated.
    pub fn names() -> String {
        Self::ALL.map(Preset::name).join(", ")
    }

    /// The hyperparameters.
    pub fn spec(self) -> PresetSpec {
        match self {
            Preset::Tiny => PresetSpec {
                n_embd: 64,
                n_layer: 2,
                n_head: 4,
                n_head_kv: 2,
                n_ff: 192,
                n_vocab: 512,
                context_length: 256,
                rope_freq_base: 10_000.0,
                rms_eps: 1e-5,
                tied_embeddings: false,
            },
            Preset::Small => PresetSpec {
                n_embd: 256,
                n_layer: 4,
                n_head: 8,
                n_head_kv: 2,
                n_ff: 768,
                n_vocab: 2048,
                context_length: 512,
                rope_freq_base: 10_000.0,
                rms_eps: 1e-5,
                tied_embeddings: true,
            },
            Preset::Smollm135mShape => PresetSpec {
                n_embd: 576,
                n_layer: 30,
                n_head: 9,
                n_head_kv: 3,
                n_ff: 1536,
                n_vocab: 49152,
                context_length: 2048,
                rope_freq_base: 100_000.0,
                rms_eps: 1e-5,
                tied_embeddings: true,
            },
        }
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Preset {
    type Err = SynthError;

    /// Parses a preset name (`tiny`, `small`, `smollm-135m-shape`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Preset::from_name(s).ok_or_else(|| SynthError::UnknownPreset {
            name: s.to_owned(),
            valid: Preset::names(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_list_the_valid_ones() {
        for p in Preset::ALL {
            assert_eq!(p.name().parse::<Preset>().ok(), Some(p));
            assert_eq!(p.to_string(), p.name());
        }
        let err = "huge".parse::<Preset>().unwrap_err().to_string();
        assert!(err.contains("'huge'"), "{err}");
        assert!(err.contains("tiny, small, smollm-135m-shape"), "{err}");
    }

    #[test]
    fn smollm_shape_has_about_135m_parameters() {
        let n = Preset::Smollm135mShape.spec().parameter_count();
        assert_eq!(n, 134_515_008);
        let s = Preset::Smollm135mShape.spec();
        assert_eq!(s.head_dim(), 64);
    }
}
