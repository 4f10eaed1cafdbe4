//! A device over SSH: one session per device, reused for all its cells;
//! the agent and recipe files deployed into its cache; each job run by the
//! agent through the device's command prefix, the job on stdin (kept open),
//! the result on stdout. A link that fails mid-cell is `Lost`: the caller
//! reconnects and tries again, or gives the device up.

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use edgebench_schema::{Job, JobResult, Runtime, Status};

use super::agent_binary::{self, AgentBinary, AgentBinaryError, AgentRequest};
use super::device_cache::{DeployError, DeviceCache};
use super::reply::{AgentExit, interpret, stderr_tail};
use super::{
    DeployProgress, Deployment, DeviceFile, DeviceLock, Outcome, Target, TargetError,
    agent_run_args,
};
use crate::matrix::{Device, SshSettings};
use crate::ssh::config::{self, Endpoint};
use crate::ssh::exec::{self, ExecError, Request};
use crate::ssh::link::LinkTimeouts;
use crate::ssh::quote::command_line;
use crate::ssh::session::{ConnectOptions, SshSession};

/// Most bytes kept from an agent's stdout or stderr.
const OUTPUT_LIMIT: usize = 256 << 20;

/// Agent binaries by request, each resolved (built) once per run however
/// many devices need it.
#[derive(Debug, Default)]
pub struct AgentBinaries {
    built: Mutex<HashMap<AgentRequest, Result<AgentBinary, AgentBinaryError>>>,
    features: Vec<String>,
}

impl AgentBinaries {
    /// Agents built with the cargo features that link `runtimes` in.
    pub fn for_runtimes(runtimes: &[Runtime]) -> Self {
        let mut features: Vec<String> = runtimes
            .iter()
            .filter_map(|r| r.cargo_feature())
            .map(str::to_owned)
            .collect();
        features.sort();
        features.dedup();
        AgentBinaries {
            built: Mutex::default(),
            features,
        }
    }

    /// The cargo features every agent is built with.
    pub fn features(&self) -> &[String] {
        &self.features
    }

    /// The agent for `request`, building it on first use.
    ///
    /// # Errors
    /// [`AgentBinaryError`] (remembered: a failed build is not retried
    /// for every device).
    pub fn get(&self, request: &AgentRequest) -> Result<AgentBinary, AgentBinaryError> {
        let mut built = self
            .built
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        built
            .entry(request.clone())
            .or_insert_with(|| agent_binary::resolve(request))
            .clone()
    }
}

/// How the controller treats hosts and keys for this run.
#[derive(Debug, Clone, Copy, Default)]
pub struct TrustPolicy {
    /// Add unknown host keys to known_hosts (`accept-new`).
    pub accept_new_host_keys: bool,
}

/// A device reached over SSH.
pub struct SshTarget {
    device: String,
    settings: SshSettings,
    target: Option<String>,
    prefix: Vec<String>,
    lock: DeviceLock,
    policy: TrustPolicy,
    agents: Arc<AgentBinaries>,
    stop: Arc<AtomicBool>,
    session: Option<SshSession>,
    agent_path: Option<String>,
    agent_how: String,
    agent_local: Option<(String, std::path::PathBuf)>,
}

impl std::fmt::Debug for SshTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SshTarget")
            .field("device", &self.device)
            .finish_non_exhaustive()
    }
}

impl SshTarget {
    /// The target for `device`, which must be an SSH device.
    pub fn new(
        device: &Device,
        settings: &SshSettings,
        policy: TrustPolicy,
        agents: Arc<AgentBinaries>,
        stop: Arc<AtomicBool>,
    ) -> Self {
        SshTarget {
            device: device.name.clone(),
            settings: settings.clone(),
            target: device.target.clone(),
            prefix: device.command_prefix.clone(),
            lock: device.lock.clone(),
            policy,
            agents,
            stop,
            session: None,
            agent_path: None,
            agent_how: String::new(),
            agent_local: None,
        }
    }

    fn error(&self, message: impl std::fmt::Display, transient: bool) -> TargetError {
        TargetError {
            message: format!("device '{}': {message}", self.device),
            transient,
        }
    }

    /// Where the device is, as OpenSSH's configuration resolves it.
    ///
    /// # Errors
    /// [`TargetError`] (not transient) when the configuration is unusable.
    pub fn endpoint(&self) -> Result<Endpoint, TargetError> {
        let request = config::Request {
            host: self.settings.host.clone(),
            port: self.settings.port,
            user: self.settings.user.clone(),
            identity_file: self
                .settings
                .identity_file
                .as_deref()
                .map(crate::matrix::expand_home),
            proxy_jump: self.settings.proxy_jump.clone(),
            config_file: self.settings.ssh_config.clone(),
        };
        config::resolve(&request).map_err(|e| self.error(e, false))
    }

