//! The plain-data description of a vocabulary, field for field the
//! `tokenizer.ggml.*` keys of a GGUF file.

use super::error::TokenizerError;
use super::pretok::PreTokenizer;

/// Which tokenization algorithm a vocabulary uses (`tokenizer.ggml.model`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenizerModel {
    /// `"gpt2"`: byte-level BPE; tokens are spelled in the GPT-2 byte↔unicode
    /// alphabet and merges are applied by rank (`tokenizer.ggml.merges`).
    Gpt2Bpe,
    /// `"llama"`: SentencePiece-style BPE; spaces are spelled `▁` (U+2581),
    /// pieces are merged by score (`tokenizer.ggml.scores`) and characters
    /// outside the vocabulary fall back to `<0xXX>` byte tokens.
    LlamaSpm,
}

impl TokenizerModel {
    /// Parses the value of `tokenizer.ggml.model`.
    pub fn from_gguf_name(name: &str) -> Result<Self, TokenizerError> {
        match name {
            "gpt2" => Ok(Self::Gpt2Bpe),
            "llama" => Ok(Self::LlamaSpm),
            other => Err(TokenizerError::UnknownModel(other.to_owned())),
        }
    }
}

/// A token's type (`tokenizer.ggml.token_type`, llama.cpp's `llama_token_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenType {
    /// 0, or any value this crate does not know.
    Undefined,
    /// 1: an ordinary piece of text.
    Normal,
    /// 2: the unknown token (`<unk>`).
    Unknown,
    /// 3: a control token (`<s>`, `<|im_start|>`): matched in the text only
    /// when special tokens are parsed, rendered only when asked for.
    Control,
    /// 4: a user-defined token, always matched in the text as a whole.
    UserDefined,
    /// 5: a reserved token that never appears in text.
    Unused,
    /// 6: a SentencePiece byte token `<0xXX>`.
    Byte,
}

impl TokenType {
    /// Maps a raw `tokenizer.ggml.token_type` value.
    pub fn from_raw(raw: i32) -> Self {
        match raw {
            1 => Self::Normal,
            2 => Self::Unknown,
            3 => Self::Control,
            4 => Self::UserDefined,
            5 => Self::Unused,
            6 => Self::Byte,
            _ => Self::Undefined,
        }
    }

    /// The raw `tokenizer.ggml.token_type` value (0 for undefined).
    pub fn raw(self) -> i32 {
        match self {
            Self::Undefined => 0,
            Self::Normal => 1,
            Self::Unknown => 2,
            Self::Control => 3,
            Self::UserDefined => 4,
            Self::Unused => 5,
            Self::Byte => 6,
        }
    }

    /// Whether the token is matched in the input text before pre-tokenization
    /// (llama.cpp's special-token cache: control, user-defined and unknown).
    pub(crate) fn is_special(self) -> bool {
        matches!(self, Self::Control | Self::UserDefined | Self::Unknown)
    }
}

