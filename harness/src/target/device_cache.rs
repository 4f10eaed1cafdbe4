//! The content-addressed cache on a device: `<workdir>/<sha256>` for the
//! agent and every recipe file, uploads to `<workdir>/.tmp/` first,
//! verified by hash on the device, then renamed into place. What is
//! already there with the right hash is never sent again.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;

use super::agent_binary::AgentBinary;
use super::{DeployProgress, DeviceFile};
use crate::ssh::exec::{self, CommandError};
use crate::ssh::quote::{command_line, quote};
use crate::ssh::session::SshSession;
use crate::ssh::upload::Uploader;

/// Short commands (mkdir, listing, hashing the agent) get this long.
const SHORT: Duration = Duration::from_secs(60);

/// A device's cache directory, reached over a session.
#[derive(Debug)]
pub struct DeviceCache<'s> {
    session: &'s SshSession,
    workdir: String,
}

/// What a device's cache holds after [`DeviceCache::ensure`].
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Ensured {
    /// Where each file (by SHA-256) is on the device.
    pub paths: HashMap<String, String>,
    /// Bytes sent.
    pub bytes_sent: u64,
    /// Files sent.
    pub uploaded: usize,
    /// Files already there.
    pub present: usize,
}

/// The agent's answer to `store verify`.
#[derive(Debug, Deserialize)]
struct Verified {
    #[serde(default)]
    present: Vec<String>,
    #[serde(default)]
    missing: Vec<String>,
    #[serde(default)]
    corrupt: Vec<String>,
}

