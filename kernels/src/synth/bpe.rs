//! A small byte-level BPE trainer: GPT-2's byte-to-unicode alphabet, an
//! approximation of GPT-2's pre-tokenizer, and greedy pair merging.
//!
//! Training is fully deterministic: word counts are kept in sorted maps and
//! ties between equally frequent pairs go to the pair of smaller token ids.

use std::collections::{BTreeMap, HashMap};

/// The 256 bytes in GPT-2's vocabulary order: the printable bytes
/// (`!`..`~`, `¡`..`¬`, `®`..`ÿ`) first, then the others in increasing order.
/// Token id `i` of a GPT-2 vocabulary is the symbol of byte `GPT2_BYTE_ORDER[i]`.
pub fn gpt2_byte_order() -> [u8; 256] {
    let mut order = [0u8; 256];
    let mut n = 0;
    for b in 0..=255u8 {
        if is_printable(b) {
            order[n] = b;
            n += 1;
        }
    }
    for b in 0..=255u8 {
        if !is_printable(b) {
            order[n] = b;
            n += 1;
        }
    }
    order
}

/// Bytes GPT-2 maps to the character of the same code point.
fn is_printable(b: u8) -> bool {
    matches!(b, b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF)
}

/// The character GPT-2 uses for byte `b` (`' '` → `Ġ`, `'\n'` → `Ċ`, ...).
pub fn byte_symbol(b: u8) -> char {
    if is_printable(b) {
        return char::from(b);
    }
    // The non-printable bytes are numbered in increasing order from U+0100.
    let rank = (0..b).filter(|&x| !is_printable(x)).count() as u32;
    char::from_u32(256 + rank).unwrap_or('\u{FFFD}')
}

/// Splits text the way GPT-2's pre-tokenizer regex does, approximately:
/// contractions (`'s`, `'ll`...), letters, digits and other symbols each as
/// runs with an optional leading space, and whitespace runs (the last
/// space before a word goes to the word).
pub fn pretokenize(text: &str) -> Vec<&str> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let at = |i: usize| chars.get(i).map(|&(_, c)| c);
    let offset = |i: usize| chars.get(i).map_or(text.len(), |&(o, _)| o);
    let mut pieces = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let start = i;
        let c = chars[i].1;
        if c == '\'' {
            let rest = &text[offset(i + 1)..];
            let suffix = ["s", "t", "re", "ve", "m", "ll", "d"]
                .into_iter()
                .filter(|s| rest.starts_with(s))
                .max_by_key(|s| s.len());
            if let Some(s) = suffix {
                i += 1 + s.chars().count();
                pieces.push(&text[offset(start)..offset(i)]);
                continue;
            }
        }
        if c.is_whitespace() && !(c == ' ' && at(i + 1).is_some_and(|n| !n.is_whitespace())) {
            let mut j = i;
            while at(j).is_some_and(char::is_whitespace) {
                j += 1;
            }
            // Leave the last whitespace character for the next piece when a
            // non-space follows the run.
            if j < chars.len() && j - i > 1 {
                j -= 1;
            }
            i = j;
            pieces.push(&text[offset(start)..offset(i)]);
            continue;
        }
        if c == ' ' {
            i += 1;
        }
        let class = |c: char| {
            if c.is_alphabetic() {
                0
            } else if c.is_numeric() {
                1
            } else if c.is_whitespace() {
                3
            } else {
                2
            }
        };
        let Some(first) = at(i) else { break };
        let k = class(first);
        while at(i).is_some_and(|c| class(c) == k && k != 3) {
            i += 1;
        }
        if i == start {
            i += 1;
        }
        pieces.push(&text[offset(start)..offset(i)]);
    }
    pieces
}

/// What training produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Trained {
    /// The 256 byte symbols in GPT-2 order, then one token per new merge result.
    pub tokens: Vec<String>,
    /// Merges in priority order, as `"left right"`.
    pub merges: Vec<String>,
}

