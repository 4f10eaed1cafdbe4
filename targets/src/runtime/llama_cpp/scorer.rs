//! Windows of the evaluation text scored by llama.cpp: each window from an
//! empty KV cache as one batch, logits requested for the scored positions.

use edgebench_kernels::eval::{EvalError, WindowScorer};
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_batch::LlamaBatch;

use super::generation::token;
use super::{LLAMA, logged_reason};

/// A scoring session and the logits of its last window.
pub struct LlamaScorer<'m> {
    context: LlamaContext<'m>,
    batch: LlamaBatch<'static>,
    n_vocab: usize,
    ctx: usize,
    logits: Vec<f32>,
}

impl<'m> LlamaScorer<'m> {
    /// Scores windows of up to `ctx` tokens on `context`.
    pub fn new(context: LlamaContext<'m>, n_vocab: usize, ctx: usize) -> Self {
        LlamaScorer {
            context,
            batch: LlamaBatch::new(ctx.max(1), 1),
            n_vocab,
            ctx,
            logits: Vec::new(),
        }
    }
}

fn failed(message: String) -> EvalError {
    EvalError::Runtime {
        runtime: LLAMA.name(),
        message,
    }
}

impl WindowScorer for LlamaScorer<'_> {
    fn n_vocab(&self) -> usize {
        self.n_vocab
    }

    fn logits(&mut self, tokens: &[u32], score_from: usize) -> Result<&[f32], EvalError> {
        if tokens.len() > self.ctx || score_from >= tokens.len() {
            return Err(failed(format!(
                "a window of {} tokens scored from {score_from} does not fit a context of {}",
                tokens.len(),
                self.ctx
            )));
        }
        self.context.clear_kv_cache();
        self.batch.clear();
        for (i, &id) in tokens.iter().enumerate() {
            let t = token(id, self.n_vocab).map_err(|e| failed(e.to_string()))?;
            let position = i32::try_from(i).map_err(|_| failed("window too long".into()))?;
            self.batch
                .add(t, position, &[0], i >= score_from)
                .map_err(|e| failed(e.to_string()))?;
        }
        self.context
            .decode(&mut self.batch)
            .map_err(|e| failed(logged_reason(&format!("decode failed: {e}"))))?;
        self.logits.clear();
        self.logits
            .reserve((tokens.len() - score_from) * self.n_vocab);
        for i in score_from..tokens.len() {
            let row = self.context.get_logits_ith(i as i32);
            if row.len() != self.n_vocab {
                return Err(failed(format!(
                    "{} logits for a vocabulary of {}",
                    row.len(),
                    self.n_vocab
                )));
            }
            self.logits.extend_from_slice(row);
        }
        Ok(&self.logits)
    }
}
