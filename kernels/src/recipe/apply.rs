//! [`apply`]: a recipe applied to a model's tensors.

use super::stage::{Output, Staged, Step, run_jobs};
use super::{Recipe, RecipeError, RecipeReport};
use crate::model::{ModelConfig, TensorSet};

/// A model after a recipe: its hyperparameters, tensors and what was done.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Applied {
    /// The recipe applied.
    pub recipe: Recipe,
    /// The new hyperparameters (`head_dim` set explicitly).
    pub config: ModelConfig,
    /// The new tensors; the ones the recipe did not change share their bytes
    /// with the source.
    pub tensors: TensorSet,
    /// What was done.
    pub report: RecipeReport,
}

/// Applies `recipe` to a model: structured pruning (heads, then FFN
/// channels), magnitude pruning of the block matrices, then the formats
/// (weight matrices in the recipe's scheme or their class override; norms,
/// biases and `rope_freqs` in f32). Quantized sources are dequantized first.
/// A tensor already in its target format and not pruned is reused without a
/// copy. Tensors outside the Llama family's names are kept as they are.
///
/// - Heads: a query head's importance is `‖its attn_q rows‖ + ‖its
///   attn_output columns‖`. With grouped-query attention every key/value
///   group keeps its `max(1, round((1 - r) · group))` most important query
///   heads (so `n_head` stays a multiple of `n_head_kv`); without it, whole
///   heads go (their `attn_k`/`attn_v` rows count towards the importance).
///   Biases lose the same entries; `head_dim` is unchanged and set
///   explicitly in the new configuration.
/// - FFN: channel `j`'s importance is `‖ffn_gate row j‖ · ‖ffn_up row j‖ ·
///   ‖ffn_down column j‖`; every block keeps the same number of channels,
///   `round((1 - r) · n_ff)` rounded to a multiple of 32.
/// - Sparsity: per block matrix, the `⌊r · n⌋` weights of smallest magnitude
///   become zero ([`prune_smallest`](super::prune_smallest)).
///
/// Rows that are not whole blocks of the requested format are stored in
/// [`fitting_format`](super::fitting_format) and listed in the report's
/// fallbacks.
///
/// # Errors
/// [`RecipeError::MissingTensor`] or [`RecipeError::BadShape`] for tensors
/// the pruning needs, [`RecipeError::PrunesEverything`] when FFN pruning
/// leaves no channel, [`RecipeError::Model`] when the configuration is
/// invalid or a tensor cannot be converted (naming it).
pub fn apply(
    recipe: &Recipe,
    config: &ModelConfig,
    tensors: &TensorSet,
) -> Result<Applied, RecipeError> {
    let staged = Staged::new(recipe, config, tensors)?;
    let jobs: Vec<_> = staged.jobs().collect();
    let mut done = run_jobs(&jobs, |job| staged.convert(job))?.into_iter();
    let mut out = TensorSet::new();
    let mut outputs = Vec::with_capacity(staged.steps.len());
    for step in &staged.steps {
        match step {
            Step::Keep { name, tensor } => {
                outputs.push(Output::kept(tensor));
                out.insert(*name, (*tensor).clone());
            }
            Step::Convert(job) => {
                let d = done
                    .next()
                    .expect("run_jobs returns one result per job, in order");
                let (o, t) = Output::converted(job, d);
                outputs.push(o);
                out.insert(job.name, t);
            }
        }
    }
    let report = staged.report(&outputs);
    Ok(Applied {
        recipe: recipe.clone(),
        config: staged.config,
        tensors: out,
        report,
    })
}
