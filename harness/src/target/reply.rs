//! What an agent's exit means: its result line, or a result saying how it
//! failed (crashed, killed for memory, wrote nothing or garbage) with the
//! tail of its stderr. Shared by every target, so a crash reads the same
//! on the local machine and on a Pi.

use edgebench_schema::{Job, JobResult, Status};

/// Most bytes of the agent's stderr kept for an error message.
const STDERR_TAIL: usize = 2000;

/// How the agent process ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentExit {
    /// Its exit code, when it exited.
    pub code: Option<i32>,
    /// The signal that ended it, by name without `SIG` (`KILL`, `SEGV`).
    pub signal: Option<String>,
}

/// The signal name of a number, as SSH reports signals.
pub fn signal_name(sig: i32) -> String {
    match sig {
        1 => "HUP",
        2 => "INT",
        4 => "ILL",
        6 => "ABRT",
        7 => "BUS",
        8 => "FPE",
        9 => "KILL",
        11 => "SEGV",
        13 => "PIPE",
        15 => "TERM",
        _ => return sig.to_string(),
    }
    .to_owned()
}

/// The cell's result from the agent's `stdout`, `stderr` and exit.
pub fn interpret(job: &Job, stdout: &[u8], stderr: &[u8], exit: &AgentExit) -> JobResult {
    let tail = stderr_tail(stderr);
    let fail = |status, msg: String| JobResult::failure(&job.cell_id, status, msg);
    if let Some(sig) = &exit.signal {
        return if sig == "KILL" {
            fail(
                Status::Oom,
                format!("killed by SIGKILL (out of memory?){tail}"),
            )
        } else {
            fail(
                Status::Failed,
                format!("agent crashed with signal SIG{sig}{tail}"),
            )
        };
    }
    let text = String::from_utf8_lossy(stdout);
    let Some(line) = text.lines().rev().find(|l| !l.trim().is_empty()) else {
        let code = exit.code.map_or("none".to_owned(), |c| c.to_string());
        return fail(
            Status::Failed,
            format!("the agent wrote no result (exit code {code}){tail}"),
        );
    };
    match JobResult::from_json(line) {
        Ok(mut r) => {
            if r.cell_id.is_empty() {
                r.cell_id = job.cell_id.clone();
            }
            r
        }
        Err(e) => fail(Status::Failed, format!("malformed agent output: {e}{tail}")),
    }
}

/// `; agent stderr: …` with the last part of `stderr`, or nothing.
pub fn stderr_tail(stderr: &[u8]) -> String {
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
