//! A remote command over a session: its stdin written (and kept open while
//! the command runs, so the device's agent sees the controller leave), its
//! stdout and stderr drained together (one flow-control window serves
//! both), within a deadline, stoppable, and with a link that goes silent
//! for three keepalive intervals declared lost.

use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use ssh2::{BlockDirections, Channel};

use super::error::SshError;
use super::link::Cutter;
use super::session::SshSession;

/// A command to run.
#[derive(Debug)]
pub struct Request<'a> {
    /// The command line (built with [`super::quote`]).
    pub command: &'a str,
    /// Bytes for its stdin.
    pub stdin: &'a [u8],
    /// Close stdin after writing it (`false`: keep it open until the
    /// command ends).
    pub close_stdin: bool,
    /// Give up at this instant.
    pub deadline: Instant,
    /// Give up when this is set (Ctrl-C).
    pub stop: Option<&'a AtomicBool>,
    /// Most bytes kept from stdout and from stderr each.
    pub limit: usize,
}

/// How a command ended.
#[derive(Debug)]
pub struct Output {
    /// Its stdout (at most the request's limit).
    pub stdout: Vec<u8>,
    /// Its stderr (at most the request's limit).
    pub stderr: Vec<u8>,
    /// Exit code, when it exited.
    pub code: Option<i32>,
    /// Signal name, when a signal ended it.
    pub signal: Option<String>,
}

impl Output {
    /// Whether it exited with code 0.
    pub fn success(&self) -> bool {
        self.code == Some(0) && self.signal.is_none()
    }

    /// Its stderr as text, trimmed.
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).trim().to_owned()
    }
}

/// Why a command has no [`Output`].
#[derive(Debug)]
pub enum ExecError {
    /// The deadline passed; what it wrote so far.
    Deadline {
        /// Stdout so far.
        stdout: Vec<u8>,
        /// Stderr so far.
        stderr: Vec<u8>,
    },
    /// The stop flag was set.
    Stopped,
    /// The link failed.
    Ssh(SshError),
}

impl From<SshError> for ExecError {
    fn from(e: SshError) -> Self {
        ExecError::Ssh(e)
    }
}

/// Runs `request` on `session`. The session is back in blocking mode when
/// this returns.
///
/// # Errors
/// [`ExecError`].
pub fn run(session: &SshSession, request: &Request<'_>) -> Result<Output, ExecError> {
    let raw = session.raw();
    raw.set_blocking(true);
    let mut channel = raw
        .channel_session()
        .map_err(|e| session.error("opening a channel", e))?;
    channel
        .exec(request.command)
        .map_err(|e| session.error("starting a remote command", e))?;
    raw.set_blocking(false);
    // Keepalives only while a command runs: in blocking calls libssh2
    // would turn a keepalive interval of silence into a timeout.
    raw.set_keepalive(true, session.keepalive().as_secs().max(1) as u32);
    let mut pump = Pump {
        session,
        channel: &mut channel,
        last_rx: Instant::now(),
        request,
    };
    let result = pump.run();
    if result.is_err() {
        // Closing the channel closes the command's stdin: the agent stops.
        let _ = channel.close();
    }
    raw.set_keepalive(false, 0);
    raw.set_blocking(true);
    result
}

struct Pump<'s, 'r> {
    session: &'s SshSession,
    channel: &'s mut Channel,
    last_rx: Instant,
    request: &'r Request<'r>,
}

