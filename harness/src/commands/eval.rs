//! `edgebench eval`: perplexity of a recipe over a text, and how far its
//! predictions are from a reference recipe's (PPL ratio, KL divergence,
//! top-1 agreement), computed in one process.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;
use edgebench_kernels::eval::{self, ComparisonReport, PerplexityReport};
use edgebench_kernels::model::{Session, SessionOptions};
use serde::Serialize;

use super::loading::{self, LoadedModel, default_threads};

/// Arguments of `eval`.
#[derive(Debug, Args)]
#[command(after_help = "\
The text is cut into windows of --ctx tokens; the second half of each window
is scored, as llama.cpp's perplexity tool does, so figures compare with
`llama-perplexity -c CTX` on the same file and text.

Without --recipe the model file is scored as it is, against the reference
file --reference-model: the accuracy of the bytes a device runs, as
`edgebench run` scores the recipe files it makes (write them with
`edgebench models quantize`). With --recipe, the recipe and the reference
recipe are both applied to --model while loading, for one-off use.

Examples:
  edgebench eval --model model-q4_0.gguf --reference-model model-f32.gguf --text wiki.txt
  edgebench eval --model model.gguf --recipe q4_0 --text wiki.txt --ctx 256
  edgebench eval --model model.gguf --recipe q8_0 --reference none --text wiki.txt --json")]
pub struct EvalArgs {
    /// The GGUF model file.
    #[arg(long, value_name = "PATH")]
    pub model: PathBuf,
    /// A recipe applied to --model while loading (one-off use) [default:
    /// score the file as it is].
    #[arg(long, value_name = "NAME")]
    pub recipe: Option<String>,
    /// The reference recipe applied to --model, or `none` for perplexity
    /// only [default: f32 with --recipe].
    #[arg(long, value_name = "NAME", conflicts_with = "reference_model")]
    pub reference: Option<String>,
    /// The reference as a file scored as it is (e.g. the f32 recipe file).
    #[arg(long, value_name = "PATH")]
    pub reference_model: Option<PathBuf>,
    /// The evaluation text (UTF-8).
    #[arg(long, value_name = "FILE")]
    pub text: PathBuf,
    /// Window length in tokens.
    #[arg(long, value_name = "N", default_value_t = 256)]
    pub ctx: usize,
    /// Evaluate at most this many windows (0: all).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub windows: usize,
    /// Kernel threads [default: the available cores].
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Print one JSON object instead of a summary.
    #[arg(long)]
    pub json: bool,
}

/// What `eval` reports; serialized as-is with `--json`.
#[derive(Debug, Serialize)]
pub struct EvalReport {
    /// The recipe under test.
    pub recipe: String,
    /// The reference recipe, when compared.
    pub reference: Option<String>,
    /// Tokens in the text.
    pub text_tokens: usize,
    /// Window length.
    pub ctx: usize,
    /// Windows evaluated.
    pub windows: usize,
    /// Tokens scored.
    pub scored_tokens: usize,
    /// Perplexity of the recipe.
    pub ppl: f64,
    /// Its standard error.
    pub ppl_stderr: f64,
    /// Perplexity of the reference.
    pub ppl_reference: Option<f64>,
    /// `ppl / ppl_reference`.
    pub ppl_ratio: Option<f64>,
    /// `(ratio − 1) · 100`.
    pub ppl_delta_pct: Option<f64>,
    /// Mean KL divergence from the reference (nats per token).
    pub kld_mean: Option<f64>,
    /// 99th percentile of the KL divergence.
    pub kld_p99: Option<f64>,
    /// Positions with the same most likely token, percent.
    pub top1_agreement_pct: Option<f64>,
    /// Seconds spent evaluating (loading excluded).
    pub eval_s: f64,
}

fn session(loaded: &LoadedModel, ctx: usize, threads: usize) -> anyhow::Result<Session> {
    let options = SessionOptions::new(ctx).threads(threads);
    Session::new(loaded.model.clone(), &options).with_context(|| {
        format!(
            "cannot run recipe {} with a context of {ctx}",
            loaded.recipe
        )
    })
}

