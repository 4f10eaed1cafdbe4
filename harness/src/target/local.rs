//! The local device: the agent runs as a child process of the controller
//! (the same binary, `edgebench agent run`), one job on its stdin, one
//! result on its stdout, with a timeout. A crash, an OOM kill, a timeout or
//! malformed output becomes the cell's status; the run goes on.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use edgebench_schema::{Job, JobResult, Status};

use crate::matrix::Device;

use super::reply::{AgentExit, interpret, signal_name, stderr_tail};
use super::{
    DeployProgress, Deployment, DeviceFile, DeviceLock, Outcome, Target, TargetError,
    agent_run_args,
};

/// Runs agents as child processes.
#[derive(Debug, Clone)]
pub struct LocalTarget {
    program: PathBuf,
    args: Vec<String>,
    stop: Arc<AtomicBool>,
    agent: PathBuf,
    /// Whether `agent` is a built agent rather than this controller.
    built: bool,
}

/// Most bytes read from the agent's stdout (a result with every token
/// latency of many reps is well below this).
const STDOUT_LIMIT: u64 = 256 << 20;

impl LocalTarget {
    /// The controller's own executable as the agent, stopping early when
    /// `stop` is set.
    /// The agent holds `lock` while it measures.
    pub fn current_exe(stop: Arc<AtomicBool>, lock: &DeviceLock) -> anyhow::Result<Self> {
        let mut args = vec!["agent".to_owned()];
        args.extend(agent_run_args(lock));
        let program = std::env::current_exe()?;
        Ok(LocalTarget {
            agent: program.clone(),
            program,
            args,
            stop,
            built: false,
        })
    }

    /// The agent for the local `device`: this controller run as the
    /// agent, behind the device's command prefix, holding its lock.
    pub fn for_device(device: &Device, stop: Arc<AtomicBool>) -> anyhow::Result<Self> {
        let mut target = Self::current_exe(stop, &device.lock)?;
        if let Some((program, rest)) = device.command_prefix.split_first() {
            let mut args = rest.to_vec();
            args.push(target.program.display().to_string());
            args.append(&mut target.args);
            target.program = PathBuf::from(program);
            target.args = args;
        }
        Ok(target)
    }

    /// The agent `agent` (a built `edgebench-agent`, e.g. one with a
    /// runtime this controller lacks) for the local `device`, behind the
    /// device's command prefix, holding its lock.
    pub fn with_agent(device: &Device, agent: PathBuf, stop: Arc<AtomicBool>) -> Self {
        let mut args = device.command_prefix.clone();
        let program = if args.is_empty() {
            agent.clone()
        } else {
            args.push(agent.display().to_string());
            PathBuf::from(args.remove(0))
        };
        args.extend(agent_run_args(&device.lock));
        LocalTarget {
            program,
            args,
            stop,
            agent,
            built: true,
        }
    }

    /// Any program that speaks the agent protocol (`program args...`).
    pub fn program(program: PathBuf, args: Vec<String>, stop: Arc<AtomicBool>) -> Self {
        LocalTarget {
            agent: program.clone(),
            program,
            args,
            stop,
            built: false,
        }
    }

