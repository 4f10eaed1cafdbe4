//! [`Sampler`]: picks the next token from a row of logits.

use std::cmp::Ordering;

use super::SplitMix64;
use crate::model::ModelError;

/// How tokens are drawn. The default is greedy.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SamplerConfig {
    /// Divides the logits; 0 picks the most likely token (greedy).
    pub temperature: f32,
    /// Keeps only the `top_k` most likely tokens; 0 keeps all.
    pub top_k: usize,
    /// Keeps the smallest set of most likely tokens whose probability
    /// reaches `top_p`, in `(0, 1]`; 1 keeps all.
    pub top_p: f32,
    /// Seed of the random generator.
    pub seed: u64,
}

impl Default for SamplerConfig {
    fn default() -> Self {
        Self::greedy()
    }
}

impl SamplerConfig {
    /// Always the most likely token.
    pub fn greedy() -> Self {
        SamplerConfig {
            temperature: 0.0,
            top_k: 0,
            top_p: 1.0,
            seed: 0,
        }
    }

    /// Sampling at `temperature` from all tokens, seed 0.
    pub fn with_temperature(temperature: f32) -> Self {
        SamplerConfig {
            temperature,
            ..Self::greedy()
        }
    }

    /// Sets top-k (0 = off).
    pub fn top_k(mut self, k: usize) -> Self {
        self.top_k = k;
        self
    }

    /// Sets top-p (1 = off).
    pub fn top_p(mut self, p: f32) -> Self {
        self.top_p = p;
        self
    }

    /// Sets the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
}

/// A token kept for sampling and its probability.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    /// The token id.
    pub id: u32,
    /// Its probability after temperature, top-k and top-p (the kept
    /// candidates sum to 1).
    pub prob: f32,
}

/// Draws tokens from logits; holds its random generator and a candidate
/// buffer reused from call to call.
#[derive(Debug, Clone)]
pub struct Sampler {
    config: SamplerConfig,
    rng: SplitMix64,
    candidates: Vec<Candidate>,
}

impl Sampler {
    /// A sampler for `config`.
    ///
    /// # Errors
    /// [`ModelError::BadSampling`] for a negative or non-finite temperature
    /// or a top-p outside `(0, 1]`.
    pub fn new(config: SamplerConfig) -> Result<Self, ModelError> {
        let t = config.temperature;
        if !(t.is_finite() && t >= 0.0) {
            return Err(ModelError::BadSampling {
                name: "temperature",
                reason: format!("{t} is not a number of 0 or more"),
            });
        }
        let p = config.top_p;
        if !(p > 0.0 && p <= 1.0) {
            return Err(ModelError::BadSampling {
                name: "top_p",
                reason: format!("{p} is not in (0, 1]"),
            });
        }
        Ok(Sampler {
            rng: SplitMix64::new(config.seed),
            config,
            candidates: Vec::new(),
        })
    }

    /// A greedy sampler.
    pub fn greedy() -> Self {
        Sampler {
            config: SamplerConfig::greedy(),
            rng: SplitMix64::new(0),
            candidates: Vec::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &SamplerConfig {
        &self.config
    }

    /// Whether every call returns the most likely token.
    pub fn is_greedy(&self) -> bool {
        self.config.temperature == 0.0 || self.config.top_k == 1
    }

    /// The next token for `logits` (one per vocabulary entry). Greedy picks
    /// the first of the largest logits; NaN logits are never picked unless
    /// all are NaN.
    ///
    /// # Errors
    /// [`ModelError::EmptyInput`] for empty logits.
    pub fn sample(&mut self, logits: &[f32]) -> Result<u32, ModelError> {
        if logits.is_empty() {
            return Err(ModelError::EmptyInput);
        }
        if self.is_greedy() {
            return Ok(argmax(logits));
        }
        self.distribution(logits)?;
        let u = self.rng.next_f64() as f32;
        let mut acc = 0.0f32;
        for c in &self.candidates {
            acc += c.prob;
            if u < acc {
                return Ok(c.id);
            }
        }
        // Rounding left the sum just below 1: the last kept candidate.
        Ok(self.candidates.last().map_or(0, |c| c.id))
    }

    /// The tokens [`sample`](Self::sample) draws from and their
    /// probabilities, most likely first (one candidate when greedy).
    ///
    /// # Errors
    /// [`ModelError::EmptyInput`] for empty logits.
    pub fn distribution(&mut self, logits: &[f32]) -> Result<&[Candidate], ModelError> {
        if logits.is_empty() {
            return Err(ModelError::EmptyInput);
        }
        let greedy = self.is_greedy();
        let c = &mut self.candidates;
        c.clear();
        if greedy {
            c.push(Candidate {
                id: argmax(logits),
                prob: 1.0,
            });
            return Ok(c);
        }
        // `prob` holds the logit until the softmax below; NaN sorts last.
        let key = |v: f32| if v.is_nan() { f32::NEG_INFINITY } else { v };
        c.extend(logits.iter().enumerate().map(|(i, &v)| Candidate {
            id: i as u32,
            prob: key(v),
        }));
        let order = |a: &Candidate, b: &Candidate| -> Ordering {
            b.prob.total_cmp(&a.prob).then(a.id.cmp(&b.id))
        };
        let k = self.config.top_k;
        if k > 0 && k < c.len() {
            c.select_nth_unstable_by(k - 1, order);
            c.truncate(k);
        }
        c.sort_unstable_by(order);

        let max = c[0].prob;
        let inv_t = 1.0 / self.config.temperature;
        let mut sum = 0.0f64;
        for cand in c.iter_mut() {
            cand.prob = ((cand.prob - max) * inv_t).exp();
            sum += f64::from(cand.prob);
        }
        if !(sum > 0.0 && sum.is_finite()) {
            // All logits -inf or NaN, or one +inf: the first candidate
            // (the +inf one, if any) alone.
            c.truncate(1);
            c[0].prob = 1.0;
            return Ok(c);
        }
        let p = f64::from(self.config.top_p);
        let mut kept = c.len();
        if p < 1.0 {
            let mut acc = 0.0f64;
            for (i, cand) in c.iter().enumerate() {
                acc += f64::from(cand.prob) / sum;
                if acc >= p {
                    kept = i + 1;
                    break;
                }
            }
            c.truncate(kept);
            sum = c.iter().map(|cand| f64::from(cand.prob)).sum();
        }
        for cand in c.iter_mut() {
            cand.prob = (f64::from(cand.prob) / sum) as f32;
        }
        Ok(c)
    }
}

/// Index of the first largest value (NaN never compares larger).
fn argmax(v: &[f32]) -> u32 {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] || v[best].is_nan() && !x.is_nan() {
            best = i;
        }
    }
    best as u32
}
