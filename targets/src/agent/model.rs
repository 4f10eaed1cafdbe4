//! The model side of a run: the recipe file checked against its SHA-256
//! and its recipe, loaded as it is by the job's runtime, and the fixed
//! pseudo-random prompt it runs.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use edgebench_kernels::generate::SplitMix64;
use edgebench_kernels::gguf::GgufFile;
use edgebench_kernels::model::{ModelError, TensorSet};
use edgebench_kernels::recipe::{self, Recipe, RecipeError};
use edgebench_schema::{Job, ModelReport, Runtime};

use super::AgentError;
use crate::runtime::{self, LoadedRecipe, RuntimeError};
use crate::store::{sha256_hex, trusted_size};

/// Checks that the job's model file exists and has the job's SHA-256;
/// returns its size in bytes (see [`verify_file`]).
///
/// # Errors
/// [`AgentError::ModelFile`] or [`AgentError::HashMismatch`].
pub fn verify_model(job: &Job, progress: &mut dyn FnMut(&str)) -> Result<u64, AgentError> {
    verify_file(&job.model.path, &job.model.sha256, progress)
}

/// Checks that the file at `path` exists and has SHA-256 `sha256`;
/// returns its size in bytes. A file in an object store under its own
/// SHA-256, with a marker vouching that it has not changed since it was
/// hashed, is not hashed again. `progress` hears which.
///
/// # Errors
/// [`AgentError::ModelFile`] or [`AgentError::HashMismatch`].
pub fn verify_file(
    path: &str,
    sha256: &str,
    progress: &mut dyn FnMut(&str),
) -> Result<u64, AgentError> {
    if let Some(bytes) = trusted_size(Path::new(path), sha256) {
        progress(&format!("{path}: a stored object whose hash is on record"));
        return Ok(bytes);
    }
    progress(&format!("hashing {path}"));
    let io = |source| AgentError::ModelFile {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let (found, len) = sha256_hex(file).map_err(io)?;
    if !found.eq_ignore_ascii_case(sha256) {
        return Err(AgentError::HashMismatch {
            path: path.to_owned(),
            expected: sha256.to_ascii_lowercase(),
            found,
        });
    }
    Ok(len)
}

/// The job's recipe file, loaded as it is by the job's runtime.
pub struct Loaded {
    /// The runnable recipe.
    pub recipe: Box<dyn LoadedRecipe>,
    /// What the result says about it.
    pub report: ModelReport,
}

/// Parses the job's recipe, opens the recipe file, checks that it is what
/// the recipe makes and loads it with the job's runtime (the kernel builds
/// its model over the file's memory map): no conversion, so what is
/// measured is what the device runs. Times all of it.
///
/// # Errors
/// [`AgentError::Recipe`] for a recipe that does not parse,
/// [`AgentError::Load`] for a file that cannot be loaded or is not a file
/// of the job's recipe, [`AgentError::Runtime`] when the runtime is not
/// built in or rejects the file.
pub fn load(job: &Job, file_bytes: u64) -> Result<Loaded, AgentError> {
    let start = Instant::now();
    let checked = open_recipe_file(&job.model.path, &job.recipe)?;
    let (recipe, parameters, recipe_bytes) = (
        checked.recipe.to_string(),
        checked.parameters,
        checked.recipe_bytes,
    );
    let loaded = checked.load(job.runtime)?;
    let load_seconds = start.elapsed().as_secs_f64();
    Ok(Loaded {
        recipe: loaded,
        report: ModelReport {
            path: job.model.path.clone(),
            sha256: job.model.sha256.to_ascii_lowercase(),
            file_bytes,
            recipe,
            parameters,
            recipe_bytes,
            load_seconds,
            source_sha256: job.model.source_sha256.clone(),
            applied_at_load: false,
        },
    })
}

/// A recipe file opened and checked against its recipe, not yet loaded by
/// a runtime.
pub struct CheckedFile {
    /// The path.
    pub path: String,
    /// The file, mapped.
    pub file: Arc<GgufFile>,
    /// The recipe it was checked against.
    pub recipe: Recipe,
    /// Parameters after the recipe.
    pub parameters: u64,
    /// Bytes of its tensors.
    pub recipe_bytes: u64,
}

/// Parses `recipe`, opens the file at `path` and checks that it is what
/// the recipe makes.
///
/// # Errors
/// [`AgentError::Recipe`] for a recipe that does not parse,
/// [`AgentError::Load`] for a file that cannot be read or is not a file of
/// the recipe.
pub fn open_recipe_file(path: &str, recipe: &str) -> Result<CheckedFile, AgentError> {
    let recipe: Recipe = recipe.parse().map_err(|e| AgentError::Recipe {
        recipe: recipe.to_owned(),
        source: Box::new(e),
    })?;
    let file = Arc::new(
        GgufFile::open(path).map_err(|e| load_error(path, &recipe, ModelError::from(e).into()))?,
    );
    recipe::check_file(&file, &recipe).map_err(|e| load_error(path, &recipe, e))?;
    let tensors = TensorSet::from_gguf(&file);
    let (parameters, recipe_bytes) = (tensors.parameter_count(), tensors.total_bytes());
    Ok(CheckedFile {
        path: path.to_owned(),
        file,
        recipe,
        parameters,
        recipe_bytes,
    })
}

fn load_error(path: &str, recipe: &Recipe, source: RecipeError) -> AgentError {
    AgentError::Load {
        path: path.to_owned(),
        recipe: recipe.to_string(),
        source: Box::new(source),
    }
}

impl CheckedFile {
    /// Loads the file with `runtime`.
    ///
    /// # Errors
    /// [`AgentError::Load`] when the kernel cannot build the model,
    /// [`AgentError::Runtime`] when the runtime is not built in or rejects
    /// the file.
    pub fn load(self, runtime: Runtime) -> Result<Box<dyn LoadedRecipe>, AgentError> {
        let CheckedFile {
            path, file, recipe, ..
        } = self;
        runtime::load(runtime, Path::new(&path), file).map_err(|e| match e {
            RuntimeError::Kernel(m) => load_error(&path, &recipe, m.into()),
            other => AgentError::Runtime(other),
        })
    }
}

/// `n` pseudo-random token ids below `n_vocab` from `seed`.
pub fn prompt_tokens(n: usize, n_vocab: usize, seed: u64) -> Vec<u32> {
    let mut rng = SplitMix64::new(seed);
    let vocab = n_vocab.max(1) as u64;
    (0..n)
        .map(|_| u32::try_from(rng.next_u64() % vocab).unwrap_or(0))
        .collect()
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
