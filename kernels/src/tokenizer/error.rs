//! Errors raised while reading or validating a vocabulary, or decoding
//! token ids.

use crate::gguf::GgufError;

/// Why a vocabulary was rejected, or why ids could not be decoded.
///
/// Errors about metadata name the `tokenizer.ggml.*` key at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenizerError {
    /// A metadata value could not be read (wrong type, out of range).
    #[error("cannot read {key}")]
    Gguf {
        /// The key being read.
        key: &'static str,
        /// The reader's error.
        #[source]
        source: GgufError,
    },
    /// A required metadata key is absent.
    #[error("missing metadata key {key}")]
    MissingKey {
        /// The key.
        key: &'static str,
    },
    /// `tokenizer.ggml.model` names a model this crate does not implement.
    #[error("unsupported tokenizer.ggml.model {0:?} (supported: \"gpt2\", \"llama\")")]
    UnknownModel(String),
    /// `tokenizer.ggml.pre` names a pre-tokenizer this crate does not implement.
    #[error("unsupported tokenizer.ggml.pre {0:?}")]
    UnknownPreTokenizer(String),
    /// `tokenizer.ggml.tokens` is empty.
    #[error("tokenizer.ggml.tokens is empty")]
    EmptyVocab,
    /// `tokenizer.ggml.tokens` has more tokens than a `u32` id can address.
    #[error("tokenizer.ggml.tokens has {0} tokens, more than a u32 id can address")]
    TooManyTokens(usize),
    /// `tokenizer.ggml.token_type` is not an array of integers.
    #[error("tokenizer.ggml.token_type is not an array of 32-bit integers")]
    BadTokenTypes,
    /// A per-token array (`scores`, `token_type`) has the wrong length.
    #[error("{what} has {actual} entries but the vocabulary has {expected} tokens")]
    LengthMismatch {
        /// The array's GGUF key.
        what: &'static str,
        /// Number of tokens.
        expected: usize,
        /// Number of entries found.
        actual: usize,
    },
    /// A special token id (BOS, EOS, …) is not a valid token id.
    #[error("{which} token id {id} is out of range (vocabulary has {n_tokens} tokens)")]
    SpecialIdOutOfRange {
        /// The id's GGUF key (`tokenizer.ggml.bos_token_id`, ...).
        which: &'static str,
        /// The offending id.
        id: u32,
        /// Number of tokens.
        n_tokens: usize,
    },
    /// `add_bos`/`add_eos` is set but the matching token id is missing.
    #[error("tokenizer.ggml.add_{which}_token is set but tokenizer.ggml.{which}_token_id is not")]
    MissingSpecialId {
        /// `bos` or `eos`.
        which: &'static str,
    },
    /// A merge rule is not of the form `"left right"`.
    #[error("tokenizer.ggml.merges[{index}] {merge:?} is not two tokens separated by a space")]
    MalformedMerge {
        /// Position of the rule in `tokenizer.ggml.merges`.
        index: usize,
        /// The rule text.
        merge: String,
    },
    /// A merge rule names a token (either side, or the merged result) that
    /// is not in the vocabulary.
    #[error("tokenizer.ggml.merges[{index}] names {token:?}, which is not in the vocabulary")]
    MergeUnknownToken {
        /// Position of the rule in `tokenizer.ggml.merges`.
        index: usize,
        /// The missing token text.
        token: String,
    },
    /// A SentencePiece vocabulary has no `tokenizer.ggml.scores`.
    #[error("tokenizer.ggml.scores is required for a llama (SentencePiece) vocabulary")]
    MissingScores,
    /// A SentencePiece vocabulary can represent neither unknown characters
    /// as `<0xXX>` byte tokens nor as the unknown token.
    #[error(
        "a llama (SentencePiece) vocabulary needs the 256 <0xXX> byte tokens or tokenizer.ggml.unknown_token_id"
    )]
    NoByteFallback,
    /// A token id passed to the decoder is not in the vocabulary.
    #[error("token id {id} is out of range (vocabulary has {n_tokens} tokens)")]
    TokenIdOutOfRange {
        /// The offending id.
        id: u32,
        /// Number of tokens.
        n_tokens: usize,
    },
}