    /// Runs `job`, waiting at most `timeout`.
    pub fn run_job(&self, job: &Job, timeout: Duration) -> Outcome {
        let fail = |status, msg: String| {
            Outcome::Result(Box::new(JobResult::failure(&job.cell_id, status, msg)))
        };
        let mut child = match Command::new(&self.program)
            .args(&self.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own process group: Ctrl-C on the terminal reaches the
            // controller, which decides what happens to the cell.
            .process_group(0)
            .spawn()
        {
            Ok(c) => c,
            Err(e) => {
                return fail(
                    Status::Failed,
                    format!("cannot start the agent {}: {e}", self.program.display()),
                );
            }
        };
        let input = format!("{}\n", job.to_json());
        let mut stdin = child.stdin.take();
        // Stdin stays open until the agent exits: its closing would tell
        // the agent that the controller is gone.
        let writer = std::thread::spawn(move || {
            if let Some(s) = stdin.as_mut() {
                let _ = s.write_all(input.as_bytes());
                let _ = s.flush();
            }
            stdin
        });
        let out = child.stdout.take().map(|s| reader(s, STDOUT_LIMIT));
        let err = child.stderr.take().map(|s| reader(s, STDOUT_LIMIT));
        let waited = self.wait(&mut child, timeout);
        drop(writer.join());
        let stdout = out.and_then(|h| h.join().ok()).unwrap_or_default();
        let stderr = err.and_then(|h| h.join().ok()).unwrap_or_default();
        let tail = stderr_tail(&stderr);
        let status = match waited {
            Wait::Exited(s) => s,
            Wait::TimedOut => {
                return fail(
                    Status::Timeout,
                    format!(
                        "no result after {:.0} s (timeout){tail}",
                        timeout.as_secs_f64()
                    ),
                );
            }
            Wait::Interrupted => return Outcome::Interrupted,
            Wait::Error(e) => return fail(Status::Failed, format!("waiting for the agent: {e}")),
        };
        let exit = AgentExit {
            code: status.code(),
            signal: status.signal().map(signal_name),
        };
        Outcome::Result(Box::new(interpret(job, &stdout, &stderr, &exit)))
    }

    fn wait(&self, child: &mut Child, timeout: Duration) -> Wait {
        let start = Instant::now();
        loop {
            match child.try_wait() {
                Ok(Some(s)) => return Wait::Exited(s),
                Ok(None) => {}
                Err(e) => return Wait::Error(e),
            }
            let stop = self.stop.load(Ordering::Relaxed);
            if stop || start.elapsed() >= timeout {
                let _ = child.kill();
                let _ = child.wait();
                return if stop {
                    Wait::Interrupted
                } else {
                    Wait::TimedOut
                };
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Target for LocalTarget {
    /// The files are already here: each is used where the controller's
    /// cache keeps it.
    fn deploy(
        &mut self,
        files: &[DeviceFile],
        _progress: &dyn DeployProgress,
    ) -> Result<Deployment, TargetError> {
        let agent_sha256 = File::open(&self.agent)
            .and_then(edgebench_targets::agent::sha256_hex)
            .map(|(sha, _)| sha)
            .map_err(|e| TargetError {
                message: format!("cannot read the agent {}: {e}", self.agent.display()),
                transient: false,
            })?;
        Ok(Deployment {
            paths: files
                .iter()
                .map(|f| (f.sha256.clone(), f.local.display().to_string()))
                .collect(),
            present: files.len(),
            agent: if self.built {
                format!(
                    "{} (built with the matrix's runtimes)",
                    self.agent.display()
                )
            } else {
                format!("{} (this controller)", self.agent.display())
            },
            agent_sha256,
            agent_file: Some(self.agent.clone()),
            ..Deployment::default()
        })
    }

    fn run(&mut self, job: &Job, timeout: Duration) -> Outcome {
        self.run_job(job, timeout)
    }

    /// Agents of this machine are controller binaries (`<exe> agent run`),
    /// used where the artifact store keeps them.
    fn deploy_agents(
        &mut self,
        agents: &[DeviceFile],
        _progress: &dyn DeployProgress,
    ) -> Result<HashMap<String, String>, TargetError> {
        Ok(agents
            .iter()
            .map(|a| (a.sha256.clone(), a.local.display().to_string()))
            .collect())
    }

    fn run_with_agent(&mut self, job: &Job, agent: &str, timeout: Duration) -> Outcome {
        let mut other = self.clone();
        // The agent replaces this controller wherever the command names it.
        if other.program == self.agent {
            other.program = PathBuf::from(agent);
        }
        let me = self.agent.display().to_string();
        for arg in &mut other.args {
            if *arg == me {
                *arg = agent.to_owned();
            }
        }
        other.run_job(job, timeout)
    }
}

enum Wait {
    Exited(std::process::ExitStatus),
    TimedOut,
    Interrupted,
    Error(std::io::Error),
}

fn reader(stream: impl Read + Send + 'static, limit: u64) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stream.take(limit).read_to_end(&mut buf);
        buf
    })
}
