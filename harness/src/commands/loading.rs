//! Opening a model file with a recipe for the commands that run a model.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use edgebench_kernels::gguf::GgufFile;
use edgebench_kernels::recipe::{self, Prepared, Recipe};
use edgebench_kernels::tokenizer::Tokenizer;

/// A model file opened with its tokenizer and a recipe applied.
pub struct LoadedModel {
    /// The memory-mapped file.
    pub file: Arc<GgufFile>,
    /// The tokenizer from the file's metadata.
    pub tokenizer: Tokenizer,
    /// The recipe's canonical name.
    pub recipe: String,
    /// The model with the recipe applied.
    pub prepared: Prepared,
    /// Time to open the file and apply the recipe.
    pub load_time: Duration,
}

/// Parses `recipe`, opens `path` and applies the recipe, naming the file and
/// recipe in every error.
pub fn load(path: &Path, recipe: &str) -> anyhow::Result<LoadedModel> {
    let recipe: Recipe = recipe
        .parse()
        .with_context(|| format!("invalid recipe '{recipe}'"))?;
    let start = Instant::now();
    let shown = path.display();
    let file =
        Arc::new(GgufFile::open(path).with_context(|| format!("cannot read GGUF file {shown}"))?);
    let prepared = recipe::prepare(&file, &recipe)
        .with_context(|| format!("cannot load {shown} with recipe {recipe}"))?;
    let tokenizer = Tokenizer::from_gguf(&file)
        .with_context(|| format!("cannot read the tokenizer of {shown}"))?;
    Ok(LoadedModel {
        file,
        tokenizer,
        recipe: recipe.to_string(),
        prepared,
        load_time: start.elapsed(),
    })
}

/// The default thread count: the cores this process may use.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
