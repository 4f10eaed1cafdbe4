//! A background thread sampling instantaneous power at a fixed rate.

use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::integrate::{PowerSample, integrate};
use super::{Mark, Meter, MeterError, MeterKind, WindowEnergy};

/// Highest sample rate a sampler accepts, in hertz.
pub const MAX_RATE_HZ: u32 = 1000;

/// Something that reads instantaneous power.
pub trait PowerSource: Send {
    /// Reads power now, in watts. An error is recorded as an error sample
    /// (not a value) with its message.
    fn read_power_w(&mut self) -> Result<f64, String>;
    /// What is read, e.g. `hwmon ina3221 VDD_IN (/sys/class/hwmon/hwmon1)`.
    fn describe(&self) -> String;
}

/// Sampling rate and buffer size.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SamplerConfig {
    /// Samples per second, 1 to [`MAX_RATE_HZ`].
    pub rate_hz: u32,
    /// Samples kept; older ones are discarded (default: one hour at 1 kHz).
    pub max_samples: usize,
}

impl Default for SamplerConfig {
    fn default() -> Self {
        SamplerConfig {
            rate_hz: 100,
            max_samples: 3_600_000,
        }
    }
}

impl SamplerConfig {
    /// Checks the rate and buffer size.
    pub fn validate(&self) -> Result<(), MeterError> {
        if self.rate_hz == 0 || self.rate_hz > MAX_RATE_HZ {
            return Err(MeterError::Config(format!(
                "sample rate {} Hz is outside 1..={MAX_RATE_HZ} Hz",
                self.rate_hz
            )));
        }
        if self.max_samples < 2 {
            return Err(MeterError::Config("max_samples must be at least 2".into()));
        }
        Ok(())
    }

    fn period(&self) -> Duration {
        Duration::from_nanos(1_000_000_000 / u64::from(self.rate_hz.max(1)))
    }
}

#[derive(Default)]
struct Log {
    samples: VecDeque<PowerSample>,
    discarded: u64,
    last_error: Option<String>,
}

