//! Byte-level BPE (`gpt2`) on vocabularies built here: round trips of
//! arbitrary UTF-8, hand-checked merges, merge-rank order, special tokens,
//! and decoding of invalid byte sequences and bad ids.

use edgebench_kernels::tokenizer::{
    PreTokenizer, Tokenizer, TokenizerError, TokenizerModel, Vocab,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// GPT-2's byte alphabet, written out independently of the crate.
fn byte_char(b: u8) -> char {
    let printable = |x: u8| matches!(x, b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF);
    if printable(b) {
        char::from(b)
    } else {
        let k = (0..b).filter(|&x| !printable(x)).count() as u32;
        char::from_u32(0x100 + k).expect("below U+0144")
    }
}

/// `text`'s bytes spelled in the GPT-2 alphabet.
fn spell(text: &str) -> String {
    text.bytes().map(byte_char).collect()
}

const SPECIALS: [&str; 3] = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];

/// Token ids 0..256 are the bytes, then one token per merge (in order),
/// then the control tokens of [`SPECIALS`].
fn vocab(pre: PreTokenizer, merges: &[(&str, &str)]) -> Vocab {
    let mut tokens: Vec<String> = (0..=255u8).map(|b| byte_char(b).to_string()).collect();
    let mut rules = Vec::new();
    for (l, r) in merges {
        let joined = spell(&format!("{l}{r}"));
        if !tokens.contains(&joined) {
            tokens.push(joined);
        }
        rules.push(format!("{} {}", spell(l), spell(r)));
    }
    let mut types = vec![1; tokens.len()];
    for s in SPECIALS {
        tokens.push(s.to_owned());
        types.push(3);
    }
    let mut v = Vocab::new(TokenizerModel::Gpt2Bpe, pre, tokens);
    // `llama3` adds BOS by default.
    v.bos_id = Some((v.tokens.len() - SPECIALS.len()) as u32);
    v.merges = rules;
    v.token_types = Some(types);
    v
}

const MERGES: &[(&str, &str)] = &[
    (" ", "t"),
    ("h", "e"),
    (" t", "he"),
    ("i", "n"),
    ("t", "h"),
    (" t", "h"),
    (" th", "in"),
    ("1", "2"),
    ("e", "r"),
    (" ", " "),
    ("\n", "\n"),
    ("'", "s"),
];

fn tokenizer(pre: PreTokenizer) -> Tokenizer {
    Tokenizer::new(vocab(pre, MERGES)).expect("valid vocabulary")
}

/// The id of a token given as plain text.
fn id(tok: &Tokenizer, text: &str) -> u32 {
    tok.token_id(&spell(text))
        .or_else(|| tok.token_id(text))
        .unwrap_or_else(|| panic!("{text:?} is not a token"))
}

#[test]
fn hand_checked_merges() {
    let tok = tokenizer(PreTokenizer::Gpt2);
    let ids = tok.encode("the thin", false, false);
    assert_eq!(ids, [id(&tok, "t"), id(&tok, "he"), id(&tok, " thin")]);
    let ids = tok.encode("it's 12\n\n", false, false);
    let expected = ["i", "t", "'s", " ", "12", "\n\n"].map(|t| id(&tok, t));
    assert_eq!(ids, expected);
    // Equal ranks: the leftmost pair merges first.
    let tok = Tokenizer::new(vocab(PreTokenizer::Gpt2, &[("a", "a")])).expect("valid");
    assert_eq!(
        tok.encode("aaa", false, false),
        [id(&tok, "aa"), id(&tok, "a")]
    );
    assert_eq!(
        tok.encode("aaaa", false, false),
        [id(&tok, "aa"), id(&tok, "aa")]
    );
}

#[test]
fn merge_rank_order_decides() {
    let first =
        Tokenizer::new(vocab(PreTokenizer::Gpt2, &[("a", "b"), ("b", "c")])).expect("valid");
    let second =
        Tokenizer::new(vocab(PreTokenizer::Gpt2, &[("b", "c"), ("a", "b")])).expect("valid");
    assert_eq!(
        first.encode("abc", false, false),
        [id(&first, "ab"), id(&first, "c")]
    );
    assert_eq!(
        second.encode("abc", false, false),
        [id(&second, "a"), id(&second, "bc")]
    );
    // Chained merges need the intermediate token first.
    let chained =
        Tokenizer::new(vocab(PreTokenizer::Gpt2, &[("b", "c"), ("a", "bc")])).expect("valid");
    assert_eq!(chained.encode("abc", false, false), [id(&chained, "abc")]);
}

#[test]
fn llama3_words_that_are_tokens_skip_merges() {
    // "abc" is a token, but the merges alone cannot reach it.
    let mut v = vocab(PreTokenizer::Llama3, &[("a", "b")]);
    v.tokens.push("abc".into());
    v.token_types.as_mut().expect("types").push(1);
    let abc = (v.tokens.len() - 1) as u32;
    let tok = Tokenizer::new(v.clone()).expect("valid");
    assert_eq!(tok.encode("abc", false, false), [abc]);
    v.pre = PreTokenizer::Gpt2;
    let tok = Tokenizer::new(v).expect("valid");
    assert_eq!(
        tok.encode("abc", false, false),
        [id(&tok, "ab"), id(&tok, "c")]
    );
}

