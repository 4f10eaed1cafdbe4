//! Paired blocks on one device: in each block the baseline and the
//! candidate arm run one after the other, in an order drawn from a seeded
//! generator, each as its own agent process (one warm-up, then a fixed
//! number of measured repetitions), so drift and thermal state hit both
//! arms alike. A block where either arm is not valid is redone, up to twice
//! the blocks asked for.

use std::time::Duration;

use edgebench_schema::JobResult;
use edgebench_schema::job::ModelRef;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::arm_value::{comparable_facts, invalid_reason};
use crate::plan::Cell;
use crate::target::{Outcome, Target};

/// Where one arm's artifacts are on the device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArmOnDevice {
    /// The agent binary's path on the device.
    pub agent: String,
    /// The recipe file's path on the device.
    pub model_path: String,
    /// The recipe file's SHA-256.
    pub recipe_sha256: String,
}

/// What the blocks of one cell gave.
#[derive(Debug, Clone, Default)]
pub struct CellBlocks {
    /// Valid blocks: (baseline arm, candidate arm).
    pub pairs: Vec<(JobResult, JobResult)>,
    /// Blocks redone because an arm was not valid, with why.
    pub invalid: Vec<String>,
    /// Blocks whose arms saw different device facts (governor, kernel,
    /// meter), with the difference.
    pub facts_changed: Vec<String>,
}

/// How many blocks and repetitions.
#[derive(Debug, Clone, Copy)]
pub struct BlockPlan {
    /// Valid blocks wanted.
    pub blocks: usize,
    /// Measured repetitions per arm.
    pub reps: u32,
    /// Seed of the arms' order.
    pub seed: u64,
}

/// Why blocks stopped early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlocksStopped {
    /// The user interrupted the run.
    Interrupted,
    /// The link to the device failed.
    Lost(String),
}

/// Runs `plan.blocks` valid paired blocks of `cell` on `target`.
///
/// # Errors
/// [`BlocksStopped`] when interrupted or the device was lost.
pub fn run_blocks(
    target: &mut dyn Target,
    cell: &Cell,
    baseline: &ArmOnDevice,
    candidate: &ArmOnDevice,
    plan: &BlockPlan,
) -> Result<CellBlocks, BlocksStopped> {
    let mut rng = StdRng::seed_from_u64(plan.seed ^ seed_of(&cell.id));
    let mut out = CellBlocks::default();
    let timeout = Duration::from_secs_f64(cell.timeout_seconds);
    let mut attempts = 0;
    while out.pairs.len() < plan.blocks && attempts < 2 * plan.blocks.max(1) {
        attempts += 1;
        let baseline_first = rng.random::<bool>();
        let order = if baseline_first {
            [baseline, candidate]
        } else {
            [candidate, baseline]
        };
        let mut results = Vec::with_capacity(2);
        for arm in order {
            let job = arm_job(cell, arm, plan.reps);
            match target.run_with_agent(&job, &arm.agent, timeout) {
                Outcome::Result(r) => results.push(*r),
                Outcome::Interrupted => return Err(BlocksStopped::Interrupted),
                Outcome::Lost(why) => return Err(BlocksStopped::Lost(why)),
            }
        }
        let (b, c) = if baseline_first {
            (results.swap_remove(0), results.swap_remove(0))
        } else {
            let c = results.swap_remove(0);
            (results.swap_remove(0), c)
        };
        if let Some(why) = invalid_reason(&b).or_else(|| invalid_reason(&c)) {
            out.invalid.push(why);
            continue;
        }
        let (fb, fc) = (comparable_facts(&b), comparable_facts(&c));
        if fb != fc {
            out.facts_changed
                .push(format!("baseline arm: {fb}; candidate arm: {fc}"));
        }
        out.pairs.push((b, c));
    }
    Ok(out)
}

/// The job of one arm: the cell's workload on the arm's recipe file, one
/// warm-up, exactly `reps` measured repetitions.
pub fn arm_job(cell: &Cell, arm: &ArmOnDevice, reps: u32) -> edgebench_schema::Job {
    let mut job = cell.job(ModelRef {
        path: arm.model_path.clone(),
        sha256: arm.recipe_sha256.clone(),
        source_sha256: None,
    });
    job.measure.warmup_reps = 1;
    job.measure.min_reps = reps.max(1);
    job.measure.max_reps = reps.max(1);
    job.measure.min_seconds = 0.0;
    job
}

/// A stable number from a cell id, so each cell's order differs.
fn seed_of(id: &str) -> u64 {
    id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}
