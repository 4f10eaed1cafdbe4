//! [`RecipeCache`]: recipe files made once and found again by key.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use edgebench_kernels::recipe::{Recipe, WRITER_VERSION};
use edgebench_targets::agent::sha256_hex;

use super::{MakeProgress, Manifest, RecipeFileError, make, manifest::MANIFEST_VERSION};
use crate::matrix;
use crate::store::UtcTime;

/// The cache key of `recipe` made from the source whose SHA-256 is
/// `source_sha256` by this build's writer (and recorded in this build's
/// manifest layout): hex SHA-256 of all four.
pub fn cache_key(source_sha256: &str, recipe: &Recipe) -> String {
    matrix::sha256_hex(
        format!(
            "edgebench-recipe-file\nwriter {WRITER_VERSION}\nmanifest {MANIFEST_VERSION}\n\
             source {}\nrecipe {recipe}\n",
            source_sha256.to_ascii_lowercase()
        )
        .as_bytes(),
    )
}

/// A recipe file ready to hand to a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipeFile {
    /// Where it is on this machine.
    pub path: PathBuf,
    /// Its SHA-256.
    pub sha256: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// SHA-256 of the model it was made from.
    pub source_sha256: String,
    /// The canonical recipe.
    pub recipe: String,
    /// Its cache key.
    pub key: String,
}

/// How a recipe file was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// In the cache with the right bytes; nothing was written.
    Hit,
    /// Not in the cache; made now.
    Made,
    /// In the cache but unusable (the reason); made again.
    Remade {
        /// What was wrong with the cached entry.
        reason: String,
    },
}

/// The cache in one directory.
#[derive(Debug, Clone)]
pub struct RecipeCache {
    dir: PathBuf,
}

/// What a look-up found.
enum Lookup {
    Missing,
    Valid(RecipeFile),
    Invalid(String),
}

