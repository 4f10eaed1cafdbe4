//! `edgebench models quantize IN OUT --recipe NAME [--json]`: applies a
//! compression recipe to a GGUF model and writes the result as GGUF.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use edgebench_kernels::model::ModelConfig;
use edgebench_kernels::recipe::{FormatTotal, Recipe, RecipeReport};
use serde::Serialize;

use super::models_inspect::{TypeSummary, human_bytes};
use crate::recipe_files::{self, Bar};

/// Arguments of `models quantize`.
#[derive(Debug, Args)]
#[command(after_help = "\
Recipe names: SCHEME[+headsN][+ffnN][+sparseN][+CLASS=SCHEME]...
  SCHEME  f32, f16, bf16, q8_0, q4_0, q4_1 (format of the weight matrices)
  headsN  remove N % of the query heads of every key/value group
  ffnN    remove N % of the feed-forward channels (kept a multiple of 32)
  sparseN zero the N % smallest weights of every block matrix
  CLASS   token_embd, output, attn_q, attn_k, attn_v, attn_output,
          ffn_gate, ffn_up, ffn_down (format override for that class)
Norms, biases and rope_freqs always stay f32.

Examples:
  edgebench models quantize model-f16.gguf model-q4_0.gguf --recipe q4_0
  edgebench models quantize model.gguf small.gguf --recipe q4_0+heads25+output=q8_0 --json")]
pub struct QuantizeArgs {
    /// The GGUF model file to read.
    #[arg(value_name = "IN")]
    pub input: PathBuf,
    /// The GGUF file to write (replaced if it exists; may be IN).
    #[arg(value_name = "OUT")]
    pub output: PathBuf,
    /// The recipe, e.g. `q4_0`, `q8_0+sparse50`, `q4_0+token_embd=q8_0`.
    #[arg(long, value_name = "NAME")]
    pub recipe: String,
    /// Print one JSON object instead of a human-readable report.
    #[arg(long)]
    pub json: bool,
}

/// Everything `models quantize` reports; serialized as-is with `--json`.
#[derive(Debug, Serialize)]
pub struct QuantizeSummary {
    /// The input path as given.
    pub input: String,
    /// The output path as given.
    pub output: String,
    /// The recipe's canonical name.
    pub recipe: String,
    /// Size of the written file in bytes.
    pub file_size: u64,
    /// Elements over all tensors, before.
    pub parameters_before: u64,
    /// Elements over all tensors, after.
    pub parameters_after: u64,
    /// Tensor bytes as stored, before.
    pub bytes_before: u64,
    /// Tensor bytes as stored, after.
    pub bytes_after: u64,
    /// Per-format totals before, by ggml type id.
    pub formats_before: Vec<TypeSummary>,
    /// Per-format totals after, by ggml type id.
    pub formats_after: Vec<TypeSummary>,
    /// Hyperparameters after.
    pub config: ConfigRow,
    /// Pruning done.
    pub pruning: Vec<String>,
    /// Tensors stored in another format than asked, with the reason.
    pub fallbacks: Vec<String>,
    /// Tensors reused as they were.
    pub tensors_kept: usize,
    /// Tensors converted or cut.
    pub tensors_converted: usize,
}

/// The hyperparameters a recipe can change.
#[derive(Debug, Serialize)]
pub struct ConfigRow {
    /// Query heads.
    pub n_head: usize,
    /// Key/value heads.
    pub n_head_kv: usize,
    /// Width of one head.
    pub head_dim: usize,
    /// Feed-forward width.
    pub n_ff: usize,
}

/// Runs `models quantize`, printing the report to stdout.
pub fn run(args: &QuantizeArgs) -> anyhow::Result<()> {
    let recipe: Recipe = args.recipe.parse().context("invalid --recipe")?;
    let bar = Bar::new(&format!("{recipe}"));
    let made = recipe_files::make(&args.input, &recipe, &args.output, &bar);
    bar.finish();
    let made = made?;
    let summary = summarize(args, &made.report, &made.config, made.file_size);
    super::print_report(args.json, &summary, |out| {
        out.write_all(render(&summary).as_bytes())
    })
}

fn rows(totals: &[FormatTotal]) -> Vec<TypeSummary> {
    totals
        .iter()
        .map(|f| TypeSummary {
            dtype: f.dtype.name().to_owned(),
            tensors: f.tensors as u64,
            parameters: f.parameters,
            bytes: f.bytes,
        })
        .collect()
}