/// Learns merges over `corpus` until there are `max_tokens` tokens or no
/// adjacent pair is left in any word.
pub fn train(corpus: &str, max_tokens: usize) -> Trained {
    let order = gpt2_byte_order();
    let mut byte_id = [0u32; 256];
    for (id, &b) in order.iter().enumerate() {
        byte_id[usize::from(b)] = id as u32;
    }
    let mut tokens: Vec<String> = order.iter().map(|&b| byte_symbol(b).to_string()).collect();
    let mut index: HashMap<String, u32> = tokens
        .iter()
        .enumerate()
        .map(|(i, t)| (t.clone(), i as u32))
        .collect();

    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    for piece in pretokenize(corpus) {
        *counts.entry(piece).or_default() += 1;
    }
    let mut words: Vec<(Vec<u32>, u64)> = counts
        .into_iter()
        .map(|(w, n)| {
            (
                w.bytes()
                    .map(|b| byte_id[usize::from(b)])
                    .collect::<Vec<u32>>(),
                n,
            )
        })
        .filter(|(syms, _)| syms.len() > 1)
        .collect();

    let mut merges = Vec::new();
    let mut pairs: HashMap<(u32, u32), u64> = HashMap::new();
    while tokens.len() < max_tokens {
        pairs.clear();
        for (syms, n) in &words {
            for w in syms.windows(2) {
                *pairs.entry((w[0], w[1])).or_default() += n;
            }
        }
        // Most frequent pair; ties to the smallest ids, whatever the map order.
        let Some((&(a, b), _)) = pairs
            .iter()
            .max_by(|(p, n), (q, m)| n.cmp(m).then_with(|| q.cmp(p)))
        else {
            break;
        };
        let merged = format!("{}{}", tokens[a as usize], tokens[b as usize]);
        merges.push(format!("{} {}", tokens[a as usize], tokens[b as usize]));
        let id = match index.get(&merged) {
            Some(&id) => id,
            None => {
                let id = tokens.len() as u32;
                index.insert(merged.clone(), id);
                tokens.push(merged);
                id
            }
        };
        for (syms, _) in &mut words {
            apply_merge(syms, (a, b), id);
        }
        words.retain(|(syms, _)| syms.len() > 1);
    }
    Trained { tokens, merges }
}

/// Replaces every non-overlapping `pair`, left to right, by `id`.
fn apply_merge(syms: &mut Vec<u32>, pair: (u32, u32), id: u32) {
    let mut out = 0;
    let mut i = 0;
    while i < syms.len() {
        if i + 1 < syms.len() && (syms[i], syms[i + 1]) == pair {
            syms[out] = id;
            i += 2;
        } else {
            syms[out] = syms[i];
            i += 1;
        }
        out += 1;
    }
    syms.truncate(out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_symbols_follow_gpt2() {
        assert_eq!(byte_symbol(b' '), 'Ġ');
        assert_eq!(byte_symbol(b'\n'), 'Ċ');
        assert_eq!(byte_symbol(0), 'Ā');
        assert_eq!(byte_symbol(b'a'), 'a');
        let order = gpt2_byte_order();
        // GPT-2 token 0 is "!", 188 is "Ā" (byte 0), 220 is "Ġ" (space).
        assert_eq!((order[0], order[188], order[220]), (b'!', 0, b' '));
        let mut sorted = order.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..=255).collect::<Vec<u8>>());
    }

    #[test]
    fn pretokenizer_splits_like_gpt2() {
        assert_eq!(
            pretokenize("Hello, world! It's 2024.\n\n  Done  now"),
            [
                "Hello", ",", " world", "!", " It", "'s", " 2024", ".", "\n\n ", " Done", " ",
                " now"
            ]
        );
        assert_eq!(pretokenize(""), Vec::<&str>::new());
        assert_eq!(pretokenize("a  "), ["a", "  "]);
        assert_eq!(pretokenize("x\ny"), ["x", "\n", "y"]);
    }

    #[test]
    fn pretokenizer_pieces_cover_the_text_exactly() {
        let text = super::super::CORPUS;
        let pieces = pretokenize(text);
        assert_eq!(pieces.concat(), text);
        assert!(pieces.iter().all(|p| !p.is_empty()));
        assert!(pieces.contains(&" lighthouse") && pieces.contains(&" 1852"));
    }

    #[test]
    fn training_merges_frequent_pairs_first() {
        let t = train("low low low lower lowest", 300);
        assert_eq!(t.merges[0], "l o");
        assert!(
            t.tokens.contains(&"Ġlow".to_string()),
            "{:?}",
            &t.tokens[256..]
        );
        let t = train("ab ab", 256);
        assert!(t.merges.is_empty());
        assert_eq!(t.tokens.len(), 256);
    }

    #[test]
    fn apply_merge_is_left_to_right() {
        let mut s = vec![1, 1, 1, 2];
        apply_merge(&mut s, (1, 1), 9);
        assert_eq!(s, [9, 1, 2]);
    }
}
