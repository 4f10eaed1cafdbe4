//! Word splits of every pre-tokenizer on hand-checked inputs (the expected
//! pieces are what the original regexes give), and coverage of arbitrary
//! text.

use edgebench_kernels::tokenizer::{PreTokenizer, TokenizerError};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const TEXTS: [&str; 4] = [
    "Hello world's 12345 tokens!!  \n\n x",
    "I'LL DON'T 3.14159\r\n\r\n\tend  ",
    "a\u{a0}b \u{3000}c\u{301}d \u{bd} x\u{b2}",
    "$+<=>^~| (yes)... 1234567 don't",
];

#[track_caller]
fn check(pre: PreTokenizer, text: &str, expected: &[&str]) {
    assert_eq!(pre.split(text), expected, "{pre:?} on {text:?}");
}

#[test]
fn gpt2_splits() {
    let p = PreTokenizer::Gpt2;
    check(
        p,
        TEXTS[0],
        &[
            "Hello", " world", "'s", " 12345", " tokens", "!!", "  \n\n", " x",
        ],
    );
    check(
        p,
        TEXTS[1],
        &[
            "I", "'", "LL", " DON", "'", "T", " 3", ".", "14159", "\r\n\r\n", "\t", "end", "  ",
        ],
    );
    check(
        p,
        TEXTS[2],
        &[
            "a", "\u{a0}", "b", " ", "\u{3000}", "c", "\u{301}", "d", " \u{bd}", " x", "\u{b2}",
        ],
    );
    check(
        p,
        TEXTS[3],
        &["$+<=>^~|", " (", "yes", ")...", " 1234567", " don", "'t"],
    );
}

#[test]
fn llama3_splits() {
    let p = PreTokenizer::Llama3;
    check(
        p,
        TEXTS[0],
        &[
            "Hello", " world", "'s", " ", "123", "45", " tokens", "!!", "  \n\n", " x",
        ],
    );
    check(
        p,
        TEXTS[1],
        &[
            "I", "'LL", " DON", "'T", " ", "3", ".", "141", "59", "\r\n\r\n", "\tend", "  ",
        ],
    );
    check(
        p,
        TEXTS[2],
        &[
            "a",
            "\u{a0}b",
            " ",
            "\u{3000}c",
            "\u{301}d",
            " ",
            "\u{bd}",
            " x",
            "\u{b2}",
        ],
    );
    check(
        p,
        TEXTS[3],
        &[
            "$+<=>^~|", " (", "yes", ")...", " ", "123", "456", "7", " don", "'t",
        ],
    );
}

#[test]
fn qwen2_splits() {
    let p = PreTokenizer::Qwen2;
    check(
        p,
        TEXTS[0],
        &[
            "Hello", " world", "'s", " ", "1", "2", "3", "4", "5", " tokens", "!!", "  \n\n", " x",
        ],
    );
    check(
        p,
        TEXTS[1],
        &[
            "I", "'LL", " DON", "'T", " ", "3", ".", "1", "4", "1", "5", "9", "\r\n\r\n", "\tend",
            "  ",
        ],
    );
    check(
        p,
        TEXTS[2],
        &[
            "a",
            "\u{a0}b",
            " ",
            "\u{3000}c",
            "\u{301}d",
            " ",
            "\u{bd}",
            " x",
            "\u{b2}",
        ],
    );
    check(
        p,
        TEXTS[3],
        &[
            "$+<=>^~|", " (", "yes", ")...", " ", "1", "2", "3", "4", "5", "6", "7", " don", "'t",
        ],
    );
}

#[test]
fn smollm_splits() {
    let p = PreTokenizer::Smollm;
    check(
        p,
        TEXTS[0],
        &[
            "Hello", " world", "'s", " ", "1", "2", "3", "4", "5", " tokens", "!!", "  \n\n", " x",
        ],
    );
    check(
        p,
        TEXTS[1],
        &[
            "I", "'", "LL", " DON", "'", "T", " ", "3", ".", "1", "4", "1", "5", "9", "\r\n\r\n",
            "\t", "end", "  ",
        ],
    );
    check(
        p,
        TEXTS[2],
        &[
            "a", "\u{a0}", "b", " ", "\u{3000}", "c", "\u{301}", "d", " ", "\u{bd}", " x", "\u{b2}",
        ],
    );
    check(
        p,
        TEXTS[3],
        &[
            "$+<=>^~|", " (", "yes", ")...", " ", "1", "2", "3", "4", "5", "6", "7", " don", "'t",
        ],
    );
}

