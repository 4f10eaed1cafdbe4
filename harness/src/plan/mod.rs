//! The plan: a checked [`Matrix`] expanded into cells (device × model ×
//! recipe × runtime × threads × prompt length × generated length) and
//! accuracy jobs (model × recipe × runtime, against the reference recipe on
//! the kernel), each with a stable id hashed from its canonical spec.
//! Building a plan does no I/O.
//!
//! A cell whose estimated memory ([`FitEstimate`]) exceeds its device's
//! known memory is planned as [`CellStatus::Skipped`], with the arithmetic
//! in the reason.

mod fit;
mod spec;

use edgebench_schema::job::{Job, MeasureSettings, MeterChoice, ModelRef, ThermalGateSettings};
use edgebench_schema::{Runtime, SCHEMA_VERSION};
use serde::Serialize;

pub use fit::{FitEstimate, RUNTIME_BYTES, mib};
pub use spec::{AccuracySpecKey, CellSpec, spec_id};

use crate::matrix::raw::KvElement;
use crate::matrix::{BUILTIN, Device, Matrix, Measure, ModelSpec, RecipeSpec};

/// Version of the canonical specs; part of every id.
pub const SPEC_VERSION: u32 = 1;

/// Every cell and accuracy job of a matrix.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// The matrix name.
    pub name: String,
    /// The cells, in matrix order (device, model, recipe, runtime,
    /// threads, prompt, generated).
    pub cells: Vec<Cell>,
    /// The accuracy jobs, in matrix order (model, recipe, runtime).
    pub accuracy: Vec<AccuracyJob>,
}

/// Whether a cell will run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum CellStatus {
    /// It will run.
    Planned,
    /// It will not run.
    Skipped {
        /// Why, with the arithmetic.
        reason: String,
    },
}

/// One measurement: a model under a recipe on a device with one workload.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    /// Hex SHA-256 of the canonical spec.
    pub id: String,
    /// Device name.
    pub device: String,
    /// Model name in the matrix.
    pub model: String,
    /// Model identity (`sha256:<hex>` or `synthetic:<preset>:<seed>`).
    pub model_identity: String,
    /// Recipe name in the matrix.
    pub recipe: String,
    /// Canonical recipe text.
    pub recipe_canonical: String,
    /// The runtime that runs the recipe file.
    pub runtime: Runtime,
    /// Kernel threads.
    pub threads: u32,
    /// Prompt tokens.
    pub prompt_tokens: u32,
    /// Generated tokens.
    pub gen_tokens: u32,
    /// KV cache element type.
    pub kv: KvElement,
    /// Prompt seed.
    pub seed: u64,
    /// Repetition settings.
    pub measure: MeasureSettings,
    /// The meter, with the device's own settings.
    pub meter: MeterChoice,
    /// Thermal gate.
    pub thermal_gate: Option<ThermalGateSettings>,
    /// Seconds before the cell is stopped as `timeout`.
    pub timeout_seconds: f64,
    /// Profile one extra repetition per op (not part of the id).
    pub profile: bool,
    /// Estimated memory.
    pub memory: FitEstimate,
    /// Planned or skipped.
    #[serde(flatten)]
    pub status: CellStatus,
}

impl Cell {
    /// The first 12 hex digits of the id.
    pub fn short_id(&self) -> &str {
        &self.id[..12]
    }

    /// Whether the cell is planned to run: its estimated memory fits (a run
    /// checks again with the recipe file's real size).
    pub fn is_planned(&self) -> bool {
        self.status == CellStatus::Planned
    }

    /// The job the agent runs for this cell, given where the model file is
    /// on the device.
    pub fn job(&self, model: ModelRef) -> Job {
        Job {
            schema_version: SCHEMA_VERSION,
            cell_id: self.id.clone(),
            model,
            recipe: self.recipe_canonical.clone(),
            threads: self.threads,
            prompt_tokens: self.prompt_tokens,
            gen_tokens: self.gen_tokens,
            seed: self.seed,
            kv_f16: self.kv == KvElement::F16,
            measure: self.measure.clone(),
            meter: self.meter.clone(),
            thermal_gate: self.thermal_gate.clone(),
            profile: self.profile,
            runtime: self.runtime,
        }
    }
}

/// Perplexity and drift of one recipe against the reference, on one model
/// and text.
#[derive(Debug, Clone, Serialize)]
pub struct AccuracyJob {
    /// Hex SHA-256 of the canonical spec.
    pub id: String,
    /// Model name.
    pub model: String,
    /// Model identity.
    pub model_identity: String,
    /// Recipe name.
    pub recipe: String,
    /// Canonical recipe.
    pub recipe_canonical: String,
    /// Reference recipe name.
    pub reference: String,
    /// Canonical reference recipe.
    pub reference_canonical: String,
    /// The runtime whose logits are scored (the reference always runs on
    /// the kernel).
    pub runtime: Runtime,
    /// `builtin` or the text file's path.
    pub text: String,
    /// SHA-256 of the text.
    pub text_sha256: String,
    /// Window length.
    pub ctx: u32,
    /// Window limit (0: all).
    pub windows: u32,
    /// The device that computes it.
    pub device: String,
}