    fn connect_options(&self) -> ConnectOptions {
        let secret = |var: &Option<String>| var.as_ref().and_then(|v| std::env::var(v).ok());
        ConnectOptions {
            device: self.device.clone(),
            link: LinkTimeouts {
                connect: self.settings.connect_timeout,
                user_timeout: self.settings.keepalive * 2,
                keepalive: self.settings.keepalive,
            },
            io_timeout: self.settings.connect_timeout.max(Duration::from_secs(30)),
            keepalive: self.settings.keepalive,
            accept_new_host_keys: self.policy.accept_new_host_keys,
            password: secret(&self.settings.password_env),
            passphrase: secret(&self.settings.passphrase_env),
            ssh_config: self.settings.ssh_config.clone(),
        }
    }

    /// Connects (again) when there is no live session.
    ///
    /// # Errors
    /// [`TargetError`]: transient for network failures.
    pub fn connect(&mut self) -> Result<&SshSession, TargetError> {
        if self.session.is_none() {
            let endpoint = self.endpoint()?;
            let session = SshSession::connect(&endpoint, &self.connect_options())
                .map_err(|e| self.error(&e, e.is_transient()))?;
            self.session = Some(session);
        }
        self.session
            .as_ref()
            .ok_or_else(|| self.error("no session", true))
    }

    /// The device's target triple: the inventory's, else probed with
    /// `uname -m`.
    ///
    /// # Errors
    /// [`TargetError`] when the probe fails or names an unknown machine.
    pub fn triple(&mut self) -> Result<String, TargetError> {
        if let Some(t) = &self.target {
            return Ok(t.clone());
        }
        let session = self.connect()?;
        let out = exec::run_checked(session, "uname -m", Duration::from_secs(30));
        let machine = match out {
            Ok(o) => String::from_utf8_lossy(&o.stdout).trim().to_owned(),
            Err(e) => return Err(self.deploy_error(DeployError::Command(e))),
        };
        let triple = triple_of_machine(&machine).ok_or_else(|| {
            self.error(
                format!(
                    "`uname -m` says `{machine}`, which has no known target triple; \
                     set `target` in the device's inventory entry"
                ),
                false,
            )
        })?;
        self.target = Some(triple.clone());
        Ok(triple)
    }

    fn deploy_error(&mut self, e: DeployError) -> TargetError {
        let transient = e.is_transient();
        if transient {
            self.session = None;
        }
        self.error(e, transient)
    }

    /// The agent binary this device runs.
    ///
    /// # Errors
    /// [`TargetError`] (not transient) when none can be found or built.
    pub fn agent_binary(&mut self) -> Result<AgentBinary, TargetError> {
        let target = self.triple()?;
        let request = AgentRequest {
            target,
            prebuilt: self.settings.agent.clone(),
            linker: self.settings.linker.clone(),
            features: self.agents.features().to_vec(),
        };
        self.agents.get(&request).map_err(|e| self.error(e, false))
    }

    /// Makes sure the agent is on the device; returns its path there and
    /// the bytes sent.
    ///
    /// # Errors
    /// [`TargetError`].
    pub fn ensure_agent(
        &mut self,
        progress: &dyn DeployProgress,
    ) -> Result<(String, u64), TargetError> {
        progress.step("connecting");
        self.connect()?;
        let start = Instant::now();
        let agent = self.agent_binary()?;
        // Building an agent can take minutes, during which the session sat
        // unread: a device with `ClientAliveInterval` may have dropped it.
        if start.elapsed() > Duration::from_secs(5) {
            self.session = None;
        }
        let workdir = self.settings.workdir.clone();
        let result = {
            let session = self.connect()?;
            DeviceCache::new(session, &workdir).ensure_agent(&agent, progress)
        };
        let (path, sent) = result.map_err(|e| self.deploy_error(e))?;
        self.agent_path = Some(path.clone());
        self.agent_local = Some((agent.sha256.clone(), agent.path.clone()));
        self.agent_how = agent.how;
        Ok((path, sent))
    }

    /// The session, when connected.
    pub fn session(&self) -> Option<&SshSession> {
        self.session.as_ref()
    }

    /// The agent's command line for `args`, behind the device's prefix.
    ///
    /// # Errors
    /// When an argument holds a NUL byte.
    pub fn agent_command(&self, agent: &str, args: &[String]) -> Result<String, TargetError> {
        let mut words: Vec<&str> = self.prefix.iter().map(String::as_str).collect();
        words.push(agent);
        words.extend(args.iter().map(String::as_str));
        command_line(&words).map_err(|e| self.error(e, false))
    }

    /// Drops the session (the next call reconnects).
    pub fn disconnect(&mut self) {
        self.session = None;
    }
}

