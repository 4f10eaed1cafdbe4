//! [`write_gguf`]: an applied recipe written out as a GGUF file llama.cpp
//! loads.

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;

use super::{Applied, Recipe, RecipeError};
use crate::gguf::{GgufFile, GgufWriter, Value};
use crate::model::ModelConfig;

/// The metadata key recording the recipe's canonical name.
pub const RECIPE_KEY: &str = "edgebench.recipe";

/// Version of what [`write_gguf`] writes for a given source and recipe.
/// Recipe files are cached under it: it changes whenever the same source
/// and recipe would give other bytes (metadata, tensor order, rounding,
/// pruning choices), so a cache never serves a file an older writer made.
pub const WRITER_VERSION: u32 = 1;

/// ggml's quantization format version (`GGML_QNT_VERSION`).
const QUANTIZATION_VERSION: u32 = 2;

/// The metadata of `source` with the keys a recipe changes (for the
/// hyperparameters `c` it leads to) replaced in place and the ones it adds
/// appended.
pub(crate) fn metadata(
    source: &GgufFile,
    c: &ModelConfig,
    recipe: &Recipe,
) -> Vec<(String, Value)> {
    let arch = c.arch.name();
    let u32_of = |v: usize| Value::U32(u32::try_from(v).unwrap_or(u32::MAX));
    let updates: Vec<(String, Value)> = vec![
        (format!("{arch}.feed_forward_length"), u32_of(c.n_ff)),
        (format!("{arch}.attention.head_count"), u32_of(c.n_head)),
        (
            format!("{arch}.attention.head_count_kv"),
            u32_of(c.n_head_kv),
        ),
        (format!("{arch}.attention.key_length"), u32_of(c.head_dim)),
        (format!("{arch}.attention.value_length"), u32_of(c.head_dim)),
        (
            "general.file_type".to_owned(),
            Value::U32(recipe.scheme().file_type()),
        ),
        (
            "general.quantization_version".to_owned(),
            Value::U32(QUANTIZATION_VERSION),
        ),
        (RECIPE_KEY.to_owned(), Value::String(recipe.to_string())),
    ];
    let mut used = HashSet::new();
    let mut out: Vec<(String, Value)> = source
        .metadata()
        .iter()
        .map(|(k, v)| match updates.iter().find(|(u, _)| u == k) {
            Some((_, new)) => {
                used.insert(k.clone());
                (k.clone(), new.clone())
            }
            None => (k.clone(), v.clone()),
        })
        .collect();
    out.extend(updates.into_iter().filter(|(k, _)| !used.contains(k)));
    out
}

/// Writes `applied` as a GGUF file at `path`: the metadata of `source`
/// (tokenizer included) with the hyperparameters the recipe changed,
/// `general.file_type` of the recipe's scheme, and [`RECIPE_KEY`]; the
/// tensors in the order of `source`, then any the source lacks in name
/// order. The file is written next to `path` and renamed into place, so
/// `path` may be the file `source` maps. Returns the file size.
///
/// # Errors
/// [`RecipeError::MissingTensor`] when a tensor of `source` is absent from
/// `applied`, [`RecipeError::Gguf`] for metadata or write failures,
/// [`RecipeError::Io`] when the file cannot be moved into place.
pub fn write_gguf(
    source: &GgufFile,
    applied: &Applied,
    path: impl AsRef<Path>,
) -> Result<u64, RecipeError> {
    let mut w = GgufWriter::new();
    for (k, v) in metadata(source, &applied.config, &applied.recipe) {
        w.add_metadata(k, v)?;
    }
    let mut written = HashSet::new();
    for info in source.tensors() {
        let t = applied
            .tensors
            .get(&info.name)
            .ok_or_else(|| RecipeError::MissingTensor {
                name: info.name.clone(),
            })?;
        let dims: Vec<u64> = t.dims().iter().map(|&d| d as u64).collect();
        w.add_tensor(info.name.as_str(), &dims, t.dtype(), t.bytes())?;
        written.insert(info.name.as_str());
    }
    for (name, t) in applied.tensors.iter() {
        if !written.contains(name) {
            let dims: Vec<u64> = t.dims().iter().map(|&d| d as u64).collect();
            w.add_tensor(name, &dims, t.dtype(), t.bytes())?;
        }
    }
    write_in_place(
        &w,
        path.as_ref(),
        &mut |name| {
            Err(std::io::Error::other(format!(
                "tensor '{name}' has no data"
            )))
        },
        &mut |_| {},
    )
}

/// Writes `w` next to `path` and renames it into place (so `path` may be a
/// file the data is read from), asking `produce` for declared tensors and
/// reporting the bytes written; returns the file size.
pub(crate) fn write_in_place(
    w: &GgufWriter<'_>,
    path: &Path,
    produce: &mut dyn FnMut(&str) -> std::io::Result<std::sync::Arc<[u8]>>,
    progress: &mut dyn FnMut(u64),
) -> Result<u64, RecipeError> {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = Partial(path.with_file_name(format!(".{file_name}.{}.partial", std::process::id())));
    let size = write_file(w, &tmp.0, produce, progress)?;
    std::fs::rename(&tmp.0, path).map_err(|source| RecipeError::Io {
        action: "moving the written file to",
        path: path.display().to_string(),
        source,
    })?;
    Ok(size)
}

/// A file being written: removed when dropped (on an error or a panic),
/// which after the rename into place finds nothing to remove.
struct Partial(std::path::PathBuf);

impl Drop for Partial {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Writes `w` to `path` (created or truncated) and syncs it, reporting the
/// bytes written so far.
fn write_file(
    w: &GgufWriter<'_>,
    path: &Path,
    produce: &mut dyn FnMut(&str) -> std::io::Result<std::sync::Arc<[u8]>>,
    progress: &mut dyn FnMut(u64),
) -> Result<u64, crate::gguf::GgufError> {
    let file = std::fs::File::create(path)?;
    let mut out = std::io::BufWriter::with_capacity(
        1 << 20,
        Reporting {
            inner: file,
            written: 0,
            progress,
        },
    );
    let n = w.write_with(&mut out, produce)?;
    out.into_inner()
        .map_err(std::io::IntoInnerError::into_error)?
        .inner
        .sync_all()?;
    Ok(n)
}

/// A writer that reports the running total of the bytes it wrote.
struct Reporting<'p, W> {
    inner: W,
    written: u64,
    progress: &'p mut dyn FnMut(u64),
}

impl<W: Write> Write for Reporting<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        (self.progress)(self.written);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
