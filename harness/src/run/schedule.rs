//! Devices in parallel, cells one at a time on each: a thread per device
//! deploys what its cells need, runs them in order and reports every event
//! to the controller's thread, which stores results as they arrive. A link
//! that fails is retried with backoff (reconnect, redeploy: nothing is sent
//! twice); a device that stays down has its remaining cells recorded
//! `unreachable` with the reason, and the other devices go on.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Sender};
use std::time::{Duration, Instant};

use edgebench_schema::job::ModelRef;
use edgebench_schema::{JobResult, Status};

use crate::plan::Cell;
use crate::recipe_files::RecipeFile;
use crate::target::{DeployProgress, Deployment, DeviceFile, Outcome, Target, TargetError};

/// Retries of a device whose link fails.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts in all (the first included) before the device is given up.
    pub attempts: u32,
    /// Wait before the second attempt; doubled for each further one.
    pub first_backoff: Duration,
    /// Longest wait between attempts.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 3,
            first_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    fn backoff(&self, failed_attempts: u32) -> Duration {
        let factor = 1u32 << failed_attempts.saturating_sub(1).min(16);
        (self.first_backoff * factor).min(self.max_backoff)
    }
}

/// A cell ready to run: its recipe file is made and fits the device.
#[derive(Debug, Clone)]
pub struct Work {
    /// The cell.
    pub cell: Cell,
    /// Its recipe file on this machine.
    pub file: RecipeFile,
}

/// One device's share of the run.
pub struct DeviceWork {
    /// The device's name.
    pub device: String,
    /// How to reach it.
    pub target: Box<dyn Target>,
    /// Its cells, in order.
    pub cells: Vec<Work>,
}

/// What a device thread reports.
#[derive(Debug)]
pub enum Event {
    /// A deployment step on `device`.
    Step {
        /// The device.
        device: String,
        /// What it is doing.
        text: String,
    },
    /// Upload progress on `device`.
    Bytes {
        /// The device.
        device: String,
        /// Sent so far.
        sent: u64,
        /// Of this many.
        total: u64,
    },
    /// `device` holds everything its cells need.
    Deployed {
        /// The device.
        device: String,
        /// What was sent.
        deployment: Deployment,
    },
    /// A cell starts on its device.
    Started {
        /// The cell.
        cell_id: String,
    },
    /// A cell's result.
    Finished {
        /// The result, its timing filled in.
        result: Box<JobResult>,
    },
    /// A device was given up.
    Down {
        /// The device.
        device: String,
        /// Why.
        reason: String,
    },
}

struct Reporter {
    device: String,
    tx: Sender<Event>,
}

impl DeployProgress for Reporter {
    fn step(&self, text: &str) {
        let _ = self.tx.send(Event::Step {
            device: self.device.clone(),
            text: text.to_owned(),
        });
    }

    fn bytes(&self, sent: u64, total: u64) {
        let _ = self.tx.send(Event::Bytes {
            device: self.device.clone(),
            sent,
            total,
        });
    }
}

// `Sender` is `Sync` since Rust 1.72.
const _: fn() = || {
    fn sync<T: Sync>() {}
    sync::<Reporter>();
};

/// Runs every device's cells, one thread per device, calling `on_event` on
/// this thread for each event as it arrives. Returns when every device is
/// done, given up, or stopped.
pub fn run_devices(
    work: Vec<DeviceWork>,
    retry: RetryPolicy,
    stop: &Arc<AtomicBool>,
    mut on_event: impl FnMut(Event),
) {
    let (tx, rx) = mpsc::channel();
    std::thread::scope(|scope| {
        for device in work {
            let tx = tx.clone();
            let stop = Arc::clone(stop);
            scope.spawn(move || {
                let name = device.device.clone();
                DeviceRun {
                    reporter: Reporter { device: name, tx },
                    retry,
                    stop,
                }
                .run(device)
            });
        }
        drop(tx);
        for event in rx {
            on_event(event);
        }
    });
}

struct DeviceRun {
    reporter: Reporter,
    retry: RetryPolicy,
    stop: Arc<AtomicBool>,
}

impl DeviceRun {
    fn send(&self, event: Event) {
        let _ = self.reporter.tx.send(event);
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Sleeps `d`, waking early when stopped; false when stopped.
    fn sleep(&self, d: Duration) -> bool {
        let end = Instant::now() + d;
        while Instant::now() < end {
            if self.stopped() {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50).min(end - Instant::now()));
        }
        !self.stopped()
    }