/// A failed deployment step.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// A command failed or the link broke.
    #[error(transparent)]
    Command(#[from] CommandError),
    /// An SSH failure outside a command (SFTP).
    #[error(transparent)]
    Ssh(#[from] crate::ssh::error::SshError),
    /// The device answered something unexpected.
    #[error("{0}")]
    Device(String),
}

impl DeployError {
    /// Whether a retry may help.
    pub fn is_transient(&self) -> bool {
        match self {
            DeployError::Command(CommandError::Ssh(e)) | DeployError::Ssh(e) => e.is_transient(),
            _ => false,
        }
    }
}

impl<'s> DeviceCache<'s> {
    /// The cache in `workdir` (relative paths are relative to the SSH
    /// home; a leading `~/` means the same).
    pub fn new(session: &'s SshSession, workdir: &str) -> Self {
        let workdir = workdir.strip_prefix("~/").unwrap_or(workdir);
        DeviceCache {
            session,
            workdir: workdir.trim_end_matches('/').to_owned(),
        }
    }

    /// The path of object `sha256` on the device.
    pub fn object(&self, sha256: &str) -> String {
        format!("{}/{sha256}", self.workdir)
    }

    /// Runs `script` (a fixed shell text whose only variable part is the
    /// quoted workdir, passed as `$1`).
    fn sh(&self, script: &str, args: &[&str]) -> Result<exec::Output, CommandError> {
        let mut words = vec!["sh", "-c", script, "edgebench"];
        words.push(&self.workdir);
        words.extend_from_slice(args);
        let line = command_line(&words).map_err(|e| CommandError::Failed {
            command: script.to_owned(),
            detail: e.to_string(),
        })?;
        exec::run_checked(self.session, &line, SHORT)
    }

    /// Makes sure the agent binary is in the cache and executable; returns
    /// its path on the device and the bytes sent.
    ///
    /// # Errors
    /// [`DeployError`].
    pub fn ensure_agent(
        &self,
        agent: &AgentBinary,
        progress: &dyn DeployProgress,
    ) -> Result<(String, u64), DeployError> {
        let sha = agent.sha256.as_str();
        // The agent is checked with the device's own sha256sum: it cannot
        // vouch for itself.
        let out = self.sh(
            r#"mkdir -p -- "$1" && mkdir -p -m 700 -- "$1/.tmp" && if [ -x "$1/$2" ]; then sha256sum -- "$1/$2"; fi"#,
            &[sha],
        )?;
        let listed = String::from_utf8_lossy(&out.stdout);
        if listed.split_whitespace().next() == Some(sha) {
            return Ok((self.object(sha), 0));
        }
        progress.step(&format!("uploading the agent ({})", human(agent.bytes)));
        let tmp = self.temp_name(sha);
        let sent = Uploader::open(self.session)?
            .put(&agent.path, &tmp, &mut |n| progress.bytes(n, agent.bytes))?;
        let commit = self.sh(
            r#"sum=$(sha256sum -- "$3") && [ "${sum%% *}" = "$2" ] && chmod 755 -- "$3" && mv -f -- "$3" "$1/$2" || { rm -f -- "$3"; echo "the uploaded agent does not hash to $2: ${sum%% *}" >&2; exit 1; }"#,
            &[sha, &tmp],
        );
        commit?;
        Ok((self.object(sha), sent))
    }

    /// Makes sure every file is in the cache, uploading what is missing or
    /// corrupt, each verified by the device's agent (run as `agent`: the
    /// device's command prefix, then the agent's path) before use.
    ///
    /// # Errors
    /// [`DeployError`].
    pub fn ensure(
        &self,
        agent: &[String],
        files: &[DeviceFile],
        progress: &dyn DeployProgress,
    ) -> Result<Ensured, DeployError> {
        let mut ensured = Ensured::default();
        if files.is_empty() {
            return Ok(ensured);
        }
        let agent: Vec<&str> = agent.iter().map(String::as_str).collect();
        let mut words = agent.clone();
        words.extend(["store", "verify", self.workdir.as_str()]);
        words.extend(files.iter().map(|f| f.sha256.as_str()));
        let line = command_line(&words).map_err(|e| DeployError::Device(e.to_string()))?;
        let out = exec::run_checked(self.session, &line, SHORT)?;
        let verified: Verified = parse_line(&out.stdout, "store verify")?;
        let missing: Vec<&String> = verified.missing.iter().chain(&verified.corrupt).collect();
        let mut uploader = None;
        for file in files {
            ensured
                .paths
                .insert(file.sha256.clone(), self.object(&file.sha256));
            if verified.present.contains(&file.sha256) {
                ensured.present += 1;
                continue;
            }
            if !missing.contains(&&file.sha256) {
                return Err(DeployError::Device(format!(
                    "the device's agent did not report on {}",
                    file.sha256
                )));
            }
            if uploader.is_none() {
                uploader = Some(Uploader::open(self.session)?);
            }
            let Some(up) = &uploader else { continue };
            let name = file
                .local
                .file_name()
                .map_or_else(|| file.sha256.clone(), |n| n.to_string_lossy().into_owned());
            progress.step(&format!("uploading {name} ({})", human(file.bytes)));
            let tmp = self.temp_name(&file.sha256);
            ensured.bytes_sent +=
                up.put(&file.local, &tmp, &mut |n| progress.bytes(n, file.bytes))?;
            let mut words = agent.clone();
            words.extend(["store", "commit", &self.workdir, &tmp, &file.sha256]);
            let line = command_line(&words).map_err(|e| DeployError::Device(e.to_string()))?;
            exec::run_checked(self.session, &line, SHORT * 10)?;
            ensured.uploaded += 1;
        }
        Ok(ensured)
    }

    /// A temporary upload name no other controller picks.
    fn temp_name(&self, sha256: &str) -> String {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        format!(
            "{}/.tmp/{sha256}.{}-{nanos}",
            self.workdir,
            std::process::id()
        )
    }

    /// The workdir as a quoted shell word (for messages).
    pub fn quoted_workdir(&self) -> String {
        quote(&self.workdir).unwrap_or_default()
    }

    /// The workdir as given to remote commands.
    pub fn workdir(&self) -> &str {
        &self.workdir
    }
}

/// The last non-empty line of `stdout` as JSON.
///
/// # Errors
/// [`DeployError::Device`] naming the command.
pub fn parse_line<T: serde::de::DeserializeOwned>(
    stdout: &[u8],
    what: &str,
) -> Result<T, DeployError> {
    let text = String::from_utf8_lossy(stdout);
    let line = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    serde_json::from_str(line).map_err(|e| {
        DeployError::Device(format!("unexpected answer to `{what}`: {e}: {line:.200}"))
    })
}

/// Bytes in MiB or KiB, for progress lines.
pub fn human(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MiB", bytes as f64 / f64::from(1 << 20))
    } else {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    }
}
