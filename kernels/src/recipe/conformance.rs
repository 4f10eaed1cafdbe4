//! [`check_file`]: whether a GGUF file is what a recipe makes, so a file can
//! be run as it is under that recipe's name.

use super::{Recipe, RecipeError, fitting_format};
use crate::gguf::GgufFile;
use crate::model::TensorName;
use crate::quant::GgmlType;

/// Why a file is not what a recipe makes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Mismatch {
    /// The file records (under [`RECIPE_KEY`](super::RECIPE_KEY)) that it was
    /// made with another recipe.
    #[error("the file was made with recipe '{file}', not '{expected}'")]
    Recipe {
        /// The recipe the file records.
        file: String,
        /// The recipe asked for.
        expected: String,
    },
    /// The recipe name the file records does not parse.
    #[error("the file records recipe '{file}', which is not a valid recipe: {reason}")]
    BadRecord {
        /// The recorded text.
        file: String,
        /// Why it does not parse.
        reason: String,
    },
    /// The recipe prunes, and the file records no recipe: nothing in a
    /// file's formats shows whether (or how) it was pruned.
    #[error(
        "recipe '{expected}' prunes, and the file records no recipe to show it was made with it"
    )]
    Unrecorded {
        /// The recipe asked for.
        expected: String,
    },
    /// A tensor is stored in another format than the recipe stores it in.
    #[error(
        "tensor '{tensor}' is {found}, recipe '{expected_recipe}' stores it as {expected}{}",
        made_with(.file_recipe)
    )]
    TensorType {
        /// The tensor.
        tensor: String,
        /// Its format in the file.
        found: GgmlType,
        /// The format the recipe gives it.
        expected: GgmlType,
        /// The recipe asked for.
        expected_recipe: String,
        /// The recipe the file records, if any.
        file_recipe: Option<String>,
    },
}

fn made_with(recipe: &Option<String>) -> String {
    match recipe {
        Some(r) => format!(" (the file was made with recipe '{r}')"),
        None => String::new(),
    }
}

/// The format `recipe` stores the tensor `name` (of row length `row_length`)
/// in: weight matrices in the recipe's scheme for their class (or the format
/// their rows fit, see [`fitting_format`]), norms, biases and `rope_freqs` in
/// f32. `None` for tensors outside the Llama family's names, which recipes
/// keep as they are.
pub fn expected_type(recipe: &Recipe, name: &str, row_length: usize) -> Option<GgmlType> {
    let parsed = TensorName::parse(name)?;
    Some(if parsed.role.is_matrix() {
        fitting_format(recipe.scheme_for(parsed.role).dtype(), row_length)
    } else {
        GgmlType::F32
    })
}

/// The recipe `file` records it was made with (under
/// [`RECIPE_KEY`](super::RECIPE_KEY)), as written; `None` when it records
/// none (or not as text).
pub fn recorded_recipe(file: &GgufFile) -> Option<&str> {
    file.get_str(super::RECIPE_KEY).ok().flatten()
}

/// Checks that `file` is what `recipe` makes: the recipe the file records, if
/// it records one, is `recipe`, and every tensor is stored in the format the
/// recipe gives it. A file that records no recipe (one another tool wrote)
/// is checked by its formats alone, which only a recipe that does not prune
/// allows: pruning leaves no trace in the formats.
///
/// # Errors
/// [`RecipeError::Mismatch`] with the first difference found.
pub fn check_file(file: &GgufFile, recipe: &Recipe) -> Result<(), RecipeError> {
    let expected = recipe.to_string();
    let recorded = recorded_recipe(file).map(str::to_owned);
    if let Some(text) = &recorded {
        let parsed: Recipe = text.parse().map_err(|e: RecipeError| {
            RecipeError::Mismatch(Mismatch::BadRecord {
                file: text.clone(),
                reason: e.to_string(),
            })
        })?;
        if parsed.to_string() != expected {
            return Err(RecipeError::Mismatch(Mismatch::Recipe {
                file: parsed.to_string(),
                expected,
            }));
        }
    }
    if recorded.is_none() && recipe.prunes() {
        return Err(RecipeError::Mismatch(Mismatch::Unrecorded { expected }));
    }
    for info in file.tensors() {
        let row = info.dims.first().copied().unwrap_or(0) as usize;
        let Some(want) = expected_type(recipe, &info.name, row) else {
            continue;
        };
        if info.dtype != want {
            return Err(RecipeError::Mismatch(Mismatch::TensorType {
                tensor: info.name.clone(),
                found: info.dtype,
                expected: want,
                expected_recipe: expected,
                file_recipe: recorded,
            }));
        }
    }
    Ok(())
}
