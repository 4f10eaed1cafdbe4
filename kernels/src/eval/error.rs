//! The error type for accuracy evaluation.

use crate::model::ModelError;

/// Everything that can go wrong evaluating perplexity or comparing recipes.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    /// The context is too small to score anything.
    #[error("context of {ctx} tokens is too small: at least 4 are needed")]
    ContextTooSmall {
        /// The context asked for.
        ctx: usize,
    },
    /// The text is shorter than one window.
    #[error(
        "the evaluation text has {n_tokens} tokens, fewer than one window of {ctx} (use a longer text or a smaller context)"
    )]
    TextTooShort {
        /// Tokens in the text.
        n_tokens: usize,
        /// The window length.
        ctx: usize,
    },
    /// A model returned logits of the wrong size.
    #[error("{what} returned {found} logits, expected {expected}")]
    LogitsShape {
        /// Which model.
        what: &'static str,
        /// Values returned.
        found: usize,
        /// Values expected.
        expected: usize,
    },
    /// The two models being compared have different vocabularies.
    #[error("vocabularies differ: {test} tokens under test, {reference} in the reference")]
    VocabMismatch {
        /// Vocabulary of the model under test.
        test: usize,
        /// Vocabulary of the reference.
        reference: usize,
    },
    /// A token of the text is outside the models' vocabulary.
    #[error("token {id} at position {position} of the text is outside the vocabulary of {n_vocab}")]
    TokenOutOfRange {
        /// The token id.
        id: u32,
        /// Its position in the text.
        position: usize,
        /// The vocabulary size.
        n_vocab: usize,
    },
    /// A logit is NaN or infinite.
    #[error("{what} produced a non-finite logit at window {window}, position {position}")]
    NonFinite {
        /// Which model.
        what: &'static str,
        /// The window index.
        window: usize,
        /// Position inside the window.
        position: usize,
    },
    /// Running a model failed.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// Another runtime failed to score a window.
    #[error("{runtime}: {message}")]
    Runtime {
        /// The runtime's name.
        runtime: &'static str,
        /// What it reported.
        message: String,
    },
}
