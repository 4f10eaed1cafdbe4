//! [`make`]: a recipe applied to a source model and written as a GGUF file,
//! as `models quantize` and the run's recipe cache do.

use std::path::Path;
use std::sync::Arc;

use edgebench_kernels::gguf::GgufFile;
use edgebench_kernels::model::{ModelConfig, TensorSet};
use edgebench_kernels::recipe::{self, Recipe, RecipeReport};

use super::{MakeProgress, RecipeFileError};

/// What making a recipe file did.
#[derive(Debug)]
pub struct Made {
    /// The recipe's report (parameters, bytes per format, pruning).
    pub report: RecipeReport,
    /// The hyperparameters of the file written.
    pub config: ModelConfig,
    /// Size of the file written, bytes.
    pub file_size: u64,
}

/// Reads `source`, applies `recipe` and writes the result to `out`
/// (through a temporary file renamed into place, so `out` may be
/// `source`), reporting to `progress` as it goes.
///
/// # Errors
/// [`RecipeFileError::Source`], [`RecipeFileError::Config`] or
/// [`RecipeFileError::Recipe`], naming the source and the recipe.
pub fn make(
    source: &Path,
    recipe: &Recipe,
    out: &Path,
    progress: &dyn MakeProgress,
) -> Result<Made, RecipeFileError> {
    let file = Arc::new(GgufFile::open(source).map_err(|e| RecipeFileError::Source {
        path: source.to_owned(),
        source: Box::new(e),
    })?);
    let config = ModelConfig::from_gguf(&file).map_err(|e| RecipeFileError::Config {
        path: source.to_owned(),
        source: Box::new(e),
    })?;
    let failed = |e| RecipeFileError::Recipe {
        path: source.to_owned(),
        recipe: recipe.to_string(),
        source: Box::new(e),
    };
    let tensors = TensorSet::from_gguf(&file);
    let applied = recipe::apply_with_progress(recipe, &config, &tensors, &|done, total| {
        progress.converting(done, total);
    })
    .map_err(failed)?;
    drop(tensors);
    let file_size =
        recipe::write_gguf_with_progress(&file, &applied, out, &mut |written, total| {
            progress.writing(written, total);
        })
        .map_err(failed)?;
    Ok(Made {
        report: applied.report,
        config: applied.config,
        file_size,
    })
}
