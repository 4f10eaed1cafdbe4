//! [`generate`]: prefill a prompt, then decode token by token, timing each.

use std::time::{Duration, Instant};

use super::Sampler;
use crate::model::{Logits, ModelError, Session};

/// When generation stops.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GenerateOptions {
    /// Tokens to generate at most (at least 1).
    pub max_tokens: usize,
    /// Tokens that end generation (end-of-sequence ids); the stop token is
    /// reported and kept in the output.
    pub stop_tokens: Vec<u32>,
}

impl GenerateOptions {
    /// Up to `max_tokens` tokens, no stop token.
    pub fn new(max_tokens: usize) -> Self {
        GenerateOptions {
            max_tokens,
            stop_tokens: Vec::new(),
        }
    }

    /// Adds a token that ends generation.
    pub fn stop_at(mut self, token: u32) -> Self {
        self.stop_tokens.push(token);
        self
    }
}

/// One generated token as it is produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenEvent {
    /// 0 for the first generated token.
    pub index: usize,
    /// The token id.
    pub token: u32,
    /// Time to produce it: for the first token the prompt's prefill plus
    /// sampling (time to first token), then one decode step plus sampling.
    pub latency: Duration,
}

/// Why generation stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// `max_tokens` were generated.
    MaxTokens,
    /// A stop token was generated.
    StopToken,
    /// The session's context is full.
    ContextFull,
}

/// The result of [`generate`].
#[derive(Debug, Clone, PartialEq)]
pub struct Generation {
    /// Generated tokens, the stop token included.
    pub tokens: Vec<u32>,
    /// Latency of each token, as reported to the callback.
    pub latencies: Vec<Duration>,
    /// Why it stopped.
    pub stop: StopReason,
}

impl Generation {
    /// Time to the first token (prefill and first sample).
    pub fn time_to_first_token(&self) -> Duration {
        self.latencies.first().copied().unwrap_or_default()
    }

    /// Total time, prefill included.
    pub fn total(&self) -> Duration {
        self.latencies.iter().sum()
    }
}

/// Runs `prompt` through `session` (appended to whatever it already holds;
/// [`Session::reset`] first for a fresh sequence), then decodes one token at
/// a time with `sampler` until `options.max_tokens`, a stop token or a full
/// context. `on_token` sees every token as soon as it is sampled.
///
/// # Errors
/// [`ModelError::BadSampling`] when `max_tokens` is 0, and the errors of
/// [`Session::forward`] (an empty or too long prompt, an id outside the
/// vocabulary).
pub fn generate(
    session: &mut Session,
    sampler: &mut Sampler,
    prompt: &[u32],
    options: &GenerateOptions,
    mut on_token: impl FnMut(&TokenEvent),
) -> Result<Generation, ModelError> {
    if options.max_tokens == 0 {
        return Err(ModelError::BadSampling {
            name: "max_tokens",
            reason: "at least one token must be generated".into(),
        });
    }
    let room = session
        .context()
        .saturating_sub(session.position() + prompt.len());
    let capacity = options.max_tokens.min(room + 1);
    let mut out = Generation {
        tokens: Vec::with_capacity(capacity),
        latencies: Vec::with_capacity(capacity),
        stop: StopReason::MaxTokens,
    };
    let mut start = Instant::now();
    let mut logits = session.forward(prompt, Logits::Last)?;
    loop {
        let token = sampler.sample(logits)?;
        let event = TokenEvent {
            index: out.tokens.len(),
            token,
            latency: start.elapsed(),
        };
        on_token(&event);
        out.tokens.push(token);
        out.latencies.push(event.latency);
        if options.stop_tokens.contains(&token) {
            out.stop = StopReason::StopToken;
            break;
        }
        if out.tokens.len() >= options.max_tokens {
            out.stop = StopReason::MaxTokens;
            break;
        }
        if session.position() >= session.context() {
            out.stop = StopReason::ContextFull;
            break;
        }
        start = Instant::now();
        logits = session.forward(&[token], Logits::Last)?;
    }
    Ok(out)
}
