//! The matrix and inventory as written: serde structs that mirror the TOML
//! keys one to one (`deny_unknown_fields`), with the spans of the values
//! later checks point at. Nothing here is validated beyond its TOML type;
//! [`load`](super::load) validates them into a checked
//! [`Matrix`](super::Matrix).
//!
//! Every key is documented on its field; `matrices/README.md` has the same
//! reference with examples.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use edgebench_schema::job::{MeterKind, ThermalGateSettings};
use serde::Deserialize;
use toml::Spanned;

use super::source::Source;
use super::sweep::Sweep;

/// A matrix file: the top-level keys. Sections may be absent; absent
/// sections take their defaults.
#[derive(Debug)]
pub struct RawMatrix {
    /// The file.
    pub source: Arc<Source>,
    /// `name`: a label for runs of this matrix (default: the file stem).
    pub name: Option<Spanned<String>>,
    /// `[[models]]`: the models, at least one.
    pub models: Vec<RawModel>,
    /// Span of the `models` key and the number of entries written, when
    /// present.
    pub models_key: Option<(Range<usize>, usize)>,
    /// `[[recipes]]` tables or `recipes = ["f32", "q8_0"]` (both forms can
    /// be mixed in one array): at least one.
    pub recipes: Vec<RawRecipe>,
    /// Span of the `recipes` key and the number of entries written, when
    /// present.
    pub recipes_key: Option<(Range<usize>, usize)>,
    /// `runtimes = ["edgebench", "llama.cpp"]`: the runtimes every recipe
    /// runs on (default `["edgebench"]`, the kernel alone).
    pub runtimes: Option<Spanned<Vec<Spanned<String>>>>,
    /// `[workload]`.
    pub workload: Option<RawWorkload>,
    /// `[measure]`.
    pub measure: Option<RawMeasure>,
    /// `[accuracy]`.
    pub accuracy: Option<RawAccuracy>,
    /// `devices = ["local", "pi5-a"]`: the devices to run on, by name
    /// (default `["local"]`).
    pub devices: Option<Spanned<Vec<Spanned<String>>>>,
    /// `[[device]]`: devices declared in the matrix itself.
    pub device: Vec<RawDevice>,
    /// `inventory = "lab-inventory.toml"`: a file of `[[device]]` tables,
    /// relative to the matrix file.
    pub inventory: Option<Spanned<String>>,
    /// `[select]`.
    pub select: Option<RawSelect>,
    /// `[regression]`.
    pub regression: Option<RawRegression>,
}

/// An inventory file: `[[device]]` tables only.
#[derive(Debug)]
pub struct RawInventory {
    /// The file.
    pub source: Arc<Source>,
    /// The devices.
    pub device: Vec<RawDevice>,
}

/// `[[models]]`: one model, from a file or generated.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawModel {
    /// `name`: how cells and reports call it; unique in the matrix.
    pub name: Spanned<String>,
    /// `path = "models/x.gguf"`: a GGUF file, relative to the matrix file.
    pub path: Option<Spanned<String>>,
    /// `synthetic = { preset = "small", seed = 1 }`: a generated model.
    pub synthetic: Option<Spanned<RawSynthetic>>,
}

/// `synthetic = { preset, seed }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSynthetic {
    /// `preset`: `tiny`, `small` or `smollm-135m-shape`.
    pub preset: Spanned<String>,
    /// `seed`: seed of the weights (default 0).
    #[serde(default)]
    pub seed: u64,
}

/// `[[recipes]]`: one compression recipe, either as canonical text
/// (`recipe = "q4_0+heads25"`) or as structured keys (`quant`,
/// `prune_heads`, ...), not both. A plain string in the `recipes` array is
/// a recipe named by its own text.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRecipe {
    /// `name`: how cells and reports call it (default: the canonical
    /// recipe text); unique in the matrix.
    pub name: Option<Spanned<String>>,
    /// `recipe = "q4_0+heads25"`: the canonical recipe grammar.
    pub recipe: Option<Spanned<String>>,
    /// `quant = "q4_0"`: format of the weight matrices (`f32`, `f16`,
    /// `bf16`, `q8_0`, `q4_0`, `q4_1`).
    pub quant: Option<Spanned<String>>,
    /// `prune_heads = 0.25`: fraction of query heads removed per key/value
    /// group, a whole percentage below 1.
    pub prune_heads: Option<Spanned<f64>>,
    /// `prune_ffn = 0.25`: fraction of feed-forward channels removed.
    pub prune_ffn: Option<Spanned<f64>>,
    /// `sparsity = 0.5`: fraction of block-matrix weights zeroed.
    pub sparsity: Option<Spanned<f64>>,
    /// `overrides = { token_embd = "q8_0" }`: format of one tensor class.
    pub overrides: Option<BTreeMap<Spanned<String>, Spanned<String>>>,
    /// Span of the whole entry (set by the reader, not a key).
    #[serde(skip)]
    pub span: Range<usize>,
}

