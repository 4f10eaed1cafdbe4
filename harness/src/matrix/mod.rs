//! Matrix and inventory files: TOML read into raw serde structs with spans
//! ([`raw`]), then validated into a checked [`Matrix`] in which every name
//! is resolved, every value is in range and every file is found and
//! hashed. Errors name the file, line and column, say what is wrong and
//! suggest the nearest valid name; all errors are collected, not just the
//! first. The [`plan`](crate::plan) module expands a [`Matrix`] into cells.
//!
//! ```no_run
//! let matrix = edgebench::matrix::load("matrices/quickstart.toml".as_ref())
//!     .map_err(|errors| errors.render())?;
//! println!("{} models", matrix.models.len());
//! # Ok::<(), String>(())
//! ```

mod accuracy;
mod builtin_text;
mod checked;
mod checker;
mod devices;
mod diagnostic;
pub mod hash;
pub mod raw;
mod read;
mod recipes;
mod runtimes;
mod settings;
mod shape;
mod source;
mod sweep;
mod validate;

use std::path::Path;
use std::sync::Arc;

pub use accuracy::{BUILTIN, DEFAULT_CTX};
pub use builtin_text::BUILTIN_TEXT;
pub use checked::{
    AccuracySpec, Connection, Device, DeviceMeter, EvalText, Matrix, Measure, ModelSource,
    ModelSpec, RecipeSpec, Regression, Select, SshSettings, Workload,
};
pub use devices::{
    DEFAULT_WORKDIR, KNOWN_TARGETS, LOCAL, expand_home, host_target, local_memory_bytes,
};
pub use diagnostic::{Diagnostic, Diagnostics};
pub use hash::{sha256_file, sha256_hex};
pub use read::MATRIX_KEYS;
pub use settings::{DEFAULT_THRESHOLD_PCT, DEFAULT_TIMEOUT_SECONDS};
pub use shape::ModelShape;
pub use source::{Location, Source};
pub use sweep::Sweep;

/// Reads and checks the matrix at `path` and the files it names.
///
/// # Errors
/// Every error found, each with its file, line and column where it has one.
pub fn load(path: &Path) -> Result<Matrix, Diagnostics> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Diagnostics(vec![Diagnostic::new(format!(
            "cannot read matrix `{}`: {e}",
            path.display()
        ))])
    })?;
    load_str(path, &text)
}

/// The devices a matrix selects, or every device of an inventory file (a
/// file whose only key is `device`), checked as a matrix checks them.
///
/// # Errors
/// Every error found in the file.
pub fn load_devices(path: &Path) -> Result<Vec<Device>, Diagnostics> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Diagnostics(vec![Diagnostic::new(format!(
            "cannot read `{}`: {e}",
            path.display()
        ))])
    })?;
    let source = Source::new(path, &text);
    let mut errors = Diagnostics::default();
    let inventory_only = toml::de::DeTable::parse(&text)
        .map(|t| t.get_ref().keys().all(|k| k.get_ref() == "device"))
        .unwrap_or(false);
    if !inventory_only {
        return load_str(path, &text).map(|m| m.devices);
    }
    let Some(inventory) = read::read_inventory(&source, &mut errors) else {
        return Err(errors);
    };
    let found = devices::inventory_devices(&inventory, &mut errors);
    if errors.0.is_empty() {
        Ok(found)
    } else {
        Err(errors)
    }
}

/// Only the `[select]` table of matrix `text` (read from `path`), checked
/// as [`load_str`] checks it; the files the matrix names are not looked
/// at, so a matrix copied into a run directory still reads.
///
/// # Errors
/// Every error found while reading the file and checking `[select]`.
pub fn load_select(path: &Path, text: &str) -> Result<Select, Diagnostics> {
    let source = Source::new(path, text);
    let mut errors = Diagnostics::default();
    let select = read::read_matrix(&source, &mut errors).map(|raw| {
        let mut c = checker::Checker {
            source: Arc::clone(&source),
            errors: &mut errors,
        };
        settings::check_select(&mut c, raw.select.as_ref())
    });
    match select {
        Some(s) if errors.is_empty() => Ok(s),
        _ => Err(errors),
    }
}

/// Checks matrix `text` as if read from `path` (relative paths inside it
/// are resolved against `path`'s directory).
///
/// # Errors
/// Every error found.
pub fn load_str(path: &Path, text: &str) -> Result<Matrix, Diagnostics> {
    let source = Source::new(path, text);
    let mut errors = Diagnostics::default();
    let matrix = read::read_matrix(&source, &mut errors)
        .and_then(|raw| validate::validate(&raw, &mut errors));
    match matrix {
        Some(m) if errors.is_empty() => Ok(m),
        _ => {
            // File order: the matrix first, then included files, each by
            // position.
            errors.0.sort_by_key(|d| match &d.location {
                Some(l) => (l.source.path != path, l.source.path.clone(), l.span.start),
                None => (false, Default::default(), 0),
            });
            Err(errors)
        }
    }
}
