//! Text tokenizers built from the `tokenizer.ggml.*` metadata of a GGUF
//! file alone, token for token compatible with llama.cpp.
//!
//! Two algorithms are implemented:
//!
//! - `gpt2`: byte-level BPE. The text is split into words by a
//!   [`PreTokenizer`] chosen by `tokenizer.ggml.pre`, each word's bytes are
//!   spelled in the GPT-2 byte↔unicode alphabet, and adjacent symbols are
//!   merged by the rank of `tokenizer.ggml.merges`.
//! - `llama`: SentencePiece-style BPE. Spaces become `▁` (U+2581), a space
//!   is prepended, adjacent symbols whose concatenation is a token are merged
//!   highest score first, and what no token covers falls back to `<0xXX>`
//!   byte tokens (or the unknown token).
//!
//! Both merge with a binary heap over a linked list of symbols, so one word
//! of `n` symbols costs `O(n log n)`. Nothing is cached between calls.
//!
//! ```
//! use edgebench_kernels::tokenizer::{PreTokenizer, Tokenizer, TokenizerModel, Vocab};
//!
//! let mut tokens: Vec<String> = ["a", "b", "ab"].map(String::from).to_vec();
//! tokens.push("<|end|>".into());
//! let mut vocab = Vocab::new(TokenizerModel::Gpt2Bpe, PreTokenizer::Gpt2, tokens);
//! vocab.merges = vec!["a b".into()];
//! vocab.token_types = Some(vec![1, 1, 1, 3]);
//! vocab.eos_id = Some(3);
//! vocab.add_eos = true;
//! let tok = Tokenizer::new(vocab)?;
//! assert_eq!(tok.encode("abba", true, false), vec![2, 1, 0, 3]);
//! assert_eq!(tok.decode(&[2, 1, 0, 3], false)?, "abba");
//! assert_eq!(tok.decode(&[2, 1, 0, 3], true)?, "abba<|end|>");
//! # Ok::<(), edgebench_kernels::tokenizer::TokenizerError>(())
//! ```

mod bpe;
mod decode;
mod encode;
mod error;
mod gguf;
mod hash;
mod load;
mod pretok;
mod special;
mod split;
mod spm;
mod unicode;
mod vocab;

pub use error::TokenizerError;
pub use pretok::PreTokenizer;
pub use vocab::{TokenType, TokenizerModel, Vocab};

use hash::FastMap;

/// Byte-level BPE merge rules: `(left, right)` token ids → `(rank, merged
/// token id)`.
type MergeTable = FastMap<(u32, u32), (u32, u32)>;

/// A tokenizer: validated vocabulary tables plus the encoding options read
/// from the metadata. Cheap to share across threads (`&self` everywhere).
#[derive(Debug, Clone)]
pub struct Tokenizer {
    model: TokenizerModel,
    pre: PreTokenizer,
    /// Token texts, as stored (GPT-2 alphabet or `▁`-escaped).
    tokens: Vec<String>,
    types: Vec<TokenType>,
    /// SentencePiece scores (empty for byte-level BPE).
    scores: Vec<f32>,
    /// Token text → id; for repeated texts the last id wins, as in llama.cpp.
    token_to_id: FastMap<String, u32>,
    /// `(left, right)` → `(rank, merged)` (byte-level BPE).
    merges: MergeTable,
    /// The token for each byte value: its GPT-2 alphabet char (byte-level
    /// BPE) or `<0xXX>` (SentencePiece), when the vocabulary has one.
    byte_tokens: [Option<u32>; 256],
    /// The bytes each token decodes to (control and unknown tokens: their
    /// text).
    pieces: Vec<Box<[u8]>>,
    /// Tokens matched as a whole in the input text, longest text first.
    specials: Vec<u32>,
    /// Tokens that end generation, sorted.
    eog: Vec<u32>,
    bos: Option<u32>,
    eos: Option<u32>,
    unk: Option<u32>,
    pad: Option<u32>,
    add_bos: bool,
    add_eos: bool,
    add_space_prefix: bool,
}

impl Tokenizer {
    /// The tokenization algorithm.
    pub fn model(&self) -> TokenizerModel {
        self.model
    }

    /// The pre-tokenizer (used by byte-level BPE only).
    pub fn pre_tokenizer(&self) -> PreTokenizer {
        self.pre
    }

    /// Number of tokens in the vocabulary.
    pub fn n_vocab(&self) -> usize {
        self.tokens.len()
    }

    /// Beginning-of-sequence token, if the vocabulary names one.
    pub fn bos(&self) -> Option<u32> {
        self.bos
    }

    /// End-of-sequence token, if the vocabulary names one.
    pub fn eos(&self) -> Option<u32> {
        self.eos
    }

    /// Unknown token, if the vocabulary names one.
    pub fn unk(&self) -> Option<u32> {
        self.unk
    }

    /// Padding token, if the vocabulary names one.
    pub fn pad(&self) -> Option<u32> {
        self.pad
    }

    /// Whether [`encode`](Self::encode) with `add_special` prepends BOS.
    pub fn adds_bos(&self) -> bool {
        self.add_bos
    }

    /// Whether [`encode`](Self::encode) with `add_special` appends EOS.
    pub fn adds_eos(&self) -> bool {
        self.add_eos
    }

    /// Whether `id` ends generation: the EOS and end-of-turn tokens, and
    /// tokens llama.cpp recognizes by their text (`<|im_end|>`,
    /// `<|endoftext|>`, `<|eot_id|>`, `<end_of_turn>`, ...).
    pub fn is_eog(&self, id: u32) -> bool {
        self.eog.binary_search(&id).is_ok()
    }

    /// The token's text as stored in the vocabulary, or `None` for an id
    /// out of range.
    pub fn token_text(&self, id: u32) -> Option<&str> {
        self.tokens.get(id as usize).map(String::as_str)
    }

    /// The token's type, or `None` for an id out of range.
    pub fn token_type(&self, id: u32) -> Option<TokenType> {
        self.types.get(id as usize).copied()
    }

    /// The id of the token whose stored text is exactly `text`.
    pub fn token_id(&self, text: &str) -> Option<u32> {
        self.token_to_id.get(text).copied()
    }
}
