//! [`RecipeFileError`]: why a recipe file could not be made or cached.

use std::path::PathBuf;

use edgebench_kernels::gguf::GgufError;
use edgebench_kernels::model::ModelError;
use edgebench_kernels::recipe::RecipeError;

/// Everything that keeps a recipe file from being made, found or listed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecipeFileError {
    /// The source model cannot be read as GGUF.
    #[error("cannot read GGUF file {}", path.display())]
    Source {
        /// The source model.
        path: PathBuf,
        /// Why.
        #[source]
        source: Box<GgufError>,
    },
    /// The source model's hyperparameters are unusable.
    #[error("cannot read the model hyperparameters of {}", path.display())]
    Config {
        /// The source model.
        path: PathBuf,
        /// Why.
        #[source]
        source: Box<ModelError>,
    },
    /// The recipe cannot be applied to the source, or the result written.
    #[error("cannot make recipe {recipe} of {}", path.display())]
    Recipe {
        /// The source model.
        path: PathBuf,
        /// The canonical recipe.
        recipe: String,
        /// Why.
        #[source]
        source: Box<RecipeError>,
    },
    /// A file or directory of the cache cannot be read or written.
    #[error("cannot {action} {}", path.display())]
    Io {
        /// What was being done (`create`, `read`, `hash`, ...).
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl RecipeFileError {
    /// An [`Io`](RecipeFileError::Io) error for `path`.
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| RecipeFileError::Io {
            action,
            path,
            source,
        }
    }
}
