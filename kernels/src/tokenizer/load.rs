//! Validating a [`Vocab`] and building the lookup tables of a [`Tokenizer`].

use super::error::TokenizerError;
use super::hash::FastMap;
use super::unicode::{byte_to_char_table, char_to_byte};
use super::vocab::{TokenType, TokenizerModel, Vocab, parse_byte_token};
use super::{MergeTable, Tokenizer};

/// Texts of tokens that end generation wherever they appear in a vocabulary
/// (llama.cpp's end-of-generation list).
const EOG_TEXTS: &[&str] = &[
    "<|eot_id|>",
    "<|im_end|>",
    "<|end|>",
    "<|return|>",
    "<|call|>",
    "<end_of_turn>",
    "<|endoftext|>",
    "<|eom_id|>",
    "<EOT>",
    "_<EOT>",
    "<|end_of_text|>",
    "<end_of_utterance>",
];

impl Tokenizer {
    /// Builds a tokenizer from plain data, checking it:
    /// - at least one token, and at most `u32::MAX`;
    /// - `scores` and `token_types`, when given, have one entry per token;
    ///   `scores` is required for `llama`;
    /// - BOS/EOS/EOT/unknown/padding ids are in range, and BOS (EOS) is given
    ///   when `add_bos` (`add_eos`) is set;
    /// - every merge rule is `"left right"` with `left`, `right` and
    ///   `left + right` all tokens;
    /// - a `llama` vocabulary has a `<0xXX>` token for every byte or an
    ///   unknown token.
    pub fn new(vocab: Vocab) -> Result<Self, TokenizerError> {
        let n = vocab.tokens.len();
        if n == 0 {
            return Err(TokenizerError::EmptyVocab);
        }
        if u32::try_from(n).is_err() {
            return Err(TokenizerError::TooManyTokens(n));
        }
        check_len(
            "tokenizer.ggml.scores",
            n,
            vocab.scores.as_ref().map(Vec::len),
        )?;
        check_len(
            "tokenizer.ggml.token_type",
            n,
            vocab.token_types.as_ref().map(Vec::len),
        )?;
        let spm = vocab.model == TokenizerModel::LlamaSpm;
        if spm && vocab.scores.is_none() {
            return Err(TokenizerError::MissingScores);
        }
        for (which, id) in [
            ("tokenizer.ggml.bos_token_id", vocab.bos_id),
            ("tokenizer.ggml.eos_token_id", vocab.eos_id),
            ("tokenizer.ggml.eot_token_id", vocab.eot_id),
            ("tokenizer.ggml.unknown_token_id", vocab.unk_id),
            ("tokenizer.ggml.padding_token_id", vocab.pad_id),
        ] {
            if let Some(id) = id
                && id as usize >= n
            {
                return Err(TokenizerError::SpecialIdOutOfRange {
                    which,
                    id,
                    n_tokens: n,
                });
            }
        }
        if vocab.add_bos && vocab.bos_id.is_none() {
            return Err(TokenizerError::MissingSpecialId { which: "bos" });
        }
        if vocab.add_eos && vocab.eos_id.is_none() {
            return Err(TokenizerError::MissingSpecialId { which: "eos" });
        }

        let types: Vec<TokenType> = (0..n).map(|id| vocab.token_type(id)).collect();
        let mut token_to_id = FastMap::with_capacity_and_hasher(n, Default::default());
        for (id, text) in vocab.tokens.iter().enumerate() {
            token_to_id.insert(text.clone(), id as u32);
        }
        let merges = build_merges(&vocab.merges, &token_to_id)?;

        let mut byte_tokens = [None; 256];
        if spm {
            for (id, ty) in types.iter().enumerate() {
                if *ty == TokenType::Byte
                    && let Some(b) = parse_byte_token(&vocab.tokens[id])
                {
                    byte_tokens[b as usize].get_or_insert(id as u32);
                }
            }
            if vocab.unk_id.is_none() && byte_tokens.iter().any(Option::is_none) {
                return Err(TokenizerError::NoByteFallback);
            }
        } else {
            let alphabet = byte_to_char_table();
            let mut buf = [0u8; 4];
            for (b, slot) in byte_tokens.iter_mut().enumerate() {
                *slot = token_to_id
                    .get(&*alphabet[b].encode_utf8(&mut buf))
                    .copied();
            }
        }

        let pieces = vocab
            .tokens
            .iter()
            .zip(&types)
            .map(|(text, &ty)| piece_bytes(vocab.model, text, ty))
            .collect();

        let mut specials: Vec<u32> = (0..n)
            .filter(|&id| types[id].is_special() && !vocab.tokens[id].is_empty())
            .map(|id| id as u32)
            .collect();
        specials.sort_by_key(|&id| std::cmp::Reverse(vocab.tokens[id as usize].len()));

        let mut eog: Vec<u32> = [vocab.eos_id, vocab.eot_id].into_iter().flatten().collect();
        eog.extend(
            EOG_TEXTS
                .iter()
                .filter_map(|t| token_to_id.get(*t).copied()),
        );
        eog.sort_unstable();
        eog.dedup();

        Ok(Self {
            model: vocab.model,
            pre: vocab.pre,
            scores: vocab.scores.unwrap_or_default(),
            tokens: vocab.tokens,
            types,
            token_to_id,
            merges,
            byte_tokens,
            pieces,
            specials,
            eog,
            bos: vocab.bos_id,
            eos: vocab.eos_id,
            unk: vocab.unk_id,
            pad: vocab.pad_id,
            add_bos: vocab.add_bos,
            add_eos: vocab.add_eos,
            add_space_prefix: spm && vocab.add_space_prefix,
        })
    }
}

