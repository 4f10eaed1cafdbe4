//! `edgebench models synth --preset P --seed N OUT`: writes a synthetic
//! Llama-architecture GGUF model, so everything runs without a download.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use edgebench_kernels::synth::{self, Preset};
use serde::Serialize;

/// Arguments of `models synth`.
#[derive(Debug, Args)]
#[command(after_help = "Presets:\n  \
    tiny               64 wide, 2 layers, 512-token vocabulary (~0.1 M parameters)\n  \
    small              256 wide, 4 layers, 2048-token vocabulary (~3.7 M parameters)\n  \
    smollm-135m-shape  the shapes of SmolLM2-135M (~135 M parameters, ~540 MB)\n\n\
    Example:\n  edgebench models synth --preset small --seed 1 models/synth-small.gguf")]
pub struct SynthArgs {
    /// Model shape: tiny, small or smollm-135m-shape.
    #[arg(long, value_name = "PRESET")]
    pub preset: String,
    /// Seed of the weights; the same preset and seed give the same file.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
    /// Where to write the GGUF file (replaced if it exists).
    #[arg(value_name = "OUT")]
    pub out: PathBuf,
    /// Print one JSON object instead of a human-readable line.
    #[arg(long)]
    pub json: bool,
}

/// What `models synth` reports; serialized as-is with `--json`.
#[derive(Debug, Serialize)]
pub struct SynthSummary {
    /// The path written.
    pub path: String,
    /// The preset name.
    pub preset: String,
    /// The seed.
    pub seed: u64,
    /// Number of weights.
    pub parameters: u64,
    /// Number of tensors.
    pub tensors: usize,
    /// File size in bytes.
    pub bytes: u64,
}

/// Runs `models synth`, printing what was written to stdout.
pub fn run(args: &SynthArgs) -> anyhow::Result<()> {
    let preset: Preset = args.preset.parse()?;
    let written = synth::write(preset, args.seed, &args.out)
        .with_context(|| format!("cannot generate synthetic model '{preset}'"))?;
    let summary = SynthSummary {
        path: args.out.display().to_string(),
        preset: preset.name().to_owned(),
        seed: args.seed,
        parameters: written.parameters,
        tensors: written.tensors,
        bytes: written.bytes,
    };
    super::print_report(args.json, &summary, |out| {
        writeln!(
            out,
            "Wrote {}: preset {} (seed {}), {} parameters in {} tensors, {} bytes",
            summary.path,
            summary.preset,
            summary.seed,
            summary.parameters,
            summary.tensors,
            summary.bytes
        )
    })
}
