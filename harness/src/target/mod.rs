//! Where agents run: the local machine (a child process) and devices over
//! SSH, behind one trait and one protocol — the job as one JSON line on
//! the agent's stdin (kept open while it runs: its closing means the
//! controller is gone), one result JSON line on its stdout, progress on
//! its stderr.

pub mod agent_binary;
pub mod device_cache;
pub mod local;
pub mod reply;
pub mod ssh;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use edgebench_schema::{Job, JobResult};

/// A file a device's cells need, by content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceFile {
    /// Its SHA-256 (lower-case hex).
    pub sha256: String,
    /// Where it is on this machine.
    pub local: PathBuf,
    /// Its size.
    pub bytes: u64,
}

/// What [`Target::deploy`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Deployment {
    /// Where each file (by SHA-256) is on the device.
    pub paths: HashMap<String, String>,
    /// Bytes sent to the device.
    pub bytes_sent: u64,
    /// Files sent (the agent included).
    pub uploaded: usize,
    /// Files already there with the right hash.
    pub present: usize,
    /// Which agent binary runs the cells, and how it was obtained.
    pub agent: String,
    /// The SHA-256 of that agent binary.
    pub agent_sha256: String,
    /// Where that agent binary is on this machine.
    pub agent_file: Option<PathBuf>,
}

/// How one job ended.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    /// A result (of any status) from the agent, or one describing how the
    /// agent failed.
    Result(Box<JobResult>),
    /// The user interrupted the run; the cell was not finished.
    Interrupted,
    /// The link to the device failed before a result arrived; the cell may
    /// be tried again once the device is back.
    Lost(String),
}

/// A device that could not be prepared.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TargetError {
    /// What went wrong, naming the device.
    pub message: String,
    /// Whether trying again later may help (a network failure may; an
    /// untrusted host key or a missing agent build will not).
    pub transient: bool,
}

/// Reports what a deployment is doing.
pub trait DeployProgress: Sync {
    /// A step, e.g. "connecting" or "uploading q4_0.gguf".
    fn step(&self, text: &str);
    /// Bytes of the current upload sent so far, of `total`.
    fn bytes(&self, sent: u64, total: u64);
}

/// Reports nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quiet;

impl DeployProgress for Quiet {
    fn step(&self, _: &str) {}
    fn bytes(&self, _: u64, _: u64) {}
}

/// The lock an agent holds on its device while it measures, so that two
/// controllers never benchmark one board at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceLock {
    /// The lock file on the device.
    pub path: String,
    /// How long an agent waits for it before reporting `busy`.
    pub wait: Duration,
}

impl DeviceLock {
    /// The lock file every agent on a device uses unless told otherwise.
    pub const DEFAULT_PATH: &str = "/tmp/edgebench-device.lock";
    /// How long an agent waits for the lock unless told otherwise.
    pub const DEFAULT_WAIT: Duration = Duration::from_secs(600);
}

impl Default for DeviceLock {
    fn default() -> Self {
        DeviceLock {
            path: Self::DEFAULT_PATH.to_owned(),
            wait: Self::DEFAULT_WAIT,
        }
    }
}

/// The agent's arguments for one job under the controller: quiet, stopping
/// when its stdin closes, holding `lock`.
pub fn agent_run_args(lock: &DeviceLock) -> Vec<String> {
    vec![
        "run".to_owned(),
        "--quiet".to_owned(),
        "--stop-on-eof".to_owned(),
        "--lock".to_owned(),
        lock.path.clone(),
        "--lock-wait".to_owned(),
        lock.wait.as_secs().to_string(),
    ]
}

/// A device the controller runs agents on.
pub trait Target: Send {
    /// Makes the agent and `files` available on the device (connecting
    /// first when needed) and says where each file is.
    ///
    /// # Errors
    /// [`TargetError`] when the device cannot be reached or prepared.
    fn deploy(
        &mut self,
        files: &[DeviceFile],
        progress: &dyn DeployProgress,
    ) -> Result<Deployment, TargetError>;

    /// Runs `job` (whose model path is one [`deploy`](Self::deploy)
    /// returned), waiting at most `timeout` for its result.
    fn run(&mut self, job: &Job, timeout: Duration) -> Outcome;

    /// Makes other agent binaries available beside the deployed one (to
    /// measure a stored run's agent again) and says where each is, by
    /// SHA-256.
    ///
    /// # Errors
    /// [`TargetError`] when the device cannot be reached or prepared.
    fn deploy_agents(
        &mut self,
        agents: &[DeviceFile],
        progress: &dyn DeployProgress,
    ) -> Result<HashMap<String, String>, TargetError>;

    /// Runs `job` with the agent at `agent` (a path
    /// [`deploy_agents`](Self::deploy_agents) returned).
    fn run_with_agent(&mut self, job: &Job, agent: &str, timeout: Duration) -> Outcome;
}
