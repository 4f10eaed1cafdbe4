//! The local device: the agent runs as a child process of the controller
//! (the same binary, `edgebench agent run`), one job on its stdin, one
//! result on its stdout, with a timeout. A crash, an OOM kill, a timeout or
//! malformed output becomes the cell's status; the run goes on.

use std::io::{Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use edgebench_schema::{Job, JobResult, Status};

/// How a cell's agent run ended.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    /// A result (of any status) from the agent, or one describing how the
    /// agent failed.
    Result(Box<JobResult>),
    /// The user interrupted the run; the cell was not finished.
    Interrupted,
}

/// Runs agents as child processes.
#[derive(Debug, Clone)]
pub struct LocalTarget {
    program: PathBuf,
    args: Vec<String>,
    stop: Arc<AtomicBool>,
}

/// Most bytes of the agent's stderr kept for an error message.
const STDERR_TAIL: usize = 2000;
/// Most bytes read from the agent's stdout (a result with every token
/// latency of many reps is well below this).
const STDOUT_LIMIT: u64 = 256 << 20;

impl LocalTarget {
    /// The controller's own executable as the agent, stopping early when
    /// `stop` is set.
    pub fn current_exe(stop: Arc<AtomicBool>) -> anyhow::Result<Self> {
        Ok(LocalTarget {
            program: std::env::current_exe()?,
            args: vec!["agent".into(), "run".into(), "--quiet".into()],
            stop,
        })
    }

    /// Any program that speaks the agent protocol (`program args...`).
    pub fn program(program: PathBuf, args: Vec<String>, stop: Arc<AtomicBool>) -> Self {
        LocalTarget {
            program,
            args,
            stop,
        }
    }

    /// Runs `job`, waiting at most `timeout`.
    pub fn run(&self, job: &Job, timeout: Duration) -> Outcome {
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
        let input = job.to_json();
        let mut stdin = child.stdin.take();
        let writer = std::thread::spawn(move || {
            if let Some(s) = stdin.as_mut() {
                let _ = s.write_all(input.as_bytes());
            }
        });
        let out = child.stdout.take().map(|s| reader(s, STDOUT_LIMIT));
        let err = child.stderr.take().map(|s| reader(s, STDOUT_LIMIT));
        let waited = self.wait(&mut child, timeout);
        let _ = writer.join();
        let stdout = out.and_then(|h| h.join().ok()).unwrap_or_default();
        let stderr = err.and_then(|h| h.join().ok()).unwrap_or_default();
        let tail = tail_of(&stderr);
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
        if let Some(sig) = status.signal() {
            let (st, what) = if sig == 9 {
                (Status::Oom, "killed by SIGKILL (out of memory?)".to_owned())
            } else {
                (Status::Failed, format!("agent crashed with signal {sig}"))
            };
            return fail(st, format!("{what}{tail}"));
        }
        let text = String::from_utf8_lossy(&stdout);
        let Some(line) = text.lines().rev().find(|l| !l.trim().is_empty()) else {
            return fail(
                Status::Failed,
                format!(
                    "the agent wrote no result (exit code {:?}){tail}",
                    status.code()
                ),
            );
        };
        match JobResult::from_json(line) {
            Ok(mut r) => {
                if r.cell_id.is_empty() {
                    r.cell_id = job.cell_id.clone();
                }
                Outcome::Result(Box::new(r))
            }
            Err(e) => fail(Status::Failed, format!("malformed agent output: {e}{tail}")),
        }
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

fn tail_of(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let text = text.trim();
    if text.is_empty() {
        return String::new();
    }
    let start = text.len().saturating_sub(STDERR_TAIL);
    let start = (start..text.len())
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(text.len());
    format!("; agent stderr: {}", &text[start..])
}
