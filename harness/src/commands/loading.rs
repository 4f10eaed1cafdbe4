//! Opening a model file for the commands that run a model: as it is (a
//! recipe file, what a device runs), or with a recipe applied while
//! loading (one-off use).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use edgebench_kernels::gguf::GgufFile;
use edgebench_kernels::model::Model;
use edgebench_kernels::recipe::{self, Prepared, Recipe};
use edgebench_kernels::tokenizer::Tokenizer;

/// A model file opened with its tokenizer, ready to run.
pub struct LoadedModel {
    /// The memory-mapped file.
    pub file: Arc<GgufFile>,
    /// The tokenizer from the file's metadata.
    pub tokenizer: Tokenizer,
    /// The recipe's canonical name: the one applied, or the one the file
    /// is a recipe file of (`as stored` when it records none).
    pub recipe: String,
    /// The runnable model.
    pub model: Arc<Model>,
    /// Whether the recipe was applied while loading (so its conversion
    /// was part of the load).
    pub applied_at_load: bool,
    /// Time to open the file (and apply the recipe).
    pub load_time: Duration,
}

fn open(path: &Path) -> anyhow::Result<Arc<GgufFile>> {
    Ok(Arc::new(GgufFile::open(path).with_context(|| {
        format!("cannot read GGUF file {}", path.display())
    })?))
}

fn tokenizer(file: &GgufFile, path: &Path) -> anyhow::Result<Tokenizer> {
    Tokenizer::from_gguf(file)
        .with_context(|| format!("cannot read the tokenizer of {}", path.display()))
}

fn parse(recipe: &str) -> anyhow::Result<Recipe> {
    recipe
        .parse()
        .with_context(|| format!("invalid recipe '{recipe}'"))
}

/// Parses `recipe`, opens `path` and applies the recipe while loading,
/// naming the file and recipe in every error.
pub fn load(path: &Path, recipe: &str) -> anyhow::Result<LoadedModel> {
    let recipe = parse(recipe)?;
    let start = Instant::now();
    let file = open(path)?;
    let Prepared { model, .. } = recipe::prepare(&file, &recipe)
        .with_context(|| format!("cannot load {} with recipe {recipe}", path.display()))?;
    let tokenizer = tokenizer(&file, path)?;
    Ok(LoadedModel {
        file,
        tokenizer,
        recipe: recipe.to_string(),
        model,
        applied_at_load: true,
        load_time: start.elapsed(),
    })
}

/// Opens `path` and runs it as it is: no conversion, weights used from the
/// memory map. With `expect`, the file must be that recipe's file (its
/// recorded recipe and tensor formats are checked).
pub fn load_file(path: &Path, expect: Option<&str>) -> anyhow::Result<LoadedModel> {
    let expect = expect.map(parse).transpose()?;
    let start = Instant::now();
    let file = open(path)?;
    if let Some(r) = &expect {
        recipe::check_file(&file, r)
            .with_context(|| format!("{} is not a file of recipe {r}", path.display()))?;
    }
    let model = Model::load(Arc::clone(&file))
        .with_context(|| format!("cannot load {}", path.display()))?;
    let tokenizer = tokenizer(&file, path)?;
    let recipe = match &expect {
        Some(r) => r.to_string(),
        None => recipe::recorded_recipe(&file)
            .and_then(|t| t.parse::<Recipe>().ok())
            .map_or_else(|| "as stored".to_owned(), |r| r.to_string()),
    };
    Ok(LoadedModel {
        file,
        tokenizer,
        recipe,
        model: Arc::new(model),
        applied_at_load: false,
        load_time: start.elapsed(),
    })
}

/// The default thread count: the cores this process may use.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
