//! Why a job could not be measured, and the status it ends with.

use edgebench_kernels::model::ModelError;
use edgebench_kernels::recipe::RecipeError;
use edgebench_schema::{SchemaError, Status};

use super::device_lock::LockError;
use super::job_input::JobInputError;
use crate::runtime::RuntimeError;

/// Everything that turns a job into a failure result.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AgentError {
    /// No job could be read on stdin.
    #[error(transparent)]
    Input(#[from] JobInputError),
    /// The device lock was not taken: busy, or the lock file unusable.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// The job is not valid JSON, has unknown fields, another schema
    /// version or a value out of range.
    #[error("bad job: {0}")]
    Job(#[from] SchemaError),
    /// The job asks for something the agent cannot measure.
    #[error("bad job: {0}")]
    Workload(String),
    /// The model file cannot be opened or read.
    #[error("model file '{path}': {source}")]
    ModelFile {
        /// The path from the job.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The model file is not the one the job names.
    #[error("model file '{path}' has sha256 {found}, the job expects {expected}")]
    HashMismatch {
        /// The path from the job.
        path: String,
        /// The hash in the job.
        expected: String,
        /// The hash of the file.
        found: String,
    },
    /// The recipe does not parse.
    #[error("recipe '{recipe}': {source}")]
    Recipe {
        /// The recipe from the job.
        recipe: String,
        /// Why it does not parse.
        #[source]
        source: Box<RecipeError>,
    },
    /// The file cannot be loaded, or is not a file of the job's recipe.
    #[error("cannot load '{path}' as recipe '{recipe}': {source}")]
    Load {
        /// The path from the job.
        path: String,
        /// The recipe.
        recipe: String,
        /// What went wrong.
        #[source]
        source: Box<RecipeError>,
    },
    /// Prompt and generated tokens do not fit in the model's context.
    #[error(
        "prompt_tokens {prompt} + gen_tokens {generated} = {} tokens exceed the model's context length {context}",
        prompt + generated
    )]
    ContextTooLong {
        /// Prompt tokens.
        prompt: u64,
        /// Generated tokens.
        generated: u64,
        /// The model's context length.
        context: u64,
    },
    /// The model failed while running.
    #[error("inference failed: {0}")]
    Model(#[from] ModelError),
    /// The evaluation text cannot be used.
    #[error("evaluation text '{path}': {reason}")]
    EvalText {
        /// Its path (or the file whose tokenizer reads it).
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The accuracy evaluation failed.
    #[error("accuracy: {0}")]
    Eval(#[from] edgebench_kernels::eval::EvalError),
    /// The job's runtime is not built into this agent, rejects the file or
    /// failed while running.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
}

impl AgentError {
    /// The status of the failure result: `unsupported` for an unknown
    /// recipe or an architecture the kernel does not run, `busy` when
    /// another agent held the device lock, `failed` for the rest.
    pub fn status(&self) -> Status {
        match self {
            AgentError::Lock(LockError::Busy { .. }) => Status::Busy,
            AgentError::Recipe { .. } => Status::Unsupported,
            AgentError::Runtime(e) if e.is_unsupported() => Status::Unsupported,
            AgentError::Load { source, .. } if is_unsupported(source.as_ref()) => {
                Status::Unsupported
            }
            _ => Status::Failed,
        }
    }
}

fn is_unsupported(e: &RecipeError) -> bool {
    matches!(
        e,
        RecipeError::Model(ModelError::UnsupportedArchitecture { .. })
            | RecipeError::Model(ModelError::UnsupportedTensorType { .. })
    )
}

/// The error and its sources on one line: `a: b: c`, skipping a source
/// whose text the previous one already contains.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}
