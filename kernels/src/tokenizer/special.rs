//! Splitting the input text around special tokens before tokenization
//! (llama.cpp's `tokenizer_st_partition`).

use super::Tokenizer;
use super::vocab::TokenType;

/// A piece of the input: raw text still to tokenize, or a token matched
/// as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fragment {
    /// Byte range of the input.
    Text(usize, usize),
    /// A special token.
    Token(u32),
}

impl Tokenizer {
    /// Splits `text` around special tokens: user-defined tokens always,
    /// control and unknown tokens only when `parse_special` is set.
    ///
    /// As in llama.cpp, the longest special token is searched first in all
    /// remaining text, then the next longest in what is left, and so on
    /// (so the longest token wins where two overlap).
    pub(crate) fn partition(&self, text: &str, parse_special: bool) -> Vec<Fragment> {
        if text.is_empty() {
            return Vec::new();
        }
        let mut frags = vec![Fragment::Text(0, text.len())];
        let mut next = Vec::new();
        for &id in &self.specials {
            let ty = self.types[id as usize];
            if !parse_special && ty != TokenType::UserDefined {
                continue;
            }
            let needle = self.tokens[id as usize].as_str();
            if !frags
                .iter()
                .any(|f| matches!(*f, Fragment::Text(a, b) if text[a..b].contains(needle)))
            {
                continue;
            }
            next.clear();
            for &frag in &frags {
                let Fragment::Text(start, end) = frag else {
                    next.push(frag);
                    continue;
                };
                let mut pos = start;
                for (at, _) in text[start..end].match_indices(needle) {
                    let at = start + at;
                    if at > pos {
                        next.push(Fragment::Text(pos, at));
                    }
                    next.push(Fragment::Token(id));
                    pos = at + needle.len();
                }
                if end > pos {
                    next.push(Fragment::Text(pos, end));
                }
            }
            std::mem::swap(&mut frags, &mut next);
        }
        frags
    }
}
