//! [`AccuracyReport`]: how far a recipe's predictions are from the
//! reference recipe's on an evaluation text.

use serde::{Deserialize, Serialize};

/// Accuracy of one (model, recipe, eval text) against the reference recipe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccuracyReport {
    /// The reference recipe, e.g. `f32`.
    pub reference: String,
    /// SHA-256 of the evaluation text.
    pub text_sha256: String,
    /// Window length in tokens.
    pub ctx: usize,
    /// Windows evaluated.
    pub windows: usize,
    /// Tokens scored.
    pub scored_tokens: usize,
    /// Perplexity of the recipe.
    pub ppl: f64,
    /// Standard error of `ppl`.
    pub ppl_stderr: f64,
    /// Perplexity of the reference.
    pub ppl_reference: f64,
    /// `ppl / ppl_reference`.
    pub ppl_ratio: f64,
    /// `(ppl_ratio − 1) · 100`: the accuracy drop in percent.
    pub ppl_delta_pct: f64,
    /// Mean KL divergence from the reference, nats per token.
    pub kld_mean: f64,
    /// 99th percentile of the KL divergence.
    pub kld_p99: f64,
    /// Positions where both pick the same most likely token, percent.
    pub top1_agreement_pct: f64,
    /// SHA-256 of the recipe file scored (the bytes the cells run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_sha256: Option<String>,
    /// SHA-256 of the reference recipe's file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_sha256: Option<String>,
}