impl AccuracyJob {
    /// The first 12 hex digits of the id.
    pub fn short_id(&self) -> &str {
        &self.id[..12]
    }
}

impl Plan {
    /// Expands `matrix`.
    pub fn new(matrix: &Matrix) -> Plan {
        let w = &matrix.workload;
        let mut workloads = Vec::new();
        for &threads in &w.threads {
            for &prompt in &w.prompt_tokens {
                for &gen_tokens in &w.gen_tokens {
                    workloads.push((threads, prompt, gen_tokens));
                }
            }
        }
        let mut cells = Vec::new();
        for device in &matrix.devices {
            for model in &matrix.models {
                for recipe in &matrix.recipes {
                    for &runtime in &matrix.runtimes {
                        for &workload in &workloads {
                            cells.push(cell(matrix, device, model, recipe, runtime, workload));
                        }
                    }
                }
            }
        }
        Plan {
            name: matrix.name.clone(),
            cells,
            accuracy: accuracy_jobs(matrix),
        }
    }

    /// Number of cells planned to run (see [`Cell::is_planned`]).
    pub fn planned_count(&self) -> usize {
        self.cells.iter().filter(|c| c.is_planned()).count()
    }
}

/// One cell: its spec, id and fit.
fn cell(
    matrix: &Matrix,
    device: &Device,
    model: &ModelSpec,
    recipe: &RecipeSpec,
    runtime: Runtime,
    (threads, prompt, gen_tokens): (u32, u32, u32),
) -> Cell {
    let w = &matrix.workload;
    let meter = meter_for(&matrix.measure, device);
    let identity = model.source.identity();
    let canonical = recipe.recipe.to_string();
    let spec = CellSpec {
        version: SPEC_VERSION,
        device: &device.name,
        model: &identity,
        recipe: &canonical,
        threads,
        prompt_tokens: prompt,
        gen_tokens,
        kv: w.kv,
        seed: w.seed,
        measure: &matrix.measure.settings,
        meter: &meter,
        thermal_gate: &matrix.measure.thermal_gate,
        runtime,
    };
    let tokens = u64::from(prompt) + u64::from(gen_tokens);
    let memory = FitEstimate::new(
        &model.shape,
        &recipe.recipe,
        u64::from(prompt),
        tokens,
        w.kv.bytes(),
    );
    let status = match device
        .memory_bytes
        .and_then(|m| memory.exceeds(&device.name, m))
    {
        Some(reason) => CellStatus::Skipped { reason },
        None => CellStatus::Planned,
    };
    Cell {
        id: spec_id("cell", &spec),
        device: device.name.clone(),
        model: model.name.clone(),
        model_identity: identity,
        recipe: recipe.name.clone(),
        recipe_canonical: canonical,
        runtime,
        threads,
        prompt_tokens: prompt,
        gen_tokens,
        kv: w.kv,
        seed: w.seed,
        measure: matrix.measure.settings.clone(),
        meter,
        thermal_gate: matrix.measure.thermal_gate.clone(),
        timeout_seconds: matrix.measure.timeout_seconds,
        profile: matrix.measure.profile,
        memory,
        status,
    }
}

/// The matrix's meter settings with the device's own.
fn meter_for(measure: &Measure, device: &Device) -> MeterChoice {
    MeterChoice {
        kind: device.meter.kind.unwrap_or(measure.meter),
        sample_hz: measure.sample_hz,
        ina219: device.meter.ina219.clone(),
        hwmon_rail: device.meter.hwmon_rail.clone(),
        counters: measure.counters,
    }
}

fn accuracy_jobs(matrix: &Matrix) -> Vec<AccuracyJob> {
    let Some(a) = &matrix.accuracy else {
        return Vec::new();
    };
    let reference = a.reference.recipe.to_string();
    let text = a
        .text
        .path
        .as_ref()
        .map_or_else(|| BUILTIN.to_owned(), |p| p.display().to_string());
    let mut jobs = Vec::new();
    for model in &matrix.models {
        let identity = model.source.identity();
        for recipe in &matrix.recipes {
            for &runtime in &matrix.runtimes {
                // The reference recipe on the kernel is the reference
                // itself; on another runtime it shows that runtime's own
                // drift from the kernel.
                if recipe.recipe == a.reference.recipe && runtime.is_default() {
                    continue;
                }
                let canonical = recipe.recipe.to_string();
                let key = AccuracySpecKey {
                    version: SPEC_VERSION,
                    model: &identity,
                    recipe: &canonical,
                    reference: &reference,
                    text_sha256: &a.text.sha256,
                    ctx: a.ctx,
                    windows: a.windows,
                    runtime,
                };
                jobs.push(AccuracyJob {
                    id: spec_id("accuracy", &key),
                    model: model.name.clone(),
                    model_identity: identity.clone(),
                    recipe: recipe.name.clone(),
                    recipe_canonical: canonical,
                    reference: a.reference.name.clone(),
                    reference_canonical: reference.clone(),
                    runtime,
                    text: text.clone(),
                    text_sha256: a.text.sha256.clone(),
                    ctx: a.ctx,
                    windows: a.windows,
                    device: a.device.clone(),
                });
            }
        }
    }
    jobs
}
