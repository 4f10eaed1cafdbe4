//! [`JobResult`]: what the agent reports for one job. Every metric is either
//! present or `null` with a reason; a failure is a result with a status and
//! an error, never a missing line.

use serde::{Deserialize, Serialize};

use crate::job::{check_version, parse};
use crate::{AccuracyReport, OLDEST_RESULT_VERSION, SCHEMA_VERSION, SchemaError, Summary};

/// How a cell ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Measured.
    Ok,
    /// The job could not run (bad job, missing file, hash mismatch, ...).
    Failed,
    /// Killed for lack of memory.
    Oom,
    /// Did not finish in time.
    Timeout,
    /// The device could not be reached.
    Unreachable,
    /// The device cannot run it (unknown recipe, architecture, ...).
    Unsupported,
    /// Not run, with the reason in `error` (e.g. does not fit in memory).
    Skipped,
    /// The device was being measured by another controller; its lock was
    /// not acquired in time. Not measured; worth retrying later.
    Busy,
}

impl Status {
    /// Whether the cell was not measured for a reason outside it (the
    /// device was down or measured by someone else): `--resume` runs it
    /// again, and its new result replaces this one.
    pub fn is_retryable(self) -> bool {
        matches!(self, Status::Unreachable | Status::Busy)
    }

    /// The lower-case name used in JSON, CSV and reports.
    pub fn name(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Failed => "failed",
            Status::Oom => "oom",
            Status::Timeout => "timeout",
            Status::Unreachable => "unreachable",
            Status::Unsupported => "unsupported",
            Status::Skipped => "skipped",
            Status::Busy => "busy",
        }
    }
}

/// The agent that produced a result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct AgentInfo {
    /// Agent version.
    pub version: String,
    /// Git revision the agent was built from.
    pub git_revision: String,
    /// Target triple it was built for.
    pub target: String,
    /// Kernel instruction set chosen at run time (`avx2`, `neon-dotprod`, ...).
    pub isa: String,
    /// SHA-256 of the agent binary that ran, as the controller deployed it
    /// (with the recipe file's hash, it fixes what a cell measured).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binary_sha256: Option<String>,
}

/// The model as the agent loaded it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelReport {
    /// The GGUF file's path on the device.
    pub path: String,
    /// Its SHA-256: exactly which bytes were measured.
    pub sha256: String,
    /// The file's size in bytes.
    pub file_bytes: u64,
    /// The canonical recipe.
    pub recipe: String,
    /// Parameters after the recipe (pruning shrinks them).
    pub parameters: u64,
    /// Bytes of the tensors in the recipe's formats (the file without its
    /// metadata).
    pub recipe_bytes: u64,
    /// Seconds to load the file (and apply the recipe, when
    /// `applied_at_load`).
    pub load_seconds: f64,
    /// SHA-256 of the model the recipe file was made from, when the job
    /// named it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_sha256: Option<String>,
    /// Whether the recipe was applied while loading `path` (results of
    /// older agents, which converted the source model) rather than `path`
    /// being the recipe file, loaded as it is.
    #[serde(default = "applied_at_load_before_recipe_files")]
    pub applied_at_load: bool,
}

/// Results written before recipe files existed carry no
/// `applied_at_load`: their agents applied the recipe at load.
fn applied_at_load_before_recipe_files() -> bool {
    true
}

impl Default for ModelReport {
    fn default() -> Self {
        ModelReport {
            path: String::new(),
            sha256: String::new(),
            file_bytes: 0,
            recipe: String::new(),
            parameters: 0,
            recipe_bytes: 0,
            load_seconds: 0.0,
            source_sha256: None,
            applied_at_load: false,
        }
    }
}

impl ModelReport {
    /// What the recipe weighs on a device's disk: the recipe file's size,
    /// or for a recipe applied at load (whose file is the source model)
    /// the size of its tensors.
    pub fn size_on_disk(&self) -> u64 {
        if self.applied_at_load {
            self.recipe_bytes
        } else {
            self.file_bytes
        }
    }
}

