//! `edgebench generate`: run a model with a recipe on a prompt, print the
//! text and the prefill and decode speeds.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};
use edgebench_kernels::generate::{self, GenerateOptions, Sampler, SamplerConfig, StopReason};
use edgebench_kernels::model::{KvType, Session, SessionOptions};
use serde::Serialize;

use super::generate_profile::render;
use edgebench_schema::ProfileReport;
use edgebench_targets::agent::profile_report;

use super::loading::{self, default_threads};

/// Element type of the KV cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KvArg {
    /// 4 bytes per element.
    F32,
    /// 2 bytes per element.
    F16,
}

impl From<KvArg> for KvType {
    fn from(k: KvArg) -> Self {
        match k {
            KvArg::F32 => KvType::F32,
            KvArg::F16 => KvType::F16,
        }
    }
}

/// Arguments of `generate`.
#[derive(Debug, Args)]
#[command(after_help = "\
Without --recipe the file runs as it is, weights used from its memory map:
this measures deployment, as `edgebench run` runs the recipe files it makes
(write one with `edgebench models quantize`). With --recipe the recipe is
applied while loading, for one-off use: load time and memory then include
the conversion, which a device running the recipe file never pays.

Prefill tokens/s counts the prompt over the time to the first token; decode
tokens/s counts the tokens after the first over their decode steps.

Examples:
  edgebench models quantize model.gguf model-q4_0.gguf --recipe q4_0
  edgebench generate --model model-q4_0.gguf --prompt \"The capital of France is\" -n 16
  edgebench generate --model model.gguf --recipe q8_0 --prompt \"Once upon\" -n 64 --temperature 0.8 --seed 7 --json")]
pub struct GenerateArgs {
    /// The GGUF model file.
    #[arg(long, value_name = "PATH")]
    pub model: PathBuf,
    /// A recipe applied while loading, e.g. `q8_0`, `q4_0+heads25` (one-off
    /// use) [default: run the file as it is].
    #[arg(long, value_name = "NAME")]
    pub recipe: Option<String>,
    /// The prompt text.
    #[arg(long, value_name = "TEXT")]
    pub prompt: String,
    /// Tokens to generate.
    #[arg(short = 'n', long = "tokens", value_name = "N", default_value_t = 64)]
    pub tokens: usize,
    /// Kernel threads [default: the available cores].
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// KV-cache positions [default: the model's context, at most 4096].
    #[arg(long, value_name = "N")]
    pub ctx: Option<usize>,
    /// KV-cache element type.
    #[arg(long, value_enum, default_value = "f32")]
    pub kv: KvArg,
    /// Sampling temperature; 0 is greedy.
    #[arg(long, value_name = "T", default_value_t = 0.0)]
    pub temperature: f32,
    /// Keep only the K most likely tokens (0: all).
    #[arg(long, value_name = "K", default_value_t = 0)]
    pub top_k: usize,
    /// Keep the most likely tokens up to this total probability.
    #[arg(long, value_name = "P", default_value_t = 1.0)]
    pub top_p: f32,
    /// Seed of the sampler.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
    /// Print one JSON object instead of the text and a summary.
    #[arg(long)]
    pub json: bool,
    /// Time every forward pass per class of operation (embedding, norms,
    /// activation quantization, each group of matrix products with its
    /// weight GB/s, RoPE, attention, SwiGLU, residuals, output projection)
    /// and print the prefill and decode tables (in the JSON with --json).
    #[arg(long)]
    pub profile: bool,
}

/// What `generate` reports; serialized as-is with `--json`.
#[derive(Debug, Serialize)]
pub struct GenerateReport {
    /// The recipe's canonical name.
    pub recipe: String,
    /// The prompt as given.
    pub prompt: String,
    /// The generated text.
    pub text: String,
    /// Prompt token ids (BOS included when the model adds one).
    pub prompt_tokens: Vec<u32>,
    /// Generated token ids.
    pub tokens: Vec<u32>,
    /// Why generation stopped: `max_tokens`, `stop_token` or `context_full`.
    pub stop: &'static str,
    /// Kernel threads.
    pub threads: usize,
    /// Whether the recipe was applied while loading (else the file ran as
    /// it is).
    pub applied_at_load: bool,
    /// Seconds to open the file (and apply the recipe).
    pub load_s: f64,
    /// Seconds to the first generated token.
    pub ttft_s: f64,
    /// Prompt tokens per second.
    pub prefill_tps: f64,
    /// Generated tokens per second after the first (`null` for one token).
    pub decode_tps: Option<f64>,
    /// With `--profile`: time per class of operation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<ProfileReport>,
}

