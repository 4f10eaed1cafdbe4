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
    /// The runtime whose logits were scored (the reference is always
    /// edgebench's kernel on the reference recipe's file).
    #[serde(default, skip_serializing_if = "crate::Runtime::is_default")]
    pub runtime: crate::Runtime,
}

/// A recipe file an accuracy job scores, with the recipe it was made with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvalFile {
    /// The file and its SHA-256.
    pub model: crate::ModelRef,
    /// Its canonical recipe.
    pub recipe: String,
}

/// What the agent's `accuracy` command scores: the recipe file under test,
/// run by `runtime`, against the reference recipe's file run by the
/// kernel, in one process, over the windows of an evaluation text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccuracyJob {
    /// Must equal [`crate::SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The recipe file under test.
    pub test: EvalFile,
    /// The reference recipe's file (its tokenizer reads the text).
    pub reference: EvalFile,
    /// Path of the evaluation text (UTF-8).
    pub text_path: String,
    /// Its SHA-256; the agent refuses another text.
    pub text_sha256: String,
    /// Window length in tokens.
    pub ctx: u32,
    /// Windows at most (0: as many as the text fills).
    pub windows: u32,
    /// Threads for both models.
    pub threads: u32,
    /// The runtime that runs the file under test.
    #[serde(default, skip_serializing_if = "crate::Runtime::is_default")]
    pub runtime: crate::Runtime,
}

impl AccuracyJob {
    /// Parses and validates a job.
    ///
    /// # Errors
    /// [`crate::SchemaError`] naming what is wrong.
    pub fn from_json(text: &str) -> Result<AccuracyJob, crate::SchemaError> {
        crate::job::check_version("accuracy job", text, crate::SCHEMA_VERSION)?;
        let job: AccuracyJob = crate::job::parse("accuracy job", text)?;
        let invalid = |field, reason: &str| {
            Err(crate::SchemaError::Invalid {
                field,
                reason: reason.to_owned(),
            })
        };
        let hex64 = |s: &str| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit());
        if !hex64(&job.test.model.sha256) {
            return invalid("test.model.sha256", "must be 64 hex digits");
        }
        if !hex64(&job.reference.model.sha256) {
            return invalid("reference.model.sha256", "must be 64 hex digits");
        }
        if !hex64(&job.text_sha256) {
            return invalid("text_sha256", "must be 64 hex digits");
        }
        if !(4..=1 << 16).contains(&job.ctx) {
            return invalid("ctx", "must be between 4 and 65536");
        }
        if job.threads == 0 || job.threads > 1024 {
            return invalid("threads", "must be between 1 and 1024");
        }
        Ok(job)
    }

    /// The job as one line of JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}