struct Shared {
    log: Mutex<Log>,
    arrived: Condvar,
    stop: AtomicBool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Log> {
        // A panic in the sampler thread cannot leave the log inconsistent:
        // every update is a single push or pop.
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A [`Meter`] sampling a [`PowerSource`] on a background thread.
pub struct SampledMeter {
    kind: MeterKind,
    config: SamplerConfig,
    description: String,
    source: Option<Box<dyn PowerSource>>,
    thread: Option<JoinHandle<Box<dyn PowerSource>>>,
    shared: Arc<Shared>,
}

impl SampledMeter {
    /// A meter of `kind` reading `source` with `config`.
    pub fn new(
        kind: MeterKind,
        source: Box<dyn PowerSource>,
        config: SamplerConfig,
    ) -> Result<Self, MeterError> {
        config.validate()?;
        Ok(SampledMeter {
            kind,
            config,
            description: format!("{} at {} Hz", source.describe(), config.rate_hz),
            source: Some(source),
            thread: None,
            shared: Arc::new(Shared {
                log: Mutex::new(Log::default()),
                arrived: Condvar::new(),
                stop: AtomicBool::new(false),
            }),
        })
    }

    /// A copy of the samples currently kept.
    pub fn samples(&self) -> Vec<PowerSample> {
        self.shared.lock().samples.iter().copied().collect()
    }

    /// The message of the last error sample, if any.
    pub fn last_error(&self) -> Option<String> {
        self.shared.lock().last_error.clone()
    }
}

fn run(
    mut source: Box<dyn PowerSource>,
    config: SamplerConfig,
    shared: Arc<Shared>,
) -> Box<dyn PowerSource> {
    let period = config.period();
    let period_ns = period.as_nanos().max(1);
    let origin = Instant::now();
    let mut tick: u32 = 0;
    let mut missed: u32 = 0;
    while !shared.stop.load(Ordering::Relaxed) {
        let deadline = origin + period * tick;
        let now = Instant::now();
        if now < deadline {
            std::thread::sleep(deadline - now);
        }
        let before = Instant::now();
        let value = source.read_power_w();
        let after = Instant::now();
        let sample = PowerSample {
            at: before + (after - before) / 2,
            power_w: value.as_ref().ok().copied(),
            late: before.saturating_duration_since(deadline) > period / 2,
            missed_before: missed,
        };
        {
            let mut log = shared.lock();
            if let Err(e) = value {
                log.last_error = Some(e);
            }
            if log.samples.len() >= config.max_samples {
                log.samples.pop_front();
                log.discarded += 1;
            }
            log.samples.push_back(sample);
        }
        shared.arrived.notify_all();
        tick = tick.saturating_add(1);
        let behind = Instant::now().saturating_duration_since(origin + period * tick);
        let skipped = u32::try_from(behind.as_nanos() / period_ns).unwrap_or(u32::MAX);
        tick = tick.saturating_add(skipped);
        missed = skipped;
    }
    source
}

impl Meter for SampledMeter {
    fn kind(&self) -> MeterKind {
        self.kind
    }

    fn description(&self) -> String {
        self.description.clone()
    }

    fn start(&mut self) -> Result<(), MeterError> {
        let source = self
            .source
            .take()
            .ok_or(MeterError::State("already started"))?;
        self.shared.stop.store(false, Ordering::Relaxed);
        let (config, shared) = (self.config, Arc::clone(&self.shared));
        let handle = std::thread::Builder::new()
            .name(format!("{}-sampler", self.kind))
            .spawn(move || run(source, config, shared))
            .map_err(|e| MeterError::Config(format!("cannot spawn the sampler thread: {e}")))?;
        self.thread = Some(handle);
        Ok(())
    }

    fn mark(&mut self) -> Result<Mark, MeterError> {
        if self.thread.is_none() && self.shared.lock().samples.is_empty() {
            return Err(MeterError::State("not started"));
        }
        Ok(Mark::at(Instant::now()))
    }

    fn window(&self, from: &Mark, to: &Mark) -> WindowEnergy {
        let duration = super::window::seconds_between(from.at, to.at);
        let mut log = self.shared.lock();
        // Wait for a sample past the end so the edge can be interpolated.
        let wait = self.config.period() * 3 + Duration::from_millis(20);
        let give_up = Instant::now() + wait;
        while self.thread.is_some()
            && !self.shared.stop.load(Ordering::Relaxed)
            && log.samples.back().is_none_or(|s| s.at <= to.at)
        {
            let now = Instant::now();
            if now >= give_up {
                break;
            }
            log = match self.shared.arrived.wait_timeout(log, give_up - now) {
                Ok((guard, _)) => guard,
                Err(e) => e.into_inner().0,
            };
        }
        if log.discarded > 0 && log.samples.front().is_some_and(|s| s.at > from.at) {
            return WindowEnergy::unavailable(
                self.kind,
                duration,
                format!(
                    "samples at the start of the window were discarded (buffer of {} samples)",
                    self.config.max_samples
                ),
            );
        }
        // Copy only the window's samples, keeping one either side of it for
        // interpolation.
        let samples = &log.samples;
        let lo = samples
            .partition_point(|s| s.at < from.at)
            .saturating_sub(1);
        let hi = (samples.partition_point(|s| s.at <= to.at) + 1).min(samples.len());
        let window: Vec<PowerSample> = samples.range(lo..hi.max(lo)).copied().collect();
        let last_error = log.last_error.clone();
        drop(log);
        match integrate(&window, from.at, to.at) {
            Ok(r) => WindowEnergy {
                meter: self.kind,
                duration_s: duration,
                energy_j: Some(r.energy_j),
                avg_power_w: Some(r.energy_j / duration),
                samples: r.valid_samples,
                error_samples: r.error_samples,
                late_samples: r.late_samples,
                dropped_samples: r.dropped_samples,
                zones: Vec::new(),
                reason: r
                    .edge_held
                    .then(|| "a window edge had no sample beyond it; held".to_owned()),
            },
            Err(reason) => {
                let reason = match last_error {
                    Some(e) => format!("{reason} (last error sample: {e})"),
                    None => reason,
                };
                WindowEnergy::unavailable(self.kind, duration, reason)
            }
        }
    }

    fn stop(&mut self) -> Result<(), MeterError> {
        let handle = self.thread.take().ok_or(MeterError::State("not started"))?;
        self.shared.stop.store(true, Ordering::Relaxed);
        match handle.join() {
            Ok(source) => {
                self.source = Some(source);
                Ok(())
            }
            Err(_) => Err(MeterError::State("sampler thread panicked")),
        }
    }
}

impl Drop for SampledMeter {
    fn drop(&mut self) {
        if let Some(handle) = self.thread.take() {
            self.shared.stop.store(true, Ordering::Relaxed);
            let _ = handle.join();
        }
    }
}
