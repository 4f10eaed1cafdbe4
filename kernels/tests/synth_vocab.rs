//! The synthetic models' byte-level BPE vocabulary.

use std::collections::HashSet;

use edgebench_kernels::synth::{
    END_OF_TEXT, Preset, SynthError, TokenType, Vocab, byte_symbol, gpt2_byte_order,
};

fn check_consistent(v: &Vocab, n_vocab: usize) {
    assert_eq!(v.tokens.len(), n_vocab);
    assert_eq!(v.token_types.len(), n_vocab);
    let set: HashSet<&str> = v.tokens.iter().map(String::as_str).collect();
    assert_eq!(set.len(), n_vocab, "tokens are not unique");
    for (i, &b) in gpt2_byte_order().iter().enumerate() {
        assert_eq!(v.tokens[i], byte_symbol(b).to_string(), "byte token {i}");
        assert_eq!(v.token_types[i], TokenType::Normal);
    }
    let mut seen = HashSet::new();
    for m in &v.merges {
        assert!(seen.insert(m.as_str()), "duplicate merge {m:?}");
        let (a, b) = m.split_once(' ').expect("merges are 'a b'");
        assert!(!a.is_empty() && !b.is_empty() && !b.contains(' '), "{m:?}");
        assert!(set.contains(a), "merge {m:?}: left side is not a token");
        assert!(set.contains(b), "merge {m:?}: right side is not a token");
        assert!(
            set.contains(format!("{a}{b}").as_str()),
            "merge {m:?}: no result token"
        );
    }
    let eos = v.eos_id as usize;
    assert_eq!(v.tokens[eos], END_OF_TEXT);
    assert_eq!(v.token_types[eos], TokenType::Control);
    for (t, ty) in v.tokens.iter().zip(&v.token_types).skip(eos + 1) {
        assert_eq!(*ty, TokenType::Unused, "{t}");
        assert!(t.starts_with("<unused_"), "{t}");
    }
    // Merged tokens sit between the bytes and the control token.
    assert!(
        v.tokens[256..eos]
            .iter()
            .all(|t| t.chars().count() >= 2 && !t.contains(' '))
    );
}

#[test]
fn every_preset_has_a_consistent_vocabulary_of_its_exact_size() {
    for p in Preset::ALL {
        let n = p.spec().n_vocab;
        check_consistent(&Vocab::train(n).unwrap(), n);
    }
}

#[test]
fn small_vocabularies_are_all_merges_and_large_ones_are_padded() {
    let tiny = Vocab::train(512).unwrap();
    assert_eq!(tiny.eos_id, 511, "tiny fills up with merges");
    assert!(tiny.merges.len() >= 255);
    let big = Vocab::train(49152).unwrap();
    let learned = big.eos_id as usize - 256;
    assert!(
        (500..49152 - 257).contains(&learned),
        "{learned} merged tokens"
    );
    assert_eq!(
        big.tokens.last().unwrap(),
        &format!("<unused_{}>", 49152 - 2 - big.eos_id)
    );
    // The tiny vocabulary is a prefix of the big one: training is greedy
    // and deterministic.
    assert_eq!(tiny.tokens[..511], big.tokens[..511]);
    assert_eq!(tiny.merges[..], big.merges[..tiny.merges.len()]);
}

#[test]
fn common_english_words_are_single_tokens() {
    let v = Vocab::train(2048).unwrap();
    for w in ["Ġthe", "Ġand", "Ġof", "Ġharbour", "Ġtown"] {
        assert!(v.tokens.iter().any(|t| t == w), "{w} is not a token");
    }
    println!(
        "first merges: {:?}; merged tokens: {}",
        &v.merges[..10],
        v.eos_id - 256
    );
}

#[test]
fn vocabularies_below_the_byte_alphabet_are_rejected() {
    assert!(matches!(
        Vocab::train(256),
        Err(SynthError::VocabTooSmall { min: 257, .. })
    ));
    assert_eq!(Vocab::train(257).unwrap().eos_id, 256);
}
