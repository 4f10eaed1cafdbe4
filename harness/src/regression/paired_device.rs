//! One device's share of a gated run: deploy both arms' artifacts (the
//! candidate's recipe files and agent, the baseline's from the artifact
//! store), then run each cell's paired blocks in turn, reporting every
//! cell's blocks to the controller's thread as they finish.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::mpsc::Sender;

use super::baseline::Artifacts;
use super::blocks::{ArmOnDevice, BlockPlan, BlocksStopped, CellBlocks, run_blocks};
use crate::plan::Cell;
use crate::target::{DeviceFile, Quiet, Target};

/// A cell to compare, with both arms' artifacts on this machine.
#[derive(Debug, Clone)]
pub struct PairedCell {
    /// The cell.
    pub cell: Cell,
    /// The baseline's artifacts.
    pub baseline: Artifacts,
    /// The device facts the baseline ran under.
    pub baseline_facts: String,
    /// The baseline's agent binary and recipe file, from the artifact
    /// store.
    pub baseline_files: (PathBuf, PathBuf),
    /// The candidate's recipe file (this run's).
    pub candidate_recipe: DeviceFile,
    /// An A/A canary: both arms run the candidate's artifacts (see
    /// [`canaries`](super::canaries)).
    pub canary: bool,
}

/// What a device thread reports.
#[derive(Debug)]
pub enum PairedEvent {
    /// A cell's blocks, or why the device could not run them.
    Cell {
        /// The cell's id.
        cell_id: String,
        /// Its blocks, or why there are none.
        blocks: Result<CellBlocks, String>,
        /// The candidate agent's SHA-256.
        candidate_agent: String,
    },
    /// The candidate's agent binary is deployed: it should be kept.
    AgentDeployed {
        /// Its SHA-256.
        sha256: String,
        /// Where it is on this machine.
        file: PathBuf,
    },
    /// A cell starts.
    Started {
        /// The device.
        device: String,
        /// The cell's id.
        cell_id: String,
    },
}

/// Deploys both arms of `cells` on `target` and runs their blocks.
pub fn run_device(
    device: &str,
    target: &mut dyn Target,
    cells: &[PairedCell],
    plan: &BlockPlan,
    tx: &Sender<PairedEvent>,
) {
    let fail_all = |why: &str, agent: &str| {
        for c in cells {
            let _ = tx.send(PairedEvent::Cell {
                cell_id: c.cell.id.clone(),
                blocks: Err(why.to_owned()),
                candidate_agent: agent.to_owned(),
            });
        }
    };
    let mut files: Vec<DeviceFile> = Vec::new();
    let mut add = |f: DeviceFile| {
        if !files.iter().any(|g| g.sha256 == f.sha256) {
            files.push(f);
        }
    };
    for c in cells {
        add(c.candidate_recipe.clone());
        if !c.canary {
            add(device_file(&c.baseline_files.1, &c.baseline.recipe_sha256));
        }
    }
    let deployment = match target.deploy(&files, &Quiet) {
        Ok(d) => d,
        Err(e) => return fail_all(&e.message, ""),
    };
    let candidate_agent = deployment.agent_sha256.clone();
    if let Some(file) = &deployment.agent_file {
        let _ = tx.send(PairedEvent::AgentDeployed {
            sha256: candidate_agent.clone(),
            file: file.clone(),
        });
    }
    let mut agents: Vec<DeviceFile> = Vec::new();
    if let Some(file) = &deployment.agent_file {
        agents.push(device_file(file, &candidate_agent));
    }
    for c in cells.iter().filter(|c| !c.canary) {
        if !agents.iter().any(|a| a.sha256 == c.baseline.agent_sha256) {
            agents.push(device_file(&c.baseline_files.0, &c.baseline.agent_sha256));
        }
    }
    let agent_paths: HashMap<String, String> = match target.deploy_agents(&agents, &Quiet) {
        Ok(p) => p,
        Err(e) => return fail_all(&e.message, &candidate_agent),
    };
    for (i, c) in cells.iter().enumerate() {
        let arm = |agent: &str, recipe: &str| -> Option<ArmOnDevice> {
            Some(ArmOnDevice {
                agent: agent_paths.get(agent)?.clone(),
                model_path: deployment.paths.get(recipe)?.clone(),
                recipe_sha256: recipe.to_owned(),
            })
        };
        let candidate = arm(&candidate_agent, &c.candidate_recipe.sha256);
        let arms = if c.canary {
            candidate.clone().zip(candidate)
        } else {
            arm(&c.baseline.agent_sha256, &c.baseline.recipe_sha256).zip(candidate)
        };
        let _ = tx.send(PairedEvent::Started {
            device: device.to_owned(),
            cell_id: c.cell.id.clone(),
        });
        let blocks = match arms {
            None => Err(format!(
                "device '{device}': an arm's files were not deployed"
            )),
            Some((b, cand)) => match run_blocks(target, &c.cell, &b, &cand, plan) {
                Ok(blocks) => Ok(blocks),
                Err(BlocksStopped::Interrupted) => return,
                Err(BlocksStopped::Lost(why)) => {
                    let _ = tx.send(PairedEvent::Cell {
                        cell_id: c.cell.id.clone(),
                        blocks: Err(why.clone()),
                        candidate_agent: candidate_agent.clone(),
                    });
                    return fail_all_from(&cells[i + 1..], &why, &candidate_agent, tx);
                }
            },
        };
        let _ = tx.send(PairedEvent::Cell {
            cell_id: c.cell.id.clone(),
            blocks,
            candidate_agent: candidate_agent.clone(),
        });
    }
}

fn fail_all_from(cells: &[PairedCell], why: &str, agent: &str, tx: &Sender<PairedEvent>) {
    for c in cells {
        let _ = tx.send(PairedEvent::Cell {
            cell_id: c.cell.id.clone(),
            blocks: Err(why.to_owned()),
            candidate_agent: agent.to_owned(),
        });
    }
}

fn device_file(path: &std::path::Path, sha256: &str) -> DeviceFile {
    DeviceFile {
        sha256: sha256.to_owned(),
        local: path.to_path_buf(),
        bytes: std::fs::metadata(path).map_or(0, |m| m.len()),
    }
}
