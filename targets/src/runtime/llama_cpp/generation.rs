//! Greedy generation on a llama.cpp context, one `llama_decode` per step:
//! the prompt as one batch, then one token per call, so the protocol times
//! every token itself rather than reading llama.cpp's summaries.

use edgebench_kernels::generate::Sampler;
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::token::LlamaToken;

use super::{LLAMA, logged_reason};
use crate::protocol::Inference;
use crate::runtime::RuntimeError;

/// A generation session: its context, a batch reused by every step and the
/// fixed prompt.
pub struct LlamaGeneration<'m> {
    context: LlamaContext<'m>,
    batch: LlamaBatch<'static>,
    prompt: Vec<LlamaToken>,
    n_vocab: usize,
    sampler: Sampler,
    /// Position of the next token.
    position: i32,
    last: u32,
}

fn failed(message: String) -> RuntimeError {
    RuntimeError::Failed {
        runtime: LLAMA,
        message,
    }
}

/// The token `id` of a vocabulary of `n_vocab`.
pub(super) fn token(id: u32, n_vocab: usize) -> Result<LlamaToken, RuntimeError> {
    match i32::try_from(id) {
        Ok(t) if (id as usize) < n_vocab => Ok(LlamaToken::new(t)),
        _ => Err(failed(format!(
            "token {id} is outside the vocabulary of {n_vocab}"
        ))),
    }
}

impl<'m> LlamaGeneration<'m> {
    /// Runs `prompt` on `context`.
    ///
    /// # Errors
    /// A prompt token outside the vocabulary, or an empty prompt.
    pub fn new(
        context: LlamaContext<'m>,
        prompt: &[u32],
        n_vocab: usize,
    ) -> Result<Self, RuntimeError> {
        if prompt.is_empty() {
            return Err(failed("the prompt is empty".to_owned()));
        }
        let prompt = prompt
            .iter()
            .map(|&t| token(t, n_vocab))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(LlamaGeneration {
            context,
            batch: LlamaBatch::new(prompt.len(), 1),
            prompt,
            n_vocab,
            sampler: Sampler::greedy(),
            position: 0,
            last: 0,
        })
    }

    /// Decodes the batch and picks the next token from the logits of its
    /// last entry.
    fn step(&mut self) -> Result<(), RuntimeError> {
        let n = self.batch.n_tokens();
        self.context
            .decode(&mut self.batch)
            .map_err(|e| failed(logged_reason(&format!("decode failed: {e}"))))?;
        self.position += n;
        let logits = self.context.get_logits_ith(n - 1);
        if logits.len() != self.n_vocab {
            return Err(failed(format!(
                "{} logits for a vocabulary of {}",
                logits.len(),
                self.n_vocab
            )));
        }
        self.last = self.sampler.sample(logits)?;
        Ok(())
    }
}

impl Inference for LlamaGeneration<'_> {
    type Error = RuntimeError;

    fn reset(&mut self) {
        self.context.clear_kv_cache();
        self.position = 0;
    }

    fn prefill(&mut self) -> Result<(), RuntimeError> {
        self.batch.clear();
        let last = self.prompt.len() - 1;
        for (i, &t) in self.prompt.iter().enumerate() {
            let position = self.position + i32::try_from(i).unwrap_or(i32::MAX);
            self.batch
                .add(t, position, &[0], i == last)
                .map_err(|e| failed(e.to_string()))?;
        }
        self.step()
    }

    fn decode(&mut self) -> Result<(), RuntimeError> {
        let t = token(self.last, self.n_vocab)?;
        self.batch.clear();
        self.batch
            .add(t, self.position, &[0], true)
            .map_err(|e| failed(e.to_string()))?;
        self.step()
    }

    fn last_token(&self) -> Option<u32> {
        Some(self.last)
    }
}
