//! The validated matrix: every name resolved, every value in range, every
//! file found and hashed. Building a [`Plan`](crate::plan::Plan) from it
//! does no I/O and cannot fail.

use crate::store::Metric;
use std::path::PathBuf;
use std::time::Duration;

use edgebench_kernels::recipe::Recipe;
use edgebench_kernels::synth::Preset;
use edgebench_schema::job::{Ina219Settings, MeasureSettings, MeterKind, ThermalGateSettings};

use super::raw::KvElement;
use super::shape::ModelShape;

/// A checked matrix.
#[derive(Debug, Clone)]
pub struct Matrix {
    /// `name`, or the file stem.
    pub name: String,
    /// The matrix file.
    pub path: PathBuf,
    /// The models, in file order.
    pub models: Vec<ModelSpec>,
    /// The recipes, in file order.
    pub recipes: Vec<RecipeSpec>,
    /// The runtimes every recipe runs on, in file order.
    pub runtimes: Vec<edgebench_schema::Runtime>,
    /// The swept workload.
    pub workload: Workload,
    /// Measurement settings shared by every cell.
    pub measure: Measure,
    /// Accuracy settings, `None` when disabled.
    pub accuracy: Option<AccuracySpec>,
    /// The devices to run on, in `devices` order.
    pub devices: Vec<Device>,
    /// Report constraints.
    pub select: Select,
    /// Regression settings.
    pub regression: Regression,
}

/// One model.
#[derive(Debug, Clone)]
pub struct ModelSpec {
    /// Its name in the matrix.
    pub name: String,
    /// Where it comes from.
    pub source: ModelSource,
    /// Its shapes.
    pub shape: ModelShape,
}

/// Where a model comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSource {
    /// A GGUF file.
    File {
        /// The path (resolved against the matrix directory).
        path: PathBuf,
        /// SHA-256 of the file.
        sha256: String,
    },
    /// Generated from a preset and a seed.
    Synthetic {
        /// The preset.
        preset: Preset,
        /// The seed.
        seed: u64,
    },
}

impl ModelSource {
    /// The identity that enters cell ids: `sha256:<hex>` for a file,
    /// `synthetic:<preset>:<seed>` for a generated model.
    pub fn identity(&self) -> String {
        match self {
            ModelSource::File { sha256, .. } => format!("sha256:{sha256}"),
            ModelSource::Synthetic { preset, seed } => format!("synthetic:{preset}:{seed}"),
        }
    }
}

/// One recipe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipeSpec {
    /// Its name in the matrix.
    pub name: String,
    /// The recipe.
    pub recipe: Recipe,
}

/// The workload values swept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    /// Kernel threads, each at least 1.
    pub threads: Vec<u32>,
    /// Prompt lengths, each at least 1.
    pub prompt_tokens: Vec<u32>,
    /// Generated lengths.
    pub gen_tokens: Vec<u32>,
    /// KV cache element type.
    pub kv: KvElement,
    /// Seed of the prompt tokens.
    pub seed: u64,
}

/// Measurement settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Measure {
    /// Repetitions and durations.
    pub settings: MeasureSettings,
    /// The meter, unless a device names its own.
    pub meter: MeterKind,
    /// Power samples per second.
    pub sample_hz: f64,
    /// Read hardware counters.
    pub counters: bool,
    /// Optional thermal gate.
    pub thermal_gate: Option<ThermalGateSettings>,
    /// Seconds before a cell is stopped as `timeout`.
    pub timeout_seconds: f64,
    /// Profile one extra repetition per op.
    pub profile: bool,
}

/// Accuracy settings.
#[derive(Debug, Clone, PartialEq)]
pub struct AccuracySpec {
    /// The evaluation text.
    pub text: EvalText,
    /// Window length in tokens.
    pub ctx: u32,
    /// Largest number of windows (0: all).
    pub windows: u32,
    /// The reference recipe.
    pub reference: RecipeSpec,
    /// Name of the device that computes accuracy.
    pub device: String,
}

/// An evaluation text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalText {
    /// `None` for the builtin text, else the file.
    pub path: Option<PathBuf>,
    /// SHA-256 of the text.
    pub sha256: String,
}

/// A device cells run on.
#[derive(Debug, Clone, PartialEq)]
pub struct Device {
    /// Its name.
    pub name: String,
    /// How to reach it.
    pub connection: Connection,
    /// Its Rust target triple; `None`: probed on the device.
    pub target: Option<String>,
    /// Its memory in bytes, when known.
    pub memory_bytes: Option<u64>,
    /// Words run before the agent (`taskset -c 2,3`, an emulator).
    pub command_prefix: Vec<String>,
    /// The lock agents hold on the device while measuring.
    pub lock: crate::target::DeviceLock,
    /// Its own meter settings.
    pub meter: DeviceMeter,
    /// Free labels.
    pub tags: Vec<String>,
}

/// How the controller reaches a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connection {
    /// This machine: the agent runs as a child process.
    Local,
    /// Over SSH.
    Ssh(Box<SshSettings>),
}

/// SSH settings of a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshSettings {
    /// Host name, address or `ssh_config` alias.
    pub host: String,
    /// Port, when not the configuration's.
    pub port: Option<u16>,
    /// User, when not the configuration's.
    pub user: Option<String>,
    /// Private key file.
    pub identity_file: Option<String>,
    /// Environment variable holding the password.
    pub password_env: Option<String>,
    /// Environment variable holding the identity file's passphrase.
    pub passphrase_env: Option<String>,
    /// Jump hosts (`ProxyJump`).
    pub proxy_jump: Option<String>,
    /// The OpenSSH client configuration file, when not the user's.
    pub ssh_config: Option<PathBuf>,
    /// Cache directory on the device.
    pub workdir: String,
    /// A prebuilt agent for the device.
    pub agent: Option<PathBuf>,
    /// The linker for cross-building the agent.
    pub linker: Option<String>,
    /// TCP connect and SSH handshake limit.
    pub connect_timeout: Duration,
    /// SSH keepalive interval.
    pub keepalive: Duration,
}

/// A device's own meter settings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeviceMeter {
    /// The meter, overriding the matrix's.
    pub kind: Option<MeterKind>,
    /// The INA219 wiring.
    pub ina219: Option<Ina219Settings>,
    /// The hwmon rail label.
    pub hwmon_rail: Option<String>,
}

/// Report constraints: the reports' own selection type.
pub use edgebench_reports::Selection as Select;

/// Regression settings: `[regression]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Regression {
    /// The noise band in % for every sampled metric without its own.
    pub threshold_pct: f64,
    /// Per sampled metric, its own noise band in %.
    pub thresholds: Vec<(Metric, f64)>,
    /// Per deterministic metric, how much worse it may get, in its unit.
    pub tolerances: Vec<(Metric, f64)>,
    /// Paired blocks per cell (the command line may override it).
    pub blocks: u32,
    /// Measured repetitions per arm of a block.
    pub reps: u32,
    /// A/A canary cells per gated run.
    pub canaries: u32,
}

impl Regression {
    /// The noise band of sampled `metric`, percent.
    pub fn threshold_pct(&self, metric: Metric) -> f64 {
        self.thresholds
            .iter()
            .find(|(m, _)| *m == metric)
            .map_or(self.threshold_pct, |(_, t)| *t)
    }

    /// The tolerance of deterministic `metric`, or `default`.
    pub fn tolerance(&self, metric: Metric, default: f64) -> f64 {
        self.tolerances
            .iter()
            .find(|(m, _)| *m == metric)
            .map_or(default, |(_, t)| *t)
    }
}
