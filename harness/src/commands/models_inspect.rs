//! `edgebench models inspect PATH [--json]`: what a GGUF model file holds.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use edgebench_kernels::gguf::{GgufError, GgufFile};
use serde::Serialize;

/// Arguments of `models inspect`.
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  edgebench models inspect models/SmolLM2-135M-Instruct.Q4_1.gguf --json"
)]
pub struct InspectArgs {
    /// The GGUF model file to read.
    #[arg(value_name = "PATH")]
    pub path: PathBuf,
    /// Print one JSON object instead of a human-readable summary.
    #[arg(long)]
    pub json: bool,
}

/// Everything `models inspect` reports; serialized as-is with `--json`.
#[derive(Debug, Serialize)]
pub struct ModelSummary {
    /// The path as given.
    pub path: String,
    /// File size in bytes.
    pub file_size: u64,
    /// GGUF version (2 or 3).
    pub gguf_version: u32,
    /// Data alignment in bytes.
    pub alignment: u64,
    /// Number of metadata key-value pairs.
    pub metadata_count: usize,
    /// `general.architecture`.
    pub architecture: Option<String>,
    /// `general.name`.
    pub name: Option<String>,
    /// Hyperparameters from the `<architecture>.*` keys.
    pub hyperparameters: Hyperparameters,
    /// Tokenizer kind.
    pub tokenizer: Tokenizer,
    /// Number of tensors.
    pub tensor_count: usize,
    /// Total elements over all tensors.
    pub parameter_count: u64,
    /// Total bytes of tensor data (without alignment padding).
    pub tensor_bytes: u64,
    /// Per-type totals, ordered by type name.
    pub types: Vec<TypeSummary>,
}

/// Model hyperparameters; `null` when the file does not say.
#[derive(Debug, Default, Serialize)]
pub struct Hyperparameters {
    /// `<arch>.context_length`.
    pub context_length: Option<u64>,
    /// `<arch>.embedding_length`.
    pub embedding_length: Option<u64>,
    /// `<arch>.block_count`.
    pub block_count: Option<u64>,
    /// `<arch>.feed_forward_length`.
    pub feed_forward_length: Option<u64>,
    /// `<arch>.attention.head_count`.
    pub head_count: Option<u64>,
    /// `<arch>.attention.head_count_kv`.
    pub head_count_kv: Option<u64>,
    /// `<arch>.rope.freq_base`.
    pub rope_freq_base: Option<f32>,
    /// `<arch>.attention.layer_norm_rms_epsilon`.
    pub rms_norm_epsilon: Option<f32>,
    /// Length of `tokenizer.ggml.tokens`.
    pub vocab_size: Option<u64>,
}

/// Tokenizer kind from `tokenizer.ggml.*`.
#[derive(Debug, Default, Serialize)]
pub struct Tokenizer {
    /// `tokenizer.ggml.model` (`llama`, `gpt2`…).
    pub model: Option<String>,
    /// `tokenizer.ggml.pre` (pre-tokenizer name).
    pub pre: Option<String>,
}

/// Tensors of one ggml type.
#[derive(Debug, Serialize)]
pub struct TypeSummary {
    /// Type name (`f32`, `q4_1`…).
    pub dtype: String,
    /// Number of tensors.
    pub tensors: u64,
    /// Elements.
    pub parameters: u64,
    /// Bytes.
    pub bytes: u64,
}

/// Runs `models inspect`, printing to stdout.
pub fn run(args: &InspectArgs) -> anyhow::Result<()> {
    let summary = summarize(&args.path)
        .with_context(|| format!("cannot inspect GGUF file {}", args.path.display()))?;
    super::print_report(args.json, &summary, |out| {
        out.write_all(render(&summary).as_bytes())
    })
}

