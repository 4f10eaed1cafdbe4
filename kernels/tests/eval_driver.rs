//! The evaluation driver against scorers whose answers are known by hand.
//!
//! Logits are f32, so `ln 3` as a logit is exact only to about 1e-7; the
//! tolerances below are 1e-6.

use edgebench_kernels::eval::{EvalError, WindowScorer, compare, perplexity};

/// A bigram model: the logits at a position depend only on the token there.
struct Bigram {
    table: Vec<Vec<f32>>,
    out: Vec<f32>,
    seen: Vec<Vec<u32>>,
}

impl Bigram {
    fn new(table: Vec<Vec<f32>>) -> Self {
        Bigram {
            table,
            out: Vec::new(),
            seen: Vec::new(),
        }
    }
}

impl WindowScorer for Bigram {
    fn n_vocab(&self) -> usize {
        self.table[0].len()
    }
    fn logits(&mut self, tokens: &[u32], from: usize) -> Result<&[f32], EvalError> {
        self.seen.push(tokens.to_vec());
        self.out.clear();
        for &t in &tokens[from..] {
            self.out.extend_from_slice(&self.table[t as usize]);
        }
        Ok(&self.out)
    }
}

fn no_progress() -> impl FnMut(usize, usize) {
    |_, _| {}
}

#[test]
fn uniform_model_has_the_vocabulary_size_as_perplexity() {
    let mut m = Bigram::new(vec![vec![0.5; 7]; 7]);
    let tokens: Vec<u32> = (0..100).map(|i| (i * 3 % 7) as u32).collect();
    let r = perplexity(&mut m, &tokens, 16, None, &mut no_progress()).unwrap();
    assert!((r.perplexity - 7.0).abs() < 1e-6, "{r:?}");
    assert_eq!((r.windows, r.scored_tokens, r.ctx), (6, 6 * 7, 16));
}

#[test]
fn bigram_perplexity_by_hand() {
    // P(next | 0) = (1/4, 3/4), P(next | 1) = (1/2, 1/2).
    let mut m = Bigram::new(vec![vec![0.0, 3f32.ln()], vec![0.0, 0.0]]);
    // ctx 4: position 2 predicts position 3 in each window.
    // Window 0 = [1, 1, 0, 1]: scores P(1 | 0) = 3/4.
    // Window 1 = [0, 0, 1, 0]: scores P(0 | 1) = 1/2.
    let tokens = [1, 1, 0, 1, 0, 0, 1, 0, 1];
    let mut calls = Vec::new();
    let r = perplexity(&mut m, &tokens, 4, None, &mut |d, t| calls.push((d, t))).unwrap();
    let expected = (-(0.75f64.ln() + 0.5f64.ln()) / 2.0).exp();
    assert!((r.perplexity - expected).abs() < 1e-6, "{r:?}");
    assert_eq!(r.scored_tokens, 2);
    assert_eq!(calls, [(1, 2), (2, 2)]);
    // The last token of a window is only a target; BOS replaces the first.
    let mut m2 = Bigram::new(vec![vec![0.0, 0.0]; 3]);
    perplexity(&mut m2, &tokens, 4, Some(2), &mut no_progress()).unwrap();
    assert_eq!(m2.seen, [vec![2, 1, 0], vec![2, 0, 1]]);
}

