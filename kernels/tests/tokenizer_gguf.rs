//! Tokenizers read from GGUF metadata (files built in memory), and the
//! typed errors for bad metadata, each naming the key at fault.

use edgebench_kernels::gguf::{ArrayValue, GgufFile, GgufWriter, Value};
use edgebench_kernels::tokenizer::{PreTokenizer, Tokenizer, TokenizerError, TokenizerModel};

type Meta = Vec<(&'static str, Value)>;

fn strings(items: &[&str]) -> Value {
    Value::Array(ArrayValue::String(
        items.iter().map(|s| s.to_string()).collect(),
    ))
}

/// A small byte-level vocabulary: "a", "b", "ab", "<|end|>".
fn gpt2_meta() -> Meta {
    vec![
        ("tokenizer.ggml.model", Value::String("gpt2".into())),
        ("tokenizer.ggml.pre", Value::String("smollm".into())),
        (
            "tokenizer.ggml.tokens",
            strings(&["a", "b", "ab", "<|end|>"]),
        ),
        (
            "tokenizer.ggml.token_type",
            Value::Array(ArrayValue::I32(vec![1, 1, 1, 3])),
        ),
        ("tokenizer.ggml.merges", strings(&["a b"])),
        ("tokenizer.ggml.eos_token_id", Value::U32(3)),
        ("tokenizer.ggml.padding_token_id", Value::U32(3)),
        ("tokenizer.ggml.add_bos_token", Value::Bool(false)),
        ("tokenizer.ggml.add_eos_token", Value::Bool(true)),
    ]
}

/// A small SentencePiece vocabulary without byte tokens: "▁hi" is reached
/// through "hi".
fn llama_meta() -> Meta {
    vec![
        ("tokenizer.ggml.model", Value::String("llama".into())),
        (
            "tokenizer.ggml.tokens",
            strings(&["<unk>", "<s>", "</s>", "▁", "h", "i", "▁hi", "hi"]),
        ),
        (
            "tokenizer.ggml.scores",
            Value::Array(ArrayValue::F32(vec![
                0.0, 0.0, 0.0, -1.0, -2.0, -2.0, -0.5, -1.5,
            ])),
        ),
        (
            "tokenizer.ggml.token_type",
            Value::Array(ArrayValue::I32(vec![2, 3, 3, 1, 1, 1, 1, 1])),
        ),
        ("tokenizer.ggml.bos_token_id", Value::U32(1)),
        ("tokenizer.ggml.eos_token_id", Value::U32(2)),
        ("tokenizer.ggml.unknown_token_id", Value::U32(0)),
    ]
}

fn file(meta: &Meta) -> GgufFile {
    let mut w = GgufWriter::new();
    for (k, v) in meta {
        w.add_metadata(*k, v.clone()).expect("valid key");
    }
    let mut bytes = Vec::new();
    w.write_to(&mut bytes).expect("write to memory");
    GgufFile::from_bytes(bytes).expect("parse")
}

fn load(meta: &Meta) -> Result<Tokenizer, TokenizerError> {
    Tokenizer::from_gguf(&file(meta))
}

fn with(mut meta: Meta, key: &'static str, value: Value) -> Meta {
    meta.retain(|(k, _)| *k != key);
    meta.push((key, value));
    meta
}

fn without(mut meta: Meta, key: &str) -> Meta {
    meta.retain(|(k, _)| *k != key);
    meta
}

#[test]
fn gpt2_from_gguf() {
    let tok = load(&gpt2_meta()).expect("valid metadata");
    assert_eq!(tok.model(), TokenizerModel::Gpt2Bpe);
    assert_eq!(tok.pre_tokenizer(), PreTokenizer::Smollm);
    assert_eq!(
        (tok.n_vocab(), tok.bos(), tok.eos(), tok.pad()),
        (4, None, Some(3), Some(3))
    );
    assert!(!tok.adds_bos() && tok.adds_eos());
    assert_eq!(tok.encode("abba", true, false), [2, 1, 0, 3]);
    assert_eq!(tok.encode("ab<|end|>", false, true), [2, 3]);
    assert_eq!(tok.decode(&[2, 3], true).expect("in range"), "ab<|end|>");
    assert!(tok.is_eog(3));
}

#[test]
fn llama_from_gguf_with_defaults() {
    let tok = load(&llama_meta()).expect("valid metadata");
    assert_eq!(tok.model(), TokenizerModel::LlamaSpm);
    assert!(tok.adds_bos(), "llama adds BOS by default");
    assert_eq!(tok.encode("hi", true, false), [1, 6]);
    assert_eq!(tok.encode("hih", false, false), [6, 4]);
    assert_eq!(tok.decode(&[1, 6, 4], false).expect("in range"), "hih");
    // add_space_prefix = false.
    let meta = with(
        llama_meta(),
        "tokenizer.ggml.add_space_prefix",
        Value::Bool(false),
    );
    assert_eq!(load(&meta).expect("valid").encode("hi", false, false), [7]);
    // Token types may be stored as any integer type.
    let meta = with(
        llama_meta(),
        "tokenizer.ggml.token_type",
        Value::Array(ArrayValue::U8(vec![2, 3, 3, 1, 1, 1, 1, 1])),
    );
    assert!(load(&meta).is_ok());
}

#[test]
fn missing_keys_are_named() {
    for (meta, key) in [
        (
            without(gpt2_meta(), "tokenizer.ggml.model"),
            "tokenizer.ggml.model",
        ),
        (
            without(gpt2_meta(), "tokenizer.ggml.tokens"),
            "tokenizer.ggml.tokens",
        ),
        (
            without(gpt2_meta(), "tokenizer.ggml.merges"),
            "tokenizer.ggml.merges",
        ),
    ] {
        match load(&meta) {
            Err(TokenizerError::MissingKey { key: k }) => assert_eq!(k, key),
            other => panic!("{key}: {other:?}"),
        }
    }
    let meta = without(llama_meta(), "tokenizer.ggml.scores");
    assert!(matches!(load(&meta), Err(TokenizerError::MissingScores)));
}

#[test]
fn unsupported_names() {
    let meta = with(
        gpt2_meta(),
        "tokenizer.ggml.model",
        Value::String("bert".into()),
    );
    let err = load(&meta).expect_err("unsupported");
    assert!(matches!(&err, TokenizerError::UnknownModel(m) if m == "bert"));
    assert!(err.to_string().contains("tokenizer.ggml.model"), "{err}");
    let meta = with(
        gpt2_meta(),
        "tokenizer.ggml.pre",
        Value::String("klingon".into()),
    );
    let err = load(&meta).expect_err("unsupported");
    assert!(matches!(&err, TokenizerError::UnknownPreTokenizer(p) if p == "klingon"));
    assert!(err.to_string().contains("tokenizer.ggml.pre"), "{err}");
}

#[test]
fn bad_merges() {
    let meta = with(
        gpt2_meta(),
        "tokenizer.ggml.merges",
        strings(&["a b", "a c"]),
    );
    let err = load(&meta).expect_err("unknown token");
    assert!(matches!(&err, TokenizerError::MergeUnknownToken { index: 1, token } if token == "c"));
    assert!(
        err.to_string().contains("tokenizer.ggml.merges[1]"),
        "{err}"
    );
    // "b" + "a" = "ba" is not a token either.
    let meta = with(gpt2_meta(), "tokenizer.ggml.merges", strings(&["b a"]));
    assert!(
        matches!(load(&meta), Err(TokenizerError::MergeUnknownToken { token, .. }) if token == "ba")
    );
    for bad in ["ab", "a ", " ", ""] {
        let meta = with(gpt2_meta(), "tokenizer.ggml.merges", strings(&[bad]));
        assert!(
            matches!(
                load(&meta),
                Err(TokenizerError::MalformedMerge { index: 0, .. })
            ),
            "{bad:?}"
        );
    }
}

#[test]
fn ids_out_of_range() {
    for key in [
        "tokenizer.ggml.bos_token_id",
        "tokenizer.ggml.eos_token_id",
        "tokenizer.ggml.eot_token_id",
        "tokenizer.ggml.unknown_token_id",
        "tokenizer.ggml.padding_token_id",
    ] {
        let meta = with(gpt2_meta(), key, Value::U32(4));
        match load(&meta) {
            Err(TokenizerError::SpecialIdOutOfRange {
                which,
                id: 4,
                n_tokens: 4,
            }) => {
                assert_eq!(which, key)
            }
            other => panic!("{key}: {other:?}"),
        }
    }
    let meta = with(
        gpt2_meta(),
        "tokenizer.ggml.add_bos_token",
        Value::Bool(true),
    );
    assert!(matches!(
        load(&meta),
        Err(TokenizerError::MissingSpecialId { which: "bos" })
    ));
}

#[test]
fn malformed_values() {
    let meta = with(
        gpt2_meta(),
        "tokenizer.ggml.tokens",
        Value::Array(ArrayValue::F32(vec![1.0])),
    );
    assert!(matches!(
        load(&meta),
        Err(TokenizerError::Gguf {
            key: "tokenizer.ggml.tokens",
            ..
        })
    ));
    let meta = with(gpt2_meta(), "tokenizer.ggml.eos_token_id", Value::I32(-1));
    assert!(matches!(
        load(&meta),
        Err(TokenizerError::Gguf {
            key: "tokenizer.ggml.eos_token_id",
            ..
        })
    ));
    let meta = with(gpt2_meta(), "tokenizer.ggml.tokens", strings(&[]));
    assert!(matches!(load(&meta), Err(TokenizerError::EmptyVocab)));
    let meta = with(
        gpt2_meta(),
        "tokenizer.ggml.token_type",
        Value::Array(ArrayValue::I32(vec![1])),
    );
    assert!(matches!(
        load(&meta),
        Err(TokenizerError::LengthMismatch {
            what: "tokenizer.ggml.token_type",
            expected: 4,
            actual: 1
        })
    ));
    let meta = with(
        llama_meta(),
        "tokenizer.ggml.scores",
        Value::Array(ArrayValue::F32(vec![0.0])),
    );
    assert!(matches!(
        load(&meta),
        Err(TokenizerError::LengthMismatch {
            what: "tokenizer.ggml.scores",
            ..
        })
    ));
    let meta = with(
        gpt2_meta(),
        "tokenizer.ggml.token_type",
        strings(&["1", "1", "1", "3"]),
    );
    assert!(matches!(load(&meta), Err(TokenizerError::BadTokenTypes)));
}
