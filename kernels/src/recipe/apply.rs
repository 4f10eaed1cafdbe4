//! [`apply`]: a recipe applied to a model's tensors.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::prune::{prune_smallest, sparsity_count};
use super::report::{Fallback, FfnPruning, HeadPruning, RecipeReport, Sparsity, format_totals};
use super::structure::Plan;
use super::{Recipe, RecipeError};
use crate::model::{ModelConfig, Tensor, TensorName, TensorSet};
use crate::quant::GgmlType;

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

/// The format rows of `row_length` are stored in when `requested` was asked
/// for: `requested` when the rows are whole blocks of it, else q8_0 when they
/// are whole q8_0 blocks, else f16 (as llama.cpp's quantizer falls back).
pub fn fitting_format(requested: GgmlType, row_length: usize) -> GgmlType {
    [requested, GgmlType::Q8_0, GgmlType::F16]
        .into_iter()
        .find(|t| row_length.is_multiple_of(t.block_size()))
        .unwrap_or(GgmlType::F32)
}

/// One tensor to convert.
struct Job<'a> {
    name: &'a str,
    parsed: Option<TensorName>,
    tensor: &'a Tensor,
    target: GgmlType,
    sparse: bool,
}

/// One converted tensor.
struct Done {
    tensor: Tensor,
    fallback: Option<Fallback>,
    zeroed: usize,
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
///   become zero ([`prune_smallest`]).
///
/// Rows that are not whole blocks of the requested format are stored in
/// [`fitting_format`] and listed in the report's fallbacks.
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
    apply_with_progress(recipe, config, tensors, &|_, _| {})
}

/// [`apply`], calling `progress(done, total)` from the converting threads
/// each time one more of the `total` tensors that need converting is done
/// (large models take a while).
///
/// # Errors
/// As [`apply`].
pub fn apply_with_progress(
    recipe: &Recipe,
    config: &ModelConfig,
    tensors: &TensorSet,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Applied, RecipeError> {
    config.validate()?;
    let plan = Plan::new(config, tensors, recipe.head_pruning(), recipe.ffn_pruning())?;

    let mut out = TensorSet::new();
    let mut jobs = Vec::new();
    for (name, tensor) in tensors.iter() {
        let parsed = TensorName::parse(name);
        let (target, sparse) = match parsed {
            None => {
                out.insert(name, tensor.clone());
                continue;
            }
            Some(n) if n.role.is_matrix() => (
                recipe.scheme_for(n.role).dtype(),
                recipe.sparsity() > 0 && n.layer.is_some(),
            ),
            Some(_) => (GgmlType::F32, false),
        };
        let cut = parsed.is_some_and(|n| plan.affects(&n));
        if !sparse && !cut && tensor.dtype() == target {
            out.insert(name, tensor.clone());
        } else {
            jobs.push(Job {
                name,
                parsed,
                tensor,
                target,
                sparse,
            });
        }
    }
    let kept = out.len();
    let converted = jobs.len();

    let finished = AtomicUsize::new(0);
    let done = run_jobs(&jobs, |job| {
        let r = convert(job, &plan, recipe.sparsity(), config.head_dim);
        progress(finished.fetch_add(1, Ordering::Relaxed) + 1, converted);
        r
    })?;
    let mut fallbacks = Vec::new();
    let mut sparsity = (recipe.sparsity() > 0).then_some(Sparsity {
        percent: recipe.sparsity(),
        tensors: 0,
        weights: 0,
        zeroed: 0,
    });
    for (job, d) in jobs.iter().zip(done) {
        if job.sparse
            && let Some(s) = sparsity.as_mut()
        {
            s.tensors += 1;
            s.weights += d.tensor.n_elements() as u64;
            s.zeroed += d.zeroed as u64;
        }
        fallbacks.extend(d.fallback);
        out.insert(job.name, d.tensor);
    }

    let mut new_config = config.clone();
    let heads = (recipe.head_pruning() > 0).then(|| {
        let (n_head, n_head_kv, removed) = match &plan.heads {
            Some(h) => (
                h.n_head,
                h.n_head_kv,
                h.kept_q
                    .iter()
                    .map(|k| (0..config.n_head).filter(|i| !k.contains(i)).collect())
                    .collect(),
            ),
            None => (
                config.n_head,
                config.n_head_kv,
                vec![Vec::new(); config.n_layer],
            ),
        };
        new_config.n_head = n_head;
        new_config.n_head_kv = n_head_kv;
        HeadPruning {
            percent: recipe.head_pruning(),
            n_head: (config.n_head, n_head),
            n_head_kv: (config.n_head_kv, n_head_kv),
            removed,
        }
    });
    let ffn = (recipe.ffn_pruning() > 0).then(|| {
        let n_ff = plan
            .ffn
            .as_ref()
            .and_then(|f| f.first())
            .map_or(config.n_ff, Vec::len);
        new_config.n_ff = n_ff;
        FfnPruning {
            percent: recipe.ffn_pruning(),
            n_ff: (config.n_ff, n_ff),
        }
    });
    new_config.validate()?;

    let report = RecipeReport {
        recipe: recipe.to_string(),
        parameters: (tensors.parameter_count(), out.parameter_count()),
        bytes: (tensors.total_bytes(), out.total_bytes()),
        formats_before: format_totals(tensors),
        formats_after: format_totals(&out),
        heads,
        ffn,
        sparsity,
        fallbacks,
        kept,
        converted,
    };
    Ok(Applied {
        recipe: recipe.clone(),
        config: new_config,
        tensors: out,
        report,
    })
}

/// Dequantizes, cuts, prunes and requantizes one tensor.
fn convert(
    job: &Job<'_>,
    plan: &Plan,
    sparse_percent: u8,
    head_dim: usize,
) -> Result<Done, RecipeError> {
    let mut values = job.tensor.to_f32(job.name)?;
    let mut dims = job.tensor.dims().to_vec();
    if let Some(n) = &job.parsed {
        (values, dims) = plan.cut(n, values, dims, head_dim);
    }
    let zeroed = if job.sparse {
        let count = sparsity_count(values.len(), sparse_percent);
        prune_smallest(&mut values, count)
    } else {
        0
    };
    let used = fitting_format(job.target, dims[0]);
    let fallback = (used != job.target).then(|| Fallback {
        tensor: job.name.to_owned(),
        requested: job.target,
        used,
        row_length: dims[0],
    });
    let tensor = Tensor::from_f32(job.name, used, dims, &values)?;
    Ok(Done {
        tensor,
        fallback,
        zeroed,
    })
}

/// Runs `f` over `jobs` on up to `available_parallelism` threads; results in
/// job order, or the error of the first job (in order) that failed.
fn run_jobs<J: Sync, T: Send>(
    jobs: &[J],
    f: impl Fn(&J) -> Result<T, RecipeError> + Sync,
) -> Result<Vec<T>, RecipeError> {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(jobs.len())
        .max(1);
    let next = AtomicUsize::new(0);
    let slots: Mutex<Vec<Option<Result<T, RecipeError>>>> =
        Mutex::new((0..jobs.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else { break };
                    let r = f(job);
                    if let Ok(mut slots) = slots.lock() {
                        slots[i] = Some(r);
                    }
                }
            });
        }
    });
    let slots = slots
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    slots
        .into_iter()
        .map(|r| r.expect("every job index below jobs.len() was taken by a worker"))
        .collect()
}