/// Runs `generate`.
pub fn run(args: &GenerateArgs) -> anyhow::Result<()> {
    let loaded = match &args.recipe {
        Some(recipe) => loading::load(&args.model, recipe)?,
        None => loading::load_file(&args.model, None)?,
    };
    let config = loaded.model.config().clone();
    let ctx = args.ctx.unwrap_or(config.context_length.min(4096));
    let threads = args.threads.unwrap_or_else(default_threads);
    let options = SessionOptions::new(ctx)
        .kv_type(args.kv.into())
        .threads(threads)
        .profile(args.profile);
    let mut session = Session::new(loaded.model.clone(), &options)
        .context("cannot set up the inference session")?;
    let sampler_config = SamplerConfig::with_temperature(args.temperature)
        .top_k(args.top_k)
        .top_p(args.top_p)
        .seed(args.seed);
    let mut sampler = Sampler::new(sampler_config).context("invalid sampling options")?;
    let tok = &loaded.tokenizer;
    let prompt = tok.encode(&args.prompt, true, false);
    let mut gen_options = GenerateOptions::new(args.tokens);
    if let Some(eos) = tok.eos() {
        gen_options = gen_options.stop_at(eos);
    }
    let stream = !args.json && std::io::stdout().is_terminal();
    let mut out = std::io::stdout().lock();
    if stream {
        write!(out, "{}", args.prompt)?;
        out.flush()?;
    }
    let generation = generate::generate(&mut session, &mut sampler, &prompt, &gen_options, |ev| {
        if stream && let Ok(piece) = tok.token_to_piece(ev.token, false) {
            let _ = out.write_all(piece);
            let _ = out.flush();
        }
    })
    .with_context(|| {
        format!(
            "generation failed (prompt of {} tokens, context {ctx})",
            prompt.len()
        )
    })?;
    let text = tok
        .decode(&generation.tokens, false)
        .context("cannot decode the generated tokens")?;
    let ttft = generation.time_to_first_token().as_secs_f64();
    let decode_time: f64 = generation.latencies[1..]
        .iter()
        .map(|d| d.as_secs_f64())
        .sum();
    let report = GenerateReport {
        recipe: loaded.recipe.clone(),
        prompt: args.prompt.clone(),
        text,
        stop: match generation.stop {
            StopReason::MaxTokens => "max_tokens",
            StopReason::StopToken => "stop_token",
            StopReason::ContextFull => "context_full",
        },
        threads,
        applied_at_load: loaded.applied_at_load,
        load_s: loaded.load_time.as_secs_f64(),
        ttft_s: ttft,
        prefill_tps: prompt.len() as f64 / ttft.max(f64::MIN_POSITIVE),
        decode_tps: (generation.tokens.len() > 1 && decode_time > 0.0)
            .then(|| (generation.tokens.len() - 1) as f64 / decode_time),
        prompt_tokens: prompt,
        tokens: generation.tokens,
        profile: session.profile().map(profile_report),
    };
    if args.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        if stream {
            writeln!(out)?;
        } else {
            writeln!(out, "{}{}", report.prompt, report.text)?;
        }
        let decode = report
            .decode_tps
            .map_or_else(|| "n/a".to_owned(), |v| format!("{v:.1}"));
        eprintln!(
            "recipe {} | {} threads | prompt {} tokens, prefill {:.1} tokens/s, first token {:.3} s | \
             {} generated, decode {decode} tokens/s | load {:.2} s{}",
            report.recipe,
            threads,
            report.prompt_tokens.len(),
            report.prefill_tps,
            report.ttft_s,
            report.tokens.len(),
            report.load_s,
            if report.applied_at_load {
                " (recipe applied while loading)"
            } else {
                " (file as it is)"
            },
        );
        if let Some(p) = &report.profile {
            eprint!("{}", render(p));
        }
    }
    out.flush()?;
    Ok(())
}