impl RecipeCache {
    /// The cache in `dir` (created when the first file is made).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        RecipeCache { dir: dir.into() }
    }

    /// The cache of a runs directory: `<runs_dir>/models/recipes`, as an
    /// absolute path (jobs name files by it).
    pub fn in_runs_dir(runs_dir: &Path) -> Self {
        let dir = runs_dir.join("models").join("recipes");
        Self::new(std::path::absolute(&dir).unwrap_or(dir))
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the file of `key` lives.
    pub fn file_path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.gguf"))
    }

    /// The lock file of `key`'s entry.
    pub fn lock_path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.lock"))
    }

    /// Holds the lock of `key`'s entry until the file returned is dropped.
    fn lock(&self, key: &str) -> Result<File, RecipeFileError> {
        let path = self.lock_path(key);
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(RecipeFileError::io("open", &path))?;
        file.lock().map_err(RecipeFileError::io("lock", &path))?;
        Ok(file)
    }

    /// Where the manifest of `key` lives.
    pub fn manifest_path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.json"))
    }

    /// The recipe file of `recipe` made from `source` (whose SHA-256 is
    /// `source_sha256`): the cached one when its bytes still have the
    /// recorded hash (nothing is written then), else made now.
    ///
    /// # Errors
    /// The source cannot be read or the recipe applied to it, or the cache
    /// cannot be written.
    pub fn get_or_make(
        &self,
        source: &Path,
        source_sha256: &str,
        recipe: &Recipe,
        progress: &dyn MakeProgress,
    ) -> Result<(RecipeFile, Outcome), RecipeFileError> {
        let key = cache_key(source_sha256, recipe);
        std::fs::create_dir_all(&self.dir).map_err(RecipeFileError::io("create", &self.dir))?;
        // One process at a time looks an entry up and makes it: another
        // run making the same file waits for it, then finds it made.
        let _lock = self.lock(&key)?;
        progress.hashing();
        let outcome = match self.lookup(&key, source_sha256, recipe) {
            Lookup::Valid(found) => {
                self.touch(&key);
                return Ok((found, Outcome::Hit));
            }
            Lookup::Missing => Outcome::Made,
            Lookup::Invalid(reason) => Outcome::Remade { reason },
        };
        // An entry being made has no manifest, so an interrupted make is
        // never taken for a finished one.
        let manifest_path = self.manifest_path(&key);
        match std::fs::remove_file(&manifest_path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(RecipeFileError::io("remove", &manifest_path)(e));
            }
            _ => {}
        }
        let path = self.file_path(&key);
        make(source, recipe, &path, progress)?;
        progress.hashing();
        let (sha256, bytes) = hash(&path)?;
        let manifest = Manifest {
            manifest_version: MANIFEST_VERSION,
            key: key.clone(),
            writer_version: WRITER_VERSION,
            source_sha256: source_sha256.to_ascii_lowercase(),
            source_path: source.display().to_string(),
            recipe: recipe.to_string(),
            sha256: sha256.clone(),
            bytes,
            created: UtcTime::now().rfc3339(),
            made_by: env!("CARGO_PKG_VERSION").to_owned(),
        };
        manifest.write(&manifest_path)?;
        Ok((
            RecipeFile {
                path,
                sha256,
                bytes,
                source_sha256: manifest.source_sha256,
                recipe: manifest.recipe,
                key,
            },
            outcome,
        ))
    }

    /// The entry of `key`, checked: a manifest for these inputs, and a file
    /// of the recorded size and hash.
    fn lookup(&self, key: &str, source_sha256: &str, recipe: &Recipe) -> Lookup {
        let path = self.file_path(key);
        let manifest_path = self.manifest_path(key);
        let file_exists = path.exists();
        if !file_exists && !manifest_path.exists() {
            return Lookup::Missing;
        }
        let m = match Manifest::read(&manifest_path) {
            Ok(m) => m,
            Err(why) => {
                return Lookup::Invalid(format!("manifest {}: {why}", manifest_path.display()));
            }
        };
        let recipe = recipe.to_string();
        if m.key != key
            || m.writer_version != WRITER_VERSION
            || !m.source_sha256.eq_ignore_ascii_case(source_sha256)
            || m.recipe != recipe
        {
            return Lookup::Invalid(format!(
                "manifest {} is for recipe {} of {} (writer {}), not this entry",
                manifest_path.display(),
                m.recipe,
                m.source_sha256,
                m.writer_version
            ));
        }
        if !file_exists {
            return Lookup::Invalid(format!("{} is missing", path.display()));
        }
        // A file of another size is not read through to say so.
        match std::fs::metadata(&path).map(|md| md.len()) {
            Ok(bytes) if bytes != m.bytes => {
                return Lookup::Invalid(format!(
                    "{} no longer matches its hash: {bytes} bytes, made as {} bytes with sha256 {}",
                    path.display(),
                    m.bytes,
                    m.sha256
                ));
            }
            _ => {}
        }
        match hash(&path) {
            Ok((sha256, bytes)) if sha256 == m.sha256 && bytes == m.bytes => {
                Lookup::Valid(RecipeFile {
                    path,
                    sha256,
                    bytes,
                    source_sha256: m.source_sha256,
                    recipe,
                    key: key.to_owned(),
                })
            }
            Ok((sha256, bytes)) => Lookup::Invalid(format!(
                "{} no longer matches its hash: {bytes} bytes with sha256 {sha256}, \
                 made as {} bytes with sha256 {}",
                path.display(),
                m.bytes,
                m.sha256
            )),
            Err(e) => Lookup::Invalid(e.to_string()),
        }
    }

    /// Records a use of `key` as its manifest's modification time (no
    /// bytes are written); best effort.
    fn touch(&self, key: &str) {
        if let Ok(f) = File::options().append(true).open(self.manifest_path(key)) {
            let _ = f.set_modified(SystemTime::now());
        }
    }
}

/// SHA-256 and size of the file at `path`.
fn hash(path: &Path) -> Result<(String, u64), RecipeFileError> {
    File::open(path)
        .and_then(sha256_hex)
        .map_err(RecipeFileError::io("hash", path))
}
