//! The input of every renderer: the cells of one run with their results,
//! and the selection constraints of the recommendation.

use std::borrow::Cow;

use edgebench_schema::{JobResult, Runtime};
use serde::{Deserialize, Serialize};

/// One run as the reports see it, filled from the results store.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportInput {
    /// The run id (the name of its directory under `runs/`).
    pub run_id: String,
    /// The matrix's name.
    pub matrix_name: String,
    /// When the run started, as the store records it (RFC 3339).
    pub started: String,
    /// Controller, run state and devices.
    pub header: RunHeader,
    /// Every cell of the run, in matrix order.
    pub cells: Vec<CellRow>,
    /// Trend lines of this run's cells over the stored runs (empty when
    /// the store has none).
    pub trends: Vec<TrendLine>,
    /// The regression gate's verdicts, when this run was compared with a
    /// baseline (`edgebench run --baseline`).
    pub gate: Option<GateSummary>,
    /// The A/A canaries of every gated run of this matrix up to this one,
    /// oldest first (empty when no run had canaries).
    pub calibration: Vec<CanaryNight>,
}

/// What the regression gate said about this run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateSummary {
    /// The baseline run's id.
    pub baseline: String,
    /// `passed`, `regressed` or `nothing comparable`.
    pub outcome: String,
    /// Every cell-metric compared, canaries included.
    pub rows: Vec<GateRow>,
}

/// One cell-metric through the gate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateRow {
    /// The device's name.
    pub device: String,
    /// The model's name.
    pub model: String,
    /// The canonical recipe.
    pub recipe: String,
    /// The workload label (`t2-p64-g32`).
    pub workload: String,
    /// The metric's store name (`decode_tps_median`), `*` for a cell that
    /// could not be compared at all.
    pub metric: String,
    /// `REGRESSED`, `SUSPECT`, `IMPROVED`, `UNCHANGED`, `INCONCLUSIVE` or
    /// `NOT COMPARABLE`.
    pub verdict: String,
    /// The change as the metric reads, percent.
    pub change_pct: Option<f64>,
    /// Its confidence interval, percent (`None`: unbounded).
    pub change_ci_pct: (Option<f64>, Option<f64>),
    /// The stage-1 one-sided p-value.
    pub p: Option<f64>,
    /// Why, for inconclusive and not comparable.
    pub reason: Option<String>,
    /// Whether this is an A/A canary: the current artifacts against
    /// themselves, where any change found is a false alarm.
    pub canary: bool,
}

/// The A/A canaries of one gated run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CanaryNight {
    /// The run.
    pub run_id: String,
    /// When it started, RFC 3339 UTC.
    pub started: String,
    /// Canary cell-metrics the gate decided on (regressed, suspect,
    /// improved or unchanged).
    pub compared: usize,
    /// Of those, called regressed (a false regression: it would have
    /// failed the night).
    pub false_regressions: usize,
    /// Of those, called improved.
    pub false_improvements: usize,
}

/// One cell: where and what it ran, and its result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CellRow {
    /// The device's name in the matrix.
    pub device: String,
    /// The model's name in the matrix.
    pub model: String,
    /// The canonical recipe, e.g. `q4_0`.
    pub recipe: String,
    /// The runtime that ran the recipe file.
    pub runtime: Runtime,
    /// Kernel threads.
    pub threads: u32,
    /// Prompt tokens.
    pub prompt_tokens: u32,
    /// Generated tokens.
    pub gen_tokens: u32,
    /// What the agent (or the controller, for failures) reported.
    pub result: JobResult,
}

impl CellRow {
    /// The column of `recipe` on `runtime`: `q4_0`, or `q4_0 · llama.cpp`
    /// for a runtime other than the kernel.
    pub fn column_of(recipe: &str, runtime: Runtime) -> String {
        if runtime.is_default() {
            recipe.to_owned()
        } else {
            format!("{recipe} · {runtime}")
        }
    }

    /// The column the cell fills in tables and charts: its recipe, and
    /// its runtime when that is not the kernel (see [`CellRow::column_of`]).
    pub fn column(&self) -> Cow<'_, str> {
        if self.runtime.is_default() {
            Cow::Borrowed(&self.recipe)
        } else {
            Cow::Owned(Self::column_of(&self.recipe, self.runtime))
        }
    }

    /// Whether this cell is the accuracy reference: the reference recipe
    /// on the kernel (the same recipe on another runtime is scored
    /// against it).
    pub fn is_reference(&self, reference: Option<&str>) -> bool {
        self.runtime.is_default() && reference == Some(self.recipe.as_str())
    }

    /// The workload this cell ran.
    pub fn workload(&self) -> WorkloadKey {
        WorkloadKey {
            threads: self.threads,
            prompt_tokens: self.prompt_tokens,
            gen_tokens: self.gen_tokens,
        }
    }
}

/// A workload: cells with the same model, device and workload are compared
/// in one table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct WorkloadKey {
    /// Kernel threads.
    pub threads: u32,
    /// Prompt tokens.
    pub prompt_tokens: u32,
    /// Generated tokens.
    pub gen_tokens: u32,
}

impl std::fmt::Display for WorkloadKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} prompt + {} generated tokens, {} thread{}",
            self.prompt_tokens,
            self.gen_tokens,
            self.threads,
            if self.threads == 1 { "" } else { "s" }
        )
    }
}

