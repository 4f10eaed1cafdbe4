//! edgebench's own kernel as a runtime: the model built over the recipe
//! file's memory map, sessions of the kernel's forward pass.

use std::sync::Arc;

use edgebench_kernels::eval::WindowScorer;
use edgebench_kernels::generate::Sampler;
use edgebench_kernels::gguf::GgufFile;
use edgebench_kernels::model::{KvType, Logits, Model, ModelError, Session, SessionOptions};
use edgebench_kernels::ops::Isa;
use edgebench_schema::{ProfileReport, Runtime, RuntimeInfo};

use super::{Generation, LoadedRecipe, RuntimeError, SessionSpec};
use crate::agent::profiled_rep;
use crate::protocol::Inference;

/// A recipe file loaded by the kernel.
pub struct KernelRecipe {
    model: Arc<Model>,
}

impl KernelRecipe {
    /// Builds the model over `file`.
    ///
    /// # Errors
    /// The kernel's load error (an architecture or tensor type it does not
    /// run, a malformed file).
    pub fn load(file: Arc<GgufFile>) -> Result<Self, ModelError> {
        Ok(KernelRecipe {
            model: Arc::new(Model::load(file)?),
        })
    }

    /// The model.
    pub fn model(&self) -> &Arc<Model> {
        &self.model
    }

    fn options(spec: &SessionSpec) -> SessionOptions {
        let kv = if spec.kv_f16 {
            KvType::F16
        } else {
            KvType::F32
        };
        SessionOptions::new(spec.context)
            .kv_type(kv)
            .threads(spec.threads)
    }
}

/// The kernel's runtime description: the crate's version, the revision
/// the agent was built from and the instruction set chosen at run time.
pub fn kernel_info() -> RuntimeInfo {
    RuntimeInfo {
        name: Runtime::Edgebench,
        version: crate::agent::VERSION.to_owned(),
        commit: Some(crate::agent::GIT_REVISION.to_owned()),
        cpu_backend: Isa::best().name().to_owned(),
        build: None,
    }
}

impl LoadedRecipe for KernelRecipe {
    fn info(&self) -> RuntimeInfo {
        kernel_info()
    }

    fn context_length(&self) -> usize {
        self.model.config().context_length
    }

    fn n_vocab(&self) -> usize {
        self.model.config().n_vocab
    }

    fn generation<'a>(
        &'a self,
        spec: &SessionSpec,
        prompt: &[u32],
    ) -> Result<Generation<'a>, RuntimeError> {
        let session = Session::new(Arc::clone(&self.model), &Self::options(spec))?;
        Ok(Box::new(KernelGeneration::new(session, prompt.to_vec())))
    }

    fn scorer<'a>(
        &'a self,
        ctx: usize,
        threads: usize,
    ) -> Result<Box<dyn WindowScorer + 'a>, RuntimeError> {
        let options = SessionOptions::new(ctx).threads(threads);
        Ok(Box::new(Session::new(Arc::clone(&self.model), &options)?))
    }

    fn profile(
        &self,
        spec: &SessionSpec,
        prompt: &[u32],
        gen_tokens: u32,
    ) -> Option<Result<ProfileReport, RuntimeError>> {
        Some(
            profiled_rep(&self.model, &Self::options(spec), prompt, gen_tokens)
                .map_err(RuntimeError::from),
        )
    }
}

/// Greedy generation from a fixed prompt on a kernel [`Session`].
pub struct KernelGeneration {
    session: Session,
    prompt: Vec<u32>,
    sampler: Sampler,
    last: u32,
}

impl KernelGeneration {
    /// Runs `prompt` on `session`.
    pub fn new(session: Session, prompt: Vec<u32>) -> Self {
        KernelGeneration {
            session,
            prompt,
            sampler: Sampler::greedy(),
            last: 0,
        }
    }

    /// The last token chosen.
    pub fn last_token(&self) -> u32 {
        self.last
    }
}

impl Inference for KernelGeneration {
    type Error = RuntimeError;

    fn reset(&mut self) {
        self.session.reset();
    }

    fn prefill(&mut self) -> Result<(), RuntimeError> {
        let logits = self.session.forward(&self.prompt, Logits::Last)?;
        self.last = self.sampler.sample(logits)?;
        Ok(())
    }

    fn decode(&mut self) -> Result<(), RuntimeError> {
        let logits = self.session.forward(&[self.last], Logits::Last)?;
        self.last = self.sampler.sample(logits)?;
        Ok(())
    }

    fn last_token(&self) -> Option<u32> {
        Some(self.last)
    }
}