/// `[workload]`: what each repetition runs. Lists are swept; a scalar is a
/// list of one.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWorkload {
    /// `threads = [1, 2]`: kernel threads (default `[1]`).
    pub threads: Option<Spanned<Sweep>>,
    /// `prompt_tokens = [128]`: prompt length (default `[128]`).
    pub prompt_tokens: Option<Spanned<Sweep>>,
    /// `gen_tokens = [64]`: tokens generated after the prompt (default `[64]`).
    pub gen_tokens: Option<Spanned<Sweep>>,
    /// `kv = "f32"`: KV cache element type, `f32` or `f16` (default `f32`).
    pub kv: Option<KvElement>,
    /// `seed = 0`: seed of the pseudo-random prompt tokens (default 0).
    pub seed: Option<u64>,
}

/// KV cache element type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KvElement {
    /// 4 bytes per element.
    #[default]
    F32,
    /// 2 bytes per element.
    F16,
}

impl KvElement {
    /// Bytes per cached element.
    pub fn bytes(self) -> u64 {
        match self {
            KvElement::F32 => 4,
            KvElement::F16 => 2,
        }
    }

    /// `f32` or `f16`.
    pub fn name(self) -> &'static str {
        match self {
            KvElement::F32 => "f32",
            KvElement::F16 => "f16",
        }
    }
}

/// `[measure]`: repetitions, meter and sampling; maps onto
/// `edgebench_schema::job::{MeasureSettings, MeterChoice,
/// ThermalGateSettings}`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMeasure {
    /// `warmup_reps = 1`: repetitions run and discarded first.
    pub warmup_reps: Option<u32>,
    /// `min_reps = 5`: measured repetitions, at least.
    pub min_reps: Option<Spanned<u32>>,
    /// `min_seconds = 2.0`: seconds of measured repetitions, at least.
    pub min_seconds: Option<Spanned<f64>>,
    /// `max_reps = 1000`: stop after this many measured repetitions.
    pub max_reps: Option<Spanned<u32>>,
    /// `idle_seconds = 2.0`: idle power window before the repetitions.
    pub idle_seconds: Option<Spanned<f64>>,
    /// `meter = "auto"`: `auto`, `rapl`, `perf-power`, `ina219`, `hwmon` or
    /// `none`; a device's own `meter.kind` wins over it.
    pub meter: Option<Spanned<MeterKind>>,
    /// `sample_hz = 100`: power samples per second (at most 1000).
    pub sample_hz: Option<Spanned<f64>>,
    /// `counters = true`: read hardware counters where permitted.
    pub counters: Option<bool>,
    /// `thermal_gate = { max_delta_c, window_seconds, timeout_seconds }`:
    /// wait for a steady temperature before measuring (default: no gate).
    pub thermal_gate: Option<Spanned<ThermalGateSettings>>,
    /// `timeout_seconds = 600`: a cell still running after this long is
    /// stopped and marked `timeout` (not part of the cell id).
    pub timeout_seconds: Option<Spanned<f64>>,
    /// `profile = false`: after the measured repetitions, one more with the
    /// forward passes timed per class of operation, reported with the
    /// result (not part of the cell id; the metrics never include it).
    pub profile: Option<bool>,
}

/// `[accuracy]`: perplexity and drift against a reference recipe.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAccuracy {
    /// `enabled = true`: whether accuracy jobs are planned.
    pub enabled: Option<bool>,
    /// `text = "builtin"`: the evaluation text, a UTF-8 file relative to
    /// the matrix, or `builtin` for the English text built into edgebench.
    pub text: Option<Spanned<String>>,
    /// `ctx = 256`: window length in tokens.
    pub ctx: Option<Spanned<i64>>,
    /// `windows = 0`: evaluate at most this many windows (0: all).
    pub windows: Option<Spanned<i64>>,
    /// `reference = "f32"`: the recipe compared against, a recipe name of
    /// the matrix or a canonical recipe text.
    pub reference: Option<Spanned<String>>,
    /// `device = "local"`: the device that computes accuracy.
    pub device: Option<Spanned<String>>,
}

