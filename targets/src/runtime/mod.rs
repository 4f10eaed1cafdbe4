//! The runtimes an agent runs recipe files with, behind one trait: edgebench's
//! own kernel, always built in, and llama.cpp when the agent is built with the
//! `llama-cpp` feature. Every runtime loads the same recipe file and is driven
//! by the same protocol (a prompt prefill, then greedy decode steps one token
//! at a time), so two cells that differ by runtime differ by nothing else.

mod error;
mod kernel;
#[cfg(feature = "llama-cpp")]
mod llama_cpp;

use std::path::Path;
use std::sync::Arc;

use edgebench_kernels::eval::WindowScorer;
use edgebench_kernels::gguf::GgufFile;
use edgebench_schema::{ProfileReport, Runtime, RuntimeInfo};

pub use error::RuntimeError;
pub use kernel::{KernelGeneration, KernelRecipe};

use crate::protocol::Inference;

/// How a generation session runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionSpec {
    /// Context length: prompt plus generated tokens.
    pub context: usize,
    /// Threads.
    pub threads: usize,
    /// KV cache in f16 rather than f32.
    pub kv_f16: bool,
    /// Prompt tokens, processed as one batch.
    pub prompt_tokens: usize,
}

/// One step of a generation or scoring session.
pub type Generation<'a> = Box<dyn Inference<Error = RuntimeError> + 'a>;

/// A recipe file loaded by one runtime.
pub trait LoadedRecipe {
    /// The runtime and its build.
    fn info(&self) -> RuntimeInfo;

    /// Tokens of context the model was trained for.
    fn context_length(&self) -> usize;

    /// Vocabulary size.
    fn n_vocab(&self) -> usize;

    /// A greedy generation session from `prompt`.
    ///
    /// # Errors
    /// When the runtime cannot make the session.
    fn generation<'a>(
        &'a self,
        spec: &SessionSpec,
        prompt: &[u32],
    ) -> Result<Generation<'a>, RuntimeError>;

    /// A session that scores windows of `ctx` tokens (perplexity and the
    /// comparison with a reference).
    ///
    /// # Errors
    /// When the runtime cannot make the session.
    fn scorer<'a>(
        &'a self,
        ctx: usize,
        threads: usize,
    ) -> Result<Box<dyn WindowScorer + 'a>, RuntimeError>;

    /// One unmeasured repetition timed per class of operation, when the
    /// runtime can break its time down (`None` when it cannot).
    fn profile(
        &self,
        _spec: &SessionSpec,
        _prompt: &[u32],
        _gen_tokens: u32,
    ) -> Option<Result<ProfileReport, RuntimeError>> {
        None
    }
}

/// Whether this agent can run `runtime`.
///
/// # Errors
/// [`RuntimeError::NotBuilt`] for a runtime left out of this build.
pub fn check_built(runtime: Runtime) -> Result<(), RuntimeError> {
    match runtime.cargo_feature() {
        Some(feature) if !built_with(runtime) => Err(RuntimeError::NotBuilt { runtime, feature }),
        _ => Ok(()),
    }
}

/// Whether this build links `runtime` in.
fn built_with(runtime: Runtime) -> bool {
    match runtime {
        Runtime::Edgebench => true,
        Runtime::LlamaCpp => cfg!(feature = "llama-cpp"),
    }
}

/// The runtimes this agent was built with.
pub fn built() -> Vec<Runtime> {
    Runtime::ALL
        .into_iter()
        .filter(|&r| check_built(r).is_ok())
        .collect()
}

/// The runtimes this agent was built with, as results describe them.
pub fn built_info() -> Vec<RuntimeInfo> {
    vec![
        kernel::kernel_info(),
        #[cfg(feature = "llama-cpp")]
        llama_cpp::llama_info(),
    ]
}

/// Loads the recipe file at `path` (already opened and checked as `file`)
/// with `runtime`. The kernel builds its model over `file`'s map; another
/// runtime reads the file itself and `file` is dropped first, so its pages
/// are not counted against that runtime.
///
/// # Errors
/// [`RuntimeError::NotBuilt`], [`RuntimeError::Rejected`] or the kernel's
/// load error.
pub fn load(
    runtime: Runtime,
    path: &Path,
    file: Arc<GgufFile>,
) -> Result<Box<dyn LoadedRecipe>, RuntimeError> {
    match runtime {
        Runtime::Edgebench => Ok(Box::new(KernelRecipe::load(file)?)),
        Runtime::LlamaCpp => {
            drop(file);
            load_llama_cpp(path)
        }
    }
}

#[cfg(feature = "llama-cpp")]
fn load_llama_cpp(path: &Path) -> Result<Box<dyn LoadedRecipe>, RuntimeError> {
    Ok(Box::new(llama_cpp::LlamaRecipe::load(path)?))
}

#[cfg(not(feature = "llama-cpp"))]
fn load_llama_cpp(_: &Path) -> Result<Box<dyn LoadedRecipe>, RuntimeError> {
    Err(RuntimeError::NotBuilt {
        runtime: Runtime::LlamaCpp,
        feature: "llama-cpp",
    })
}
