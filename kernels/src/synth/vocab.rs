//! [`Vocab`]: the byte-level BPE vocabulary written into synthetic models,
//! learned from an English text embedded in the crate.

use super::SynthError;
use super::bpe;
use crate::gguf::{ArrayValue, Value};

/// The English text the merges are learned from.
pub const CORPUS: &str = include_str!("corpus.txt");

/// The end-of-text token, also used as beginning-of-sequence.
pub const END_OF_TEXT: &str = "<|endoftext|>";

pub use crate::tokenizer::TokenType;

/// A GPT-2 style byte-level BPE vocabulary of an exact size.
///
/// Token ids: the 256 byte symbols in GPT-2 order (`!` is 0, `Ġ`, the
/// space, is 220), then the merge results in the order they were learned,
/// then [`END_OF_TEXT`], then `<unused_N>` placeholders up to the size.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Vocab {
    /// Token strings, in GPT-2's byte-to-unicode spelling.
    pub tokens: Vec<String>,
    /// The type of each token.
    pub token_types: Vec<TokenType>,
    /// Merges in priority order, as `"left right"`.
    pub merges: Vec<String>,
    /// Id of [`END_OF_TEXT`] (beginning and end of sequence).
    pub eos_id: u32,
}

impl Vocab {
    /// Learns a vocabulary of exactly `n_vocab` tokens from [`CORPUS`].
    ///
    /// # Errors
    /// [`SynthError::VocabTooSmall`] below 257 tokens (the 256 bytes and
    /// the end-of-text token).
    pub fn train(n_vocab: usize) -> Result<Self, SynthError> {
        const MIN: usize = 257;
        if n_vocab < MIN {
            return Err(SynthError::VocabTooSmall { n_vocab, min: MIN });
        }
        let trained = bpe::train(CORPUS, n_vocab - 1);
        let mut tokens = trained.tokens;
        let mut token_types = vec![TokenType::Normal; tokens.len()];
        let eos_id = tokens.len() as u32;
        tokens.push(END_OF_TEXT.to_owned());
        token_types.push(TokenType::Control);
        let fill = n_vocab - tokens.len();
        tokens.extend((0..fill).map(|i| format!("<unused_{i}>")));
        token_types.extend(std::iter::repeat_n(TokenType::Unused, fill));
        Ok(Vocab {
            tokens,
            token_types,
            merges: trained.merges,
            eos_id,
        })
    }

    /// The `tokenizer.ggml.*` metadata llama.cpp reads for a `gpt2` tokenizer.
    pub fn metadata(&self) -> Vec<(String, Value)> {
        let kv = |k: &str, v: Value| (format!("tokenizer.ggml.{k}"), v);
        vec![
            kv("model", Value::String("gpt2".into())),
            kv("pre", Value::String("default".into())),
            kv(
                "tokens",
                Value::Array(ArrayValue::String(self.tokens.clone())),
            ),
            kv(
                "token_type",
                Value::Array(ArrayValue::I32(
                    self.token_types.iter().map(|t| t.raw()).collect(),
                )),
            ),
            kv(
                "merges",
                Value::Array(ArrayValue::String(self.merges.clone())),
            ),
            kv("bos_token_id", Value::U32(self.eos_id)),
            kv("eos_token_id", Value::U32(self.eos_id)),
            kv("add_bos_token", Value::Bool(false)),
        ]
    }
}
