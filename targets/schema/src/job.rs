//! [`Job`]: one cell of a matrix as the agent runs it, read from JSON on the
//! agent's stdin.

use serde::{Deserialize, Serialize};

use crate::{Runtime, SCHEMA_VERSION};

/// A job or result that cannot be used: which field and why.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// Not JSON, or not the expected shape.
    #[error("malformed {what} JSON at '{path}': {source}")]
    Json {
        /// `job` or `result`.
        what: &'static str,
        /// Dotted path of the offending field (`.` for the whole document).
        path: String,
        /// The parser's error (with line and column).
        #[source]
        source: serde_json::Error,
    },
    /// Another schema version.
    #[error("{what} has schema_version {found}, this build reads {}", versions(*oldest, *expected))]
    Version {
        /// `job` or `result`.
        what: &'static str,
        /// The version found (0 when absent).
        found: u64,
        /// The oldest version this build reads.
        oldest: u32,
        /// The newest version this build reads (its own).
        expected: u32,
    },
    /// A field holds a value outside its range.
    #[error("job field '{field}': {reason}")]
    Invalid {
        /// The field, dotted for nested ones.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
}

/// The model file a job runs: the recipe file the controller made, which
/// the agent loads as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelRef {
    /// Path of the GGUF file on the device.
    pub path: String,
    /// Lower-case hex SHA-256 of the file; the agent refuses another file.
    pub sha256: String,
    /// Lower-case hex SHA-256 of the model the recipe file was made from,
    /// echoed into the result so it names both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_sha256: Option<String>,
}

/// How long and how often to measure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MeasureSettings {
    /// Repetitions run and discarded before measuring.
    pub warmup_reps: u32,
    /// Measured repetitions, at least.
    pub min_reps: u32,
    /// Seconds of measured repetitions, at least (both minimums must be met).
    pub min_seconds: f64,
    /// Stop after this many measured repetitions even if `min_seconds` is not
    /// reached.
    pub max_reps: u32,
    /// Seconds of idle power measured before the repetitions.
    pub idle_seconds: f64,
}

impl Default for MeasureSettings {
    fn default() -> Self {
        MeasureSettings {
            warmup_reps: 1,
            min_reps: 5,
            min_seconds: 2.0,
            max_reps: 1000,
            idle_seconds: 2.0,
        }
    }
}

/// Which power meter to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum MeterKind {
    /// The best meter that works on the device.
    #[default]
    Auto,
    /// Intel/AMD RAPL through powercap sysfs.
    Rapl,
    /// RAPL through the perf-event `power` PMU.
    PerfPower,
    /// A TI INA219 on an I2C bus.
    Ina219,
    /// A hwmon power monitor (ina2xx, ina3221).
    Hwmon,
    /// No energy measurement.
    None,
}

/// An INA219 wired to the device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ina219Settings {
    /// I2C bus number (`/dev/i2c-N`).
    pub bus: u32,
    /// 7-bit I2C address (0x40 by default on most boards).
    #[serde(default = "default_ina219_address")]
    pub address: u16,
    /// Shunt resistance in ohms.
    pub shunt_ohms: f64,
    /// Largest current expected, in amperes (sets the current LSB).
    pub max_current_a: f64,
}

fn default_ina219_address() -> u16 {
    0x40
}

/// The meter and how it samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MeterChoice {
    /// Which meter.
    pub kind: MeterKind,
    /// Samples per second for power meters (at most 1000).
    pub sample_hz: f64,
    /// The INA219, when `kind` is `ina219` (or `auto` should consider one).
    pub ina219: Option<Ina219Settings>,
    /// The hwmon rail label to read (default `VDD_IN` on Jetsons).
    pub hwmon_rail: Option<String>,
    /// Read hardware counters (instructions, cycles, cache misses).
    pub counters: bool,
}

impl Default for MeterChoice {
    fn default() -> Self {
        MeterChoice {
            kind: MeterKind::Auto,
            sample_hz: 100.0,
            ina219: None,
            hwmon_rail: None,
            counters: true,
        }
    }
}

/// Wait for a steady temperature before measuring.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThermalGateSettings {
    /// Largest change in °C over the window that counts as steady.
    pub max_delta_c: f64,
    /// Window in seconds.
    pub window_seconds: f64,
    /// Give up (and mark the result) after this many seconds.
    pub timeout_seconds: f64,
}

/// One cell as the agent runs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Job {
    /// Must equal [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Stable id of the cell (a hash of its canonical spec).
    pub cell_id: String,
    /// The model file.
    pub model: ModelRef,
    /// Canonical recipe name, e.g. `q4_0+heads25`.
    pub recipe: String,
    /// Threads for the kernels.
    pub threads: u32,
    /// Prompt length in tokens (prefill).
    pub prompt_tokens: u32,
    /// Tokens generated after the prompt (decode).
    pub gen_tokens: u32,
    /// Seed of the prompt's token ids (a fixed pseudo-random prompt).
    #[serde(default)]
    pub seed: u64,
    /// Store the KV cache in f16 instead of f32.
    #[serde(default)]
    pub kv_f16: bool,
    /// Repetition settings.
    #[serde(default)]
    pub measure: MeasureSettings,
    /// Meter settings.
    #[serde(default)]
    pub meter: MeterChoice,
    /// Optional thermal gate.
    #[serde(default)]
    pub thermal_gate: Option<ThermalGateSettings>,
    /// After the measured repetitions, run one more with the forward passes
    /// timed per class of operation and report it as the result's
    /// `profile` (never counted in the metrics). Sent only when set, so
    /// agents older than the option still take every other job.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub profile: bool,
    /// The runtime that runs the recipe file. Sent only when it is not
    /// the default (edgebench's kernel), so agents older than the field
    /// still take every job of the default runtime.
    #[serde(default, skip_serializing_if = "Runtime::is_default")]
    pub runtime: Runtime,
}

