//! [`CellMeta`]: what the controller knows about a cell beyond the agent's
//! result (device and model names from the matrix), and [`StoredResult`],
//! a result together with it.

use edgebench_schema::{JobResult, Runtime};
use serde::{Deserialize, Serialize};

/// The matrix's names for a cell: stored next to every result so the CSV,
/// the database and the reports need nothing but the run directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CellMeta {
    /// Device name from the matrix or inventory (`local`, `pi5`, ...).
    pub device: String,
    /// Model name from the matrix.
    pub model: String,
    /// Canonical recipe, e.g. `q4_0+heads25`.
    pub recipe: String,
    /// The runtime that ran the recipe file (left out for the kernel, so
    /// lines of the default runtime keep their form).
    #[serde(default, skip_serializing_if = "Runtime::is_default")]
    pub runtime: Runtime,
    /// Kernel threads.
    pub threads: u32,
    /// Prompt tokens (prefill).
    pub prompt_tokens: u32,
    /// Generated tokens (decode).
    pub gen_tokens: u32,
}

impl CellMeta {
    /// The workload as one label, `t2-p64-g32` (threads, prompt, generated).
    pub fn workload(&self) -> String {
        format!(
            "t{}-p{}-g{}",
            self.threads, self.prompt_tokens, self.gen_tokens
        )
    }

    /// The best that can be said from a result alone, for lines written
    /// without the controller's names: the model's path, the recipe and
    /// workload the agent reports, device `unknown`.
    pub fn from_result(r: &JobResult) -> CellMeta {
        let (model, recipe) = r
            .model
            .as_ref()
            .map(|m| (m.path.clone(), m.recipe.clone()))
            .unwrap_or_default();
        let (threads, prompt_tokens, gen_tokens) = r
            .workload
            .map(|w| (w.threads, w.prompt_tokens, w.gen_tokens))
            .unwrap_or_default();
        CellMeta {
            device: "unknown".to_owned(),
            model,
            recipe,
            runtime: r.runtime_kind(),
            threads,
            prompt_tokens,
            gen_tokens,
        }
    }
}

/// One result of a run as stored, with the cell's names.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredResult {
    /// The cell's names.
    pub meta: CellMeta,
    /// The agent's result.
    pub result: JobResult,
}
