//! Canonical specs and the stable ids hashed from them.

use edgebench_schema::Runtime;
use edgebench_schema::job::{MeasureSettings, MeterChoice, ThermalGateSettings};
use serde::Serialize;

use crate::matrix::raw::KvElement;
use crate::matrix::sha256_hex;

/// Everything that makes a cell's measurement what it is. Serialized as
/// JSON with fields in this fixed order, so how the matrix was written
/// (key order, names of recipes, file layout) does not change the id.
#[derive(Debug, Serialize)]
pub struct CellSpec<'a> {
    /// Bumped when the meaning of a spec changes.
    pub version: u32,
    /// The device name.
    pub device: &'a str,
    /// `sha256:<hex>` or `synthetic:<preset>:<seed>`.
    pub model: &'a str,
    /// The canonical recipe.
    pub recipe: &'a str,
    /// Threads.
    pub threads: u32,
    /// Prompt tokens.
    pub prompt_tokens: u32,
    /// Generated tokens.
    pub gen_tokens: u32,
    /// KV cache element type.
    pub kv: KvElement,
    /// Prompt seed.
    pub seed: u64,
    /// Repetitions.
    pub measure: &'a MeasureSettings,
    /// The meter.
    pub meter: &'a MeterChoice,
    /// The thermal gate.
    pub thermal_gate: &'a Option<ThermalGateSettings>,
    /// The runtime; left out for edgebench's kernel, so cells of the
    /// default runtime keep the ids they had before runtimes existed.
    #[serde(skip_serializing_if = "Runtime::is_default")]
    pub runtime: Runtime,
}

/// Everything that makes an accuracy result what it is.
#[derive(Debug, Serialize)]
pub struct AccuracySpecKey<'a> {
    /// Bumped when the meaning of a spec changes.
    pub version: u32,
    /// Model identity.
    pub model: &'a str,
    /// Canonical recipe under test.
    pub recipe: &'a str,
    /// Canonical reference recipe.
    pub reference: &'a str,
    /// SHA-256 of the evaluation text.
    pub text_sha256: &'a str,
    /// Window length.
    pub ctx: u32,
    /// Window limit.
    pub windows: u32,
    /// The runtime whose logits are scored; left out for edgebench's
    /// kernel (ids from before runtimes stay valid).
    #[serde(skip_serializing_if = "Runtime::is_default")]
    pub runtime: Runtime,
}

/// The id of a spec: hex SHA-256 of its canonical JSON, prefixed by `kind`.
pub fn spec_id<T: Serialize>(kind: &str, spec: &T) -> String {
    // Plain structs of numbers and strings always serialize.
    let json = serde_json::to_string(spec).unwrap_or_default();
    sha256_hex(format!("edgebench-{kind}\n{json}").as_bytes())
}
