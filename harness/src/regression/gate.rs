//! The nightly gate over a whole run: every cell's paired blocks on all
//! devices at once (stage 1), the suspects' fresh blocks (stage 2, Holm
//! over all suspects of the run), and the verdicts.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use edgebench_schema::{JobResult, Status};
use serde::Serialize;

use super::arm_value::comparable_facts;
use super::blocks::{BlockPlan, CellBlocks};
use super::canaries::canary_of;
use super::comparison::Comparison;
use super::config::GateSettings;
use super::confirm::confirm_with;
use super::exact::{ExactComparison, compare_exact};
use super::orientation::{SAMPLED_METRICS, oriented_log_ratio};
use super::paired_device::{PairedCell, PairedEvent, run_device};
use crate::store::Metric;
use crate::target::Target;

/// One device's cells and how to reach it.
pub struct GateDevice {
    /// The device's name.
    pub name: String,
    /// How to reach it.
    pub target: Box<dyn Target>,
    /// Its cells to compare.
    pub cells: Vec<PairedCell>,
}

/// The comparisons of one cell.
#[derive(Debug, Clone)]
pub struct CellGate {
    /// The cell's id.
    pub cell_id: String,
    /// Why the cell could not be compared at all, if it could not.
    pub not_comparable: Option<String>,
    /// Per metric, after both stages.
    pub comparisons: Vec<Comparison>,
    /// The deterministic metrics (size on disk, accuracy drop), compared
    /// exactly with the baseline's stored figures.
    pub exact: Vec<ExactComparison>,
    /// Valid stage-1 blocks.
    pub blocks: usize,
    /// Blocks redone because an arm was not valid.
    pub invalid_blocks: usize,
    /// The candidate arm of the first valid block: the cell's result in
    /// this run.
    pub result: Option<JobResult>,
    /// Whether baseline and candidate ran the same artifacts (an A/A
    /// comparison).
    pub same_artifacts: bool,
    /// For an A/A canary, the id of the cell it copies.
    pub canary_of: Option<String>,
}

/// Progress of the gate, reported on the controller's thread.
pub trait GateProgress {
    /// A cell's blocks start on `device` (`stage` 1 or 2).
    fn started(&mut self, device: &str, cell_id: &str, stage: u8);
    /// A cell's stage-1 blocks are done.
    fn finished(&mut self, gate: &CellGate);
    /// The candidate's agent binary `file` (by `sha256`) runs on a device.
    fn agent_deployed(&mut self, sha256: &str, file: &std::path::Path);
}