/// One measured repetition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepSample {
    /// Seconds from the start of the prefill to the first generated token.
    pub ttft_s: f64,
    /// Prompt tokens per second.
    pub prefill_tps: f64,
    /// Generated tokens per second (after the first).
    pub decode_tps: f64,
    /// Seconds for the whole repetition.
    pub e2e_s: f64,
    /// Latency of every decoded token, milliseconds.
    pub token_ms: Vec<f64>,
    /// Joules over the repetition, when a meter measured it.
    pub energy_j: Option<f64>,
    /// Joules of the prefill phase.
    pub prefill_energy_j: Option<f64>,
    /// Joules of the decode phase.
    pub decode_energy_j: Option<f64>,
    /// Instructions retired, when counters are available.
    pub instructions: Option<u64>,
    /// CPU cycles.
    pub cycles: Option<u64>,
    /// Cache misses.
    pub cache_misses: Option<u64>,
}

/// Latency summaries over the measured repetitions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatencyReport {
    /// Time to first token, seconds.
    pub ttft_s: Summary,
    /// Prefill tokens per second.
    pub prefill_tps: Summary,
    /// Decode tokens per second.
    pub decode_tps: Summary,
    /// End-to-end seconds per repetition.
    pub e2e_s: Summary,
    /// Per-token decode latency over all repetitions, milliseconds.
    pub token_ms: Summary,
}

/// Memory of the agent process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct MemoryReport {
    /// Peak resident set (VmHWM), KiB.
    pub peak_rss_kib: u64,
    /// Anonymous resident memory at the end, KiB (heap: converted weights,
    /// KV cache, scratch).
    pub rss_anon_kib: Option<u64>,
    /// File-backed resident memory at the end, KiB (memory-mapped weights).
    pub rss_file_kib: Option<u64>,
}

/// Energy, when a meter measured it; otherwise every figure is `null` and
/// `reason` says why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct EnergyReport {
    /// The meter used (`rapl`, `ina219`, `hwmon:VDD_IN`, ...) or `none`.
    pub meter: String,
    /// What the meter reads: source, rail or zones, sample rate.
    #[serde(default)]
    pub description: Option<String>,
    /// Why there is no energy figure, or what limits it.
    pub reason: Option<String>,
    /// Power samples per second, for sampling meters.
    pub sample_hz: Option<f64>,
    /// Idle power before the repetitions, watts.
    pub idle_power_w: Option<f64>,
    /// Joules per inference (one repetition).
    pub energy_j: Option<Summary>,
    /// Joules per inference above idle power.
    pub energy_above_idle_j: Option<Summary>,
    /// Millijoules per generated token (decode phase).
    pub decode_mj_per_token: Option<Summary>,
    /// Joules of the prefill phase.
    pub prefill_energy_j: Option<Summary>,
    /// Average power during the repetitions, watts.
    pub avg_power_w: Option<Summary>,
    /// Samples dropped or late (sampling meters).
    pub dropped_samples: u64,
    /// Samples that were read errors and were left out of the integrals.
    #[serde(default)]
    pub error_samples: u64,
    /// Valid samples over the repetitions (counter reads for counter
    /// meters).
    #[serde(default)]
    pub samples: u64,
}

/// Hardware counters per repetition, or `null` with the reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct CounterReport {
    /// Why counters are missing (`not supported`, `not permitted`, ...).
    pub reason: Option<String>,
    /// Instructions per repetition.
    pub instructions: Option<Summary>,
    /// Cycles per repetition.
    pub cycles: Option<Summary>,
    /// Cache misses per repetition.
    pub cache_misses: Option<Summary>,
}

/// Whether the measurement can be trusted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validity {
    /// `false` when any reason below applies.
    pub valid: bool,
    /// Why not (throttling, under-voltage, swap, dropped samples, too few
    /// repetitions, thermal gate timeout).
    pub reasons: Vec<String>,
}

impl Default for Validity {
    fn default() -> Self {
        Validity {
            valid: true,
            reasons: Vec::new(),
        }
    }
}

impl Validity {
    /// Records a reason the result cannot be trusted.
    pub fn invalidate(&mut self, reason: impl Into<String>) {
        self.valid = false;
        self.reasons.push(reason.into());
    }
}

