//! The artifact store: every agent binary and recipe file a run measured,
//! kept by SHA-256 in `<runs>/artifacts/<sha256>` (a hard link where the
//! file system allows, else a copy), so a later run can measure a stored
//! run's exact bytes again. Retention removes what no run used for a while,
//! except what the caller protects (e.g. the artifacts of tagged runs).

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use thiserror::Error;

/// A file that could not be kept or read.
#[derive(Debug, Error)]
#[error("artifact store {dir}: cannot {action} {path}: {source}")]
pub struct ArtifactError {
    /// The store's directory.
    pub dir: PathBuf,
    /// What was being done.
    pub action: &'static str,
    /// The file.
    pub path: PathBuf,
    /// Why.
    pub source: io::Error,
}

/// One kept file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// Its SHA-256.
    pub sha256: String,
    /// Its size.
    pub bytes: u64,
    /// When a run last kept or used it.
    pub last_used: SystemTime,
}

/// What [`ArtifactStore::prune`] removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Removed (or, on a dry run, to be removed).
    pub removed: Vec<Artifact>,
    /// Bytes of what stays.
    pub kept_bytes: u64,
}

/// `<runs>/artifacts`.
#[derive(Debug, Clone)]
pub struct ArtifactStore {
    dir: PathBuf,
}

impl ArtifactStore {
    /// The store of the runs in `runs_dir`.
    pub fn in_runs_dir(runs_dir: &Path) -> Self {
        ArtifactStore {
            dir: runs_dir.join("artifacts"),
        }
    }

    /// Its directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn err(&self, action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> ArtifactError {
        let (dir, path) = (self.dir.clone(), path.to_path_buf());
        move |source| ArtifactError {
            dir,
            action,
            path,
            source,
        }
    }

    /// Keeps `path`, whose SHA-256 the caller computed, and marks it used
    /// now. A file already kept under that hash (and of the same size)
    /// is not written again.
    ///
    /// # Errors
    /// [`ArtifactError`] when the file cannot be linked or copied.
    pub fn keep(&self, path: &Path, sha256: &str) -> Result<PathBuf, ArtifactError> {
        if !is_sha256(sha256) {
            return Err(self.err("keep", path)(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("`{sha256}` is not a SHA-256"),
            )));
        }
        let target = self.dir.join(sha256);
        let size = fs::metadata(path).map_err(self.err("read", path))?.len();
        if fs::metadata(&target).is_ok_and(|m| m.len() == size) {
            touch(&target);
            return Ok(target);
        }
        fs::create_dir_all(&self.dir).map_err(self.err("create", &self.dir))?;
        let tmp = self
            .dir
            .join(format!(".{sha256}.{}.tmp", std::process::id()));
        let _ = fs::remove_file(&tmp);
        if fs::hard_link(path, &tmp).is_err() {
            fs::copy(path, &tmp).map_err(self.err("copy", path))?;
        }
        fs::rename(&tmp, &target).map_err(self.err("rename", &tmp))?;
        touch(&target);
        Ok(target)
    }

    /// The kept file of `sha256`, if any.
    pub fn get(&self, sha256: &str) -> Option<PathBuf> {
        let path = self.dir.join(sha256);
        (is_sha256(sha256) && path.is_file()).then_some(path)
    }

    /// Every kept file.
    ///
    /// # Errors
    /// [`ArtifactError`] when the directory cannot be read.
    pub fn list(&self) -> Result<Vec<Artifact>, ArtifactError> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(self.err("read", &self.dir)(e)),
        };
        let mut out = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !is_sha256(&name) {
                continue;
            }
            let Ok(meta) = entry.metadata() else { continue };
            out.push(Artifact {
                sha256: name,
                bytes: meta.len(),
                last_used: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
            });
        }
        out.sort_by(|a, b| a.sha256.cmp(&b.sha256));
        Ok(out)
    }

    /// Removes what was last used more than `keep` ago, except `protect`.
    ///
    /// # Errors
    /// [`ArtifactError`] when a file cannot be removed.
    pub fn prune(
        &self,
        keep: Duration,
        protect: &HashSet<String>,
        dry_run: bool,
    ) -> Result<Pruned, ArtifactError> {
        let now = SystemTime::now();
        let mut pruned = Pruned::default();
        for a in self.list()? {
            let age = now.duration_since(a.last_used).unwrap_or_default();
            if age <= keep || protect.contains(&a.sha256) {
                pruned.kept_bytes += a.bytes;
                continue;
            }
            if !dry_run {
                let path = self.dir.join(&a.sha256);
                fs::remove_file(&path).map_err(self.err("remove", &path))?;
            }
            pruned.removed.push(a);
        }
        Ok(pruned)
    }
}

fn touch(path: &Path) {
    if let Ok(f) = fs::File::options().append(true).open(path) {
        let _ = f.set_modified(SystemTime::now());
    }
}

fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matrix::sha256_file;

    #[test]
    fn keep_get_list_and_prune() {
        let dir = tempfile::tempdir().unwrap();
        let store = ArtifactStore::in_runs_dir(dir.path());
        assert!(store.list().unwrap().is_empty());
        let file = dir.path().join("agent");
        fs::write(&file, b"agent bytes").unwrap();
        let sha = sha256_file(&file).unwrap();
        let kept = store.keep(&file, &sha).unwrap();
        assert_eq!(fs::read(&kept).unwrap(), b"agent bytes");
        assert_eq!(store.get(&sha), Some(kept.clone()));
        // The original may go: the kept file stays.
        fs::remove_file(&file).unwrap();
        assert_eq!(fs::read(&kept).unwrap(), b"agent bytes");
        assert_eq!(store.list().unwrap().len(), 1);
        assert!(store.get("../etc/passwd").is_none());
        assert!(store.keep(&kept, "not-a-hash").is_err());

        let old = SystemTime::now() - Duration::from_secs(10 * 86_400);
        fs::File::options()
            .append(true)
            .open(&kept)
            .unwrap()
            .set_modified(old)
            .unwrap();
        let week = Duration::from_secs(7 * 86_400);
        let protect: HashSet<String> = [sha.clone()].into();
        assert!(
            store
                .prune(week, &protect, false)
                .unwrap()
                .removed
                .is_empty()
        );
        let dry = store.prune(week, &HashSet::new(), true).unwrap();
        assert_eq!(dry.removed.len(), 1);
        assert!(kept.exists(), "a dry run removes nothing");
        store.prune(week, &HashSet::new(), false).unwrap();
        assert!(!kept.exists());
    }
}