/// Runs stage 1 on every device, then stage 2 on the suspects; returns
/// every cell's comparisons, by cell id.
pub fn run_gate(
    devices: Vec<GateDevice>,
    plan: &BlockPlan,
    config: &GateSettings,
    stop: &Arc<AtomicBool>,
    progress: &mut dyn GateProgress,
) -> BTreeMap<String, CellGate> {
    let baselines: BTreeMap<String, PairedCell> = devices
        .iter()
        .flat_map(|d| d.cells.iter())
        .map(|c| (c.cell.id.clone(), c.clone()))
        .collect();
    let mut gates: BTreeMap<String, CellGate> = BTreeMap::new();
    // Each cell is screened, and its result recorded, as its blocks end.
    let mut devices = run_stage(devices, plan, &mut |event| match event {
        PairedEvent::Started { device, cell_id } => progress.started(&device, &cell_id, 1),
        PairedEvent::AgentDeployed { sha256, file } => progress.agent_deployed(&sha256, &file),
        PairedEvent::Cell {
            cell_id,
            blocks,
            candidate_agent,
        } => {
            let mut gate = screen(&cell_id, blocks, config);
            if let Some(r) = &mut gate.result {
                r.agent.binary_sha256 = Some(candidate_agent.clone());
            }
            if let Some(c) = baselines.get(&cell_id) {
                compare_with_baseline(&mut gate, c, &candidate_agent);
            }
            progress.finished(&gate);
            gates.insert(cell_id, gate);
        }
    });
    if stop.load(Ordering::SeqCst) {
        return gates;
    }
    // Stage 2: fresh blocks for the cells with a suspect metric.
    let suspects: Vec<String> = gates
        .values()
        .filter(|g| g.comparisons.iter().any(Comparison::awaits_confirmation))
        .map(|g| g.cell_id.clone())
        .collect();
    if suspects.is_empty() {
        return gates;
    }
    for d in &mut devices {
        d.cells.retain(|c| suspects.contains(&c.cell.id));
    }
    devices.retain(|d| !d.cells.is_empty());
    let fresh_plan = BlockPlan {
        seed: plan.seed.wrapping_add(0x9e37_79b9_7f4a_7c15),
        ..*plan
    };
    let mut stage2: StageResults = BTreeMap::new();
    run_stage(devices, &fresh_plan, &mut |event| match event {
        PairedEvent::Started { device, cell_id } => progress.started(&device, &cell_id, 2),
        PairedEvent::AgentDeployed { .. } => {}
        PairedEvent::Cell {
            cell_id,
            blocks,
            candidate_agent,
        } => {
            stage2.insert(cell_id, (blocks, candidate_agent));
        }
    });
    let mut family: Vec<(String, usize, Vec<f64>)> = Vec::new();
    for (cell_id, gate) in &gates {
        let fresh = stage2.get(cell_id).and_then(|(b, _)| b.as_ref().ok());
        for (i, c) in gate.comparisons.iter().enumerate() {
            if c.awaits_confirmation() {
                let d = fresh.map(|b| log_ratios(c.metric, b)).unwrap_or_default();
                family.push((cell_id.clone(), i, d));
            }
        }
    }
    let pairs: Vec<(&Comparison, &[f64])> = family
        .iter()
        .map(|(cell, i, d)| (&gates[cell].comparisons[*i], d.as_slice()))
        .collect();
    if let Ok(confirmed) = confirm_with(&pairs, config) {
        let updates: Vec<(String, usize, Comparison)> = family
            .iter()
            .zip(confirmed)
            .map(|((cell, i, _), c)| (cell.clone(), *i, c))
            .collect();
        for (cell, i, c) in updates {
            if let Some(g) = gates.get_mut(&cell) {
                g.comparisons[i] = c;
            }
        }
    }
    gates
}

type StageResults = BTreeMap<String, (Result<CellBlocks, String>, String)>;

/// Runs the blocks of every device's cells, one thread per device,
/// handing each event to `on_event` on this thread as it arrives.
fn run_stage(
    devices: Vec<GateDevice>,
    plan: &BlockPlan,
    on_event: &mut dyn FnMut(PairedEvent),
) -> Vec<GateDevice> {
    let (tx, rx) = mpsc::channel();
    std::thread::scope(|scope| {
        let handles: Vec<_> = devices
            .into_iter()
            .map(|mut d| {
                let tx = tx.clone();
                scope.spawn(move || {
                    run_device(&d.name, d.target.as_mut(), &d.cells, plan, &tx);
                    d
                })
            })
            .collect();
        drop(tx);
        for event in rx {
            on_event(event);
        }
        handles
            .into_iter()
            .filter_map(|h| h.join().ok())
            .collect::<Vec<_>>()
    })
}

/// Whether the candidate ran the baseline's very artifacts (an A/A
/// comparison), and whether the device still runs as it did when the
/// baseline was measured (CPU, governors, kernel, meter): if not, the cell
/// is not comparable.
fn compare_with_baseline(gate: &mut CellGate, c: &PairedCell, candidate_agent: &str) {
    if c.canary {
        gate.same_artifacts = true;
        return;
    }
    gate.same_artifacts = c.baseline.agent_sha256 == candidate_agent
        && c.baseline.recipe_sha256 == c.candidate_recipe.sha256;
    if gate.not_comparable.is_none()
        && let Some(r) = &gate.result
    {
        let now = comparable_facts(r);
        if now != c.baseline_facts {
            gate.not_comparable = Some(format!(
                "the device changed since the baseline: then {}; now {now}",
                c.baseline_facts
            ));
            gate.comparisons.clear();
        }
    }
}