/// Characters of many kinds: emoji (with ZWJ), CJK, combining marks,
/// whitespace of every sort, digits, contractions, the special-token
/// delimiters.
const ALPHABET: &[&str] = &[
    "a",
    "t",
    "h",
    "e",
    "i",
    "n",
    "Z",
    "é",
    "e\u{301}",
    "東",
    "京",
    "語",
    "я",
    "ß",
    "😀",
    "🚀",
    "👩\u{200d}💻",
    " ",
    "  ",
    "\t",
    "\n",
    "\r\n",
    "\u{a0}",
    "\u{3000}",
    "0",
    "1",
    "2",
    "12",
    "٣",
    "½",
    "'s",
    "'LL",
    "!",
    "?",
    "...",
    "<|",
    "|>",
    "im_start",
    "\u{fffd}",
    "\0",
    "\u{10ffff}",
];

fn random_text(rng: &mut StdRng) -> String {
    let len = rng.random_range(0..60);
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())])
        .collect()
}

#[test]
fn round_trips_arbitrary_text() {
    let mut rng = StdRng::seed_from_u64(0xb1e_0001);
    let tokenizers: Vec<Tokenizer> = [
        PreTokenizer::Default,
        PreTokenizer::Gpt2,
        PreTokenizer::Llama3,
        PreTokenizer::Smollm,
        PreTokenizer::Qwen2,
    ]
    .into_iter()
    .map(tokenizer)
    .collect();
    for _ in 0..300 {
        let text = random_text(&mut rng);
        for tok in &tokenizers {
            let ids = tok.encode(&text, false, false);
            let back = tok.decode(&ids, false).expect("ids in range");
            assert_eq!(back, text, "{:?}: {ids:?}", tok.pre_tokenizer());
        }
    }
}

#[test]
fn special_tokens_are_matched_only_when_asked() {
    let tok = tokenizer(PreTokenizer::Smollm);
    let (start, end) = (id(&tok, "<|im_start|>"), id(&tok, "<|im_end|>"));
    let text = "<|im_start|>the<|im_end|>\n<|im_start|>";
    let ids = tok.encode(text, false, true);
    assert_eq!(
        ids,
        [
            start,
            id(&tok, "t"),
            id(&tok, "he"),
            end,
            id(&tok, "\n"),
            start
        ]
    );
    assert_eq!(tok.decode(&ids, true).expect("in range"), text);
    assert_eq!(tok.decode(&ids, false).expect("in range"), "the\n");

    let plain = tok.encode(text, false, false);
    assert!(!plain.contains(&start) && !plain.contains(&end));
    assert_eq!(tok.decode(&plain, false).expect("in range"), text);
}

#[test]
fn bos_eos_follow_the_metadata() {
    let mut v = vocab(PreTokenizer::Gpt2, MERGES);
    v.bos_id = Some(id_in(&v, "<|im_start|>"));
    v.eos_id = Some(id_in(&v, "<|endoftext|>"));
    v.add_bos = true;
    v.add_eos = true;
    let tok = Tokenizer::new(v).expect("valid");
    let (bos, eos) = (tok.bos().expect("bos"), tok.eos().expect("eos"));
    assert_eq!(tok.encode("", true, false), [bos, eos]);
    assert_eq!(tok.encode("", false, false), Vec::<u32>::new());
    let ids = tok.encode("in", true, false);
    assert_eq!(ids, [bos, id(&tok, "in"), eos]);
    assert!(tok.is_eog(eos));
    assert!(tok.is_eog(id(&tok, "<|im_end|>")), "recognized by its text");
    assert!(!tok.is_eog(bos));
}

fn id_in(v: &Vocab, text: &str) -> u32 {
    v.tokens.iter().position(|t| t == text).expect("token") as u32
}

#[test]
fn decoding_invalid_utf8_gives_replacement_chars() {
    let tok = tokenizer(PreTokenizer::Gpt2);
    // Byte tokens are ids 0..256.
    assert_eq!(tok.decode(&[0xFF], false).expect("in range"), "\u{fffd}");
    let ids = [u32::from(b'a'), 0xE6, 0x9D, u32::from(b'b')];
    assert_eq!(tok.decode(&ids, false).expect("in range"), "a\u{fffd}b");
    // The same bytes completed form the character.
    let ids = [0xE6, 0x9D, 0xB1];
    assert_eq!(tok.decode(&ids, false).expect("in range"), "東");
    assert_eq!(tok.token_to_piece(0xE6, false).expect("in range"), [0xE6]);
}

#[test]
fn out_of_range_ids_are_errors() {
    let tok = tokenizer(PreTokenizer::Gpt2);
    let n = tok.n_vocab() as u32;
    assert!(matches!(
        tok.decode(&[1, n], false),
        Err(TokenizerError::TokenIdOutOfRange { id, n_tokens }) if id == n && n_tokens == n as usize
    ));
    assert!(tok.token_to_piece(u32::MAX, true).is_err());
}

#[test]
fn bytes_without_a_token_are_dropped() {
    let mut v = vocab(PreTokenizer::Gpt2, &[]);
    v.tokens[0xBF] = "unused-bf".into();
    let tok = Tokenizer::new(v).expect("valid");
    let ids = tok.encode("a\u{ff}b", false, false); // U+00FF is C3 BF
    assert_eq!(ids, [u32::from(b'a'), 0xC3, u32::from(b'b')]);
}