impl Job {
    /// Parses and validates a job, checking the schema version first so an
    /// agent of another version says so rather than naming a field.
    ///
    /// # Errors
    /// [`SchemaError`] naming what is wrong.
    pub fn from_json(text: &str) -> Result<Job, SchemaError> {
        check_version("job", text, SCHEMA_VERSION)?;
        let job: Job = parse("job", text)?;
        job.validate()?;
        Ok(job)
    }

    /// Checks every field's range.
    ///
    /// # Errors
    /// [`SchemaError::Invalid`] for the first field out of range.
    pub fn validate(&self) -> Result<(), SchemaError> {
        let invalid = |field, reason: &str| {
            Err(SchemaError::Invalid {
                field,
                reason: reason.to_owned(),
            })
        };
        let m = &self.measure;
        if self.threads == 0 || self.threads > 1024 {
            return invalid("threads", "must be between 1 and 1024");
        }
        if self.prompt_tokens == 0 {
            return invalid("prompt_tokens", "must be at least 1");
        }
        if self.prompt_tokens > 1 << 20 {
            return invalid("prompt_tokens", "must be at most 2^20");
        }
        if self.gen_tokens > 1 << 20 {
            return invalid("gen_tokens", "must be at most 2^20");
        }
        if self.model.sha256.len() != 64
            || !self.model.sha256.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return invalid("model.sha256", "must be 64 hex digits");
        }
        if let Some(source) = &self.model.source_sha256
            && (source.len() != 64 || !source.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            return invalid("model.source_sha256", "must be 64 hex digits");
        }
        if self.model.path.is_empty() {
            return invalid("model.path", "must not be empty");
        }
        if self.recipe.is_empty() {
            return invalid("recipe", "must not be empty");
        }
        if m.min_reps == 0 {
            return invalid("measure.min_reps", "must be at least 1");
        }
        if m.max_reps < m.min_reps {
            return invalid("measure.max_reps", "must be at least min_reps");
        }
        if !(m.min_seconds.is_finite() && (0.0..=86_400.0).contains(&m.min_seconds)) {
            return invalid("measure.min_seconds", "must be between 0 and 86400");
        }
        if !(m.idle_seconds.is_finite() && (0.0..=3600.0).contains(&m.idle_seconds)) {
            return invalid("measure.idle_seconds", "must be between 0 and 3600");
        }
        let hz = self.meter.sample_hz;
        if !(hz.is_finite() && hz > 0.0 && hz <= 1000.0) {
            return invalid("meter.sample_hz", "must be above 0 and at most 1000");
        }
        if self.meter.kind == MeterKind::Ina219 && self.meter.ina219.is_none() {
            return invalid(
                "meter.ina219",
                "the ina219 meter needs bus, shunt_ohms and max_current_a",
            );
        }
        if let Some(i) = &self.meter.ina219
            && !(i.shunt_ohms > 0.0 && i.max_current_a > 0.0 && i.address < 0x80)
        {
            return invalid(
                "meter.ina219",
                "shunt_ohms and max_current_a must be positive, address a 7-bit value",
            );
        }
        if let Some(g) = &self.thermal_gate
            && !(g.max_delta_c > 0.0 && g.window_seconds > 0.0 && g.timeout_seconds >= 0.0)
        {
            return invalid("thermal_gate", "needs a positive delta and window");
        }
        Ok(())
    }

    /// The job as one line of JSON.
    pub fn to_json(&self) -> String {
        // Serializing plain structs of numbers and strings cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

fn versions(oldest: u32, newest: u32) -> String {
    if oldest == newest {
        format!("version {newest}")
    } else {
        format!("versions {oldest} to {newest}")
    }
}

/// Reads `schema_version` before the full parse: it must be from `oldest`
/// to [`SCHEMA_VERSION`].
pub(crate) fn check_version(
    what: &'static str,
    text: &str,
    oldest: u32,
) -> Result<(), SchemaError> {
    #[derive(Deserialize)]
    struct Versioned {
        schema_version: Option<serde_json::Value>,
    }
    let v: Versioned = parse(what, text)?;
    let found = v
        .schema_version
        .as_ref()
        .and_then(|v| v.as_u64())
        .unwrap_or(0);
    if !(u64::from(oldest)..=u64::from(SCHEMA_VERSION)).contains(&found) {
        return Err(SchemaError::Version {
            what,
            found,
            oldest,
            expected: SCHEMA_VERSION,
        });
    }
    Ok(())
}

/// Parses `text`, naming the path of the field that does not fit.
pub(crate) fn parse<T: serde::de::DeserializeOwned>(
    what: &'static str,
    text: &str,
) -> Result<T, SchemaError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| SchemaError::Json {
        what,
        path: e.path().to_string(),
        source: e.into_inner(),
    })?;
    // Trailing characters after the document are an error too.
    de.end().map_err(|source| SchemaError::Json {
        what,
        path: ".".into(),
        source,
    })?;
    Ok(value)
}
