//! The error type for parsing and applying compression recipes.

use crate::gguf::GgufError;
use crate::model::ModelError;

/// Everything that can go wrong parsing a recipe, applying it to a model or
/// writing the result.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecipeError {
    /// The recipe text is empty.
    #[error("empty recipe (valid schemes: {valid})")]
    Empty {
        /// The valid schemes.
        valid: &'static str,
    },
    /// The first part of the recipe is not a quantization scheme.
    #[error("unknown scheme '{found}' in recipe '{recipe}'{}; valid schemes: {valid}", did_you_mean(.suggestion))]
    UnknownScheme {
        /// The whole recipe text.
        recipe: String,
        /// The part that is not a scheme.
        found: String,
        /// The nearest valid recipe, when one is close.
        suggestion: Option<String>,
        /// The valid schemes.
        valid: &'static str,
    },
    /// A `+` part is neither a pruning modifier nor an override.
    #[error("unknown modifier '{found}' in recipe '{recipe}'{}; valid modifiers: {valid}", did_you_mean(.suggestion))]
    UnknownModifier {
        /// The whole recipe text.
        recipe: String,
        /// The part that is not understood.
        found: String,
        /// The nearest valid recipe, when one is close.
        suggestion: Option<String>,
        /// The valid modifiers.
        valid: &'static str,
    },
    /// An override names a tensor class that does not exist or always stays
    /// f32 (norms, biases, `rope_freqs`).
    #[error("unknown tensor class '{found}' in recipe '{recipe}'{}; valid classes: {valid}", did_you_mean(.suggestion))]
    UnknownClass {
        /// The whole recipe text.
        recipe: String,
        /// The class given.
        found: String,
        /// The nearest valid recipe, when one is close.
        suggestion: Option<String>,
        /// The valid classes.
        valid: &'static str,
    },
    /// The same modifier or override appears twice.
    #[error("'{modifier}' appears more than once in recipe '{recipe}'")]
    Duplicate {
        /// The whole recipe text.
        recipe: String,
        /// The repeated modifier (`heads`, `sparse`, a class name...).
        modifier: String,
    },
    /// A pruning percentage is not a whole number.
    #[error("'{found}' in recipe '{recipe}' needs a whole percentage, e.g. {modifier}25")]
    BadPercent {
        /// The whole recipe text.
        recipe: String,
        /// The part with the bad number.
        found: String,
        /// The modifier (`heads`, `ffn`, `sparse`).
        modifier: &'static str,
    },
    /// A pruning ratio outside `[0, 1)` (as a percentage, 0 to 99).
    #[error("{what} ratio {percent}% is out of range: it must be at least 0 % and below 100 %")]
    RatioOutOfRange {
        /// Which pruning (`heads`, `ffn`, `sparse`).
        what: &'static str,
        /// The percentage given.
        percent: u32,
    },
    /// The pruning would remove every head or channel.
    #[error("{what} pruning at {percent}% removes everything: {detail}")]
    PrunesEverything {
        /// Which pruning (`heads`, `ffn`).
        what: &'static str,
        /// The percentage given.
        percent: u8,
        /// What would be left.
        detail: String,
    },
    /// A tensor the recipe needs is absent.
    #[error("missing tensor '{name}'")]
    MissingTensor {
        /// The tensor name.
        name: String,
    },
    /// A tensor's dimensions do not match the model's hyperparameters.
    #[error("tensor '{name}' has shape {found:?}, expected {expected:?}")]
    BadShape {
        /// The tensor name.
        name: String,
        /// Dimensions found, innermost first.
        found: Vec<usize>,
        /// Dimensions expected, innermost first.
        expected: Vec<usize>,
    },
    /// Dequantizing, quantizing or building a tensor failed (the source
    /// names the tensor).
    #[error(transparent)]
    Model(#[from] ModelError),
    /// Writing the output file failed.
    #[error("writing GGUF")]
    Gguf(#[from] GgufError),
    /// A file is not what the recipe makes (see
    /// [`check_file`](super::check_file)).
    #[error("not a file of recipe: {0}")]
    Mismatch(#[from] super::Mismatch),
    /// Reading or renaming the output file failed.
    #[error("{action} '{path}'")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The path.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

fn did_you_mean(suggestion: &Option<String>) -> String {
    match suggestion {
        Some(s) => format!(" (did you mean '{s}'?)"),
        None => String::new(),
    }
}

impl RecipeError {
    /// The nearest valid recipe text, for an unknown scheme, modifier or
    /// class that looks like a typo.
    pub fn suggestion(&self) -> Option<&str> {
        match self {
            RecipeError::UnknownScheme { suggestion, .. }
            | RecipeError::UnknownModifier { suggestion, .. }
            | RecipeError::UnknownClass { suggestion, .. } => suggestion.as_deref(),
            _ => None,
        }
    }
}