/// Runs `eval`.
pub fn run(args: &EvalArgs) -> anyhow::Result<()> {
    let text = std::fs::read(&args.text)
        .with_context(|| format!("cannot read evaluation text {}", args.text.display()))?;
    let text = String::from_utf8(text).map_err(|e| {
        anyhow::anyhow!(
            "evaluation text {} is not UTF-8 (first bad byte at offset {})",
            args.text.display(),
            e.utf8_error().valid_up_to()
        )
    })?;
    if text.trim().is_empty() {
        bail!("evaluation text {} is empty", args.text.display());
    }
    let threads = args.threads.unwrap_or_else(default_threads);
    let (test, reference) = load_models(args)?;
    let tok = &test.tokenizer;
    let mut tokens = tok.encode(&text, true, false);
    if args.windows > 0 {
        tokens.truncate(args.windows.saturating_mul(args.ctx));
    }
    let bos = tok.adds_bos().then(|| tok.bos()).flatten();
    let show = !args.json && std::io::stderr().is_terminal();
    let mut progress = |done: usize, total: usize| {
        if show {
            eprint!("\rwindow {done}/{total}");
            if done == total {
                eprintln!();
            }
        }
    };
    let start = std::time::Instant::now();
    let mut test_session = session(&test, args.ctx, threads)?;
    let context = || format!("evaluation of recipe {} failed", test.recipe);
    let report = match &reference {
        None => {
            let r = eval::perplexity(&mut test_session, &tokens, args.ctx, bos, &mut progress)
                .with_context(context)?;
            only_perplexity(&test.recipe, tokens.len(), &r)
        }
        Some(reference) => {
            let mut ref_session = session(reference, args.ctx, threads)?;
            let r = eval::compare(
                &mut test_session,
                &mut ref_session,
                &tokens,
                args.ctx,
                bos,
                &mut progress,
            )
            .with_context(context)?;
            compared(&test.recipe, &reference.recipe, tokens.len(), &r)
        }
    };
    let report = EvalReport {
        eval_s: start.elapsed().as_secs_f64(),
        ..report
    };
    super::print_report(args.json, &report, |out| write_human(out, &report))
}

/// The model under test and the reference, as the arguments name them.
fn load_models(args: &EvalArgs) -> anyhow::Result<(LoadedModel, Option<LoadedModel>)> {
    let reference_recipe = |default: Option<&str>| match args.reference.as_deref().or(default) {
        None | Some("none") => Ok(None),
        Some(name) => loading::load(&args.model, name).map(Some),
    };
    match (&args.recipe, &args.reference_model) {
        (_, Some(path)) => {
            let test = match &args.recipe {
                Some(recipe) => loading::load(&args.model, recipe)?,
                None => loading::load_file(&args.model, None)?,
            };
            Ok((test, Some(loading::load_file(path, None)?)))
        }
        (Some(recipe), None) => Ok((
            loading::load(&args.model, recipe)?,
            reference_recipe(Some("f32"))?,
        )),
        (None, None) => {
            if args.reference.as_deref().is_some_and(|r| r != "none") {
                bail!(
                    "--reference applies a recipe to --model, which without --recipe is \
                     scored as it is; name the reference file with --reference-model \
                     (e.g. the f32 recipe file), or give --recipe"
                );
            }
            if args.reference.is_none() {
                bail!(
                    "without --recipe, {} is scored as it is: name the reference file with \
                     --reference-model (e.g. the f32 recipe file), or pass --reference none \
                     for perplexity only",
                    args.model.display()
                );
            }
            Ok((loading::load_file(&args.model, None)?, None))
        }
    }
}

fn only_perplexity(recipe: &str, text_tokens: usize, r: &PerplexityReport) -> EvalReport {
    EvalReport {
        recipe: recipe.to_owned(),
        reference: None,
        text_tokens,
        ctx: r.ctx,
        windows: r.windows,
        scored_tokens: r.scored_tokens,
        ppl: r.perplexity,
        ppl_stderr: r.perplexity_stderr,
        ppl_reference: None,
        ppl_ratio: None,
        ppl_delta_pct: None,
        kld_mean: None,
        kld_p99: None,
        top1_agreement_pct: None,
        eval_s: 0.0,
    }
}

fn compared(recipe: &str, reference: &str, text_tokens: usize, r: &ComparisonReport) -> EvalReport {
    EvalReport {
        reference: Some(reference.to_owned()),
        ppl_reference: Some(r.reference.perplexity),
        ppl_ratio: Some(r.ppl_ratio),
        ppl_delta_pct: Some(r.ppl_delta_pct),
        kld_mean: Some(r.kld_mean),
        kld_p99: Some(r.kld_p99),
        top1_agreement_pct: Some(r.top1_agreement_pct),
        ..only_perplexity(recipe, text_tokens, &r.test)
    }
}

fn write_human(out: &mut dyn Write, r: &EvalReport) -> std::io::Result<()> {
    writeln!(
        out,
        "text: {} tokens, {} windows of {} ({} scored)",
        r.text_tokens, r.windows, r.ctx, r.scored_tokens
    )?;
    writeln!(
        out,
        "{:<12} PPL {:.4} ± {:.4}",
        r.recipe, r.ppl, r.ppl_stderr
    )?;
    if let (Some(reference), Some(ppl_ref)) = (&r.reference, r.ppl_reference) {
        writeln!(out, "{reference:<12} PPL {ppl_ref:.4}")?;
        writeln!(
            out,
            "PPL ratio {:.4} ({:+.2} %) | KL divergence mean {:.5}, p99 {:.5} | top-1 agreement {:.2} %",
            r.ppl_ratio.unwrap_or(f64::NAN),
            r.ppl_delta_pct.unwrap_or(f64::NAN),
            r.kld_mean.unwrap_or(f64::NAN),
            r.kld_p99.unwrap_or(f64::NAN),
            r.top1_agreement_pct.unwrap_or(f64::NAN),
        )?;
    }
    writeln!(out, "evaluated in {:.1} s", r.eval_s)
}