    fn run(self, mut work: DeviceWork) {
        let files = unique_files(&work.cells);
        let mut deployment = match self.deploy(work.target.as_mut(), &files) {
            Ok(d) => d,
            Err(reason) => return self.give_up(&work.cells, &reason),
        };
        let mut cells = work.cells.iter();
        while let Some(w) = cells.next() {
            if self.stopped() {
                return;
            }
            self.send(Event::Started {
                cell_id: w.cell.id.clone(),
            });
            let mut failures = 0;
            loop {
                let Some(path) = deployment.paths.get(&w.file.sha256) else {
                    let result = JobResult::failure(
                        &w.cell.id,
                        Status::Failed,
                        format!("the recipe file {} was not deployed", w.file.sha256),
                    );
                    self.send(Event::Finished {
                        result: Box::new(result),
                    });
                    break;
                };
                let job = w.cell.job(ModelRef {
                    path: path.clone(),
                    sha256: w.file.sha256.clone(),
                    source_sha256: Some(w.file.source_sha256.clone()),
                });
                let start = Instant::now();
                match work
                    .target
                    .run(&job, Duration::from_secs_f64(w.cell.timeout_seconds))
                {
                    Outcome::Result(mut r) => {
                        r.set_controller_seconds(start.elapsed().as_secs_f64());
                        if !deployment.agent_sha256.is_empty() {
                            r.agent.binary_sha256 = Some(deployment.agent_sha256.clone());
                        }
                        self.send(Event::Finished { result: r });
                        break;
                    }
                    Outcome::Interrupted => return,
                    Outcome::Lost(reason) => {
                        failures += 1;
                        let redeployed =
                            self.recover(work.target.as_mut(), &files, failures, &reason);
                        match redeployed {
                            Ok(d) => deployment = d,
                            Err(reason) => {
                                let rest: Vec<Work> =
                                    std::iter::once(w.clone()).chain(cells.cloned()).collect();
                                return self.give_up(&rest, &reason);
                            }
                        }
                    }
                }
            }
        }
    }

    /// Deploys with retries; the reason the device is given up otherwise.
    fn deploy(&self, target: &mut dyn Target, files: &[DeviceFile]) -> Result<Deployment, String> {
        let mut failures = 0;
        loop {
            match target.deploy(files, &self.reporter) {
                Ok(d) => {
                    self.send(Event::Deployed {
                        device: self.reporter.device.clone(),
                        deployment: d.clone(),
                    });
                    return Ok(d);
                }
                Err(TargetError { message, transient }) => {
                    failures += 1;
                    if !transient {
                        return Err(message);
                    }
                    if failures >= self.retry.attempts {
                        return Err(format!("{message} (gave up after {failures} attempts)"));
                    }
                    self.reporter.step(&format!(
                        "retrying in {:.0} s: {message}",
                        self.retry.backoff(failures).as_secs_f64()
                    ));
                    if !self.sleep(self.retry.backoff(failures)) {
                        return Err("interrupted".to_owned());
                    }
                }
            }
        }
    }

    /// After a lost link: wait, reconnect and redeploy (nothing is sent
    /// again), within the attempts left.
    fn recover(
        &self,
        target: &mut dyn Target,
        files: &[DeviceFile],
        failures: u32,
        reason: &str,
    ) -> Result<Deployment, String> {
        if failures >= self.retry.attempts {
            return Err(format!("{reason} (gave up after {failures} attempts)"));
        }
        self.reporter.step(&format!(
            "link lost, retrying in {:.0} s: {reason}",
            self.retry.backoff(failures).as_secs_f64()
        ));
        if !self.sleep(self.retry.backoff(failures)) {
            return Err("interrupted".to_owned());
        }
        let retry = RetryPolicy {
            attempts: self.retry.attempts - failures,
            ..self.retry
        };
        DeviceRun {
            reporter: Reporter {
                device: self.reporter.device.clone(),
                tx: self.reporter.tx.clone(),
            },
            retry,
            stop: Arc::clone(&self.stop),
        }
        .deploy(target, files)
    }

    /// Records `cells` as unreachable, unless the run was stopped (then
    /// they stay to be run by `--resume`).
    fn give_up(&self, cells: &[Work], reason: &str) {
        if self.stopped() {
            return;
        }
        self.send(Event::Down {
            device: self.reporter.device.clone(),
            reason: reason.to_owned(),
        });
        for w in cells {
            let result = JobResult::failure(&w.cell.id, Status::Unreachable, reason);
            self.send(Event::Finished {
                result: Box::new(result),
            });
        }
    }
}

/// The distinct recipe files of `cells`, in first-use order.
fn unique_files(cells: &[Work]) -> Vec<DeviceFile> {
    let mut seen = BTreeMap::new();
    let mut out = Vec::new();
    for w in cells {
        if seen.insert(w.file.sha256.clone(), ()).is_none() {
            out.push(DeviceFile {
                sha256: w.file.sha256.clone(),
                local: w.file.path.clone(),
                bytes: w.file.bytes,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let r = RetryPolicy {
            attempts: 6,
            first_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(5),
        };
        let waits: Vec<u64> = (1..=5).map(|n| r.backoff(n).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 5, 5]);
    }
}
