//! Model files for the cells: GGUF files named by the matrix, and synthetic
//! models generated once into a content cache.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use edgebench_kernels::synth;

use crate::matrix::hash::sha256_file;
use crate::matrix::{ModelSource, ModelSpec};

/// A model file ready to hand to an agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelFile {
    /// Where it is on this machine.
    pub path: PathBuf,
    /// Its SHA-256.
    pub sha256: String,
}

/// Resolves model specs to files, generating synthetic models into
/// `cache_dir` (reused across runs: same preset and seed, same bytes).
#[derive(Debug)]
pub struct ModelFiles {
    cache_dir: PathBuf,
    resolved: HashMap<String, ModelFile>,
}

impl ModelFiles {
    /// Files cached under `cache_dir`.
    pub fn new(cache_dir: impl Into<PathBuf>) -> Self {
        ModelFiles {
            cache_dir: cache_dir.into(),
            resolved: HashMap::new(),
        }
    }

    /// The file of `spec`, generated or checked on first use.
    pub fn get(&mut self, spec: &ModelSpec) -> anyhow::Result<ModelFile> {
        let identity = spec.source.identity();
        if let Some(f) = self.resolved.get(&identity) {
            return Ok(f.clone());
        }
        let file = match &spec.source {
            ModelSource::File { path, sha256 } => ModelFile {
                path: path.clone(),
                sha256: sha256.clone(),
            },
            ModelSource::Synthetic { preset, seed } => {
                let path = self
                    .cache_dir
                    .join(format!("synthetic-{preset}-{seed}.gguf"));
                ModelFile {
                    sha256: synthetic(&path, *preset, *seed)
                        .with_context(|| format!("cannot prepare model '{}'", spec.name))?,
                    path,
                }
            }
        };
        self.resolved.insert(identity, file.clone());
        Ok(file)
    }
}

/// Writes the synthetic model to `path` unless an earlier run did, and
/// returns its hash. Generation is deterministic, so a file that exists is
/// the same model; a damaged one is detected by the agent's hash check only
/// if it changed since, so the hash is taken from the file itself.
fn synthetic(path: &Path, preset: synth::Preset, seed: u64) -> anyhow::Result<String> {
    if path.exists() {
        // Its modification time is its last use, for `models cache prune`;
        // best effort (a read-only cache is still usable).
        if let Ok(f) = std::fs::File::options().append(true).open(path) {
            let _ = f.set_modified(std::time::SystemTime::now());
        }
    } else {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        eprintln!(
            "generating synthetic model {preset} (seed {seed}) into {}",
            path.display()
        );
        synth::write(preset, seed, path)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    sha256_file(path).with_context(|| format!("cannot read {}", path.display()))
}
