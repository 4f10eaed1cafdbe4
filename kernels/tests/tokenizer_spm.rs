//! SentencePiece-style BPE (`llama`) on vocabularies built here: merges by
//! score, byte fallback, the unknown token, the space prefix, round trips.

use edgebench_kernels::tokenizer::{
    PreTokenizer, TokenType, Tokenizer, TokenizerError, TokenizerModel, Vocab,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const UNK: u32 = 0;
const BOS: u32 = 1;
const EOS: u32 = 2;
/// `<0xXX>` is token `BYTE0 + XX`.
const BYTE0: u32 = 3;

/// `<unk>`, `<s>`, `</s>`, optionally the 256 byte tokens, then `pieces`
/// (written with `▁` for spaces) with their scores.
fn vocab(pieces: &[(&str, f32)], byte_tokens: bool) -> Vocab {
    let mut tokens: Vec<String> = ["<unk>", "<s>", "</s>"].map(String::from).to_vec();
    let mut types = vec![2, 3, 3];
    let mut scores = vec![0.0; 3];
    if byte_tokens {
        for b in 0..=255u8 {
            tokens.push(format!("<0x{b:02X}>"));
            types.push(6);
            scores.push(0.0);
        }
    }
    for &(p, s) in pieces {
        tokens.push(p.to_owned());
        types.push(1);
        scores.push(s);
    }
    let mut v = Vocab::new(TokenizerModel::LlamaSpm, PreTokenizer::Default, tokens);
    v.scores = Some(scores);
    v.token_types = Some(types);
    v.unk_id = Some(UNK);
    v.bos_id = Some(BOS);
    v.eos_id = Some(EOS);
    v
}

const PIECES: &[(&str, f32)] = &[
    ("▁", -1.0),
    ("h", -10.0),
    ("e", -10.0),
    ("l", -10.0),
    ("o", -10.0),
    ("w", -10.0),
    ("r", -10.0),
    ("d", -10.0),
    ("he", -3.0),
    ("ll", -2.0),
    ("lo", -4.0),
    ("llo", -5.0),
    ("▁he", -6.0),
    ("▁hello", -7.0),
    ("or", -3.0),
    ("ld", -3.5),
    ("▁w", -4.0),
    ("wor", -8.0),
    ("▁wor", -6.0),
    ("▁world", -7.0),
    ("東", -9.0),
];

fn id(tok: &Tokenizer, piece: &str) -> u32 {
    tok.token_id(piece)
        .unwrap_or_else(|| panic!("{piece:?} is not a token"))
}

#[test]
fn hand_checked_merges_by_score() {
    let tok = Tokenizer::new(vocab(PIECES, true)).expect("valid");
    let ids = tok.encode("hello world", false, false);
    assert_eq!(ids, [id(&tok, "▁hello"), id(&tok, "▁world")]);
    // "H" is not a piece: its byte token, then the best merges of "ello".
    let ids = tok.encode("Hello", false, false);
    assert_eq!(
        ids,
        [id(&tok, "▁"), BYTE0 + 0x48, id(&tok, "e"), id(&tok, "llo")]
    );
    // BOS by default; runs of spaces are runs of `▁`.
    let ids = tok.encode("he  wor", true, false);
    assert_eq!(ids, [BOS, id(&tok, "▁he"), id(&tok, "▁"), id(&tok, "▁wor")]);
}

#[test]
fn score_order_decides() {
    let mut first = vocab(
        &[
            ("a", -9.0),
            ("b", -9.0),
            ("c", -9.0),
            ("ab", -1.0),
            ("bc", -2.0),
        ],
        true,
    );
    first.add_space_prefix = false;
    let mut second = first.clone();
    let scores = second.scores.as_mut().expect("scores");
    let n = scores.len();
    scores.swap(n - 1, n - 2);
    let (first, second) = (
        Tokenizer::new(first).expect("valid"),
        Tokenizer::new(second).expect("valid"),
    );
    assert_eq!(
        first.encode("abc", false, false),
        [id(&first, "ab"), id(&first, "c")]
    );
    assert_eq!(
        second.encode("abc", false, false),
        [id(&second, "a"), id(&second, "bc")]
    );
    // Equal scores: the leftmost pair first.
    let mut tie = vocab(
        &[
            ("a", -9.0),
            ("b", -9.0),
            ("c", -9.0),
            ("ab", -1.0),
            ("bc", -1.0),
        ],
        true,
    );
    tie.add_space_prefix = false;
    let tie = Tokenizer::new(tie).expect("valid");
    assert_eq!(
        tie.encode("abc", false, false),
        [id(&tie, "ab"), id(&tie, "c")]
    );
}

#[test]
fn byte_fallback_and_unknown() {
    let tok = Tokenizer::new(vocab(PIECES, true)).expect("valid");
    let ids = tok.encode("京東", false, false);
    assert_eq!(
        ids,
        [
            id(&tok, "▁"),
            BYTE0 + 0xE4,
            BYTE0 + 0xBA,
            BYTE0 + 0xAC,
            id(&tok, "東")
        ]
    );
    assert_eq!(tok.token_type(BYTE0 + 0xE4), Some(TokenType::Byte));
    assert_eq!(tok.decode(&ids, false).expect("in range"), "京東");

    let tok = Tokenizer::new(vocab(PIECES, false)).expect("valid");
    let ids = tok.encode("京東x", false, false);
    assert_eq!(ids, [id(&tok, "▁"), UNK, id(&tok, "東"), UNK]);
    assert_eq!(tok.decode(&ids, false).expect("in range"), "東");
    assert_eq!(tok.decode(&ids, true).expect("in range"), "<unk>東<unk>");

    let mut v = vocab(PIECES, false);
    v.unk_id = None;
    assert!(matches!(
        Tokenizer::new(v),
        Err(TokenizerError::NoByteFallback)
    ));
}

#[test]
fn byte_tokens_are_recognized_without_types() {
    let mut v = vocab(PIECES, true);
    v.token_types = None;
    let tok = Tokenizer::new(v).expect("valid");
    assert_eq!(tok.token_type(BYTE0 + 0x41), Some(TokenType::Byte));
    assert_eq!(
        tok.decode(&[BYTE0 + 0x41, BYTE0 + 0x0A], false)
            .expect("in range"),
        "A\n"
    );
}

#[test]
fn space_prefix_and_special_tokens() {
    let tok = Tokenizer::new(vocab(PIECES, true)).expect("valid");
    // A space is prepended at the start and after each special token.
    let ids = tok.encode("hello</s>world", false, true);
    assert_eq!(ids, [id(&tok, "▁hello"), EOS, id(&tok, "▁world")]);
    assert_eq!(tok.decode(&ids, true).expect("in range"), "hello</s> world");
    // Control-token text is plain text unless parsed.
    let ids = tok.encode("<s>", false, false);
    assert!(!ids.contains(&BOS), "{ids:?}");
    assert_eq!(tok.decode(&ids, false).expect("in range"), "<s>");

    let mut v = vocab(PIECES, true);
    v.add_space_prefix = false;
    let tok = Tokenizer::new(v).expect("valid");
    assert_eq!(tok.encode("he", false, false), [id(&tok, "he")]);
    assert_eq!(
        tok.decode(&[id(&tok, "▁hello")], false).expect("in range"),
        " hello"
    );
}

#[test]
fn invalid_utf8_and_bad_ids_at_decode() {
    let tok = Tokenizer::new(vocab(PIECES, true)).expect("valid");
    let ids = [id(&tok, "he"), BYTE0 + 0xE4, BYTE0 + 0xBA, id(&tok, "he")];
    assert_eq!(tok.decode(&ids, false).expect("in range"), "he\u{fffd}he");
    assert_eq!(
        tok.decode(&[BYTE0 + 0xFF], false).expect("in range"),
        "\u{fffd}"
    );
    let n = tok.n_vocab() as u32;
    assert!(matches!(
        tok.decode(&[n + 7], false),
        Err(TokenizerError::TokenIdOutOfRange { id, .. }) if id == n + 7
    ));
}

const ALPHABET: &[&str] = &[
    "h",
    "e",
    "l",
    "o",
    "w",
    "r",
    "d",
    "hello",
    "world",
    " ",
    "  ",
    "\t",
    "\n",
    "\r\n",
    "東",
    "京",
    "😀",
    "👩\u{200d}💻",
    "e\u{301}",
    "0",
    "123",
    "½",
    "'s",
    "!",
    "\u{a0}",
    "\u{3000}",
    "▁",
    "<s",
    ">",
    "\0",
    "\u{10ffff}",
];

#[test]
fn round_trips_arbitrary_text() {
    let mut rng = StdRng::seed_from_u64(0x5e7_0002);
    let with_prefix = Tokenizer::new(vocab(PIECES, true)).expect("valid");
    let mut v = vocab(PIECES, true);
    v.add_space_prefix = false;
    let without_prefix = Tokenizer::new(v).expect("valid");
    for _ in 0..300 {
        let len = rng.random_range(0..50);
        let text: String = (0..len)
            .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())])
            .collect();
        for tok in [&with_prefix, &without_prefix] {
            for add_special in [false, true] {
                let ids = tok.encode(&text, add_special, false);
                assert_eq!(ids.first() == Some(&BOS), add_special, "{ids:?}");
                let back = tok.decode(&ids, false).expect("ids in range");
                // A literal `▁` decodes as a space, as in SentencePiece.
                assert_eq!(back, text.replace('▁', " "), "{ids:?}");
            }
        }
    }
}