/// `[[device]]`: one device, in the matrix or in an inventory file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDevice {
    /// `name`: how `devices` and reports call it; unique.
    pub name: Spanned<String>,
    /// `host`: SSH host name or address.
    pub host: Option<Spanned<String>>,
    /// `port = 22`: SSH port.
    pub port: Option<Spanned<u16>>,
    /// `user`: SSH user (default: the SSH client's default).
    pub user: Option<Spanned<String>>,
    /// `identity_file`: private key file for SSH (default: the SSH agent
    /// and the usual keys).
    pub identity_file: Option<Spanned<String>>,
    /// `password_env`: name of an environment variable holding the SSH
    /// password. Passwords are never written in files.
    pub password_env: Option<Spanned<String>>,
    /// `target`: the device's Rust target triple, e.g.
    /// `aarch64-unknown-linux-gnu`.
    pub target: Option<Spanned<String>>,
    /// `workdir = ".cache/edgebench"`: where the agent, models and texts are
    /// cached on the device (relative paths are relative to the SSH home).
    pub workdir: Option<Spanned<String>>,
    /// `memory_mib`: the device's memory, for the fit check.
    pub memory_mib: Option<Spanned<u64>>,
    /// `meter = { kind, ina219, hwmon_rail }`: the device's power meter.
    pub meter: Option<Spanned<RawDeviceMeter>>,
    /// `proxy_jump = "bastion"`: reach the device through jump hosts, as
    /// OpenSSH's `ProxyJump` (`[user@]host[:port]`, comma-separated).
    pub proxy_jump: Option<Spanned<String>>,
    /// `ssh_config`: an OpenSSH client configuration file to resolve `host`
    /// with (default: the user's `~/.ssh/config`).
    pub ssh_config: Option<Spanned<String>>,
    /// `passphrase_env`: name of an environment variable holding the
    /// identity file's passphrase.
    pub passphrase_env: Option<Spanned<String>>,
    /// `agent`: a prebuilt `edgebench-agent` for the device's target
    /// (default: built from this source tree).
    pub agent: Option<Spanned<String>>,
    /// `linker`: the linker for cross-building the agent for `target`.
    pub linker: Option<Spanned<String>>,
    /// `command_prefix = ["taskset", "-c", "2,3"]`: words run before the
    /// agent (CPU pinning, priority, an emulator), each passed as is.
    pub command_prefix: Option<Spanned<Vec<String>>>,
    /// `lock_file = "/tmp/edgebench-device.lock"`: the file agents lock on
    /// the device while measuring.
    pub lock_file: Option<Spanned<String>>,
    /// `lock_wait_seconds = 600`: how long a cell waits for another
    /// controller's agent before it is `busy`.
    pub lock_wait_seconds: Option<Spanned<u64>>,
    /// `connect_timeout_seconds = 10`: TCP connect and SSH handshake limit.
    pub connect_timeout_seconds: Option<Spanned<u64>>,
    /// `keepalive_seconds = 15`: SSH keepalive interval; a link silent
    /// for three intervals is lost.
    pub keepalive_seconds: Option<Spanned<u64>>,
    /// `tags = ["pi5"]`: free labels for reports.
    #[serde(default)]
    pub tags: Vec<String>,
}

/// A device's `meter` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDeviceMeter {
    /// `kind`: the meter this device uses, overriding `[measure] meter`.
    pub kind: Option<MeterKind>,
    /// `ina219 = { bus = 1, address = 0x40, shunt_ohms = 0.1 }`.
    pub ina219: Option<Spanned<RawIna219>>,
    /// `hwmon_rail = "VDD_IN"`: the hwmon power rail label to read.
    pub hwmon_rail: Option<String>,
}

/// An INA219 current sensor on an I2C bus.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIna219 {
    /// `bus`: I2C bus number (`/dev/i2c-N`).
    pub bus: u32,
    /// `address = 0x40`: 7-bit I2C address.
    #[serde(default = "default_ina219_address")]
    pub address: u16,
    /// `shunt_ohms`: shunt resistance in ohms (0.1 on most breakouts).
    pub shunt_ohms: f64,
    /// `max_current_a = 3.2`: largest current expected, in amperes.
    #[serde(default = "default_max_current")]
    pub max_current_a: f64,
}

fn default_ina219_address() -> u16 {
    0x40
}

fn default_max_current() -> f64 {
    3.2
}

/// `[select]`: constraints the report's recommendation honours.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSelect {
    /// `max_accuracy_drop_pct = 2.0`: largest PPL increase accepted, in %.
    pub max_accuracy_drop_pct: Option<Spanned<f64>>,
    /// `max_peak_rss_mib = 512`: largest peak RSS accepted.
    pub max_peak_rss_mib: Option<Spanned<f64>>,
    /// `objective = "latency"`: what to minimise among the recipes that
    /// pass: `latency`, `energy` or `size`.
    pub objective: Option<Objective>,
}

/// What the recommendation minimises (the reports' own type).
pub use edgebench_reports::Objective;

/// `[regression]`: comparison against a baseline run.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRegression {
    /// `threshold_pct = 5`: the noise band; smaller changes never count.
    pub threshold_pct: Option<Spanned<f64>>,
    /// `blocks = 15`: paired blocks per cell.
    pub blocks: Option<Spanned<i64>>,
    /// `reps = 3`: measured repetitions per arm of a block.
    pub reps: Option<Spanned<i64>>,
    /// `canaries = 2`: A/A canary cells per gated run.
    pub canaries: Option<Spanned<i64>>,
    /// `[regression.thresholds]`: per sampled metric, percent.
    pub thresholds: Option<BTreeMap<Spanned<String>, Spanned<f64>>>,
    /// `[regression.tolerances]`: per deterministic metric, in its unit.
    pub tolerances: Option<BTreeMap<Spanned<String>, Spanned<f64>>>,
}