#[test]
fn default_splits() {
    let p = PreTokenizer::Default;
    check(
        p,
        TEXTS[0],
        &[
            "Hello", " world", "'", "s", " ", "123", "45", " tokens", "!!", "  \n\n", " x",
        ],
    );
    check(
        p,
        TEXTS[1],
        &[
            "I", "'", "LL", " DON", "'", "T", " ", "3", ".", "141", "59", "\r\n\r\n", "\t", "end",
            "  ",
        ],
    );
    check(
        p,
        TEXTS[2],
        &[
            "a", "\u{a0}", "b", " ", "\u{3000}", "c", "\u{301}", "d", " ", "\u{bd}", " x", "\u{b2}",
        ],
    );
    check(
        p,
        TEXTS[3],
        &[
            "$+<=>^~|", " ", "(", "yes", ")...", " ", "123", "456", "7", " don", "'", "t",
        ],
    );
}

#[test]
fn whitespace_edge_cases() {
    let p = PreTokenizer::Gpt2;
    check(p, "", &[]);
    check(p, " ", &[" "]);
    check(p, "   ", &["   "]);
    check(p, "a   ", &["a", "   "]);
    check(p, "a   b", &["a", "  ", " b"]);
    check(p, "'", &["'"]);
    check(p, "'re'RE", &["'re", "'", "RE"]);
    let p = PreTokenizer::Llama3;
    check(p, "x \n", &["x", " \n"]);
    check(p, "x\n\n  y", &["x", "\n\n", " ", " y"]);
    check(p, "!!\n\nz", &["!!\n\n", "z"]);
    check(p, "'Re", &["'Re"]);
}

#[test]
fn gguf_names() {
    for (name, pre) in [
        ("default", PreTokenizer::Default),
        ("gpt-2", PreTokenizer::Gpt2),
        ("llama-bpe", PreTokenizer::Llama3),
        ("llama3", PreTokenizer::Llama3),
        ("smollm", PreTokenizer::Smollm),
        ("qwen2", PreTokenizer::Qwen2),
    ] {
        assert_eq!(PreTokenizer::from_gguf_name(name).ok(), Some(pre), "{name}");
    }
    assert!(matches!(
        PreTokenizer::from_gguf_name("no-such-pre"),
        Err(TokenizerError::UnknownPreTokenizer(n)) if n == "no-such-pre"
    ));
}

/// Characters from many classes, to stress the splitters.
const ALPHABET: &[char] = &[
    'a', 'Z', 'é', 'ß', '東', '京', 'я', '\u{301}', '\u{94d}', '0', '7', '٣', '½', '²', ' ', ' ',
    '\t', '\n', '\r', '\u{a0}', '\u{3000}', '\u{2028}', '\'', '!', '.', '$', '+', '<', '|', '😀',
    '🚀', '\u{200d}', '\u{fffd}', '\u{378}', '\u{e000}', '\0', 's', 'l', 'L', 'v', 'e', 'R', 'd',
];

#[test]
fn splits_cover_arbitrary_text() {
    let mut rng = StdRng::seed_from_u64(0x5eed_5017);
    for _ in 0..400 {
        let len = rng.random_range(0..40);
        let text: String = (0..len)
            .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())])
            .collect();
        for pre in [
            PreTokenizer::Default,
            PreTokenizer::Gpt2,
            PreTokenizer::Llama3,
            PreTokenizer::Smollm,
            PreTokenizer::Qwen2,
        ] {
            let words = pre.split(&text);
            assert_eq!(words.concat(), text, "{pre:?}");
            assert!(words.iter().all(|w| !w.is_empty()), "{pre:?} {words:?}");
        }
    }
}
