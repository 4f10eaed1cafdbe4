//! Checks against a real model's vocabulary, when `EDGEBENCH_REAL_GGUF`
//! names a GGUF file (skipped with a note otherwise).
//!
//! For SmolLM2 (`tokenizer.ggml.pre = "smollm"`, 49152 tokens) the expected
//! ids are those of the model's own Hugging Face tokenizer (byte-level BPE
//! with single-digit splitting) on the same strings.

use std::time::Instant;

use edgebench_kernels::gguf::GgufFile;
use edgebench_kernels::tokenizer::{PreTokenizer, Tokenizer};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn real_tokenizer() -> Option<Tokenizer> {
    let Some(path) = std::env::var_os("EDGEBENCH_REAL_GGUF") else {
        println!("note: EDGEBENCH_REAL_GGUF is not set; skipping the real-vocabulary checks");
        return None;
    };
    let file = GgufFile::open(&path).expect("EDGEBENCH_REAL_GGUF is a readable GGUF file");
    Some(Tokenizer::from_gguf(&file).expect("the model's tokenizer metadata is valid"))
}

fn is_smollm2(tok: &Tokenizer) -> bool {
    tok.pre_tokenizer() == PreTokenizer::Smollm
        && tok.n_vocab() == 49152
        && tok.token_text(3575) == Some("Ġcapital")
}

/// (text, parse_special, expected ids)
const SMOLLM2_CASES: &[(&str, bool, &[u32])] = &[
    (
        "The capital of France is",
        false,
        &[504, 3575, 282, 4649, 314],
    ),
    (
        "Hello world's 12345 tokens!!  \n\n x",
        false,
        &[
            19556, 905, 506, 216, 33, 34, 35, 36, 37, 17837, 10095, 256, 1116, 1792,
        ],
    ),
    (
        "I can't believe it's 2024, they'll say.",
        false,
        &[
            57, 416, 982, 2875, 357, 506, 216, 34, 32, 34, 36, 28, 502, 3060, 1643, 30,
        ],
    ),
    (
        "<|im_start|>user\nWhat is 7 x 8?<|im_end|>\n",
        true,
        &[1, 4093, 198, 1780, 314, 216, 39, 1792, 216, 40, 47, 2, 198],
    ),
    (
        "naïve café — 東京 🚀 emoji",
        false,
        &[
            3546, 46494, 37366, 1841, 17097, 247, 126, 16736, 122, 15107, 244, 218, 649, 33777,
        ],
    ),
    (
        "def f(x):\n    return x**2 + 3.14159\n",
        false,
        &[
            1604, 275, 24, 104, 727, 472, 1003, 1792, 828, 34, 1232, 216, 35, 30, 33, 36, 33, 37,
            41, 198,
        ],
    ),
    (
        "  leading spaces\tand\ttabs\r\n",
        false,
        &[216, 2899, 5600, 197, 397, 197, 100, 7366, 2738],
    ),
];

#[test]
fn real_vocabulary_matches_reference_ids() {
    let Some(tok) = real_tokenizer() else { return };
    for (text, _, _) in SMOLLM2_CASES {
        let ids = tok.encode(text, false, true);
        assert_eq!(tok.decode(&ids, true).expect("ids in range"), *text);
    }
    if !is_smollm2(&tok) {
        println!("note: not the SmolLM2 vocabulary; only round trips were checked");
        return;
    }
    assert_eq!(
        (tok.bos(), tok.eos(), tok.unk()),
        (Some(1), Some(2), Some(0))
    );
    assert!(tok.is_eog(0) && tok.is_eog(2) && !tok.is_eog(1));
    for &(text, parse_special, expected) in SMOLLM2_CASES {
        // SmolLM2 adds neither BOS nor EOS.
        assert_eq!(tok.encode(text, true, parse_special), expected, "{text:?}");
    }
    // Without special parsing, control-token text is plain text.
    let plain = tok.encode("<|im_end|>", false, false);
    assert!(plain.len() > 1 && !plain.contains(&2), "{plain:?}");
    assert_eq!(tok.decode(&[1, 504, 2], false).expect("in range"), "The");
}

const WORDS: &[&str] = &[
    "the",
    "of",
    "and",
    "to",
    "in",
    "is",
    "that",
    "for",
    "it",
    "as",
    "was",
    "with",
    "be",
    "by",
    "on",
    "not",
    "he",
    "this",
    "are",
    "or",
    "his",
    "from",
    "at",
    "which",
    "but",
    "have",
    "an",
    "they",
    "you",
    "were",
    "their",
    "one",
    "all",
    "we",
    "can",
    "her",
    "has",
    "there",
    "been",
    "tokenization",
    "benchmark",
    "quantization",
    "Raspberry",
    "Jetson",
    "energy",
    "latency",
    "don't",
    "it's",
    "we'll",
    "1234",
    "3.14",
    "2024",
    "(see",
    "below)",
    "e.g.,",
    "naïve",
    "東京",
];

/// A deterministic English-like text of about `bytes` bytes.
fn corpus(bytes: usize) -> String {
    let mut rng = StdRng::seed_from_u64(0x70c3_0001);
    let mut text = String::with_capacity(bytes + 64);
    while text.len() < bytes {
        text.push_str(WORDS[rng.random_range(0..WORDS.len())]);
        text.push_str(match rng.random_range(0..20) {
            0 => ".\n",
            1 => ", ",
            2 => "\n\n",
            _ => " ",
        });
    }
    text
}

/// Encode throughput on ~400 KB of text, best of 5 runs (prints MB/s;
/// asserts nothing about time). Run with `--ignored --nocapture`.
#[test]
#[ignore = "measurement; needs EDGEBENCH_REAL_GGUF"]
fn encode_throughput() {
    let Some(tok) = real_tokenizer() else { return };
    let text = corpus(400_000);
    let mut secs = f64::INFINITY;
    let mut ids = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        ids = tok.encode(&text, false, false);
        secs = secs.min(start.elapsed().as_secs_f64());
    }
    let decoded = tok.decode(&ids, false).expect("ids in range");
    assert_eq!(decoded, text);
    println!(
        "encoded {} bytes into {} tokens in {:.1} ms: {:.1} MB/s",
        text.len(),
        ids.len(),
        secs * 1e3,
        text.len() as f64 / secs / 1e6
    );
}