#[test]
fn comparison_by_hand() {
    // Reference: P(. | t) = (1/2, 1/2) everywhere; test: (1/4, 3/4).
    let mut reference = Bigram::new(vec![vec![0.0, 0.0]; 2]);
    let mut test = Bigram::new(vec![vec![0.0, 3f32.ln()]; 2]);
    let tokens = [0, 0, 0, 1, 0, 0, 0, 0];
    let r = compare(
        &mut test,
        &mut reference,
        &tokens,
        4,
        None,
        &mut no_progress(),
    )
    .unwrap();
    // Targets 1 then 0: test probabilities 3/4 and 1/4.
    let test_ppl = (-(0.75f64.ln() + 0.25f64.ln()) / 2.0).exp();
    assert!((r.test.perplexity - test_ppl).abs() < 1e-6);
    assert!((r.reference.perplexity - 2.0).abs() < 1e-6);
    assert!((r.ppl_ratio - test_ppl / 2.0).abs() < 1e-6);
    assert!((r.ppl_delta_pct - (test_ppl / 2.0 - 1.0) * 100.0).abs() < 1e-6);
    // KL((1/2,1/2) ‖ (1/4,3/4)) = 1/2 ln 2 + 1/2 ln(2/3) at every position.
    let kl = 0.5 * (4.0f64 / 3.0).ln();
    for v in [r.kld_mean, r.kld_median, r.kld_p99, r.kld_max] {
        assert!((v - kl).abs() < 1e-6, "{v} vs {kl}");
    }
    // The reference ties (argmax 0), the test prefers 1: no agreement.
    assert_eq!(r.top1_agreement_pct, 0.0);
    let same = compare(
        &mut Bigram::new(vec![vec![0.0, 3f32.ln()]; 2]),
        &mut test,
        &tokens,
        4,
        None,
        &mut no_progress(),
    )
    .unwrap();
    assert_eq!(
        (same.kld_max, same.top1_agreement_pct, same.ppl_ratio),
        (0.0, 100.0, 1.0)
    );
}

struct Broken(Vec<f32>, usize);

impl WindowScorer for Broken {
    fn n_vocab(&self) -> usize {
        self.1
    }
    fn logits(&mut self, _: &[u32], _: usize) -> Result<&[f32], EvalError> {
        Ok(&self.0)
    }
}

#[test]
fn bad_scorers_and_texts_are_errors() {
    let tokens = [0u32; 8];
    let p = &mut no_progress();
    let err = perplexity(&mut Broken(vec![0.0; 3], 2), &tokens, 4, None, p).unwrap_err();
    assert!(
        matches!(
            err,
            EvalError::LogitsShape {
                found: 3,
                expected: 2,
                ..
            }
        ),
        "{err}"
    );
    let err = perplexity(&mut Broken(vec![0.0, f32::NAN], 2), &tokens, 4, None, p).unwrap_err();
    assert!(
        matches!(
            err,
            EvalError::NonFinite {
                window: 0,
                position: 2,
                ..
            }
        ),
        "{err}"
    );
    let err = perplexity(&mut Broken(vec![0.0; 2], 2), &tokens[..3], 4, None, p).unwrap_err();
    assert!(
        err.to_string()
            .contains("3 tokens, fewer than one window of 4"),
        "{err}"
    );
    let err = compare(
        &mut Broken(vec![0.0; 2], 2),
        &mut Broken(vec![0.0; 3], 3),
        &tokens,
        4,
        None,
        p,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            EvalError::VocabMismatch {
                test: 2,
                reference: 3
            }
        ),
        "{err}"
    );
    let err = perplexity(&mut Broken(vec![], 2), &[], 4, None, p).unwrap_err();
    assert!(
        matches!(err, EvalError::TextTooShort { n_tokens: 0, .. }),
        "{err}"
    );
}

#[test]
fn token_outside_the_vocabulary_is_an_error() {
    // The last token of the text is only ever a target, never a model input.
    let mut tokens: Vec<u32> = vec![0, 1, 0, 1, 0, 1, 0];
    tokens.push(5);
    let mut m = Bigram::new(vec![vec![0.0, 0.0]; 2]);
    let e = perplexity(&mut m, &tokens, 4, None, &mut no_progress()).unwrap_err();
    assert!(
        matches!(
            e,
            EvalError::TokenOutOfRange {
                id: 5,
                position: 7,
                n_vocab: 2
            }
        ),
        "{e}"
    );
    let mut reference = Bigram::new(vec![vec![0.0, 0.0]; 2]);
    let e = compare(&mut m, &mut reference, &tokens, 4, None, &mut no_progress()).unwrap_err();
    assert!(matches!(e, EvalError::TokenOutOfRange { id: 5, .. }), "{e}");
}