impl Pump<'_, '_> {
    fn run(&mut self) -> Result<Output, ExecError> {
        let mut written = 0;
        let mut eof_sent = false;
        let mut stdout = Vec::new();
        let mut stderr = Vec::new();
        let mut buf = vec![0u8; 32 * 1024];
        loop {
            if let Err(e) = self.check() {
                return Err(match e {
                    ExecError::Deadline { .. } => ExecError::Deadline { stdout, stderr },
                    other => other,
                });
            }
            let mut progressed = false;
            if written < self.request.stdin.len() {
                match self.channel.write(&self.request.stdin[written..]) {
                    Ok(n) => {
                        written += n;
                        progressed = n > 0;
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                    Err(e) => return Err(self.lost(format!("writing stdin: {e}"))),
                }
            } else if self.request.close_stdin && !eof_sent {
                match self.channel.send_eof() {
                    Ok(()) => eof_sent = true,
                    Err(e) if e.code() == ssh2::ErrorCode::Session(-37) => {}
                    Err(e) => return Err(self.session.error("closing stdin", e).into()),
                }
            }
            progressed |= self.drain(0, &mut stdout, &mut buf)?;
            progressed |= self.drain(1, &mut stderr, &mut buf)?;
            if self.channel.eof() {
                break;
            }
            if !progressed {
                self.keepalive()?;
                self.wait_socket();
            }
        }
        self.close()?;
        let code = self.channel.exit_status().ok();
        let signal = self
            .channel
            .exit_signal()
            .ok()
            .and_then(|s| s.exit_signal)
            .filter(|s| !s.is_empty());
        Ok(Output {
            stdout,
            stderr,
            code: if signal.is_some() { None } else { code },
            signal,
        })
    }

    /// Reads what stream `id` has now; true when it had anything.
    fn drain(&mut self, id: i32, into: &mut Vec<u8>, buf: &mut [u8]) -> Result<bool, ExecError> {
        let mut any = false;
        loop {
            match self.channel.stream(id).read(buf) {
                Ok(0) => return Ok(any),
                Ok(n) => {
                    any = true;
                    self.last_rx = Instant::now();
                    let room = self.request.limit.saturating_sub(into.len());
                    into.extend_from_slice(&buf[..n.min(room)]);
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(any),
                Err(e) => return Err(self.lost(format!("reading output: {e}"))),
            }
        }
    }

    fn close(&mut self) -> Result<(), ExecError> {
        loop {
            match self
                .channel
                .close()
                .and_then(|()| self.channel.wait_close())
            {
                Ok(()) => return Ok(()),
                Err(e) if e.code() == ssh2::ErrorCode::Session(-37) => {
                    self.check()?;
                    self.wait_socket();
                }
                Err(e) => return Err(self.session.error("closing the channel", e).into()),
            }
        }
    }

    fn check(&self) -> Result<(), ExecError> {
        if self.request.stop.is_some_and(|s| s.load(Ordering::Relaxed)) {
            return Err(ExecError::Stopped);
        }
        if Instant::now() >= self.request.deadline {
            return Err(ExecError::Deadline {
                stdout: Vec::new(),
                stderr: Vec::new(),
            });
        }
        let silent = self.last_rx.elapsed();
        if silent > self.session.keepalive() * 3 {
            return Err(self.lost(format!(
                "nothing heard for {:.0} s (keepalives unanswered)",
                silent.as_secs_f64()
            )));
        }
        Ok(())
    }

    fn keepalive(&self) -> Result<(), ExecError> {
        match self.session.raw().keepalive_send() {
            Ok(_) => Ok(()),
            Err(e) if e.code() == ssh2::ErrorCode::Session(-37) => Ok(()),
            Err(e) => Err(self.lost(format!("sending a keepalive: {e}"))),
        }
    }

    /// Sleeps until the socket is ready in the direction libssh2 waits
    /// for, or 100 ms; incoming bytes (data or keepalive replies) count as
    /// signs of life.
    fn wait_socket(&mut self) {
        let mut events = libc::POLLIN;
        if matches!(
            self.session.raw().block_directions(),
            BlockDirections::Outbound | BlockDirections::Both
        ) {
            events |= libc::POLLOUT;
        }
        let mut fd = libc::pollfd {
            fd: cutter_fd(self.session.cutter()),
            events,
            revents: 0,
        };
        // SAFETY: `fd` is one valid pollfd for the duration of the call.
        let n = unsafe { libc::poll(&mut fd, 1, 100) };
        if n > 0 && fd.revents & libc::POLLIN != 0 {
            self.last_rx = Instant::now();
        }
    }

    fn lost(&self, detail: String) -> ExecError {
        ExecError::Ssh(SshError::Lost {
            addr: self.session.addr().to_owned(),
            detail,
        })
    }
}

fn cutter_fd(c: &Cutter) -> i32 {
    match c {
        Cutter::Tcp(s) => s.as_raw_fd(),
        Cutter::Proxy(s) => s.as_raw_fd(),
    }
}

/// Runs a short command to completion with stdin closed, failing on a
/// non-zero exit with its stderr.
///
/// # Errors
/// [`CommandError`].
pub fn run_checked(
    session: &SshSession,
    command: &str,
    timeout: Duration,
) -> Result<Output, CommandError> {
    let out = run(
        session,
        &Request {
            command,
            stdin: &[],
            close_stdin: true,
            deadline: Instant::now() + timeout,
            stop: None,
            limit: 16 << 20,
        },
    )
    .map_err(|e| match e {
        ExecError::Ssh(s) => CommandError::Ssh(s),
        ExecError::Stopped => CommandError::Failed {
            command: command.to_owned(),
            detail: "stopped".to_owned(),
        },
        ExecError::Deadline { .. } => CommandError::Ssh(SshError::Lost {
            addr: session.addr().to_owned(),
            detail: format!("`{command}` gave no answer in {} s", timeout.as_secs()),
        }),
    })?;
    if !out.success() {
        return Err(CommandError::Failed {
            command: command.to_owned(),
            detail: match (&out.code, &out.signal) {
                (_, Some(sig)) => format!("killed by {sig}: {}", out.stderr_text()),
                (code, None) => format!(
                    "exit code {}: {}",
                    code.map_or("?".to_owned(), |c| c.to_string()),
                    out.stderr_text()
                ),
            },
        });
    }
    Ok(out)
}

/// A short remote command that failed.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The link failed.
    #[error(transparent)]
    Ssh(SshError),
    /// It ran and failed.
    #[error("`{command}` failed on the device: {detail}")]
    Failed {
        /// The command line.
        command: String,
        /// Exit code or signal and its stderr.
        detail: String,
    },
}
