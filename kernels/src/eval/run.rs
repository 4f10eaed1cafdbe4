//! Perplexity of one model, and the comparison of a model under test with a
//! reference, over the windows of a token sequence.

use super::metrics::{self, PerplexityAccumulator};
use super::{EvalError, WindowPlan};

/// Something that turns a window of tokens into logits: a model with a fresh
/// state per window.
pub trait WindowScorer {
    /// Vocabulary size (logits per position).
    fn n_vocab(&self) -> usize;

    /// Runs `tokens` from an empty context and returns the logits of
    /// positions `score_from..tokens.len()`, row by row
    /// (`(tokens.len() - score_from) · n_vocab` values).
    ///
    /// # Errors
    /// Whatever running the model reports.
    fn logits(&mut self, tokens: &[u32], score_from: usize) -> Result<&[f32], EvalError>;
}

/// Perplexity of one model over a text.
#[derive(Debug, Clone, PartialEq)]
pub struct PerplexityReport {
    /// `exp(mean NLL)`.
    pub perplexity: f64,
    /// Standard error of the perplexity.
    pub perplexity_stderr: f64,
    /// Mean negative log-likelihood in nats per token.
    pub mean_nll: f64,
    /// Window length.
    pub ctx: usize,
    /// Windows evaluated.
    pub windows: usize,
    /// Tokens scored.
    pub scored_tokens: usize,
}

/// A model under test against a reference over the same windows.
#[derive(Debug, Clone, PartialEq)]
pub struct ComparisonReport {
    /// The model under test.
    pub test: PerplexityReport,
    /// The reference.
    pub reference: PerplexityReport,
    /// `test PPL / reference PPL`.
    pub ppl_ratio: f64,
    /// `(ratio − 1) · 100`: the accuracy drop in percent (positive is worse).
    pub ppl_delta_pct: f64,
    /// Mean KL divergence `KL(reference ‖ test)` per scored token, nats.
    pub kld_mean: f64,
    /// Median KL divergence.
    pub kld_median: f64,
    /// 99th percentile of the KL divergence.
    pub kld_p99: f64,
    /// Largest KL divergence.
    pub kld_max: f64,
    /// Share of scored positions where both models' most likely token is the
    /// same, in percent.
    pub top1_agreement_pct: f64,
}

/// Replaces the first token of a window by BOS, as llama.cpp does.
fn window_tokens(tokens: &[u32], plan: &WindowPlan, i: usize, bos: Option<u32>) -> Vec<u32> {
    // The last token is only ever a target, never an input.
    let range = plan.window(i);
    let mut w = tokens[range.start..range.end - 1].to_vec();
    if let (Some(b), Some(first)) = (bos, w.first_mut()) {
        *first = b;
    }
    w
}

/// Every token of the text must index the logits: the last token of a window
/// is only a target, so the model never sees it.
fn check_tokens(tokens: &[u32], n_vocab: usize) -> Result<(), EvalError> {
    match tokens.iter().position(|&id| id as usize >= n_vocab) {
        Some(position) => Err(EvalError::TokenOutOfRange {
            id: tokens[position],
            position,
            n_vocab,
        }),
        None => Ok(()),
    }
}

fn checked<'a>(
    what: &'static str,
    logits: &'a [f32],
    rows: usize,
    n_vocab: usize,
    window: usize,
    first: usize,
) -> Result<&'a [f32], EvalError> {
    if logits.len() != rows * n_vocab {
        return Err(EvalError::LogitsShape {
            what,
            found: logits.len(),
            expected: rows * n_vocab,
        });
    }
    if let Some(i) = logits.iter().position(|v| !v.is_finite()) {
        return Err(EvalError::NonFinite {
            what,
            window,
            position: first + i / n_vocab,
        });
    }
    Ok(logits)
}

fn report(acc: &PerplexityAccumulator, plan: &WindowPlan) -> PerplexityReport {
    PerplexityReport {
        perplexity: acc.perplexity(),
        perplexity_stderr: acc.perplexity_stderr(),
        mean_nll: acc.mean_nll(),
        ctx: plan.ctx(),
        windows: plan.n_windows(),
        scored_tokens: acc.count(),
    }
}

