//! GGUF tensor names of the Llama family: `token_embd.weight`,
//! `blk.<n>.attn_q.weight`, ... parsed into a layer and a [`TensorRole`].

use std::fmt;

/// What a tensor is for. The name of a role (e.g. `attn_q`, `ffn_down`) is the
/// stem GGUF uses, and is how recipes name tensor classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum TensorRole {
    /// `token_embd.weight`: `[n_embd, n_vocab]`.
    TokenEmbd,
    /// `output_norm.weight`: `[n_embd]`.
    OutputNorm,
    /// `output.weight`: `[n_embd, n_vocab]`; absent when tied to the embedding.
    Output,
    /// `rope_freqs.weight`: per-dimension RoPE frequency divisors.
    RopeFreqs,
    /// `blk.N.attn_norm.weight`: `[n_embd]`.
    AttnNorm,
    /// `blk.N.attn_q.weight`: `[n_embd, n_head * head_dim]`.
    AttnQ,
    /// `blk.N.attn_k.weight`: `[n_embd, n_head_kv * head_dim]`.
    AttnK,
    /// `blk.N.attn_v.weight`: `[n_embd, n_head_kv * head_dim]`.
    AttnV,
    /// `blk.N.attn_q.bias` (qwen2).
    AttnQBias,
    /// `blk.N.attn_k.bias` (qwen2).
    AttnKBias,
    /// `blk.N.attn_v.bias` (qwen2).
    AttnVBias,
    /// `blk.N.attn_output.weight`: `[n_head * head_dim, n_embd]`.
    AttnOutput,
    /// `blk.N.ffn_norm.weight`: `[n_embd]`.
    FfnNorm,
    /// `blk.N.ffn_gate.weight`: `[n_embd, n_ff]`.
    FfnGate,
    /// `blk.N.ffn_up.weight`: `[n_embd, n_ff]`.
    FfnUp,
    /// `blk.N.ffn_down.weight`: `[n_ff, n_embd]`.
    FfnDown,
}

impl TensorRole {
    /// Every role.
    pub const ALL: [TensorRole; 16] = [
        TensorRole::TokenEmbd,
        TensorRole::OutputNorm,
        TensorRole::Output,
        TensorRole::RopeFreqs,
        TensorRole::AttnNorm,
        TensorRole::AttnQ,
        TensorRole::AttnK,
        TensorRole::AttnV,
        TensorRole::AttnQBias,
        TensorRole::AttnKBias,
        TensorRole::AttnVBias,
        TensorRole::AttnOutput,
        TensorRole::FfnNorm,
        TensorRole::FfnGate,
        TensorRole::FfnUp,
        TensorRole::FfnDown,
    ];

    /// The GGUF stem, e.g. `attn_q`; biases share their weight's stem.
    pub fn stem(self) -> &'static str {
        match self {
            TensorRole::TokenEmbd => "token_embd",
            TensorRole::OutputNorm => "output_norm",
            TensorRole::Output => "output",
            TensorRole::RopeFreqs => "rope_freqs",
            TensorRole::AttnNorm => "attn_norm",
            TensorRole::AttnQ | TensorRole::AttnQBias => "attn_q",
            TensorRole::AttnK | TensorRole::AttnKBias => "attn_k",
            TensorRole::AttnV | TensorRole::AttnVBias => "attn_v",
            TensorRole::AttnOutput => "attn_output",
            TensorRole::FfnNorm => "ffn_norm",
            TensorRole::FfnGate => "ffn_gate",
            TensorRole::FfnUp => "ffn_up",
            TensorRole::FfnDown => "ffn_down",
        }
    }

    /// `weight` or `bias`.
    pub fn suffix(self) -> &'static str {
        match self {
            TensorRole::AttnQBias | TensorRole::AttnKBias | TensorRole::AttnVBias => "bias",
            _ => "weight",
        }
    }

    /// Whether the tensor lives in a block (`blk.N.`).
    pub fn per_layer(self) -> bool {
        !matches!(
            self,
            TensorRole::TokenEmbd
                | TensorRole::OutputNorm
                | TensorRole::Output
                | TensorRole::RopeFreqs
        )
    }

    /// Whether the tensor is a 2-D weight matrix (a candidate for
    /// quantization); norms, biases and RoPE factors stay in f32.
    pub fn is_matrix(self) -> bool {
        matches!(
            self,
            TensorRole::TokenEmbd
                | TensorRole::Output
                | TensorRole::AttnQ
                | TensorRole::AttnK
                | TensorRole::AttnV
                | TensorRole::AttnOutput
                | TensorRole::FfnGate
                | TensorRole::FfnUp
                | TensorRole::FfnDown
        )
    }
}

/// A parsed tensor name: an optional block index and a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TensorName {
    /// The block, for per-layer tensors.
    pub layer: Option<usize>,
    /// What the tensor is.
    pub role: TensorRole,
}

impl TensorName {
    /// A global tensor (`token_embd`, `output`, ...).
    pub fn global(role: TensorRole) -> Self {
        TensorName { layer: None, role }
    }

    /// A tensor of block `layer`.
    pub fn layer(layer: usize, role: TensorRole) -> Self {
        TensorName {
            layer: Some(layer),
            role,
        }
    }

    /// Parses a GGUF tensor name; `None` for names outside the Llama family.
    pub fn parse(name: &str) -> Option<Self> {
        let (layer, rest) = match name.strip_prefix("blk.") {
            Some(rest) => {
                let (n, rest) = rest.split_once('.')?;
                if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) || n.len() > 9 {
                    return None;
                }
                (Some(n.parse().ok()?), rest)
            }
            None => (None, name),
        };
        let (stem, suffix) = rest.rsplit_once('.')?;
        let role = TensorRole::ALL.into_iter().find(|r| {
            r.stem() == stem && r.suffix() == suffix && r.per_layer() == layer.is_some()
        })?;
        Some(TensorName { layer, role })
    }
}

impl fmt::Display for TensorName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(l) = self.layer {
            write!(f, "blk.{l}.")?;
        }
        write!(f, "{}.{}", self.role.stem(), self.role.suffix())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_round_trips_through_its_name() {
        for role in TensorRole::ALL {
            let name = if role.per_layer() {
                TensorName::layer(12, role)
            } else {
                TensorName::global(role)
            };
            assert_eq!(TensorName::parse(&name.to_string()), Some(name), "{name}");
        }
    }

    #[test]
    fn foreign_and_malformed_names_are_rejected() {
        for bad in [
            "blk..attn_q.weight",
            "blk.x.attn_q.weight",
            "blk.1.token_embd.weight",
            "attn_q.weight",
            "blk.0.attn_q.scale",
            "blk.99999999999.attn_q.weight",
            "pos_embd.weight",
            "",
        ] {
            assert_eq!(TensorName::parse(bad), None, "{bad}");
        }
        assert_eq!(
            TensorName::parse("blk.3.attn_k.bias"),
            Some(TensorName::layer(3, TensorRole::AttnKBias))
        );
    }
}