/// Reads the file at `path` and gathers its summary.
pub fn summarize(path: &Path) -> Result<ModelSummary, GgufError> {
    let file = GgufFile::open(path)?;
    let architecture = file.get_str("general.architecture")?.map(str::to_owned);
    let name = file.get_str("general.name")?.map(str::to_owned);
    let mut hp = Hyperparameters::default();
    if let Some(arch) = &architecture {
        let int = |suffix: &str| per_layer_or_u64(&file, &format!("{arch}.{suffix}"));
        hp.context_length = int("context_length")?;
        hp.embedding_length = int("embedding_length")?;
        hp.block_count = int("block_count")?;
        hp.feed_forward_length = int("feed_forward_length")?;
        hp.head_count = int("attention.head_count")?;
        hp.head_count_kv = int("attention.head_count_kv")?;
        hp.rope_freq_base = file.get_f32(&format!("{arch}.rope.freq_base"))?;
        hp.rms_norm_epsilon = file.get_f32(&format!("{arch}.attention.layer_norm_rms_epsilon"))?;
    }
    hp.vocab_size = file
        .get_array("tokenizer.ggml.tokens")?
        .map(|a| a.len() as u64);
    let tokenizer = Tokenizer {
        model: file.get_str("tokenizer.ggml.model")?.map(str::to_owned),
        pre: file.get_str("tokenizer.ggml.pre")?.map(str::to_owned),
    };
    let mut by_type: BTreeMap<&str, TypeSummary> = BTreeMap::new();
    for t in file.tensors() {
        let e = by_type
            .entry(t.dtype.name())
            .or_insert_with(|| TypeSummary {
                dtype: t.dtype.name().to_owned(),
                tensors: 0,
                parameters: 0,
                bytes: 0,
            });
        e.tensors += 1;
        e.parameters += t.n_elements();
        e.bytes += t.n_bytes;
    }
    let types: Vec<TypeSummary> = by_type.into_values().collect();
    Ok(ModelSummary {
        path: path.display().to_string(),
        file_size: file.bytes().len() as u64,
        gguf_version: file.version(),
        alignment: file.alignment(),
        metadata_count: file.metadata().len(),
        architecture,
        name,
        hyperparameters: hp,
        tokenizer,
        tensor_count: file.tensors().len(),
        parameter_count: types.iter().map(|t| t.parameters).sum(),
        tensor_bytes: types.iter().map(|t| t.bytes).sum(),
        types,
    })
}

/// An integer hyperparameter; per-layer arrays (some architectures store
/// head counts per block) are reported as absent rather than as an error.
fn per_layer_or_u64(file: &GgufFile, key: &str) -> Result<Option<u64>, GgufError> {
    if let Ok(Some(_)) = file.get_array(key) {
        return Ok(None);
    }
    file.get_u64(key)
}

/// `98362432` → `93.8 MiB`.
pub(crate) fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// The human-readable summary.
pub fn render(s: &ModelSummary) -> String {
    use std::fmt::Write as _;
    let mut o = String::new();
    let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_owned());
    let _ = writeln!(o, "File:            {}", s.path);
    let _ = writeln!(
        o,
        "Size:            {} ({} bytes)",
        human_bytes(s.file_size),
        s.file_size
    );
    let _ = writeln!(
        o,
        "GGUF version:    {} (alignment {})",
        s.gguf_version, s.alignment
    );
    let _ = writeln!(o, "Metadata keys:   {}", s.metadata_count);
    let _ = writeln!(o, "Architecture:    {}", or_dash(&s.architecture));
    let _ = writeln!(o, "Name:            {}", or_dash(&s.name));
    let hp = &s.hyperparameters;
    let ints = [
        ("context_length", hp.context_length),
        ("embedding_length", hp.embedding_length),
        ("block_count", hp.block_count),
        ("feed_forward_length", hp.feed_forward_length),
        ("attention.head_count", hp.head_count),
        ("attention.head_count_kv", hp.head_count_kv),
        ("vocab_size", hp.vocab_size),
    ];
    let floats = [
        ("rope.freq_base", hp.rope_freq_base),
        ("attention.layer_norm_rms_epsilon", hp.rms_norm_epsilon),
    ];
    let lines: Vec<(&str, String)> = ints
        .iter()
        .filter_map(|(k, v)| v.map(|v| (*k, v.to_string())))
        .chain(
            floats
                .iter()
                .filter_map(|(k, v)| v.map(|v| (*k, format!("{v:e}")))),
        )
        .collect();
    if !lines.is_empty() {
        let _ = writeln!(o, "Hyperparameters:");
        for (k, v) in lines {
            let _ = writeln!(o, "  {k:<34}{v}");
        }
    }
    let tok = match (&s.tokenizer.model, &s.tokenizer.pre) {
        (None, None) => "-".to_owned(),
        (m, Some(p)) => format!("{} (pre: {p})", or_dash(m)),
        (m, None) => or_dash(m),
    };
    let _ = writeln!(o, "Tokenizer:       {tok}");
    let _ = writeln!(
        o,
        "Tensors:         {} ({} parameters, {})",
        s.tensor_count,
        s.parameter_count,
        human_bytes(s.tensor_bytes)
    );
    let _ = writeln!(
        o,
        "  {:<8} {:>8} {:>14} {:>14}",
        "type", "tensors", "parameters", "bytes"
    );
    for t in &s.types {
        let _ = writeln!(
            o,
            "  {:<8} {:>8} {:>14} {:>14}",
            t.dtype, t.tensors, t.parameters, t.bytes
        );
    }
    let _ = writeln!(
        o,
        "  {:<8} {:>8} {:>14} {:>14}",
        "total", s.tensor_count, s.parameter_count, s.tensor_bytes
    );
    o
}
