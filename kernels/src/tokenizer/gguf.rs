//! Reading a vocabulary from the `tokenizer.ggml.*` keys of a GGUF file.

use super::Tokenizer;
use super::error::TokenizerError;
use super::pretok::PreTokenizer;
use super::vocab::{TokenizerModel, Vocab};
use crate::gguf::{ArrayValue, GgufError, GgufFile};

const MODEL: &str = "tokenizer.ggml.model";
const PRE: &str = "tokenizer.ggml.pre";
const TOKENS: &str = "tokenizer.ggml.tokens";
const SCORES: &str = "tokenizer.ggml.scores";
const TOKEN_TYPE: &str = "tokenizer.ggml.token_type";
const MERGES: &str = "tokenizer.ggml.merges";
const BOS: &str = "tokenizer.ggml.bos_token_id";
const EOS: &str = "tokenizer.ggml.eos_token_id";
const EOT: &str = "tokenizer.ggml.eot_token_id";
const UNK: &str = "tokenizer.ggml.unknown_token_id";
const PAD: &str = "tokenizer.ggml.padding_token_id";
const ADD_BOS: &str = "tokenizer.ggml.add_bos_token";
const ADD_EOS: &str = "tokenizer.ggml.add_eos_token";
const ADD_SPACE_PREFIX: &str = "tokenizer.ggml.add_space_prefix";

impl Tokenizer {
    /// Builds the tokenizer described by the metadata of `file` (see
    /// [`Vocab::from_gguf`] and [`Tokenizer::new`]).
    pub fn from_gguf(file: &GgufFile) -> Result<Self, TokenizerError> {
        Self::new(Vocab::from_gguf(file)?)
    }
}

impl Vocab {
    /// Reads the `tokenizer.ggml.*` keys of `file`.
    ///
    /// `model` and `tokens` are required, and `merges` for a `gpt2`
    /// vocabulary. When `add_bos_token` is absent, BOS is added for `llama`
    /// and the `llama3` pre-tokenizer if a BOS id is given;
    /// `add_space_prefix` defaults to true for `llama`.
    pub fn from_gguf(file: &GgufFile) -> Result<Self, TokenizerError> {
        let model_name =
            read(MODEL, file.get_str(MODEL))?.ok_or(TokenizerError::MissingKey { key: MODEL })?;
        let model = TokenizerModel::from_gguf_name(model_name)?;
        let pre = match read(PRE, file.get_str(PRE))? {
            Some(name) => PreTokenizer::from_gguf_name(name)?,
            None => PreTokenizer::Default,
        };
        let tokens = read(TOKENS, file.get_str_array(TOKENS))?
            .ok_or(TokenizerError::MissingKey { key: TOKENS })?
            .to_vec();
        let mut vocab = Vocab::new(model, pre, tokens);
        vocab.scores = read(SCORES, file.get_f32_array(SCORES))?.map(<[f32]>::to_vec);
        vocab.token_types = read(TOKEN_TYPE, file.get_array(TOKEN_TYPE))?
            .map(int_array)
            .transpose()?;
        match read(MERGES, file.get_str_array(MERGES))? {
            Some(merges) => vocab.merges = merges.to_vec(),
            None if model == TokenizerModel::Gpt2Bpe => {
                return Err(TokenizerError::MissingKey { key: MERGES });
            }
            None => {}
        }
        vocab.bos_id = read(BOS, file.get_u32(BOS))?;
        vocab.eos_id = read(EOS, file.get_u32(EOS))?;
        vocab.eot_id = read(EOT, file.get_u32(EOT))?;
        vocab.unk_id = read(UNK, file.get_u32(UNK))?;
        vocab.pad_id = read(PAD, file.get_u32(PAD))?;
        vocab.add_bos = match read(ADD_BOS, file.get_bool(ADD_BOS))? {
            Some(add) => add,
            None => vocab.add_bos && vocab.bos_id.is_some(),
        };
        if let Some(add) = read(ADD_EOS, file.get_bool(ADD_EOS))? {
            vocab.add_eos = add;
        }
        if let Some(add) = read(ADD_SPACE_PREFIX, file.get_bool(ADD_SPACE_PREFIX))? {
            vocab.add_space_prefix = add;
        }
        Ok(vocab)
    }
}

fn read<T>(key: &'static str, r: Result<T, GgufError>) -> Result<T, TokenizerError> {
    r.map_err(|source| TokenizerError::Gguf { key, source })
}

/// `tokenizer.ggml.token_type` as i32 values, from any integer array type.
fn int_array(a: &ArrayValue) -> Result<Vec<i32>, TokenizerError> {
    fn conv<T: Copy + TryInto<i32>>(v: &[T]) -> Result<Vec<i32>, TokenizerError> {
        v.iter()
            .map(|&x| x.try_into().map_err(|_| TokenizerError::BadTokenTypes))
            .collect()
    }
    match a {
        ArrayValue::I32(v) => Ok(v.clone()),
        ArrayValue::U8(v) => conv(v),
        ArrayValue::I8(v) => conv(v),
        ArrayValue::U16(v) => conv(v),
        ArrayValue::I16(v) => conv(v),
        ArrayValue::U32(v) => conv(v),
        ArrayValue::U64(v) => conv(v),
        ArrayValue::I64(v) => conv(v),
        _ => Err(TokenizerError::BadTokenTypes),
    }
}
