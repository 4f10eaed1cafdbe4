//! [`Manifest`]: what a cached recipe file was made from and the hash of
//! its bytes, kept beside it as JSON.

use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::RecipeFileError;

/// Version of the manifest's own layout.
pub const MANIFEST_VERSION: u32 = 1;
/// Manifests are a few hundred bytes; a larger file is not one.
const MAX_MANIFEST_BYTES: u64 = 64 << 10;

/// The record of one cached recipe file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// [`MANIFEST_VERSION`].
    pub manifest_version: u32,
    /// The cache key (the file is `<key>.gguf`).
    pub key: String,
    /// The writer's format version the file was made with.
    pub writer_version: u32,
    /// SHA-256 of the source model.
    pub source_sha256: String,
    /// Where the source was when the file was made (for people; the key
    /// uses its hash).
    pub source_path: String,
    /// The canonical recipe.
    pub recipe: String,
    /// SHA-256 of the recipe file.
    pub sha256: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// When it was made (RFC 3339, UTC).
    pub created: String,
    /// The edgebench version that made it.
    pub made_by: String,
}

impl Manifest {
    /// Reads the manifest at `path`; the error says why it is unusable.
    pub fn read(path: &Path) -> Result<Manifest, String> {
        let file = std::fs::File::open(path).map_err(|e| format!("cannot read it: {e}"))?;
        let mut text = String::new();
        file.take(MAX_MANIFEST_BYTES + 1)
            .read_to_string(&mut text)
            .map_err(|e| format!("cannot read it: {e}"))?;
        if text.len() as u64 > MAX_MANIFEST_BYTES {
            return Err(format!("larger than {MAX_MANIFEST_BYTES} bytes"));
        }
        let m: Manifest = serde_json::from_str(&text).map_err(|e| format!("malformed: {e}"))?;
        if m.manifest_version != MANIFEST_VERSION {
            return Err(format!(
                "manifest version {}, this build reads {MANIFEST_VERSION}",
                m.manifest_version
            ));
        }
        Ok(m)
    }

    /// Writes the manifest to `path` through a temporary file renamed into
    /// place, so a reader never sees half of one.
    ///
    /// # Errors
    /// [`RecipeFileError::Io`] naming the file.
    pub fn write(&self, path: &Path) -> Result<(), RecipeFileError> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = path.with_file_name(format!(".{name}.{}.partial", std::process::id()));
        let text = serde_json::to_string_pretty(self).unwrap_or_default() + "\n";
        let written = std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, path));
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written.map_err(RecipeFileError::io("write", path))
    }
}
