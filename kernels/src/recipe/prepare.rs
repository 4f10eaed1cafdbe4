//! [`prepare`]: a model file with a recipe applied, ready to run.

use std::sync::Arc;

use super::{RecipeError, RecipeReport, apply};
use crate::gguf::GgufFile;
use crate::model::{Model, ModelConfig, TensorSet};
use crate::recipe::Recipe;

/// A model with a recipe applied and what the recipe did.
#[derive(Debug)]
pub struct Prepared {
    /// The runnable model.
    pub model: Arc<Model>,
    /// The recipe's report (parameters, bytes per format, pruning).
    pub report: RecipeReport,
}

/// Reads the hyperparameters and tensors of `file`, applies `recipe` and
/// checks the result as a runnable model. Tensors the recipe leaves as they
/// are stay in the memory map.
///
/// # Errors
/// The model's metadata or tensors are unusable, or the recipe cannot be
/// applied to them.
pub fn prepare(file: &Arc<GgufFile>, recipe: &Recipe) -> Result<Prepared, RecipeError> {
    let config = ModelConfig::from_gguf(file)?;
    let tensors = TensorSet::from_gguf(file);
    let applied = apply(recipe, &config, &tensors)?;
    drop(tensors);
    let model = Model::from_tensors(applied.config, &applied.tensors)?;
    Ok(Prepared {
        model: Arc::new(model),
        report: applied.report,
    })
}
