//! [`Staged`]: what applying a recipe to a model's tensors will do, decided
//! before any tensor is converted (pruning plan, new hyperparameters, the
//! format and shape of every tensor), and the conversion of one tensor.
//! [`apply`](fn@super::apply) converts them all in memory;
//! [`write_recipe_file`](super::write_recipe_file) converts them a window at
//! a time while writing.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::prune::{prune_smallest, sparsity_count};
use super::report::{Fallback, FfnPruning, HeadPruning, RecipeReport, Sparsity, totals_of};
use super::structure::Plan;
use super::{Recipe, RecipeError};
use crate::model::{ModelConfig, Tensor, TensorName, TensorSet};
use crate::quant::GgmlType;

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
pub(crate) struct Job<'a> {
    pub(crate) name: &'a str,
    parsed: TensorName,
    pub(crate) tensor: &'a Tensor,
    target: GgmlType,
    sparse: bool,
}

/// One converted tensor.
pub(crate) struct Done {
    pub(crate) tensor: Tensor,
    fallback: Option<Fallback>,
    zeroed: usize,
}

/// What happens to one tensor.
pub(crate) enum Step<'a> {
    /// Kept as it is (already in its format, not pruned).
    Keep {
        /// The name.
        name: &'a str,
        /// The tensor.
        tensor: &'a Tensor,
    },
    /// Converted (and cut or pruned).
    Convert(Job<'a>),
}

impl Step<'_> {
    /// The tensor's name.
    pub(crate) fn name(&self) -> &str {
        match self {
            Step::Keep { name, .. } => name,
            Step::Convert(j) => j.name,
        }
    }
}

/// A tensor as it comes out, for the report.
pub(crate) struct Output {
    dtype: GgmlType,
    n_elements: u64,
    bytes: u64,
    converted: Option<(bool, Option<Fallback>, usize)>,
}

impl Output {
    /// A tensor kept as it was.
    pub(crate) fn kept(t: &Tensor) -> Self {
        Output {
            dtype: t.dtype(),
            n_elements: t.n_elements() as u64,
            bytes: t.bytes().len() as u64,
            converted: None,
        }
    }

    /// A converted tensor; `done` is consumed except for its tensor, which
    /// is returned.
    pub(crate) fn converted(job: &Job<'_>, done: Done) -> (Self, Tensor) {
        let t = done.tensor;
        (
            Output {
                dtype: t.dtype(),
                n_elements: t.n_elements() as u64,
                bytes: t.bytes().len() as u64,
                converted: Some((job.sparse, done.fallback, done.zeroed)),
            },
            t,
        )
    }
}

/// A recipe staged on a model: every decision made, no tensor converted.
pub(crate) struct Staged<'a> {
    recipe: &'a Recipe,
    source: &'a TensorSet,
    plan: Plan,
    head_dim: usize,
    /// Every tensor, in name order.
    pub(crate) steps: Vec<Step<'a>>,
    /// The hyperparameters after the recipe.
    pub(crate) config: ModelConfig,
    heads: Option<HeadPruning>,
    ffn: Option<FfnPruning>,
}

impl<'a> Staged<'a> {
    /// Plans `recipe` on a model (see [`apply`](super::apply) for what it
    /// does to each tensor).
    pub(crate) fn new(
        recipe: &'a Recipe,
        config: &ModelConfig,
        tensors: &'a TensorSet,
    ) -> Result<Self, RecipeError> {
        config.validate()?;
        let plan = Plan::new(config, tensors, recipe.head_pruning(), recipe.ffn_pruning())?;
        let mut steps = Vec::new();
        for (name, tensor) in tensors.iter() {
            let Some(parsed) = TensorName::parse(name) else {
                steps.push(Step::Keep { name, tensor });
                continue;
            };
            let (target, sparse) = if parsed.role.is_matrix() {
                (
                    recipe.scheme_for(parsed.role).dtype(),
                    recipe.sparsity() > 0 && parsed.layer.is_some(),
                )
            } else {
                (GgmlType::F32, false)
            };
            let cut = plan.affects(&parsed);
            steps.push(if !sparse && !cut && tensor.dtype() == target {
                Step::Keep { name, tensor }
            } else {
                Step::Convert(Job {
                    name,
                    parsed,
                    tensor,
                    target,
                    sparse,
                })
            });
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
        Ok(Staged {
            recipe,
            source: tensors,
            plan,
            head_dim: config.head_dim,
            steps,
            config: new_config,
            heads,
            ffn,
        })
    }

    /// The conversions to do, in name order.
    pub(crate) fn jobs(&self) -> impl Iterator<Item = &Job<'a>> {
        self.steps.iter().filter_map(|s| match s {
            Step::Convert(j) => Some(j),
            Step::Keep { .. } => None,
        })
    }

    /// The dimensions and format `job` comes out with, without converting.
    pub(crate) fn layout(&self, job: &Job<'_>) -> (Vec<usize>, GgmlType) {
        let dims = self
            .plan
            .cut_dims(&job.parsed, job.tensor.dims(), self.head_dim);
        let dtype = fitting_format(job.target, dims[0]);
        (dims, dtype)
    }

    /// Dequantizes, cuts, prunes and requantizes one tensor.
    pub(crate) fn convert(&self, job: &Job<'_>) -> Result<Done, RecipeError> {
        convert(job, &self.plan, self.recipe.sparsity(), self.head_dim)
    }

    /// The report, given every tensor's output (in any order).
    pub(crate) fn report(&self, outputs: &[Output]) -> RecipeReport {
        let mut fallbacks = Vec::new();
        let mut sparsity = (self.recipe.sparsity() > 0).then_some(Sparsity {
            percent: self.recipe.sparsity(),
            tensors: 0,
            weights: 0,
            zeroed: 0,
        });
        let mut converted = 0;
        for o in outputs {
            let Some((sparse, fallback, zeroed)) = &o.converted else {
                continue;
            };
            converted += 1;
            if *sparse && let Some(s) = sparsity.as_mut() {
                s.tensors += 1;
                s.weights += o.n_elements;
                s.zeroed += *zeroed as u64;
            }
            fallbacks.extend(fallback.clone());
        }
        fallbacks.sort_by(|a, b| a.tensor.cmp(&b.tensor));
        let after = outputs.iter().map(|o| (o.dtype, o.n_elements, o.bytes));
        RecipeReport {
            recipe: self.recipe.to_string(),
            parameters: (
                self.source.parameter_count(),
                outputs.iter().map(|o| o.n_elements).sum(),
            ),
            bytes: (
                self.source.total_bytes(),
                outputs.iter().map(|o| o.bytes).sum(),
            ),
            formats_before: totals_of(
                self.source
                    .iter()
                    .map(|(_, t)| (t.dtype(), t.n_elements() as u64, t.bytes().len() as u64)),
            ),
            formats_after: totals_of(after),
            heads: self.heads.clone(),
            ffn: self.ffn.clone(),
            sparsity,
            fallbacks,
            kept: outputs.len() - converted,
            converted,
        }
    }
}

/// Dequantizes, cuts, prunes and requantizes one tensor.
fn convert(
    job: &Job<'_>,
    plan: &Plan,
    sparse_percent: u8,
    head_dim: usize,
) -> Result<Done, RecipeError> {
    let values = job.tensor.to_f32(job.name)?;
    let dims = job.tensor.dims().to_vec();
    let (mut values, dims) = plan.cut(&job.parsed, values, dims, head_dim);
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
pub(crate) fn run_jobs<J: Sync, T: Send>(
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