/// Everything reported about one job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobResult {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The job's cell id (empty when the job could not be read).
    pub cell_id: String,
    /// How it ended.
    pub status: Status,
    /// What went wrong, for any status but `ok`.
    pub error: Option<String>,
    /// The agent.
    pub agent: AgentInfo,
    /// Device facts (CPU, cores, governor, frequency, kernel, temperatures,
    /// throttling) as the agent's probe reports them.
    pub device: serde_json::Value,
    /// The model and recipe.
    pub model: Option<ModelReport>,
    /// Threads, prompt and generated tokens actually used.
    pub workload: Option<Workload>,
    /// Latency summaries.
    pub latency: Option<LatencyReport>,
    /// Memory.
    pub memory: Option<MemoryReport>,
    /// Energy.
    pub energy: Option<EnergyReport>,
    /// Hardware counters.
    pub counters: Option<CounterReport>,
    /// Accuracy against the reference (joined by the controller).
    pub accuracy: Option<AccuracyReport>,
    /// Validity of the measurement.
    pub validity: Validity,
    /// Warm-up repetitions run.
    pub warmup_reps: u32,
    /// Every measured repetition.
    pub reps: Vec<RepSample>,
    /// Where the cell's wall time went (absent in older results).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timing: Option<CellTiming>,
    /// Where one extra, unmeasured repetition spent its time per class of
    /// operation, when the job asked for it (`measure.profile`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<crate::ProfileReport>,
    /// The runtime that ran the recipe file and its build (absent in
    /// results of agents older than runtimes, which ran edgebench's
    /// kernel).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<crate::RuntimeInfo>,
}

/// Where a cell's wall time went: the agent's own time and the time the
/// controller waited, whose difference is what the controller and the link
/// cost (starting the agent remotely, sending the job, reading the result).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct CellTiming {
    /// Seconds from the agent's start to its result, by the agent's clock.
    pub agent_s: Option<f64>,
    /// Seconds from the controller starting the job to holding the result.
    pub controller_s: Option<f64>,
}

impl CellTiming {
    /// What the controller added to the agent's own time, in seconds.
    pub fn overhead_s(&self) -> Option<f64> {
        Some(self.controller_s? - self.agent_s?)
    }
}

/// The workload of a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workload {
    /// Kernel threads.
    pub threads: u32,
    /// Prompt tokens.
    pub prompt_tokens: u32,
    /// Generated tokens.
    pub gen_tokens: u32,
}

impl JobResult {
    /// A result that says only that the job failed, and why.
    pub fn failure(cell_id: impl Into<String>, status: Status, error: impl Into<String>) -> Self {
        JobResult {
            schema_version: SCHEMA_VERSION,
            cell_id: cell_id.into(),
            status,
            error: Some(error.into()),
            agent: AgentInfo::default(),
            device: serde_json::Value::Null,
            model: None,
            workload: None,
            latency: None,
            memory: None,
            energy: None,
            counters: None,
            accuracy: None,
            validity: Validity {
                valid: false,
                reasons: vec![status.name().to_owned()],
            },
            warmup_reps: 0,
            reps: Vec::new(),
            timing: None,
            profile: None,
            runtime: None,
        }
    }

    /// The runtime that ran the recipe file (edgebench's kernel for
    /// results that do not say).
    pub fn runtime_kind(&self) -> crate::Runtime {
        self.runtime
            .as_ref()
            .map_or_else(Default::default, |r| r.name)
    }

    /// Records the controller's view of the cell's wall time.
    pub fn set_controller_seconds(&mut self, seconds: f64) {
        self.timing
            .get_or_insert_with(CellTiming::default)
            .controller_s = Some(seconds);
    }

    /// Records the agent's own wall time.
    pub fn set_agent_seconds(&mut self, seconds: f64) {
        self.timing.get_or_insert_with(CellTiming::default).agent_s = Some(seconds);
    }

    /// Parses a result, checking the schema version first.
    ///
    /// # Errors
    /// [`SchemaError::Version`] or [`SchemaError::Json`].
    pub fn from_json(text: &str) -> Result<JobResult, SchemaError> {
        check_version("result", text, OLDEST_RESULT_VERSION)?;
        parse("result", text)
    }

    /// The result as one line of JSON.
    pub fn to_json(&self) -> String {
        // Non-finite floats are the only failure; they serialize as null
        // in serde_json, so this cannot fail for these types.
        serde_json::to_string(self).unwrap_or_default()
    }
}