/// What the recommendation minimises among the recipes that pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Objective {
    /// Median end-to-end latency per inference.
    #[default]
    Latency,
    /// Median energy per inference.
    Energy,
    /// Size on disk.
    Size,
}

impl Objective {
    /// The lower-case name used in matrices and reports.
    pub fn name(self) -> &'static str {
        match self {
            Objective::Latency => "latency",
            Objective::Energy => "energy",
            Objective::Size => "size",
        }
    }
}

/// The constraints and objective of the recommendation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Selection {
    /// Largest accuracy drop accepted (PPL increase vs the reference), in %.
    pub max_accuracy_drop_pct: Option<f64>,
    /// Largest peak RSS accepted, in MiB.
    pub max_peak_rss_mib: Option<f64>,
    /// What to minimise.
    pub objective: Objective,
}

/// The cells of one model × device × workload, one per recipe in the order
/// met.
#[derive(Debug, Clone)]
pub struct Group<'a> {
    /// The model's name.
    pub model: &'a str,
    /// The device's name.
    pub device: &'a str,
    /// The workload.
    pub workload: WorkloadKey,
    /// The reference recipe of the accuracy figures, when any cell has one.
    pub reference: Option<&'a str>,
    /// One cell per recipe; a recipe met twice keeps its first cell.
    pub cells: Vec<&'a CellRow>,
}

impl ReportInput {
    /// The cells grouped by model, device and workload, groups and recipes
    /// in the order met.
    pub fn groups(&self) -> Vec<Group<'_>> {
        let mut groups: Vec<Group<'_>> = Vec::new();
        for cell in &self.cells {
            let found = groups.iter_mut().find(|g| {
                g.model == cell.model && g.device == cell.device && g.workload == cell.workload()
            });
            let group = match found {
                Some(g) => g,
                None => {
                    groups.push(Group {
                        model: &cell.model,
                        device: &cell.device,
                        workload: cell.workload(),
                        reference: None,
                        cells: Vec::new(),
                    });
                    let last = groups.len() - 1;
                    &mut groups[last]
                }
            };
            if group.reference.is_none()
                && let Some(acc) = &cell.result.accuracy
            {
                group.reference = Some(&acc.reference);
            }
            if !group.cells.iter().any(|c| c.column() == cell.column()) {
                group.cells.push(cell);
            }
        }
        groups
    }

    /// The cells whose status is not `ok`, in the order met.
    pub fn failed_cells(&self) -> impl Iterator<Item = &CellRow> {
        self.cells
            .iter()
            .filter(|c| c.result.status != edgebench_schema::Status::Ok)
    }
}

/// What the run's header says about where it ran.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RunHeader {
    /// The controller's version, e.g. `0.1.0`.
    pub controller_version: String,
    /// The controller's git revision, or `unknown`.
    pub git_revision: String,
    /// The run's state: `finished`, `interrupted` or `running`.
    pub status: String,
    /// The devices of the matrix with their facts, in matrix order.
    pub devices: Vec<DeviceFacts>,
}

/// A device and what is known of it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DeviceFacts {
    /// The device's name in the matrix.
    pub name: String,
    /// Facts as `(name, value)` text pairs: CPU, ISA, cores, memory,
    /// kernel, governor, meters... in the order the agent reported them.
    pub facts: Vec<(String, String)>,
}

/// Which figure a trend line follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TrendMetric {
    /// Median decode tokens per second.
    DecodeTps,
    /// Median end-to-end seconds per inference.
    Latency,
}

impl TrendMetric {
    /// The axis label, with the unit.
    pub fn label(self) -> &'static str {
        match self {
            TrendMetric::DecodeTps => "decode tokens/s",
            TrendMetric::Latency => "latency (s)",
        }
    }
}

/// One point of a trend line: a cell's figure in one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendPoint {
    /// The run.
    pub run_id: String,
    /// When the run started, RFC 3339 UTC.
    pub started: String,
    /// The figure.
    pub value: f64,
}

/// A cell's figure across the stored runs, oldest first (this run
/// included).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendLine {
    /// The cell's id (the same in every run of the same matrix cell).
    pub cell_id: String,
    /// The device's name.
    pub device: String,
    /// The model's name.
    pub model: String,
    /// The canonical recipe.
    pub recipe: String,
    /// The workload.
    pub workload: WorkloadKey,
    /// The figure.
    pub metric: TrendMetric,
    /// The points, oldest run first.
    pub points: Vec<TrendPoint>,
    /// Runs where the nightly gate confirmed a change of this cell and
    /// figure.
    pub marks: Vec<TrendMark>,
    /// Change points found over the points (E-divisive means): shifts of
    /// level that a paired gate cannot see, such as slow creep or device
    /// drift.
    pub change_points: Vec<TrendChangePoint>,
}

/// A change the nightly gate confirmed at one run of a trend line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendMark {
    /// The run whose gate found it.
    pub run_id: String,
    /// `REGRESSED` or `IMPROVED`.
    pub verdict: String,
    /// The change as the figure reads, percent.
    pub change_pct: Option<f64>,
}

/// A change point of a trend line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendChangePoint {
    /// The first run of the new level.
    pub run_id: String,
    /// The change of the mean level, percent.
    pub change_pct: f64,
    /// The detector's p-value.
    pub p: f64,
}
