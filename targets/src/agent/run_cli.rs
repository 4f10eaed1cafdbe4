//! `edgebench-agent run`: its options, and the process around one job:
//! the job line read from stdin, stdin watched for the controller leaving,
//! the device lock taken, the result printed.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use super::AgentError;
use super::cli::{print_line, unexpected};
use super::controller_watch::ControllerWatch;
use super::device_lock::DeviceLock;
use super::job_input::{JOB_LINE_LIMIT, read_job_line};
use crate::agent;
use edgebench_schema::{JobResult, Status};

/// Exit code of `run --stop-on-eof` when stdin closes before the result.
const EXIT_CONTROLLER_GONE: u8 = 3;
/// `--lock-wait` when not given.
const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(600);

/// What `run` is asked to do besides the job.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct RunOptions {
    /// No progress on stderr.
    pub quiet: bool,
    /// Exit with [`EXIT_CONTROLLER_GONE`] when stdin closes early.
    pub stop_on_eof: bool,
    /// The device lock to take before touching the model.
    pub lock: Option<PathBuf>,
    /// How long to wait for it.
    pub lock_wait: Duration,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            quiet: false,
            stop_on_eof: false,
            lock: None,
            lock_wait: DEFAULT_LOCK_WAIT,
        }
    }
}

/// Parses the arguments of `run` (any before it included).
pub(super) fn parse(args: &[&str]) -> Result<RunOptions, String> {
    let mut options = RunOptions::default();
    let mut lock_wait = None;
    let mut it = args.iter();
    while let Some(&arg) = it.next() {
        let mut value = || it.next().copied().ok_or(format!("{arg} needs a value"));
        match arg {
            "-q" | "--quiet" => options.quiet = true,
            "--stop-on-eof" => options.stop_on_eof = true,
            "--lock" => options.lock = Some(PathBuf::from(value()?)),
            "--lock-wait" => {
                let v = value()?;
                let seconds = v
                    .parse::<f64>()
                    .ok()
                    .and_then(|s| Duration::try_from_secs_f64(s).ok())
                    .ok_or(format!(
                        "--lock-wait takes seconds (a number, 0 or more), not '{v}'"
                    ))?;
                lock_wait = Some(seconds);
            }
            other => return Err(unexpected("run", other)),
        }
    }
    match (lock_wait, &options.lock) {
        (Some(_), None) => Err("--lock-wait goes with --lock PATH".to_owned()),
        (Some(wait), Some(_)) => Ok(RunOptions {
            lock_wait: wait,
            ..options
        }),
        (None, _) => Ok(options),
    }
}

/// What a panic says, for the failure result.
fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Stops the process: the controller closed stdin before the result.
fn controller_gone() {
    eprintln!("edgebench-agent: the controller closed stdin; stopping");
    std::process::exit(i32::from(EXIT_CONTROLLER_GONE));
}

/// Reads the job line, takes the lock, runs the job and prints its result:
/// exit code 0 when it is ok, 1 otherwise.
pub(super) fn run(options: &RunOptions) -> ExitCode {
    let started = std::time::Instant::now();
    let quiet = options.quiet;
    let mut progress = |line: &str| {
        if !quiet {
            eprintln!("edgebench-agent: {line}");
        }
    };
    let stdin = std::io::stdin();
    let job = read_job_line(&mut stdin.lock(), JOB_LINE_LIMIT);
    let watch = if options.stop_on_eof {
        ControllerWatch::start(stdin, controller_gone)
            .inspect_err(|e| {
                eprintln!("edgebench-agent: cannot watch stdin, --stop-on-eof is off: {e}");
            })
            .ok()
    } else {
        None
    };
    let mut held: Option<DeviceLock> = None;
    let mut result = match job {
        Err(e) => agent::refuse("", &AgentError::from(e)),
        Ok(text) => {
            let locked = match &options.lock {
                None => Ok(None),
                Some(path) => DeviceLock::acquire(path, options.lock_wait, &mut progress).map(Some),
            };
            match locked {
                Err(e) => agent::refuse(&text, &AgentError::from(e)),
                Ok(lock) => {
                    held = lock;
                    catch_unwind(AssertUnwindSafe(|| agent::run(&text, &mut progress)))
                        .unwrap_or_else(|panic| {
                            let what = panic_text(panic.as_ref());
                            JobResult::failure(
                                "",
                                Status::Failed,
                                format!("internal error: {what}"),
                            )
                        })
                }
            }
        }
    };
    if let Some(w) = &watch {
        w.finish();
    }
    result.set_agent_seconds(started.elapsed().as_secs_f64());
    print_line(&result.to_json());
    // The device is free once the result is out.
    drop(held);
    if result.status == Status::Ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<RunOptions, String> {
        parse(args)
    }

    fn with(f: impl FnOnce(&mut RunOptions)) -> Result<RunOptions, String> {
        let mut o = RunOptions::default();
        f(&mut o);
        Ok(o)
    }

    #[test]
    fn run_options() {
        assert_eq!(p(&[]), with(|o| assert_eq!(o.lock_wait.as_secs(), 600)));
        assert_eq!(
            p(&["--stop-on-eof", "--quiet"]),
            with(|o| (o.stop_on_eof, o.quiet) = (true, true))
        );
        assert_eq!(
            p(&["--lock", "/tmp/l"]),
            with(|o| o.lock = Some("/tmp/l".into()))
        );
        assert_eq!(
            p(&["--lock-wait", "1.5", "--lock", "/tmp/l"]),
            with(|o| {
                o.lock = Some("/tmp/l".into());
                o.lock_wait = Duration::from_millis(1500);
            })
        );
        assert!(p(&["--lock"]).unwrap_err().contains("needs a value"));
        assert!(
            p(&["--lock-wait", "5"])
                .unwrap_err()
                .contains("goes with --lock")
        );
        for bad in ["-1", "soon", "NaN", "inf"] {
            let e = p(&["--lock", "/l", "--lock-wait", bad]).unwrap_err();
            assert!(e.contains(&format!("not '{bad}'")), "{e}");
        }
        assert!(p(&["store"]).unwrap_err().contains("one command"));
    }
}
