//! Running a command with a time limit, for `ssh` to a device that may
//! hang.

use std::io::Read;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::procs;

/// How a command run by [`run_bounded`] ended.
pub struct Finished {
    /// Its exit status (after SIGKILL if it timed out).
    pub status: ExitStatus,
    /// Its standard output.
    pub stdout: String,
    /// Its standard error.
    pub stderr: String,
    /// Whether it was killed for running past the limit.
    pub timed_out: bool,
}

impl Finished {
    /// Exited with status 0 within the limit.
    pub fn success(&self) -> bool {
        !self.timed_out && self.status.success()
    }

    /// Status and both streams, for assertion messages.
    pub fn text(&self) -> String {
        format!(
            "{}{}\nstdout:\n{}\nstderr:\n{}",
            self.status,
            if self.timed_out { " (timed out)" } else { "" },
            self.stdout,
            self.stderr
        )
    }
}

/// Runs `cmd` with no input, collecting its output; past `limit` it and
/// every process it started are killed.
pub fn run_bounded(cmd: &mut Command, limit: Duration) -> Finished {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
    let stdout = read_in_background(child.stdout.take().expect("piped stdout"));
    let stderr = read_in_background(child.stderr.take().expect("piped stderr"));
    let deadline = Instant::now() + limit;
    let (status, timed_out) = loop {
        if let Some(status) = child.try_wait().expect("poll a child") {
            break (status, false);
        }
        if Instant::now() >= deadline {
            procs::kill_tree(child.id());
            let _ = child.kill();
            break (child.wait().expect("wait for a killed child"), true);
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let text = |h: std::thread::JoinHandle<Vec<u8>>| {
        String::from_utf8_lossy(&h.join().expect("pipe reader")).into_owned()
    };
    Finished {
        status,
        stdout: text(stdout),
        stderr: text(stderr),
        timed_out,
    }
}

fn read_in_background(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        buf
    })
}
