//! `edgebench run --baseline`: pairs each cell with the baseline run's
//! cell of the same device, model name, recipe and workload, finds the
//! baseline's artifacts in the artifact store, and hands the paired cells
//! to the regression gate. Cells without a usable baseline are measured as
//! usual and reported as not comparable, with the reason.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;

use super::schedule::Work;
use crate::artifacts::ArtifactStore;
use crate::regression::baseline::{BaselineCell, CellKey, baseline_cells};
use crate::regression::paired_device::PairedCell;
use crate::store::{CellMeta, Store, read_results_jsonl};
use crate::target::DeviceFile;

/// The cells of a gated run, split.
#[derive(Debug, Default)]
pub struct Pairing {
    /// The baseline run's id.
    pub baseline: String,
    /// Per device, the cells compared against the baseline.
    pub paired: BTreeMap<String, Vec<PairedCell>>,
    /// Cells that cannot be compared, with why (they are measured as
    /// usual).
    pub not_comparable: BTreeMap<String, String>,
    /// The baseline's result of each paired cell, by the current cell id.
    pub baseline_results: BTreeMap<String, edgebench_schema::JobResult>,
}

/// Resolves `reference` (`latest`, a tag, a run id or a prefix) among the
/// runs of matrix `matrix_name` and pairs the cells of `by_device` with
/// its cells. Paired cells leave `by_device`.
///
/// # Errors
/// When the reference names no run, or the baseline's results cannot be
/// read.
pub fn pair(
    runs_dir: &Path,
    store: &Store,
    reference: &str,
    matrix_name: &str,
    current_run: &str,
    by_device: &mut BTreeMap<String, Vec<Work>>,
    meta: impl Fn(&Work) -> CellMeta,
) -> anyhow::Result<Pairing> {
    let row = store
        .resolve_run(reference, Some(matrix_name))
        .with_context(|| format!("cannot find the baseline `{reference}`"))?;
    anyhow::ensure!(
        row.id != current_run,
        "the baseline `{reference}` is this very run ({current_run})"
    );
    if row.matrix_name != matrix_name {
        eprintln!(
            "warning: the baseline {} ran matrix `{}`, this run is `{matrix_name}`; cells are matched by device, model, recipe and workload",
            row.id, row.matrix_name
        );
    }
    let jsonl = runs_dir.join(&row.id).join("results.jsonl");
    let records = read_results_jsonl(&jsonl)
        .with_context(|| format!("cannot read the baseline's results {}", jsonl.display()))?
        .records;
    let cells = baseline_cells(&records);
    let stored: BTreeMap<CellKey, &edgebench_schema::JobResult> = records
        .iter()
        .map(|r| (CellKey::of(&r.meta), &r.result))
        .collect();
    let artifacts = ArtifactStore::in_runs_dir(runs_dir);
    let mut pairing = Pairing {
        baseline: row.id.clone(),
        ..Pairing::default()
    };
    for (device, works) in by_device.iter_mut() {
        let mut unpaired = Vec::new();
        for w in works.drain(..) {
            let key = CellKey::of(&meta(&w));
            let reason =
                match cells.get(&key) {
                    None => format!(
                        "the baseline {} has no cell of this device, model, recipe and workload",
                        row.id
                    ),
                    Some(BaselineCell::Unusable(why)) => why.clone(),
                    Some(BaselineCell::Measured {
                        artifacts: a,
                        facts,
                    }) => {
                        match (
                            artifacts.get(&a.agent_sha256),
                            artifacts.get(&a.recipe_sha256),
                        ) {
                            (Some(agent), Some(recipe)) => {
                                if let Some(r) = stored.get(&key) {
                                    pairing
                                        .baseline_results
                                        .insert(w.cell.id.clone(), (*r).clone());
                                }
                                pairing.paired.entry(device.clone()).or_default().push(
                                    PairedCell {
                                        cell: w.cell.clone(),
                                        baseline: a.clone(),
                                        baseline_facts: facts.clone(),
                                        baseline_files: (agent, recipe),
                                        candidate_recipe: DeviceFile {
                                            sha256: w.file.sha256.clone(),
                                            local: w.file.path.clone(),
                                            bytes: w.file.bytes,
                                        },
                                        canary: false,
                                    },
                                );
                                continue;
                            }
                            (agent, _) => format!(
                                "the baseline's {} {} is no longer in the artifact store {}",
                                if agent.is_none() {
                                    "agent binary"
                                } else {
                                    "recipe file"
                                },
                                if agent.is_none() {
                                    &a.agent_sha256[..12]
                                } else {
                                    &a.recipe_sha256[..12]
                                },
                                artifacts.dir().display()
                            ),
                        }
                    }
                };
            pairing.not_comparable.insert(w.cell.id.clone(), reason);
            unpaired.push(w);
        }
        *works = unpaired;
    }
    by_device.retain(|_, w| !w.is_empty());
    Ok(pairing)
}
