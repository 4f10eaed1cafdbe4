//! The model side of a run: the recipe file checked against its SHA-256
//! and its recipe, loaded as it is, and a session running a fixed
//! pseudo-random prompt.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use edgebench_kernels::generate::{Sampler, SplitMix64};
use edgebench_kernels::gguf::GgufFile;
use edgebench_kernels::model::{Logits, Model, ModelError, Session, TensorSet};
use edgebench_kernels::recipe::{self, Recipe, RecipeError};
use edgebench_schema::{Job, ModelReport};

use super::AgentError;
use crate::protocol::Inference;
use crate::store::{sha256_hex, trusted_size};

/// Checks that the job's model file exists and has the job's SHA-256;
/// returns its size in bytes. A file in an object store under its own
/// SHA-256, with a marker vouching that it has not changed since it was
/// hashed, is not hashed again. `progress` hears which.
///
/// # Errors
/// [`AgentError::ModelFile`] or [`AgentError::HashMismatch`].
pub fn verify_model(job: &Job, progress: &mut dyn FnMut(&str)) -> Result<u64, AgentError> {
    let path = &job.model.path;
    if let Some(bytes) = trusted_size(Path::new(path), &job.model.sha256) {
        progress(&format!("{path}: a stored object whose hash is on record"));
        return Ok(bytes);
    }
    progress(&format!("hashing {path}"));
    let io = |source| AgentError::ModelFile {
        path: path.clone(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let (found, len) = sha256_hex(file).map_err(io)?;
    if !found.eq_ignore_ascii_case(&job.model.sha256) {
        return Err(AgentError::HashMismatch {
            path: path.clone(),
            expected: job.model.sha256.to_ascii_lowercase(),
            found,
        });
    }
    Ok(len)
}

/// The job's recipe file, loaded as it is.
pub struct Loaded {
    /// The runnable model.
    pub model: Arc<Model>,
    /// What the result says about it.
    pub report: ModelReport,
}

/// Parses the job's recipe, opens the recipe file, checks that it is what
/// the recipe makes and builds the model over its memory map: no
/// conversion, so what is measured is what the device runs. Times all of
/// it.
///
/// # Errors
/// [`AgentError::Recipe`] for a recipe that does not parse,
/// [`AgentError::Load`] for a file that cannot be loaded or is not a file
/// of the job's recipe.
pub fn load(job: &Job, file_bytes: u64) -> Result<Loaded, AgentError> {
    let recipe: Recipe = job.recipe.parse().map_err(|e| AgentError::Recipe {
        recipe: job.recipe.clone(),
        source: Box::new(e),
    })?;
    let load_err = |e: RecipeError| AgentError::Load {
        path: job.model.path.clone(),
        recipe: recipe.to_string(),
        source: Box::new(e),
    };
    let start = Instant::now();
    let file = Arc::new(
        GgufFile::open(&job.model.path).map_err(|e| load_err(ModelError::from(e).into()))?,
    );
    recipe::check_file(&file, &recipe).map_err(load_err)?;
    let tensors = TensorSet::from_gguf(&file);
    let (parameters, recipe_bytes) = (tensors.parameter_count(), tensors.total_bytes());
    let model = Model::load(file).map_err(|e| load_err(e.into()))?;
    let load_seconds = start.elapsed().as_secs_f64();
    Ok(Loaded {
        model: Arc::new(model),
        report: ModelReport {
            path: job.model.path.clone(),
            sha256: job.model.sha256.to_ascii_lowercase(),
            file_bytes,
            recipe: recipe.to_string(),
            parameters,
            recipe_bytes,
            load_seconds,
            source_sha256: job.model.source_sha256.clone(),
            applied_at_load: false,
        },
    })
}

/// `n` pseudo-random token ids below `n_vocab` from `seed`.
pub fn prompt_tokens(n: usize, n_vocab: usize, seed: u64) -> Vec<u32> {
    let mut rng = SplitMix64::new(seed);
    let vocab = n_vocab.max(1) as u64;
    (0..n)
        .map(|_| u32::try_from(rng.next_u64() % vocab).unwrap_or(0))
        .collect()
}

/// Greedy generation from a fixed prompt on a [`Session`].
pub struct SessionInference {
    session: Session,
    prompt: Vec<u32>,
    sampler: Sampler,
    last: u32,
}

impl SessionInference {
    /// Runs `prompt` on `session`.
    pub fn new(session: Session, prompt: Vec<u32>) -> Self {
        SessionInference {
            session,
            prompt,
            sampler: Sampler::greedy(),
            last: 0,
        }
    }

    /// The last token chosen.
    pub fn last_token(&self) -> u32 {
        self.last
    }
}

impl Inference for SessionInference {
    type Error = ModelError;

    fn reset(&mut self) {
        self.session.reset();
    }

    fn prefill(&mut self) -> Result<(), ModelError> {
        let logits = self.session.forward(&self.prompt, Logits::Last)?;
        self.last = self.sampler.sample(logits)?;
        Ok(())
    }

    fn decode(&mut self) -> Result<(), ModelError> {
        let logits = self.session.forward(&[self.last], Logits::Last)?;
        self.last = self.sampler.sample(logits)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_are_seeded_and_in_the_vocabulary() {
        let a = prompt_tokens(64, 512, 7);
        assert_eq!(a, prompt_tokens(64, 512, 7));
        assert_ne!(a, prompt_tokens(64, 512, 8));
        assert!(a.iter().all(|&t| t < 512));
        assert!(a.iter().collect::<std::collections::HashSet<_>>().len() > 32);
    }
}
