//! Accuracy of a recipe file against the reference recipe's file, computed
//! in this process on the evaluation text (the eval device is this
//! machine).

use anyhow::Context;
use edgebench_kernels::eval;
use edgebench_kernels::model::{Session, SessionOptions};
use edgebench_schema::AccuracyReport;

use crate::commands::loading;
use crate::matrix::BUILTIN;
use crate::plan::AccuracyJob;
use crate::recipe_files::RecipeFile;

/// The text of an accuracy job: the built-in text or the file's contents.
pub fn eval_text(job: &AccuracyJob) -> anyhow::Result<String> {
    if job.text == BUILTIN {
        return Ok(crate::matrix::BUILTIN_TEXT.to_owned());
    }
    std::fs::read_to_string(&job.text)
        .with_context(|| format!("cannot read evaluation text {}", job.text))
}

/// Runs `job` on the recipe files `test_file` and `reference_file`, each
/// loaded as it is, with `threads` threads: the accuracy of the bytes the
/// cells run.
pub fn measure(
    job: &AccuracyJob,
    test_file: &RecipeFile,
    reference_file: &RecipeFile,
    text: &str,
    threads: usize,
) -> anyhow::Result<AccuracyReport> {
    let test = loading::load_file(&test_file.path, Some(&job.recipe_canonical))?;
    let reference = loading::load_file(&reference_file.path, Some(&job.reference_canonical))?;
    let ctx = job.ctx as usize;
    let session = |m: &loading::LoadedModel| {
        Session::new(m.model.clone(), &SessionOptions::new(ctx).threads(threads))
            .with_context(|| format!("cannot run recipe {} with a context of {ctx}", m.recipe))
    };
    let tok = &test.tokenizer;
    let mut tokens = tok.encode(text, true, false);
    if job.windows > 0 {
        tokens.truncate((job.windows as usize).saturating_mul(ctx));
    }
    let bos = tok.adds_bos().then(|| tok.bos()).flatten();
    let r = eval::compare(
        &mut session(&test)?,
        &mut session(&reference)?,
        &tokens,
        ctx,
        bos,
        &mut |_, _| {},
    )
    .with_context(|| {
        format!(
            "accuracy of recipe {} against {} failed",
            job.recipe_canonical, job.reference_canonical
        )
    })?;
    Ok(AccuracyReport {
        reference: job.reference_canonical.clone(),
        text_sha256: job.text_sha256.clone(),
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
        file_sha256: Some(test_file.sha256.clone()),
        reference_sha256: Some(reference_file.sha256.clone()),
    })
}
