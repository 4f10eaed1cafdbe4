//! `env.json`: what a run was made with and where: controller version and
//! git revision, host facts, start and end times, command line, status.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::StoreError;

/// Version of the controller that wrote a run.
pub const CONTROLLER_VERSION: &str = env!("CARGO_PKG_VERSION");
/// Git revision the controller was built from (`unknown` outside a checkout).
pub const GIT_REVISION: &str = env!("EDGEBENCH_GIT_REVISION");

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Cells are being measured (or the controller died while they were).
    Running,
    /// Every cell has a result.
    Finished,
    /// Stopped on request (Ctrl-C) before every cell had a result.
    Interrupted,
    /// Stopped by an error of the controller.
    Failed,
}

impl RunStatus {
    /// The lower-case name used in `env.json` and the database.
    pub fn name(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Finished => "finished",
            RunStatus::Interrupted => "interrupted",
            RunStatus::Failed => "failed",
        }
    }

    /// The status named `name`, if any.
    pub fn from_name(name: &str) -> Option<RunStatus> {
        [
            RunStatus::Running,
            RunStatus::Finished,
            RunStatus::Interrupted,
            RunStatus::Failed,
        ]
        .into_iter()
        .find(|s| s.name() == name)
    }
}

/// The contents of `env.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnvInfo {
    /// The run.
    pub run_id: String,
    /// The matrix's name.
    pub matrix_name: String,
    /// [`CONTROLLER_VERSION`] of the controller that started the run.
    pub controller_version: String,
    /// [`GIT_REVISION`] of that controller.
    pub git_revision: String,
    /// Facts about the controller's host (see [`host_facts`]), plus whatever
    /// the caller adds.
    pub host: serde_json::Value,
    /// Command line that started the run.
    pub command_line: Vec<String>,
    /// Start, RFC 3339 UTC.
    pub started: String,
    /// Every resumption: time and command line.
    #[serde(default)]
    pub resumed: Vec<Resumption>,
    /// End of the last session, RFC 3339 UTC.
    pub finished: Option<String>,
    /// Where the run stands.
    pub status: RunStatus,
}

/// One `--resume` of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resumption {
    /// When, RFC 3339 UTC.
    pub at: String,
    /// The command line of the resuming controller.
    pub command_line: Vec<String>,
    /// Its git revision.
    pub git_revision: String,
}

impl EnvInfo {
    /// Reads `path`.
    ///
    /// # Errors
    /// [`StoreError::Io`] or [`StoreError::BadEnv`] naming the file.
    pub fn read(path: &Path) -> Result<EnvInfo, StoreError> {
        let text = std::fs::read_to_string(path).map_err(|e| StoreError::io("read", path, e))?;
        serde_json::from_str(&text).map_err(|source| StoreError::BadEnv {
            path: path.to_owned(),
            source,
        })
    }

    /// Writes `path` whole: to a temporary file first, synced, then renamed
    /// over, so a crash leaves the old or the new file, never half of one.
    ///
    /// # Errors
    /// [`StoreError::Io`] naming the file.
    pub fn write(&self, path: &Path) -> Result<(), StoreError> {
        let text = serde_json::to_string_pretty(self).unwrap_or_default() + "\n";
        write_atomically(path, text.as_bytes())
    }
}

/// Writes `bytes` to `path` through a synced temporary file and a rename.
///
/// # Errors
/// [`StoreError::Io`] naming the file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    use std::io::Write;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    let mut f = std::fs::File::create(&tmp).map_err(|e| StoreError::io("create", &tmp, e))?;
    let written = f
        .write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| StoreError::io("write", &tmp, e))
        .and_then(|()| std::fs::rename(&tmp, path).map_err(|e| StoreError::io("replace", path, e)));
    if written.is_err() {
        // Leave nothing half-written behind.
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// What the controller can tell about its own host without probing
/// hardware: host name, OS, architecture, kernel release, logical CPUs.
pub fn host_facts() -> serde_json::Value {
    let read = |p: &str| {
        std::fs::read_to_string(p)
            .ok()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    };
    serde_json::json!({
        "hostname": read("/proc/sys/kernel/hostname").or_else(|| read("/etc/hostname")),
        "os": std::env::consts::OS,
        "arch": std::env::consts::ARCH,
        "kernel": read("/proc/sys/kernel/osrelease"),
        "logical_cpus": std::thread::available_parallelism().map(|n| n.get()).ok(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_names_round_trip() {
        for s in [
            RunStatus::Running,
            RunStatus::Finished,
            RunStatus::Interrupted,
            RunStatus::Failed,
        ] {
            assert_eq!(RunStatus::from_name(s.name()), Some(s));
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.name()));
        }
        assert_eq!(RunStatus::from_name("done"), None);
    }

    #[test]
    fn host_facts_name_the_platform() {
        let h = host_facts();
        assert_eq!(h["os"], std::env::consts::OS);
        assert_eq!(h["arch"], std::env::consts::ARCH);
        assert!(!GIT_REVISION.is_empty());
    }
}
