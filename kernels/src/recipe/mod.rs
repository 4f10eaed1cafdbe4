//! Compression recipes: a storage format for the weight matrices, per-class
//! format overrides, and optional pruning (attention heads, feed-forward
//! channels, unstructured magnitude), applied to a model's tensors at load
//! ([`apply`]) or written out as a GGUF file ([`write_gguf`]).
//!
//! A [`Recipe`] has a canonical text form that is its name, e.g. `q4_0`,
//! `q4_0+heads25`, `q8_0+sparse50` or `q4_0+token_embd=q8_0+output=q8_0`
//! (grammar in [`Recipe`]); it parses back with [`str::parse`].
//!
//! ```
//! use edgebench_kernels::recipe::Recipe;
//!
//! let r: Recipe = "Q4_0+output=q8_0+heads25".parse()?;
//! assert_eq!(r.to_string(), "q4_0+heads25+output=q8_0");
//! let e = "q4_O".parse::<Recipe>().unwrap_err();
//! assert_eq!(e.suggestion(), Some("q4_0"));
//! # Ok::<(), edgebench_kernels::recipe::RecipeError>(())
//! ```

mod apply;
mod conformance;
mod error;
mod prepare;
mod prune;
mod report;
mod spec;
mod stage;
mod stream;
mod structure;
mod suggest;
mod write;

pub use apply::{Applied, apply};
pub use conformance::{Mismatch, check_file, expected_type, recorded_recipe};
pub use error::RecipeError;
pub use prepare::{Prepared, prepare};
pub use prune::{prune_smallest, sparsity_count};
pub use report::{
    Fallback, FfnPruning, FormatTotal, HeadPruning, RecipeReport, Sparsity, format_totals,
};
pub use spec::{OVERRIDE_CLASSES, Recipe, Scheme};
pub use stage::fitting_format;
pub use stream::{WINDOW_BYTES, WriteProgress, WrittenFile, write_recipe_file};
pub use suggest::{edit_distance, nearest};
pub use write::{RECIPE_KEY, WRITER_VERSION, write_gguf};