/// A vocabulary as plain data. Each field mirrors one GGUF key:
///
/// | field | GGUF key | when absent |
/// |---|---|---|
/// | `model` | `tokenizer.ggml.model` (via [`TokenizerModel::from_gguf_name`]) | required |
/// | `pre` | `tokenizer.ggml.pre` (via [`PreTokenizer::from_gguf_name`]) | [`PreTokenizer::Default`] |
/// | `tokens` | `tokenizer.ggml.tokens` | required |
/// | `scores` | `tokenizer.ggml.scores` | `None` (required for `llama`) |
/// | `token_types` | `tokenizer.ggml.token_type` | `None`: every token is normal, except `<0xXX>` tokens of a `llama` vocabulary, which are bytes |
/// | `merges` | `tokenizer.ggml.merges` | empty |
/// | `bos_id` | `tokenizer.ggml.bos_token_id` | `None` |
/// | `eos_id` | `tokenizer.ggml.eos_token_id` | `None` |
/// | `eot_id` | `tokenizer.ggml.eot_token_id` | `None` |
/// | `unk_id` | `tokenizer.ggml.unknown_token_id` | `None` |
/// | `pad_id` | `tokenizer.ggml.padding_token_id` | `None` |
/// | `add_bos` | `tokenizer.ggml.add_bos_token` | see [`Vocab::new`] |
/// | `add_eos` | `tokenizer.ggml.add_eos_token` | `false` |
/// | `add_space_prefix` | `tokenizer.ggml.add_space_prefix` | see [`Vocab::new`] |
///
/// The data is checked when a [`Tokenizer`](super::Tokenizer) is built from it.
/// Build one with [`Vocab::new`] and set the other fields.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Vocab {
    /// The tokenization algorithm.
    pub model: TokenizerModel,
    /// How text is split into words before BPE (byte-level BPE only).
    pub pre: PreTokenizer,
    /// Token texts; a token's id is its index.
    pub tokens: Vec<String>,
    /// Per-token scores (SentencePiece merge priority: higher merges first).
    pub scores: Option<Vec<f32>>,
    /// Per-token raw types (see [`TokenType::from_raw`]).
    pub token_types: Option<Vec<i32>>,
    /// Merge rules `"left right"`, highest priority first (byte-level BPE).
    pub merges: Vec<String>,
    /// Beginning-of-sequence token.
    pub bos_id: Option<u32>,
    /// End-of-sequence token.
    pub eos_id: Option<u32>,
    /// End-of-turn token (also ends generation).
    pub eot_id: Option<u32>,
    /// Unknown token.
    pub unk_id: Option<u32>,
    /// Padding token.
    pub pad_id: Option<u32>,
    /// Prepend the BOS token when encoding with special tokens.
    pub add_bos: bool,
    /// Append the EOS token when encoding with special tokens.
    pub add_eos: bool,
    /// SentencePiece: prepend a space to the text (and after each special
    /// token), and strip it again when decoding from the start.
    pub add_space_prefix: bool,
}

impl Vocab {
    /// A vocabulary with llama.cpp's defaults for the optional keys:
    /// `add_bos` is true for `llama` and for the `llama3` pre-tokenizer,
    /// `add_space_prefix` is true for `llama`; everything else is empty.
    /// When `add_bos` is true, set `bos_id` (or clear `add_bos`) before
    /// building the [`Tokenizer`](super::Tokenizer).
    pub fn new(model: TokenizerModel, pre: PreTokenizer, tokens: Vec<String>) -> Self {
        let spm = model == TokenizerModel::LlamaSpm;
        Self {
            model,
            pre,
            tokens,
            scores: None,
            token_types: None,
            merges: Vec::new(),
            bos_id: None,
            eos_id: None,
            eot_id: None,
            unk_id: None,
            pad_id: None,
            add_bos: spm || pre == PreTokenizer::Llama3,
            add_eos: false,
            add_space_prefix: spm,
        }
    }

    /// The type of token `id`. Without `token_types`, every token is normal
    /// except the `<0xXX>` byte tokens of a SentencePiece vocabulary.
    pub(crate) fn token_type(&self, id: usize) -> TokenType {
        match &self.token_types {
            Some(types) => types
                .get(id)
                .map_or(TokenType::Undefined, |&t| TokenType::from_raw(t)),
            None if self.model == TokenizerModel::LlamaSpm
                && self
                    .tokens
                    .get(id)
                    .and_then(|t| parse_byte_token(t))
                    .is_some() =>
            {
                TokenType::Byte
            }
            None => TokenType::Normal,
        }
    }
}

/// The byte a SentencePiece byte token `<0xXX>` stands for (two upper- or
/// lower-case hex digits).
pub(crate) fn parse_byte_token(text: &str) -> Option<u8> {
    let hex = text.strip_prefix("<0x")?.strip_suffix('>')?;
    if hex.len() != 2 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u8::from_str_radix(hex, 16).ok()
}
