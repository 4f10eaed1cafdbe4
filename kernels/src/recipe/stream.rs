//! [`write_recipe_file`]: a recipe applied to a GGUF file and written out
//! a few tensors at a time, so making the recipe file of a model larger
//! than memory needs memory for a few tensors, not for the model.

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::sync::Arc;

use super::stage::{Done, Job, Output, Staged, Step, run_jobs};
use super::write::{metadata, write_in_place};
use super::{Recipe, RecipeError, RecipeReport};
use crate::gguf::{GgufFile, GgufWriter};
use crate::model::{ModelConfig, TensorSet};

/// Most bytes of source values (as f32) converted at once: with the
/// converted copies, what making a file holds besides the mapped source.
pub const WINDOW_BYTES: u64 = 512 << 20;

/// How many of `jobs` (at least one, at most `cores`) to convert next so
/// their values stay within [`WINDOW_BYTES`].
fn window_len(jobs: &[&Job<'_>], cores: usize) -> usize {
    let mut bytes = 0u64;
    let mut n = 0;
    for job in jobs.iter().take(cores.max(1)) {
        bytes += 4 * job.tensor.n_elements() as u64;
        if n > 0 && bytes > WINDOW_BYTES {
            break;
        }
        n += 1;
    }
    n
}

/// A recipe file written.
#[derive(Debug)]
#[non_exhaustive]
pub struct WrittenFile {
    /// What the recipe did (parameters, bytes per format, pruning).
    pub report: RecipeReport,
    /// The hyperparameters of the file.
    pub config: ModelConfig,
    /// Its size in bytes.
    pub file_size: u64,
}

/// What [`write_recipe_file`] reports as it goes, from the writing thread.
pub trait WriteProgress: Sync {
    /// `done` of the `total` tensors that need converting are converted.
    fn converted(&self, done: usize, total: usize);
    /// `written` of about `total` bytes are in the file.
    fn written(&self, written: u64, total: u64);
}

/// No report.
impl WriteProgress for () {
    fn converted(&self, _: usize, _: usize) {}
    fn written(&self, _: u64, _: u64) {}
}

/// Applies `recipe` to the model in `source` and writes the result to
/// `path`: byte for byte the file [`apply`](super::apply) then
/// [`write_gguf`](super::write_gguf) write, made without holding the
/// converted model in memory. Tensors the recipe keeps are copied from the
/// memory map; the others are converted in parallel just before the writer
/// reaches them, in windows of at most one tensor per core and
/// [`WINDOW_BYTES`] of source values (always at least one tensor). The file
/// is written next to `path` and renamed into place. A conversion error
/// ends the write (nothing is left at `path`) and is returned.
///
/// # Errors
/// As [`apply`](super::apply) and [`write_gguf`](super::write_gguf).
pub fn write_recipe_file(
    source: &Arc<GgufFile>,
    recipe: &Recipe,
    path: impl AsRef<Path>,
    progress: &dyn WriteProgress,
) -> Result<WrittenFile, RecipeError> {
    let config = ModelConfig::from_gguf(source)?;
    let tensors = TensorSet::from_gguf(source);
    let staged = Staged::new(recipe, &config, &tensors)?;
    let by_name: HashMap<&str, &Step<'_>> = staged.steps.iter().map(|s| (s.name(), s)).collect();

    let mut w = GgufWriter::new();
    for (k, v) in metadata(source, &staged.config, recipe) {
        w.add_metadata(k, v)?;
    }
    // Tensors in the source's order; the converted ones are declared now
    // and produced when the writer gets to them.
    let mut outputs = Vec::with_capacity(staged.steps.len());
    let mut jobs: Vec<&Job<'_>> = Vec::new();
    let mut total_bytes = 0u64;
    for info in source.tensors() {
        let step = by_name
            .get(info.name.as_str())
            .ok_or_else(|| RecipeError::MissingTensor {
                name: info.name.clone(),
            })?;
        match step {
            Step::Keep { tensor, .. } => {
                let dims: Vec<u64> = tensor.dims().iter().map(|&d| d as u64).collect();
                w.add_tensor(info.name.as_str(), &dims, tensor.dtype(), tensor.bytes())?;
                outputs.push(Output::kept(tensor));
                total_bytes += tensor.bytes().len() as u64;
            }
            Step::Convert(job) => {
                let (dims, dtype) = staged.layout(job);
                let dims: Vec<u64> = dims.iter().map(|&d| d as u64).collect();
                w.declare_tensor(info.name.as_str(), &dims, dtype)?;
                let n: u64 = dims.iter().product();
                total_bytes += dtype.bytes_for(n).unwrap_or(0);
                jobs.push(job);
            }
        }
    }

    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let mut ready: VecDeque<(&Job<'_>, Done)> = VecDeque::new();
    let mut next = 0;
    let mut failure: Option<RecipeError> = None;
    let mut produce = |name: &str| -> std::io::Result<Arc<[u8]>> {
        if ready.is_empty() {
            let batch = &jobs[next..next + window_len(&jobs[next..], cores)];
            match run_jobs(batch, |job| staged.convert(job)) {
                Ok(done) => ready.extend(batch.iter().copied().zip(done)),
                Err(e) => {
                    failure = Some(e);
                    return Err(std::io::Error::other("converting a tensor failed"));
                }
            }
            next += batch.len();
            progress.converted(next, jobs.len());
        }
        let Some((job, done)) = ready.pop_front() else {
            return Err(std::io::Error::other(format!(
                "no tensor left for '{name}'"
            )));
        };
        let (output, tensor) = Output::converted(job, done);
        outputs.push(output);
        if job.name != name {
            return Err(std::io::Error::other(format!(
                "converted '{}' where '{name}' was due",
                job.name
            )));
        }
        Ok(tensor.into_shared_bytes())
    };
    let written = write_in_place(&w, path.as_ref(), &mut produce, &mut |n| {
        progress.written(n, total_bytes);
    });
    let file_size = match (written, failure) {
        (_, Some(e)) => return Err(e),
        (Err(e), None) => return Err(e),
        (Ok(size), None) => size,
    };
    let report = staged.report(&outputs);
    Ok(WrittenFile {
        report,
        config: staged.config,
        file_size,
    })
}
