//! SentencePiece-style BPE (`tokenizer.ggml.model = "llama"`), as
//! llama.cpp's `llm_tokenizer_spm_session`.
//!
//! The text (spaces already escaped as `▁`) starts as one symbol per
//! character; a max-heap holds every adjacent pair whose concatenation is a
//! token, highest score first and leftmost first among equal scores. When
//! no more pairs merge, each symbol is its token, or else its bytes as
//! `<0xXX>` tokens (or the unknown token).
//!
//! Unlike llama.cpp, only normal and user-defined tokens take part: literal
//! text such as `<s>` or `<0x41>` never turns into the control or byte
//! token of that name, as in SentencePiece itself.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::Tokenizer;
use super::vocab::TokenType;

const NONE: usize = usize::MAX;

/// One symbol: a byte range of the escaped text.
#[derive(Debug, Clone, Copy)]
struct Symbol {
    start: usize,
    /// Bytes covered; 0 once merged into its left neighbour.
    len: usize,
    prev: usize,
    next: usize,
}

/// A candidate merge.
#[derive(Debug, Clone, Copy)]
struct Pair {
    score: f32,
    left: usize,
    right: usize,
    /// Bytes of the merged symbol, to detect stale pairs.
    size: usize,
}

impl Ord for Pair {
    /// Higher score first, then the leftmost pair.
    fn cmp(&self, other: &Self) -> Ordering {
        self.score
            .total_cmp(&other.score)
            .then_with(|| other.left.cmp(&self.left))
    }
}

impl PartialOrd for Pair {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Pair {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Pair {}

/// Buffers reused across the fragments of one `encode` call.
#[derive(Debug, Default)]
pub(crate) struct SpmScratch {
    escaped: String,
    symbols: Vec<Symbol>,
    heap: BinaryHeap<Pair>,
}

impl Tokenizer {
    /// Escapes spaces in `text` (prepending one when `space_prefix`) and
    /// appends its tokens to `out`.
    pub(crate) fn encode_spm(
        &self,
        text: &str,
        space_prefix: bool,
        s: &mut SpmScratch,
        out: &mut Vec<u32>,
    ) {
        let mut escaped = std::mem::take(&mut s.escaped);
        escaped.clear();
        if space_prefix {
            escaped.push('\u{2581}');
        }
        escaped.extend(text.chars().map(|c| if c == ' ' { '\u{2581}' } else { c }));
        self.spm_merge(&escaped, s, out);
        s.escaped = escaped;
    }

    fn spm_merge(&self, text: &str, s: &mut SpmScratch, out: &mut Vec<u32>) {
        s.symbols.clear();
        let n = text.chars().count();
        s.symbols
            .extend(text.char_indices().enumerate().map(|(i, (at, c))| Symbol {
                start: at,
                len: c.len_utf8(),
                prev: if i == 0 { NONE } else { i - 1 },
                next: if i + 1 == n { NONE } else { i + 1 },
            }));
        s.heap.clear();
        for i in 1..n {
            self.push_spm_pair(text, &s.symbols, &mut s.heap, i - 1, i);
        }
        while let Some(pair) = s.heap.pop() {
            let (l, r) = (pair.left, pair.right);
            let (left, right) = (s.symbols[l], s.symbols[r]);
            if left.len == 0
                || right.len == 0
                || left.next != pair.right
                || left.len + right.len != pair.size
            {
                continue;
            }
            s.symbols[l].len += right.len;
            s.symbols[l].next = right.next;
            s.symbols[r].len = 0;
            if right.next != NONE {
                s.symbols[right.next].prev = pair.left;
            }
            self.push_spm_pair(text, &s.symbols, &mut s.heap, left.prev, pair.left);
            self.push_spm_pair(text, &s.symbols, &mut s.heap, pair.left, right.next);
        }
        let mut i = if n == 0 { NONE } else { 0 };
        while i != NONE {
            let sym = s.symbols[i];
            let piece = &text[sym.start..sym.start + sym.len];
            match self.spm_token(piece) {
                Some(id) => out.push(id),
                None => self.byte_fallback(piece, out),
            }
            i = sym.next;
        }
    }

    fn push_spm_pair(
        &self,
        text: &str,
        symbols: &[Symbol],
        heap: &mut BinaryHeap<Pair>,
        l: usize,
        r: usize,
    ) {
        if l == NONE || r == NONE {
            return;
        }
        let (left, right) = (symbols[l], symbols[r]);
        let size = left.len + right.len;
        let joined = &text[left.start..left.start + size];
        if let Some(id) = self.spm_token(joined) {
            heap.push(Pair {
                score: self.scores[id as usize],
                left: l,
                right: r,
                size,
            });
        }
    }

    /// The normal or user-defined token spelled `piece`.
    fn spm_token(&self, piece: &str) -> Option<u32> {
        let id = *self.token_to_id.get(piece)?;
        match self.types[id as usize] {
            TokenType::Normal | TokenType::UserDefined | TokenType::Undefined => Some(id),
            _ => None,
        }
    }

    /// A character no token covers: its bytes as byte tokens when the
    /// vocabulary has all of them, else one unknown token.
    fn byte_fallback(&self, piece: &str, out: &mut Vec<u32>) {
        let bytes = piece.as_bytes();
        if bytes
            .iter()
            .all(|&b| self.byte_tokens[b as usize].is_some())
        {
            out.extend(bytes.iter().filter_map(|&b| self.byte_tokens[b as usize]));
        } else if let Some(unk) = self.unk {
            out.push(unk);
        }
    }
}