/// Stage 1 of one cell: a comparison per sampled metric that both arms
/// measured in every block.
fn screen(cell_id: &str, blocks: Result<CellBlocks, String>, config: &GateSettings) -> CellGate {
    let mut gate = CellGate {
        cell_id: cell_id.to_owned(),
        not_comparable: None,
        comparisons: Vec::new(),
        exact: Vec::new(),
        blocks: 0,
        invalid_blocks: 0,
        result: None,
        same_artifacts: false,
        canary_of: canary_of(cell_id).map(str::to_owned),
    };
    let blocks = match blocks {
        Ok(b) => b,
        Err(why) => {
            gate.not_comparable = Some(why);
            return gate;
        }
    };
    gate.blocks = blocks.pairs.len();
    gate.invalid_blocks = blocks.invalid.len();
    gate.result = blocks.pairs.first().map(|(_, c)| c.clone());
    if let Some(diff) = blocks.facts_changed.first() {
        gate.not_comparable = Some(format!("the arms ran under different device facts: {diff}"));
        return gate;
    }
    for metric in SAMPLED_METRICS {
        let measured = |r: &JobResult| metric.of(r).is_some();
        if blocks.pairs.is_empty() || !blocks.pairs.iter().all(|(b, c)| measured(b) && measured(c))
        {
            continue;
        }
        let config = config.for_metric(metric);
        if let Ok(c) = Comparison::screen(metric, &log_ratios(metric, &blocks), &config) {
            gate.comparisons.push(c);
        }
    }
    if gate.blocks == 0 {
        let why = blocks
            .invalid
            .first()
            .cloned()
            .unwrap_or_else(|| "no valid block".to_owned());
        gate.not_comparable = Some(format!("no valid block: {why}"));
    }
    gate
}

/// The oriented log-ratios of `metric` over the blocks.
fn log_ratios(metric: Metric, blocks: &CellBlocks) -> Vec<f64> {
    blocks
        .pairs
        .iter()
        .map(|(b, c)| match (metric.of(b), metric.of(c)) {
            (Some(b), Some(c)) => oriented_log_ratio(metric, b, c).unwrap_or(f64::NAN),
            _ => f64::NAN,
        })
        .collect()
}

/// The run's outcome: the exit code the gate asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum GateOutcome {
    /// No confirmed regression (exit 0).
    Passed,
    /// At least one confirmed regression (exit 1).
    Regressed,
    /// Nothing could be compared (exit 5).
    NothingComparable,
}

impl GateOutcome {
    /// The outcome of `gates`.
    pub fn of(gates: &BTreeMap<String, CellGate>) -> Self {
        let real = || gates.values().filter(|g| g.canary_of.is_none());
        let any_regressed = real().any(|g| {
            g.comparisons.iter().any(|c| c.verdict.fails_run())
                || g.exact.iter().any(|c| c.verdict.fails_run())
        });
        let any_compared = real().any(|g| {
            g.not_comparable.is_none()
                && g.comparisons.iter().any(|c| {
                    !matches!(
                        c.verdict,
                        super::verdict::Verdict::Inconclusive { .. }
                            | super::verdict::Verdict::NotComparable { .. }
                    )
                })
        });
        if any_regressed {
            GateOutcome::Regressed
        } else if any_compared {
            GateOutcome::Passed
        } else {
            GateOutcome::NothingComparable
        }
    }

    /// The process exit code.
    pub fn exit_code(self) -> u8 {
        match self {
            GateOutcome::Passed => 0,
            GateOutcome::Regressed => 1,
            GateOutcome::NothingComparable => 5,
        }
    }
}

/// A failed result for a cell that the gate could not measure.
pub fn unmeasured(cell_id: &str, why: &str) -> JobResult {
    JobResult::failure(cell_id, Status::Unreachable, why)
}

/// How much worse a deterministic figure may get before it counts, by
/// default (`[regression.tolerances]` sets others): the recipe file's
/// size not at all, the accuracy drop by half a percentage point of
/// perplexity.
pub const EXACT_TOLERANCES: [(Metric, f64); 2] =
    [(Metric::RecipeBytes, 0.0), (Metric::PplDeltaPct, 0.5)];

/// Compares the deterministic figures of the cell's result in this run
/// with the baseline's, when both have them.
pub fn compare_deterministic(
    gate: &mut CellGate,
    baseline: &JobResult,
    candidate: &JobResult,
    settings: &GateSettings,
) {
    if gate.not_comparable.is_some() {
        return;
    }
    for (metric, default) in EXACT_TOLERANCES {
        let tolerance = settings.tolerance(metric, default);
        if let (Some(b), Some(c)) = (metric.of(baseline), metric.of(candidate))
            && let Ok(x) = compare_exact(metric, b, c, tolerance)
        {
            gate.exact.push(x);
        }
    }
}
