//! Recipe files: each (model, recipe) of a matrix made once on the
//! controller as a GGUF file, with the writer `models quantize` uses, into
//! a cache keyed by the source file's SHA-256, the canonical recipe and
//! [`WRITER_VERSION`](edgebench_kernels::recipe::WRITER_VERSION). The same
//! inputs give byte-identical files on any machine, so a key and the hash
//! of its file are stable; devices load these files as they are.
//!
//! ```text
//! <runs>/models/recipes/<key>.gguf   the recipe file
//! <runs>/models/recipes/<key>.json   its manifest: inputs, SHA-256, size
//! ```
//!
//! A hit is checked against the manifest's hash before it is used, and an
//! entry whose bytes no longer match is made again. The manifest's
//! modification time records the entry's last use, for
//! [`prune`].

mod cache;
mod error;
mod housekeeping;
mod make;
mod manifest;
mod progress;

pub use cache::{Outcome, RecipeCache, RecipeFile, cache_key};
pub use error::RecipeFileError;
pub use housekeeping::{CacheEntry, EntryKind, Pruned, list, prune};
pub use make::{Made, make};
pub use manifest::{MANIFEST_VERSION, Manifest};
pub use progress::{Bar, MakeProgress};
