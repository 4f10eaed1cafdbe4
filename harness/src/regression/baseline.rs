//! What a baseline run measured, cell by cell: matched to the current
//! cells by device, model name, recipe and workload (not by cell id, which
//! hashes the model's bytes: a nightly export of a model under the same
//! name is a change of artifact, compared like any other), with the
//! artifacts that fixed each measurement — the agent binary and the recipe
//! file, by hash.

use std::collections::HashMap;

use crate::store::{CellMeta, StoredResult};

/// How cells of two runs are matched.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CellKey {
    /// Device name.
    pub device: String,
    /// Model name.
    pub model: String,
    /// Canonical recipe.
    pub recipe: String,
    /// Threads, prompt and generated tokens.
    pub workload: (u32, u32, u32),
}

impl CellKey {
    /// The key of a cell.
    pub fn of(meta: &CellMeta) -> Self {
        CellKey {
            device: meta.device.clone(),
            model: meta.model.clone(),
            recipe: meta.recipe.clone(),
            workload: (meta.threads, meta.prompt_tokens, meta.gen_tokens),
        }
    }
}

/// The artifacts a measurement ran: what an arm of a comparison runs again.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Artifacts {
    /// SHA-256 of the agent binary.
    pub agent_sha256: String,
    /// SHA-256 of the recipe file.
    pub recipe_sha256: String,
}

/// A baseline cell, or why it cannot be a baseline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaselineCell {
    /// Measured, with known artifacts.
    Measured {
        /// What it ran.
        artifacts: Artifacts,
        /// The device facts it ran under (see
        /// [`comparable_facts`](super::arm_value::comparable_facts)).
        facts: String,
    },
    /// Not usable as a baseline.
    Unusable(String),
}

/// The baseline's cells by key.
pub fn baseline_cells(results: &[StoredResult]) -> HashMap<CellKey, BaselineCell> {
    results
        .iter()
        .map(|s| {
            let r = &s.result;
            let cell = if r.status != edgebench_schema::Status::Ok {
                BaselineCell::Unusable(format!("its baseline result is {}", r.status.name()))
            } else {
                match (&r.agent.binary_sha256, &r.model) {
                    (Some(agent), Some(model)) => BaselineCell::Measured {
                        artifacts: Artifacts {
                            agent_sha256: agent.clone(),
                            recipe_sha256: model.sha256.clone(),
                        },
                        facts: super::arm_value::comparable_facts(r),
                    },
                    _ => BaselineCell::Unusable(
                        "its baseline result does not name its agent binary (a run older than \
                         the artifact store)"
                            .to_owned(),
                    ),
                }
            };
            (CellKey::of(&s.meta), cell)
        })
        .collect()
}