/// Gathers the summary of one run.
pub fn summarize(
    args: &QuantizeArgs,
    r: &RecipeReport,
    config: &ModelConfig,
    file_size: u64,
) -> QuantizeSummary {
    let mut pruning = Vec::new();
    if let Some(h) = &r.heads {
        let layers = h.removed.iter().filter(|l| !l.is_empty()).count();
        pruning.push(format!(
            "heads {}%: {} -> {} query heads, {} -> {} key/value heads, in {layers} blocks",
            h.percent, h.n_head.0, h.n_head.1, h.n_head_kv.0, h.n_head_kv.1
        ));
    }
    if let Some(f) = &r.ffn {
        pruning.push(format!(
            "ffn {}%: {} -> {} channels per block",
            f.percent, f.n_ff.0, f.n_ff.1
        ));
    }
    if let Some(s) = &r.sparsity {
        pruning.push(format!(
            "sparse {}%: {} of {} weights zeroed in {} matrices",
            s.percent, s.zeroed, s.weights, s.tensors
        ));
    }
    let fallbacks = r
        .fallbacks
        .iter()
        .map(|f| {
            format!(
                "{}: {} instead of {} (rows of {} are not whole blocks)",
                f.tensor, f.used, f.requested, f.row_length
            )
        })
        .collect();
    QuantizeSummary {
        input: args.input.display().to_string(),
        output: args.output.display().to_string(),
        recipe: r.recipe.clone(),
        file_size,
        parameters_before: r.parameters.0,
        parameters_after: r.parameters.1,
        bytes_before: r.bytes.0,
        bytes_after: r.bytes.1,
        formats_before: rows(&r.formats_before),
        formats_after: rows(&r.formats_after),
        config: ConfigRow {
            n_head: config.n_head,
            n_head_kv: config.n_head_kv,
            head_dim: config.head_dim,
            n_ff: config.n_ff,
        },
        pruning,
        fallbacks,
        tensors_kept: r.kept,
        tensors_converted: r.converted,
    }
}

/// `before -> after (-12.5 %)`.
fn change(before: u64, after: u64, show: impl Fn(u64) -> String) -> String {
    let pct = if before == 0 {
        0.0
    } else {
        (after as f64 - before as f64) / before as f64 * 100.0
    };
    format!("{} -> {} ({pct:+.1} %)", show(before), show(after))
}

/// The human-readable report.
pub fn render(s: &QuantizeSummary) -> String {
    use std::fmt::Write as _;
    let mut o = String::new();
    let _ = writeln!(o, "Recipe:          {}", s.recipe);
    let _ = writeln!(o, "Input:           {}", s.input);
    let _ = writeln!(
        o,
        "Output:          {} ({})",
        s.output,
        human_bytes(s.file_size)
    );
    let _ = writeln!(
        o,
        "Parameters:      {}",
        change(s.parameters_before, s.parameters_after, |n| n.to_string())
    );
    let _ = writeln!(
        o,
        "Tensor bytes:    {}",
        change(s.bytes_before, s.bytes_after, human_bytes)
    );
    let c = &s.config;
    let _ = writeln!(
        o,
        "Hyperparameters: n_head {}, n_head_kv {}, head_dim {}, n_ff {}",
        c.n_head, c.n_head_kv, c.head_dim, c.n_ff
    );
    let _ = writeln!(
        o,
        "Formats after:\n  {:<8} {:>8} {:>14} {:>14}",
        "type", "tensors", "parameters", "bytes"
    );
    for f in &s.formats_after {
        let _ = writeln!(
            o,
            "  {:<8} {:>8} {:>14} {:>14}",
            f.dtype, f.tensors, f.parameters, f.bytes
        );
    }
    if s.pruning.is_empty() {
        let _ = writeln!(o, "Pruning:         none");
    } else {
        let _ = writeln!(o, "Pruning:");
    }
    for p in &s.pruning {
        let _ = writeln!(o, "  {p}");
    }
    if !s.fallbacks.is_empty() {
        let _ = writeln!(o, "Fallbacks:");
        for f in &s.fallbacks {
            let _ = writeln!(o, "  {f}");
        }
    }
    let _ = writeln!(
        o,
        "Tensors:         {} converted, {} kept as they were",
        s.tensors_converted, s.tensors_kept
    );
    o
}
