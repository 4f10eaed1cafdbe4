//! The model architectures this kernel runs and how they differ.

use std::fmt;

/// A supported `general.architecture`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Arch {
    /// `llama`: Llama 2/3, TinyLlama, SmolLM, Mistral without sliding window.
    Llama,
    /// `qwen2`: biases on Q, K and V, NeoX-style RoPE.
    Qwen2,
}

/// How rotary position embedding pairs up the dimensions of a head.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RopeStyle {
    /// Adjacent pairs `(2i, 2i+1)`, as GGUF `llama` files store Q and K.
    Normal,
    /// Halves `(i, i + d/2)`, as GPT-NeoX and Qwen2 do.
    NeoX,
}

impl Arch {
    /// Every supported architecture.
    pub const ALL: [Arch; 2] = [Arch::Llama, Arch::Qwen2];
    /// The supported names, for error messages.
    pub const SUPPORTED: &'static str = "llama, qwen2";

    /// The architecture of a `general.architecture` value.
    pub fn from_name(name: &str) -> Option<Arch> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }

    /// The `general.architecture` value, also the prefix of its metadata keys.
    pub fn name(self) -> &'static str {
        match self {
            Arch::Llama => "llama",
            Arch::Qwen2 => "qwen2",
        }
    }

    /// The RoPE pairing this architecture uses.
    pub fn rope_style(self) -> RopeStyle {
        match self {
            Arch::Llama => RopeStyle::Normal,
            Arch::Qwen2 => RopeStyle::NeoX,
        }
    }

    /// Whether the Q, K and V projections carry biases.
    pub fn has_qkv_bias(self) -> bool {
        matches!(self, Arch::Qwen2)
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
