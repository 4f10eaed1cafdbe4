//! `edgebench-agent accuracy`: a recipe file's logits over an evaluation
//! text, from the job's runtime, scored against the reference recipe's file
//! run by the kernel in the same process (perplexity Δ, KL divergence,
//! top-1 agreement).

use std::io::Read;

use edgebench_kernels::eval;
use edgebench_kernels::tokenizer::Tokenizer;
use edgebench_schema::{AccuracyJob, AccuracyReport, Runtime};

use super::model::{open_recipe_file, verify_file};
use super::{AgentError, sha256_hex};
use crate::runtime;

/// Largest evaluation text read, in bytes.
pub const TEXT_LIMIT: u64 = 256 << 20;

/// Whether [`score_accuracy`] hashes the two model files first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileCheck {
    /// Hash both files against the job (an agent receiving a job).
    Hash,
    /// The caller vouches for them: it made or verified them itself and
    /// the job names its own copies (the controller's recipe cache).
    Vouched,
}

/// Scores `job`; `progress` hears each step. The text is always checked
/// against its hash (it is read whole anyway); the model files as `check`
/// says.
///
/// # Errors
/// A file or text that is missing, has another hash or does not load, a
/// runtime this agent lacks, or an evaluation that fails.
pub fn score_accuracy(
    job: &AccuracyJob,
    check: FileCheck,
    progress: &mut dyn FnMut(&str),
) -> Result<AccuracyReport, AgentError> {
    runtime::check_built(job.runtime)?;
    let text = read_text(&job.text_path, &job.text_sha256)?;
    if check == FileCheck::Hash {
        for f in [&job.test, &job.reference] {
            verify_file(&f.model.path, &f.model.sha256, progress)?;
        }
    }
    let reference = open_recipe_file(&job.reference.model.path, &job.reference.recipe)?;
    let tokenizer = Tokenizer::from_gguf(&reference.file).map_err(|e| AgentError::EvalText {
        path: job.reference.model.path.clone(),
        reason: format!("cannot read its tokenizer: {e}"),
    })?;
    let reference = reference.load(Runtime::Edgebench)?;
    progress(&format!(
        "loading {} with {}",
        job.test.model.path, job.runtime
    ));
    let test = open_recipe_file(&job.test.model.path, &job.test.recipe)?.load(job.runtime)?;
    let ctx = job.ctx as usize;
    let mut tokens = tokenizer.encode(&text, true, false);
    if job.windows > 0 {
        tokens.truncate((job.windows as usize).saturating_mul(ctx));
    }
    let bos = tokenizer.adds_bos().then(|| tokenizer.bos()).flatten();
    let threads = job.threads as usize;
    let mut test_scorer = test.scorer(ctx, threads)?;
    let mut reference_scorer = reference.scorer(ctx, threads)?;
    progress(&format!(
        "scoring {} tokens in windows of {ctx}",
        tokens.len()
    ));
    let r = eval::compare(
        test_scorer.as_mut(),
        reference_scorer.as_mut(),
        &tokens,
        ctx,
        bos,
        &mut |done, total| progress(&format!("window {done} of {total}")),
    )?;
    Ok(AccuracyReport {
        reference: job.reference.recipe.clone(),
        text_sha256: job.text_sha256.to_ascii_lowercase(),
        ctx,
        windows: r.test.windows,
        scored_tokens: r.test.scored_tokens,
        ppl: r.test.perplexity,
        ppl_stderr: r.test.perplexity_stderr,
        ppl_reference: r.reference.perplexity,
        ppl_ratio: r.ppl_ratio,
        ppl_delta_pct: r.ppl_delta_pct,
        kld_mean: r.kld_mean,
        kld_p99: r.kld_p99,
        top1_agreement_pct: r.top1_agreement_pct,
        file_sha256: Some(job.test.model.sha256.to_ascii_lowercase()),
        reference_sha256: Some(job.reference.model.sha256.to_ascii_lowercase()),
        runtime: job.runtime,
    })
}

/// The text at `path`, checked against `sha256`.
fn read_text(path: &str, sha256: &str) -> Result<String, AgentError> {
    let bad = |reason: String| AgentError::EvalText {
        path: path.to_owned(),
        reason,
    };
    let file = std::fs::File::open(path).map_err(|e| bad(e.to_string()))?;
    let mut bytes = Vec::new();
    file.take(TEXT_LIMIT + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| bad(e.to_string()))?;
    if bytes.len() as u64 > TEXT_LIMIT {
        return Err(bad(format!("longer than {TEXT_LIMIT} bytes")));
    }
    let (found, _) = sha256_hex(bytes.as_slice()).map_err(|e| bad(e.to_string()))?;
    if !found.eq_ignore_ascii_case(sha256) {
        return Err(bad(format!("has sha256 {found}, the job expects {sha256}")));
    }
    String::from_utf8(bytes).map_err(|e| bad(format!("not UTF-8: {e}")))
}
