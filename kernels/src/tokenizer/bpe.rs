//! Byte-level BPE (`tokenizer.ggml.model = "gpt2"`): merging the bytes of
//! one word by merge rank, as llama.cpp's `llm_tokenizer_bpe_session`.
//!
//! Each byte of the word starts as one symbol (its char in the GPT-2
//! alphabet); a min-heap holds every adjacent pair that has a merge rule,
//! lowest rank first and leftmost first among equal ranks. Popping a pair
//! whose symbols changed since it was pushed is skipped. A word of `n` bytes
//! costs `O(n log n)`.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::Tokenizer;
use super::pretok::SplitScratch;
use super::unicode::byte_to_char_table;

/// "No symbol" / "no token" marker in the linked list.
const NONE: usize = usize::MAX;
/// "No token" marker for a byte the vocabulary cannot spell.
const NO_TOKEN: u32 = u32::MAX;

/// One symbol of the word being merged.
#[derive(Debug, Clone, Copy)]
struct Symbol {
    /// The token the symbol spells, or [`NO_TOKEN`].
    id: u32,
    /// Bytes covered; 0 once merged into its left neighbour.
    len: usize,
    prev: usize,
    next: usize,
}

/// A candidate merge. Field order gives the heap order: rank, then position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Pair {
    rank: u32,
    left: usize,
    right: usize,
    left_id: u32,
    right_id: u32,
    merged: u32,
}

/// Buffers reused across the words of one `encode` call.
#[derive(Debug, Default)]
pub(crate) struct BpeScratch {
    split: SplitScratch,
    words: Vec<(usize, usize)>,
    symbols: Vec<Symbol>,
    heap: BinaryHeap<Reverse<Pair>>,
    spelled: String,
    alphabet: Option<[char; 256]>,
}

impl Tokenizer {
    /// Pre-tokenizes `text` and appends the tokens of every word to `out`.
    pub(crate) fn encode_bpe(&self, text: &str, s: &mut BpeScratch, out: &mut Vec<u32>) {
        let mut words = std::mem::take(&mut s.words);
        self.pre.split_into(text, &mut s.split, &mut words);
        for &(start, end) in &words {
            self.bpe_word(&text.as_bytes()[start..end], s, out);
        }
        s.words = words;
    }

    /// Merges one word. Bytes without a token are dropped, as llama.cpp
    /// does.
    fn bpe_word(&self, word: &[u8], s: &mut BpeScratch, out: &mut Vec<u32>) {
        if self.pre.ignore_merges() {
            let alphabet = s.alphabet.get_or_insert_with(byte_to_char_table);
            s.spelled.clear();
            s.spelled.extend(word.iter().map(|&b| alphabet[b as usize]));
            if let Some(&id) = self.token_to_id.get(s.spelled.as_str()) {
                out.push(id);
                return;
            }
        }
        let n = word.len();
        s.symbols.clear();
        s.symbols
            .extend(word.iter().enumerate().map(|(i, &b)| Symbol {
                id: self.byte_tokens[b as usize].unwrap_or(NO_TOKEN),
                len: 1,
                prev: if i == 0 { NONE } else { i - 1 },
                next: if i + 1 == n { NONE } else { i + 1 },
            }));
        s.heap.clear();
        for i in 1..n {
            self.push_pair(&s.symbols, &mut s.heap, i - 1, i);
        }
        while let Some(Reverse(pair)) = s.heap.pop() {
            let (l, r) = (pair.left, pair.right);
            let (left, right) = (s.symbols[l], s.symbols[r]);
            if left.len == 0
                || right.len == 0
                || left.next != pair.right
                || left.id != pair.left_id
                || right.id != pair.right_id
            {
                continue;
            }
            s.symbols[l] = Symbol {
                id: pair.merged,
                len: left.len + right.len,
                prev: left.prev,
                next: right.next,
            };
            s.symbols[r].len = 0;
            if right.next != NONE {
                s.symbols[right.next].prev = pair.left;
            }
            self.push_pair(&s.symbols, &mut s.heap, left.prev, pair.left);
            self.push_pair(&s.symbols, &mut s.heap, pair.left, right.next);
        }
        let mut i = if n == 0 { NONE } else { 0 };
        while i != NONE {
            let sym = s.symbols[i];
            if sym.id != NO_TOKEN {
                out.push(sym.id);
            }
            i = sym.next;
        }
    }

    fn push_pair(
        &self,
        symbols: &[Symbol],
        heap: &mut BinaryHeap<Reverse<Pair>>,
        l: usize,
        r: usize,
    ) {
        if l == NONE || r == NONE {
            return;
        }
        let (left_id, right_id) = (symbols[l].id, symbols[r].id);
        if let Some(&(rank, merged)) = self.merges.get(&(left_id, right_id)) {
            heap.push(Reverse(Pair {
                rank,
                left: l,
                right: r,
                left_id,
                right_id,
                merged,
            }));
        }
    }
}