fn check_len(
    what: &'static str,
    expected: usize,
    actual: Option<usize>,
) -> Result<(), TokenizerError> {
    match actual {
        Some(actual) if actual != expected => Err(TokenizerError::LengthMismatch {
            what,
            expected,
            actual,
        }),
        _ => Ok(()),
    }
}

/// Parses the merge rules into `(left, right) → (rank, merged)`. A rule is
/// split at the first space after its first byte, as llama.cpp does; when a
/// pair appears twice the first (highest-priority) rule wins.
fn build_merges(
    rules: &[String],
    token_to_id: &FastMap<String, u32>,
) -> Result<MergeTable, TokenizerError> {
    let mut merges = MergeTable::with_capacity_and_hasher(rules.len(), Default::default());
    let mut joined = String::new();
    for (index, rule) in rules.iter().enumerate() {
        let split = rule
            .as_bytes()
            .iter()
            .skip(1)
            .position(|&b| b == b' ')
            .map(|p| p + 1);
        let Some(at) = split.filter(|&at| at + 1 < rule.len()) else {
            return Err(TokenizerError::MalformedMerge {
                index,
                merge: rule.clone(),
            });
        };
        let (left, right) = (&rule[..at], &rule[at + 1..]);
        joined.clear();
        joined.push_str(left);
        joined.push_str(right);
        let id = |token: &str| {
            token_to_id
                .get(token)
                .copied()
                .ok_or_else(|| TokenizerError::MergeUnknownToken {
                    index,
                    token: token.to_owned(),
                })
        };
        let (l, r, m) = (id(left)?, id(right)?, id(&joined)?);
        let rank = u32::try_from(index).unwrap_or(u32::MAX);
        merges.entry((l, r)).or_insert((rank, m));
    }
    Ok(merges)
}

/// The bytes a token decodes to when rendered: byte-level BPE spells bytes
/// in the GPT-2 alphabet (chars outside it are kept as their UTF-8), a
/// SentencePiece byte token is its byte and `▁` is a space; control,
/// unknown and user-defined tokens are their text.
fn piece_bytes(model: TokenizerModel, text: &str, ty: TokenType) -> Box<[u8]> {
    match ty {
        TokenType::Control | TokenType::Unknown | TokenType::UserDefined => {
            return text.as_bytes().into();
        }
        TokenType::Byte if model == TokenizerModel::LlamaSpm => {
            if let Some(b) = parse_byte_token(text) {
                return Box::new([b]);
            }
        }
        _ => {}
    }
    match model {
        TokenizerModel::Gpt2Bpe => {
            let mut out = Vec::with_capacity(text.len());
            let mut buf = [0u8; 4];
            for c in text.chars() {
                match char_to_byte(c) {
                    Some(b) => out.push(b),
                    None => out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes()),
                }
            }
            out.into()
        }
        TokenizerModel::LlamaSpm => text.replace('\u{2581}', " ").into_bytes().into(),
    }
}