impl Target for SshTarget {
    fn deploy(
        &mut self,
        files: &[DeviceFile],
        progress: &dyn DeployProgress,
    ) -> Result<Deployment, TargetError> {
        let (agent, agent_sent) = self.ensure_agent(progress)?;
        let workdir = self.settings.workdir.clone();
        let mut run_agent = self.prefix.clone();
        run_agent.push(agent);
        let ensured = {
            let session = self.connect()?;
            DeviceCache::new(session, &workdir).ensure(&run_agent, files, progress)
        };
        let ensured = ensured.map_err(|e| self.deploy_error(e))?;
        Ok(Deployment {
            paths: ensured.paths,
            bytes_sent: ensured.bytes_sent + agent_sent,
            uploaded: ensured.uploaded + usize::from(agent_sent > 0),
            present: ensured.present + usize::from(agent_sent == 0),
            agent: self.agent_how.clone(),
            agent_sha256: self
                .agent_local
                .as_ref()
                .map(|(sha, _)| sha.clone())
                .unwrap_or_default(),
            agent_file: self.agent_local.as_ref().map(|(_, p)| p.clone()),
        })
    }

    fn run(&mut self, job: &Job, timeout: Duration) -> Outcome {
        let Some(agent) = self.agent_path.clone() else {
            return Outcome::Lost(format!(
                "device '{}': the agent is not deployed",
                self.device
            ));
        };
        self.run_with_agent(job, &agent, timeout)
    }

    /// Each agent goes into the device's cache like the deployed one
    /// (checked by the device's own `sha256sum`) and is made executable.
    fn deploy_agents(
        &mut self,
        agents: &[DeviceFile],
        progress: &dyn DeployProgress,
    ) -> Result<HashMap<String, String>, TargetError> {
        let workdir = self.settings.workdir.clone();
        let mut out = HashMap::new();
        for a in agents {
            let binary = AgentBinary {
                path: a.local.clone(),
                sha256: a.sha256.clone(),
                bytes: a.bytes,
                target: self.target.clone().unwrap_or_default(),
                how: "stored".to_owned(),
            };
            let result = {
                let session = self.connect()?;
                DeviceCache::new(session, &workdir).ensure_agent(&binary, progress)
            };
            let (path, _) = result.map_err(|e| self.deploy_error(e))?;
            out.insert(a.sha256.clone(), path);
        }
        Ok(out)
    }

    fn run_with_agent(&mut self, job: &Job, agent: &str, timeout: Duration) -> Outcome {
        let fail = |status, msg: String| {
            Outcome::Result(Box::new(JobResult::failure(&job.cell_id, status, msg)))
        };
        let agent = agent.to_owned();
        let command = match self.agent_command(&agent, &agent_run_args(&self.lock)) {
            Ok(c) => c,
            Err(e) => return fail(Status::Failed, e.message),
        };
        let input = format!("{}\n", job.to_json());
        // The agent may first wait for another controller's lock.
        let deadline = Instant::now() + timeout + self.lock.wait;
        let stop = Arc::clone(&self.stop);
        let session = match self.connect() {
            Ok(s) => s,
            Err(e) => return Outcome::Lost(e.message),
        };
        let ran = exec::run(
            session,
            &Request {
                command: &command,
                stdin: input.as_bytes(),
                close_stdin: false,
                deadline,
                stop: Some(&stop),
                limit: OUTPUT_LIMIT,
            },
        );
        match ran {
            Ok(out) => Outcome::Result(Box::new(interpret(
                job,
                &out.stdout,
                &out.stderr,
                &AgentExit {
                    code: out.code,
                    signal: out.signal,
                },
            ))),
            Err(ExecError::Deadline { stderr, .. }) => fail(
                Status::Timeout,
                format!(
                    "no result after {:.0} s (timeout){}",
                    timeout.as_secs_f64(),
                    stderr_tail(&stderr)
                ),
            ),
            Err(ExecError::Stopped) => Outcome::Interrupted,
            Err(ExecError::Ssh(e)) => {
                self.session = None;
                Outcome::Lost(format!("device '{}': {e}", self.device))
            }
        }
    }
}

/// The Rust target triple of a `uname -m` machine name (glibc Linux).
pub fn triple_of_machine(machine: &str) -> Option<String> {
    let triple = match machine {
        "aarch64" | "arm64" => "aarch64-unknown-linux-gnu",
        "x86_64" | "amd64" => "x86_64-unknown-linux-gnu",
        "armv7l" | "armv8l" => "armv7-unknown-linux-gnueabihf",
        "riscv64" => "riscv64gc-unknown-linux-gnu",
        _ => return None,
    };
    Some(triple.to_owned())
}