/// Perplexity of `model` over `tokens` in windows of `ctx`, scoring the
/// second half of each window. `bos` replaces the first token of each window
/// when the model adds a BOS token. `progress(done, total)` is called after
/// each window.
///
/// # Errors
/// Planning errors ([`EvalError::TextTooShort`], ...),
/// [`EvalError::TokenOutOfRange`], a model error, or logits of the wrong
/// size or not finite.
pub fn perplexity(
    model: &mut dyn WindowScorer,
    tokens: &[u32],
    ctx: usize,
    bos: Option<u32>,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<PerplexityReport, EvalError> {
    let plan = WindowPlan::new(tokens.len(), ctx)?;
    let first = plan.scored_positions().start;
    let rows = plan.scored_per_window();
    let n_vocab = model.n_vocab();
    check_tokens(tokens, n_vocab)?;
    let mut log_p = vec![0.0f64; n_vocab];
    let mut acc = PerplexityAccumulator::default();
    for w in 0..plan.n_windows() {
        let input = window_tokens(tokens, &plan, w, bos);
        let logits = checked(
            "model",
            model.logits(&input, first)?,
            rows,
            n_vocab,
            w,
            first,
        )?;
        let targets = &tokens[plan.window(w)][first + 1..];
        for (row, &target) in logits.chunks_exact(n_vocab).zip(targets) {
            metrics::log_softmax(row, &mut log_p);
            acc.add(-log_p[target as usize]);
        }
        progress(w + 1, plan.n_windows());
    }
    Ok(report(&acc, &plan))
}

/// Perplexity of `test` and `reference` and how far apart their token
/// distributions are, over the same windows (see [`perplexity`]).
///
/// # Errors
/// As [`perplexity`], and [`EvalError::VocabMismatch`].
pub fn compare(
    test: &mut dyn WindowScorer,
    reference: &mut dyn WindowScorer,
    tokens: &[u32],
    ctx: usize,
    bos: Option<u32>,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ComparisonReport, EvalError> {
    let n_vocab = test.n_vocab();
    if reference.n_vocab() != n_vocab {
        return Err(EvalError::VocabMismatch {
            test: n_vocab,
            reference: reference.n_vocab(),
        });
    }
    let plan = WindowPlan::new(tokens.len(), ctx)?;
    check_tokens(tokens, n_vocab)?;
    let first = plan.scored_positions().start;
    let rows = plan.scored_per_window();
    let (mut lp_ref, mut lp_test) = (vec![0.0f64; n_vocab], vec![0.0f64; n_vocab]);
    let (mut acc_test, mut acc_ref) = Default::default();
    let mut kld = Vec::with_capacity(plan.total_scored());
    let mut same_top1 = 0usize;
    let mut ref_rows = vec![0.0f32; rows * n_vocab];
    for w in 0..plan.n_windows() {
        let input = window_tokens(tokens, &plan, w, bos);
        let r = reference.logits(&input, first)?;
        ref_rows.copy_from_slice(checked("reference", r, rows, n_vocab, w, first)?);
        let t = checked(
            "model under test",
            test.logits(&input, first)?,
            rows,
            n_vocab,
            w,
            first,
        )?;
        let targets = &tokens[plan.window(w)][first + 1..];
        let pairs = t.chunks_exact(n_vocab).zip(ref_rows.chunks_exact(n_vocab));
        for ((t_row, r_row), &target) in pairs.zip(targets) {
            metrics::log_softmax(t_row, &mut lp_test);
            metrics::log_softmax(r_row, &mut lp_ref);
            PerplexityAccumulator::add(&mut acc_test, -lp_test[target as usize]);
            PerplexityAccumulator::add(&mut acc_ref, -lp_ref[target as usize]);
            kld.push(metrics::kl_divergence(&lp_ref, &lp_test));
            same_top1 += usize::from(metrics::argmax(t_row) == metrics::argmax(r_row));
        }
        progress(w + 1, plan.n_windows());
    }
    let test = report(&acc_test, &plan);
    let reference = report(&acc_ref, &plan);
    let ppl_ratio = test.perplexity / reference.perplexity;
    let n = kld.len().max(1) as f64;
    let kld_mean = kld.iter().sum::<f64>() / n;
    Ok(ComparisonReport {
        ppl_ratio,
        ppl_delta_pct: (ppl_ratio - 1.0) * 100.0,
        kld_mean,
        kld_median: metrics::quantile(&mut kld, 0.5).unwrap_or(0.0),
        kld_p99: metrics::quantile(&mut kld, 0.99).unwrap_or(0.0),
        kld_max: kld.last().copied().unwrap_or(0.0),
        top1_agreement_pct: same_top1 as f64 * 100.0 / n,
        test,
        reference,
    })
}
