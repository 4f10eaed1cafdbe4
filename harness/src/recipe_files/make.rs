//! [`make`]: a recipe applied to a source model and written as a GGUF file,
//! as `models quantize` and the run's recipe cache do.

use std::path::Path;
use std::sync::Arc;

use edgebench_kernels::gguf::GgufFile;
use edgebench_kernels::model::ModelConfig;
use edgebench_kernels::recipe::{self, Recipe, RecipeReport, WriteProgress};

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

/// Reads `source`, applies `recipe` and writes the result to `out` a few
/// tensors at a time (so memory holds a few tensors, not the model),
/// through a temporary file renamed into place (so `out` may be `source`),
/// reporting to `progress` as it goes.
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
    // Read here too, so a source whose hyperparameters are unusable is
    // named as such rather than as a recipe failure.
    ModelConfig::from_gguf(&file).map_err(|e| RecipeFileError::Config {
        path: source.to_owned(),
        source: Box::new(e),
    })?;
    let written =
        recipe::write_recipe_file(&file, recipe, out, &Reporting(progress)).map_err(|e| {
            RecipeFileError::Recipe {
                path: source.to_owned(),
                recipe: recipe.to_string(),
                source: Box::new(e),
            }
        })?;
    Ok(Made {
        report: written.report,
        config: written.config,
        file_size: written.file_size,
    })
}

/// The kernel's progress reports, passed on.
struct Reporting<'p>(&'p dyn MakeProgress);

impl WriteProgress for Reporting<'_> {
    fn converted(&self, done: usize, total: usize) {
        self.0.converting(done, total);
    }

    fn written(&self, written: u64, total: u64) {
        self.0.writing(written, total);
    }
}
