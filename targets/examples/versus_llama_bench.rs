//! Compares the edgebench inference kernel with llama.cpp on the same GGUF
//! files, on this machine.
//!
//! For every file and thread count it measures prompt processing (prefill
//! of a 128-token prompt) and generation (64 tokens decoded after that
//! prompt) twice:
//!
//! - **ours**: through the `edgebench-agent` binary, exactly as a matrix
//!   cell would run (`edgebench-agent run --quiet`, one job on stdin, meter
//!   `none`, f16 KV cache). The figure is the median tokens/s the agent
//!   reports for each phase.
//! - **llama.cpp**: through its `llama-bench` tool, with the same threads
//!   and an f16 KV cache: `-p 128 -n 0` for prefill and `-p 0 -n 64 -d 128`
//!   for decode, so generation runs at the same context depth as ours. The
//!   figure is the median of `samples_ts`.
//!
//! The two sides are interleaved: each round runs, for every file and
//! thread count, ours and then llama.cpp, so slow drift of a shared or
//! warming machine hits both. The table shows, per file, thread count and
//! phase, the median over rounds of each side's figure and their ratio.
//!
//! Each round also measures the memory bandwidth of a STREAM-like triad
//! (`a[i] = b[i] + s * c[i]` over three 64 MiB arrays, best of 5) with the
//! same number of threads. Decode reads (nearly) every weight once per
//! token, so the decode rows also show the weight bytes read per second as
//! a share of that bandwidth: the file's tensor data bytes (without
//! `token_embd` when the file has a separate `output.weight`, since only
//! one embedding row is then read per token) times the decode tokens/s.
//!
//! The recipe the agent runs a file under is the one the file records, or
//! else the one derived from its tensor types (the format most weight
//! matrices share, plus a `CLASS=FORMAT` override for a class stored in
//! another format, e.g. `q4_0+token_embd=q8_0`), checked against the file
//! as the agent checks it. Give `FILE=RECIPE` to choose it yourself.
//!
//! # Running it
//!
//! Build the agent, then run the example:
//!
//! ```text
//! cargo build --release -p edgebench-targets --bin edgebench-agent
//! cargo run --release -p edgebench-targets --example versus_llama_bench -- \
//!     --llama-bench /path/to/llama-bench [--threads 1,2] [--rounds 3] \
//!     [--prompt 128] [--gen 64] [--reps 3] [--json raw.json] \
//!     FILE.gguf[=RECIPE] ...
//! ```
//!
//! The agent is looked for next to the example's executable
//! (`target/release/edgebench-agent`); `--agent PATH` names another.
//!
//! `llama-bench` comes with llama.cpp (<https://github.com/ggml-org/llama.cpp>):
//!
//! ```text
//! cmake -B build -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF
//! cmake --build build --config Release --target llama-bench -j
//! # the tool is build/bin/llama-bench
//! ```
//!
//! The table goes to stdout as Markdown, progress to stderr; `--json PATH`
//! writes every round's figures.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail, ensure};
use edgebench_kernels::gguf::GgufFile;
use edgebench_kernels::model::{TensorName, TensorRole};
use edgebench_kernels::quant::GgmlType;
use edgebench_kernels::recipe::{self, OVERRIDE_CLASSES, Recipe, Scheme, fitting_format};
use edgebench_schema::job::MeterKind;
use edgebench_schema::{
    Job, JobResult, MeasureSettings, MeterChoice, ModelRef, Runtime, SCHEMA_VERSION, Status,
};
use edgebench_targets::agent::sha256_hex;
use serde_json::{Value, json};

/// How to use the example, for `--help` and argument errors.
const USAGE: &str = "\
usage: versus_llama_bench --llama-bench PATH [--agent PATH] [--threads 1,2]
                          [--rounds 3] [--prompt 128] [--gen 64] [--reps 3]
                          [--json PATH] FILE.gguf[=RECIPE] ...";

/// Lines of a failing tool's stderr shown in the error.
const STDERR_TAIL_LINES: usize = 15;
/// Elements of each triad array: 64 MiB of f64.
const TRIAD_ELEMENTS: usize = (64 << 20) / std::mem::size_of::<f64>();
/// Timed triad passes; the fastest counts.
const TRIAD_PASSES: usize = 5;

/// What the command line asks for.
#[derive(Debug)]
struct Options {
    /// The `llama-bench` executable.
    llama_bench: PathBuf,
    /// The `edgebench-agent` executable, when given.
    agent: Option<PathBuf>,
    /// Thread counts to measure.
    threads: Vec<u32>,
    /// Interleaved rounds.
    rounds: usize,
    /// Prompt tokens (prefill).
    prompt: u32,
    /// Generated tokens (decode).
    gen_tokens: u32,
    /// Measured repetitions per run, on both sides.
    reps: u32,
    /// Where to write the raw figures.
    json: Option<PathBuf>,
    /// The files, each with an optional recipe.
    files: Vec<(PathBuf, Option<String>)>,
}

/// One GGUF file to measure.
struct Model {
    /// Its path.
    path: PathBuf,
    /// Its file name, for the table.
    label: String,
    /// Lower-case hex SHA-256, which the agent verifies.
    sha256: String,
    /// The canonical recipe the agent runs it under.
    recipe: String,
    /// Weight bytes read per decoded token.
    decode_bytes_per_token: u64,
}

/// One round's figures for one file and thread count.
#[derive(Debug, Clone)]
struct Figures {
    /// Our median prefill tokens/s.
    ours_prefill: f64,
    /// Our median decode tokens/s.
    ours_decode: f64,
    /// llama.cpp's median prefill tokens/s.
    llama_prefill: f64,
    /// llama.cpp's median decode tokens/s.
    llama_decode: f64,
    /// Every repetition's tokens/s behind the medians, for `--json`.
    samples: Value,
}

/// What one `llama-bench` run reports.
#[derive(Debug, Clone)]
struct LlamaRun {
    /// `samples_ts`: tokens/s of every repetition.
    samples_ts: Vec<f64>,
    /// `avg_ts`.
    avg_ts: f64,
    /// `build_commit`, to name the version measured.
    build_commit: String,
}

/// The two phases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Prompt processing.
    Prefill,
    /// Token generation after the prompt.
    Decode,
}

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("versus_llama_bench: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Parses the arguments, measures every round and prints the table.
fn run() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return Ok(());
    }
    let options = parse_args(&args).map_err(|e| anyhow!("{e}\n{USAGE}"))?;
    let agent = find_agent(options.agent.as_deref())?;
    ensure!(
        options.llama_bench.is_file(),
        "llama-bench not found at {}",
        options.llama_bench.display()
    );
    let models = options
        .files
        .iter()
        .map(|(path, recipe)| prepare_model(path, recipe.as_deref()))
        .collect::<Result<Vec<_>>>()?;
    let measured = measure_rounds(&agent, &models, &options)?;
    let triad: BTreeMap<u32, f64> = measured
        .triads
        .iter()
        .map(|(&t, v)| (t, median(v)))
        .collect();
    print!("{}", table(&models, &options, &measured.rounds, &triad));
    println!();
    print!("{}", notes(&models, &options, &measured, &triad));
    if let Some(path) = &options.json {
        let raw = raw_json(&models, &options, &measured.rounds, &measured.triads);
        let text = serde_json::to_string_pretty(&raw).context("serializing the raw figures")?;
        std::fs::write(path, text + "\n").with_context(|| format!("writing {}", path.display()))?;
        eprintln!("raw figures written to {}", path.display());
    }
    Ok(())
}

/// Everything the rounds measured.
struct Measured {
    /// Per round: the figures of each (file index, threads).
    rounds: Vec<BTreeMap<(usize, u32), Figures>>,
    /// Triad bytes/s of each round, by thread count.
    triads: BTreeMap<u32, Vec<f64>>,
    /// The instruction set our kernels chose.
    isa: String,
    /// llama.cpp's `build_commit`.
    llama_build: String,
}

/// Runs the rounds: in each, per thread count, the triad and then, for every
/// file, ours followed by llama.cpp.
fn measure_rounds(agent: &Path, models: &[Model], options: &Options) -> Result<Measured> {
    let mut measured = Measured {
        rounds: Vec::new(),
        triads: BTreeMap::new(),
        isa: String::new(),
        llama_build: String::new(),
    };
    for round in 1..=options.rounds {
        let mut figures = BTreeMap::new();
        for &threads in &options.threads {
            let bw = triad_bytes_per_second(threads as usize);
            eprintln!(
                "round {round}/{}: triad with {threads} thread(s): {:.2} GB/s",
                options.rounds,
                bw / 1e9
            );
            measured.triads.entry(threads).or_default().push(bw);
            for (i, model) in models.iter().enumerate() {
                let where_ = format!(
                    "round {round}/{}, {}, {threads} thread(s)",
                    options.rounds, model.label
                );
                let f = measure_cell(agent, model, threads, options, &where_, &mut measured)?;
                figures.insert((i, threads), f);
            }
        }
        measured.rounds.push(figures);
    }
    Ok(measured)
}

/// Measures one file with one thread count: ours, then llama.cpp's
/// prefill and decode. Records the ISA and llama.cpp build in `measured`.
fn measure_cell(
    agent: &Path,
    model: &Model,
    threads: u32,
    options: &Options,
    where_: &str,
    measured: &mut Measured,
) -> Result<Figures> {
    let result =
        run_agent(agent, model, threads, options).with_context(|| format!("ours ({where_})"))?;
    let (ours_prefill, ours_decode) = agent_medians(&result)?;
    measured.isa.clone_from(&result.agent.isa);
    eprintln!(
        "{where_}: ours      prefill {ours_prefill:8.2} tok/s, decode {ours_decode:7.2} tok/s"
    );
    let prefill = run_llama_bench(options, model, threads, Phase::Prefill)
        .with_context(|| format!("llama.cpp prefill ({where_})"))?;
    let decode = run_llama_bench(options, model, threads, Phase::Decode)
        .with_context(|| format!("llama.cpp decode ({where_})"))?;
    measured.llama_build.clone_from(&decode.build_commit);
    let (llama_prefill, llama_decode) = (median(&prefill.samples_ts), median(&decode.samples_ts));
    eprintln!(
        "{where_}: llama.cpp prefill {llama_prefill:8.2} tok/s, decode {llama_decode:7.2} tok/s \
         (avg_ts {:.2}, {:.2})",
        prefill.avg_ts, decode.avg_ts
    );
    let ours_prefill_reps: Vec<f64> = result.reps.iter().map(|r| r.prefill_tps).collect();
    let ours_decode_reps: Vec<f64> = result.reps.iter().map(|r| r.decode_tps).collect();
    Ok(Figures {
        ours_prefill,
        ours_decode,
        llama_prefill,
        llama_decode,
        samples: json!({
            "ours_prefill_tps": ours_prefill_reps,
            "ours_decode_tps": ours_decode_reps,
            "llama_prefill_samples_ts": prefill.samples_ts,
            "llama_decode_samples_ts": decode.samples_ts,
        }),
    })
}

/// The lines under the table: what ran, the triad bandwidths and the bytes
/// read per decoded token.
fn notes(
    models: &[Model],
    options: &Options,
    measured: &Measured,
    triad: &BTreeMap<u32, f64>,
) -> String {
    let mut out = format!(
        "ours: edgebench-agent ({}); llama.cpp: llama-bench (build {}); KV cache f16; \
         {} repetition(s) per run; median over {} round(s).\n",
        measured.isa, measured.llama_build, options.reps, options.rounds
    );
    for (threads, bw) in triad {
        let _ = writeln!(
            out,
            "triad bandwidth with {threads} thread(s): {:.2} GB/s",
            bw / 1e9
        );
    }
    for m in models {
        let _ = writeln!(
            out,
            "{}: {:.1} MB of weights read per decoded token",
            m.label,
            m.decode_bytes_per_token as f64 / 1e6
        );
    }
    out
}

/// Parses the command line (without the program name).
fn parse_args(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        llama_bench: PathBuf::new(),
        agent: None,
        threads: vec![1],
        rounds: 3,
        prompt: 128,
        gen_tokens: 64,
        reps: 3,
        json: None,
        files: Vec::new(),
    };
    let mut llama_bench = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--llama-bench" => llama_bench = Some(PathBuf::from(value()?)),
            "--agent" => options.agent = Some(PathBuf::from(value()?)),
            "--threads" => options.threads = parse_thread_list(value()?)?,
            "--rounds" => options.rounds = parse_positive(arg, value()?)?,
            "--prompt" => options.prompt = parse_positive(arg, value()?)?,
            "--gen" => options.gen_tokens = parse_positive(arg, value()?)?,
            "--reps" => options.reps = parse_positive(arg, value()?)?,
            "--json" => options.json = Some(PathBuf::from(value()?)),
            flag if flag.starts_with('-') => return Err(format!("unknown option {flag}")),
            file => options.files.push(split_file_arg(file)),
        }
    }
    options.llama_bench = llama_bench.ok_or("--llama-bench PATH is required")?;
    if options.files.is_empty() {
        return Err("no GGUF file given".to_owned());
    }
    Ok(options)
}

/// `FILE=RECIPE` into the file and the recipe; a plain `FILE` has none.
/// Recipes hold `=` too (`q4_0+token_embd=q8_0`), so the split is at the
/// first `=` whose left side is an existing file, or else the first `=`.
fn split_file_arg(arg: &str) -> (PathBuf, Option<String>) {
    if Path::new(arg).is_file() {
        return (PathBuf::from(arg), None);
    }
    let splits = || {
        arg.match_indices('=')
            .map(|(i, _)| (&arg[..i], &arg[i + 1..]))
    };
    match splits()
        .find(|(file, _)| Path::new(file).is_file())
        .or_else(|| splits().next())
    {
        Some((file, recipe)) => (PathBuf::from(file), Some(recipe.to_owned())),
        None => (PathBuf::from(arg), None),
    }
}

/// A whole number of at least 1.
fn parse_positive<T: std::str::FromStr + Default + PartialOrd>(
    flag: &str,
    text: &str,
) -> Result<T, String> {
    text.parse::<T>()
        .ok()
        .filter(|v| *v > T::default())
        .ok_or(format!("{flag} takes a whole number above 0, not '{text}'"))
}

/// `1,2,4` into thread counts.
fn parse_thread_list(text: &str) -> Result<Vec<u32>, String> {
    let threads = text
        .split(',')
        .map(|t| parse_positive::<u32>("--threads", t.trim()))
        .collect::<Result<Vec<_>, _>>()?;
    if threads.is_empty() {
        return Err("--threads needs at least one count".to_owned());
    }
    Ok(threads)
}

/// The agent binary: `explicit`, or `edgebench-agent` in the directory
/// above the example's (`target/release/examples/..`).
fn find_agent(explicit: Option<&Path>) -> Result<PathBuf> {
    const BUILD: &str = "cargo build --release -p edgebench-targets --bin edgebench-agent";
    if let Some(path) = explicit {
        ensure!(
            path.is_file(),
            "the agent {} does not exist; build it with `{BUILD}`",
            path.display()
        );
        return Ok(path.to_owned());
    }
    let exe = std::env::current_exe().context("locating this executable")?;
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or_else(|| anyhow!("{} has no parent directory", exe.display()))?;
    let agent = profile_dir.join(format!("edgebench-agent{}", std::env::consts::EXE_SUFFIX));
    ensure!(
        agent.is_file(),
        "the agent is missing: {} does not exist; build it with `{BUILD}` \
         (or give --agent PATH)",
        agent.display()
    );
    Ok(agent)
}

/// Opens `path`, hashes it and settles its recipe.
fn prepare_model(path: &Path, recipe: Option<&str>) -> Result<Model> {
    ensure!(path.is_file(), "model file {} not found", path.display());
    let file = GgufFile::open(path).with_context(|| format!("opening {}", path.display()))?;
    let recipe = match recipe {
        Some(text) => text
            .parse::<Recipe>()
            .with_context(|| format!("recipe '{text}' given for {}", path.display()))?,
        None => derive_recipe(&file)
            .with_context(|| format!("deriving the recipe of {}", path.display()))?,
    };
    recipe::check_file(&file, &recipe).map_err(|e| {
        anyhow!(
            "{}: {e}\n\
             name its recipe yourself as {}=RECIPE (e.g. {}=q4_0+token_embd=q8_0)",
            path.display(),
            path.display(),
            path.display()
        )
    })?;
    let decode_bytes_per_token = decode_bytes_per_token(&file);
    drop(file);
    eprintln!("hashing {}", path.display());
    let handle =
        std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let (sha256, _) = sha256_hex(handle).with_context(|| format!("reading {}", path.display()))?;
    let label = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into(),
    );
    eprintln!("{label}: recipe {recipe}");
    Ok(Model {
        path: path.to_owned(),
        label,
        sha256,
        recipe: recipe.to_string(),
        decode_bytes_per_token,
    })
}

/// Weight bytes read per decoded token: every tensor's data, except
/// `token_embd` when a separate `output.weight` exists (then only one of
/// its rows is read per token).
fn decode_bytes_per_token(file: &GgufFile) -> u64 {
    let untied = file.tensor("output.weight").is_some();
    file.tensors()
        .iter()
        .filter(|t| !(untied && t.name == "token_embd.weight"))
        .map(|t| t.n_bytes)
        .sum()
}

/// The recipe a file records, or else the one its tensor types show.
fn derive_recipe(file: &GgufFile) -> Result<Recipe> {
    if let Some(text) = recipe::recorded_recipe(file) {
        return text
            .parse()
            .with_context(|| format!("the file records recipe '{text}'"));
    }
    // Weight matrices by class: (format, row length) of each.
    let mut classes: BTreeMap<TensorRole, Vec<(GgmlType, usize)>> = BTreeMap::new();
    for info in file.tensors() {
        let Some(name) = TensorName::parse(&info.name) else {
            continue;
        };
        if name.role.is_matrix() && OVERRIDE_CLASSES.contains(&name.role) {
            let row = info.dims.first().copied().unwrap_or(0) as usize;
            classes
                .entry(name.role)
                .or_default()
                .push((info.dtype, row));
        }
    }
    let all: Vec<(GgmlType, usize)> = classes.values().flatten().copied().collect();
    ensure!(
        !all.is_empty(),
        "the file has no weight matrices of a Llama-family model"
    );
    let base = best_scheme(&all).ok_or_else(|| {
        anyhow!(
            "its weight matrices are in {}; recipes store them in {}",
            type_list(&all),
            Scheme::VALID
        )
    })?;
    let mut recipe = Recipe::new(base);
    for (class, tensors) in &classes {
        if fitting(base, tensors) == tensors.len() {
            continue;
        }
        let scheme = best_scheme(tensors)
            .filter(|&s| fitting(s, tensors) == tensors.len())
            .ok_or_else(|| {
                anyhow!(
                    "the {} matrices are in {}, which no one recipe format gives",
                    class.stem(),
                    type_list(tensors)
                )
            })?;
        recipe = recipe.with_override(*class, scheme)?;
    }
    Ok(recipe)
}

/// How many of `tensors` a recipe of `scheme` stores in the format they
/// have (their rows may force a fallback format).
fn fitting(scheme: Scheme, tensors: &[(GgmlType, usize)]) -> usize {
    tensors
        .iter()
        .filter(|&&(dtype, row)| fitting_format(scheme.dtype(), row) == dtype)
        .count()
}

/// The scheme that stores the most of `tensors` in the format they have,
/// ties going to the scheme more of them are exactly in; `None` when no
/// scheme fits any.
fn best_scheme(tensors: &[(GgmlType, usize)]) -> Option<Scheme> {
    Scheme::ALL
        .into_iter()
        .map(|s| {
            let exact = tensors.iter().filter(|(t, _)| *t == s.dtype()).count();
            (fitting(s, tensors), exact, s)
        })
        .filter(|&(fits, _, _)| fits > 0)
        .max_by_key(|&(fits, exact, _)| (fits, exact))
        .map(|(_, _, s)| s)
}

/// `q4_1 (168), q8_0 (1)`: the formats of `tensors` with their counts.
fn type_list(tensors: &[(GgmlType, usize)]) -> String {
    let mut counts: BTreeMap<GgmlType, usize> = BTreeMap::new();
    for (t, _) in tensors {
        *counts.entry(*t).or_default() += 1;
    }
    let mut text = String::new();
    for (t, n) in counts {
        if !text.is_empty() {
            text.push_str(", ");
        }
        let _ = write!(text, "{t} ({n})");
    }
    text
}

/// The job the agent runs for `model` with `threads`.
fn agent_job(model: &Model, threads: u32, options: &Options) -> Job {
    Job {
        schema_version: SCHEMA_VERSION,
        cell_id: format!("versus-{}-t{threads}", model.label),
        model: ModelRef {
            path: model.path.to_string_lossy().into_owned(),
            sha256: model.sha256.clone(),
            source_sha256: None,
        },
        recipe: model.recipe.clone(),
        threads,
        prompt_tokens: options.prompt,
        gen_tokens: options.gen_tokens,
        seed: 0,
        kv_f16: true,
        measure: MeasureSettings {
            warmup_reps: 1,
            min_reps: options.reps,
            min_seconds: 0.0,
            max_reps: options.reps,
            idle_seconds: 0.0,
        },
        meter: MeterChoice {
            kind: MeterKind::None,
            counters: false,
            ..MeterChoice::default()
        },
        thermal_gate: None,
        profile: false,
        runtime: Runtime::Edgebench,
    }
}

/// Runs one job through `edgebench-agent run --quiet`; the result, which
/// must be `ok`.
fn run_agent(agent: &Path, model: &Model, threads: u32, options: &Options) -> Result<JobResult> {
    let job = agent_job(model, threads, options);
    job.validate().context("building the agent's job")?;
    let mut child = Command::new(agent)
        .args(["run", "--quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {}", agent.display()))?;
    let mut stdin = child.stdin.take().context("the agent's stdin")?;
    stdin
        .write_all(format!("{}\n", job.to_json()).as_bytes())
        .context("sending the job to the agent")?;
    drop(stdin);
    let out = child.wait_with_output().context("waiting for the agent")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let Some(line) = stdout.lines().rev().find(|l| !l.trim().is_empty()) else {
        bail!(
            "the agent ({}) printed no result{}",
            out.status,
            stderr_tail(&out.stderr)
        );
    };
    let result = JobResult::from_json(line).with_context(|| {
        format!(
            "the agent's output is not a result{}",
            stderr_tail(&out.stderr)
        )
    })?;
    if result.status != Status::Ok {
        bail!(
            "the agent's result is {}: {}",
            result.status.name(),
            result.error.as_deref().unwrap_or("(no error given)")
        );
    }
    Ok(result)
}

/// The median prefill and decode tokens/s of an agent result.
fn agent_medians(result: &JobResult) -> Result<(f64, f64)> {
    let latency = result
        .latency
        .as_ref()
        .context("the agent's result has no latency section")?;
    if !result.validity.valid {
        eprintln!(
            "note: the agent marks the measurement invalid: {}",
            result.validity.reasons.join("; ")
        );
    }
    Ok((latency.prefill_tps.median, latency.decode_tps.median))
}

/// The `llama-bench` arguments for `phase`.
fn llama_args(options: &Options, model: &Model, threads: u32, phase: Phase) -> Vec<String> {
    let (p, n, d) = match phase {
        Phase::Prefill => (options.prompt, 0, 0),
        Phase::Decode => (0, options.gen_tokens, options.prompt),
    };
    let mut args: Vec<String> = vec!["-m".into(), model.path.to_string_lossy().into_owned()];
    for (flag, value) in [
        ("-p", p.to_string()),
        ("-n", n.to_string()),
        ("-t", threads.to_string()),
        ("-r", options.reps.to_string()),
        ("-ctk", "f16".into()),
        ("-ctv", "f16".into()),
        ("-o", "json".into()),
    ] {
        args.push(flag.into());
        args.push(value);
    }
    if d > 0 {
        args.extend(["-d".into(), d.to_string()]);
    }
    args
}

/// Runs `llama-bench` for one phase and parses its JSON report.
fn run_llama_bench(
    options: &Options,
    model: &Model,
    threads: u32,
    phase: Phase,
) -> Result<LlamaRun> {
    let args = llama_args(options, model, threads, phase);
    let out = Command::new(&options.llama_bench)
        .args(&args)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("starting {}", options.llama_bench.display()))?;
    if !out.status.success() {
        bail!(
            "llama-bench {} failed ({}){}",
            args.join(" "),
            out.status,
            stderr_tail(&out.stderr)
        );
    }
    parse_llama_json(&String::from_utf8_lossy(&out.stdout)).with_context(|| {
        format!(
            "reading the output of llama-bench {}{}",
            args.join(" "),
            stderr_tail(&out.stderr)
        )
    })
}

/// The one test in `llama-bench -o json` output: an array of objects with
/// `samples_ts` and `avg_ts`.
fn parse_llama_json(text: &str) -> Result<LlamaRun> {
    let value: Value = serde_json::from_str(text.trim()).context("not JSON")?;
    let tests = value.as_array().context("not a JSON array")?;
    let [test] = tests.as_slice() else {
        bail!("expected one test, found {}", tests.len());
    };
    let samples_ts: Vec<f64> = test
        .get("samples_ts")
        .and_then(Value::as_array)
        .context("no samples_ts array")?
        .iter()
        .map(|v| v.as_f64().context("a samples_ts entry is not a number"))
        .collect::<Result<_>>()?;
    ensure!(
        !samples_ts.is_empty() && samples_ts.iter().all(|v| v.is_finite() && *v > 0.0),
        "samples_ts is empty or not all positive: {samples_ts:?}"
    );
    Ok(LlamaRun {
        samples_ts,
        avg_ts: test
            .get("avg_ts")
            .and_then(Value::as_f64)
            .unwrap_or(f64::NAN),
        build_commit: test
            .get("build_commit")
            .and_then(Value::as_str)
            .unwrap_or("unknown")
            .to_owned(),
    })
}

/// The last lines of a tool's stderr, as a suffix for an error message.
fn stderr_tail(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text.lines().collect();
    if lines.is_empty() {
        return String::new();
    }
    let tail = &lines[lines.len().saturating_sub(STDERR_TAIL_LINES)..];
    format!("; its stderr ends with:\n{}", tail.join("\n"))
}

/// Bytes per second of a STREAM triad (`a = b + s * c`, 24 bytes moved per
/// element) over three 64 MiB arrays split among `threads` threads; the
/// fastest of [`TRIAD_PASSES`] passes.
fn triad_bytes_per_second(threads: usize) -> f64 {
    let threads = threads.max(1);
    let mut a = vec![0.0f64; TRIAD_ELEMENTS];
    let b = vec![1.0f64; TRIAD_ELEMENTS];
    let c = vec![2.0f64; TRIAD_ELEMENTS];
    let chunk = TRIAD_ELEMENTS.div_ceil(threads);
    let scalar = 3.0;
    let mut best = f64::INFINITY;
    // One untimed pass touches every page first.
    for pass in 0..=TRIAD_PASSES {
        let start = Instant::now();
        std::thread::scope(|s| {
            for ((a, b), c) in a
                .chunks_mut(chunk)
                .zip(b.chunks(chunk))
                .zip(c.chunks(chunk))
            {
                s.spawn(move || {
                    for ((a, b), c) in a.iter_mut().zip(b).zip(c) {
                        *a = b + scalar * c;
                    }
                });
            }
        });
        let seconds = start.elapsed().as_secs_f64();
        if pass > 0 {
            best = best.min(seconds);
        }
    }
    std::hint::black_box(&a);
    (3 * TRIAD_ELEMENTS * std::mem::size_of::<f64>()) as f64 / best
}

/// The median of `values` (the mean of the middle two for an even count);
/// NaN when there are none.
fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    if sorted.is_empty() {
        return f64::NAN;
    }
    edgebench_schema::stats::quantile_sorted(&sorted, 0.5)
}

/// The median over rounds of one figure of one file and thread count.
fn median_over_rounds(
    rounds: &[BTreeMap<(usize, u32), Figures>],
    key: (usize, u32),
    figure: impl Fn(&Figures) -> f64,
) -> f64 {
    let values: Vec<f64> = rounds
        .iter()
        .filter_map(|r| r.get(&key).map(&figure))
        .collect();
    median(&values)
}

/// `x` as a percentage of `of`, one decimal.
fn share(x: f64, of: f64) -> String {
    format!("{:.1} %", 100.0 * x / of)
}

/// The Markdown table of medians over rounds.
fn table(
    models: &[Model],
    options: &Options,
    rounds: &[BTreeMap<(usize, u32), Figures>],
    triad: &BTreeMap<u32, f64>,
) -> String {
    let mut out = String::from(
        "| file | recipe | threads | phase | ours tok/s | llama.cpp tok/s | ours ÷ llama.cpp \
         | ours % of triad | llama.cpp % of triad |\n\
         |---|---|---:|---|---:|---:|---:|---:|---:|\n",
    );
    for (i, model) in models.iter().enumerate() {
        for &threads in &options.threads {
            let key = (i, threads);
            for phase in [Phase::Prefill, Phase::Decode] {
                let (ours, llama, label) = match phase {
                    Phase::Prefill => (
                        median_over_rounds(rounds, key, |f| f.ours_prefill),
                        median_over_rounds(rounds, key, |f| f.llama_prefill),
                        format!("prefill {}", options.prompt),
                    ),
                    Phase::Decode => (
                        median_over_rounds(rounds, key, |f| f.ours_decode),
                        median_over_rounds(rounds, key, |f| f.llama_decode),
                        format!("decode {} @{}", options.gen_tokens, options.prompt),
                    ),
                };
                let (ours_bw, llama_bw) = match (phase, triad.get(&threads)) {
                    (Phase::Decode, Some(&bw)) => {
                        let bytes = model.decode_bytes_per_token as f64;
                        (share(bytes * ours, bw), share(bytes * llama, bw))
                    }
                    _ => ("—".to_owned(), "—".to_owned()),
                };
                let _ = writeln!(
                    out,
                    "| {} | {} | {threads} | {label} | {ours:.2} | {llama:.2} | {:.2} | {ours_bw} | {llama_bw} |",
                    model.label,
                    model.recipe,
                    ours / llama
                );
            }
        }
    }
    out
}

/// Every round's figures, the triad bandwidths and the settings, as JSON.
fn raw_json(
    models: &[Model],
    options: &Options,
    rounds: &[BTreeMap<(usize, u32), Figures>],
    triads: &BTreeMap<u32, Vec<f64>>,
) -> Value {
    let rows: Vec<Value> = rounds
        .iter()
        .enumerate()
        .flat_map(|(round, figures)| {
            figures.iter().map(move |(&(i, threads), f)| {
                json!({
                    "round": round + 1,
                    "file": models[i].path.to_string_lossy(),
                    "threads": threads,
                    "ours_prefill_tps": f.ours_prefill,
                    "ours_decode_tps": f.ours_decode,
                    "llama_prefill_tps": f.llama_prefill,
                    "llama_decode_tps": f.llama_decode,
                    "reps": f.samples,
                })
            })
        })
        .collect();
    let files: Vec<Value> = models
        .iter()
        .map(|m| {
            json!({
                "file": m.path.to_string_lossy(),
                "sha256": m.sha256,
                "recipe": m.recipe,
                "decode_bytes_per_token": m.decode_bytes_per_token,
            })
        })
        .collect();
    let triad: BTreeMap<String, &Vec<f64>> =
        triads.iter().map(|(t, v)| (t.to_string(), v)).collect();
    json!({
        "prompt_tokens": options.prompt,
        "gen_tokens": options.gen_tokens,
        "reps": options.reps,
        "rounds": options.rounds,
        "files": files,
        "triad_bytes_per_s_by_threads": triad,
        "per_round": rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|&a| a.to_owned()).collect()
    }

    #[test]
    fn arguments() {
        let o = parse_args(&strings(&[
            "--llama-bench",
            "/lb",
            "--threads",
            "1, 2",
            "--rounds",
            "2",
            "a.gguf=q4_0+token_embd=q8_0",
            "b.gguf",
        ]))
        .unwrap();
        assert_eq!(o.threads, [1, 2]);
        assert_eq!((o.rounds, o.prompt, o.gen_tokens, o.reps), (2, 128, 64, 3));
        assert_eq!(
            o.files,
            [
                ("a.gguf".into(), Some("q4_0+token_embd=q8_0".to_owned())),
                ("b.gguf".into(), None)
            ]
        );
        let e = |args: &[&str]| parse_args(&strings(args)).unwrap_err();
        assert!(e(&["a.gguf"]).contains("--llama-bench"));
        assert!(e(&["--llama-bench", "/lb"]).contains("no GGUF file"));
        assert!(e(&["--llama-bench", "/lb", "--rounds", "0", "a"]).contains("'0'"));
        assert!(e(&["--llama-bench", "/lb", "--bogus", "a"]).contains("--bogus"));
        assert!(e(&["--llama-bench"]).contains("needs a value"));
    }

    #[test]
    fn llama_bench_json() {
        let run = parse_llama_json(
            r#"[{"build_commit": "abc", "n_prompt": 128, "n_gen": 0,
                 "avg_ts": 20.0, "samples_ts": [30.0, 10.0, 20.0]}]"#,
        )
        .unwrap();
        assert_eq!(median(&run.samples_ts), 20.0);
        assert_eq!((run.avg_ts, run.build_commit.as_str()), (20.0, "abc"));
        for bad in [
            "",
            "{}",
            "[]",
            r#"[{"samples_ts": []}]"#,
            r#"[{"avg_ts": 1}]"#,
        ] {
            assert!(parse_llama_json(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn medians() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn best_scheme_allows_for_fallback_formats() {
        // 32-wide rows are stored as asked; 48-wide ones fall back to f16.
        let tensors = [
            (GgmlType::Q4_1, 64),
            (GgmlType::Q4_1, 64),
            (GgmlType::F16, 48),
            (GgmlType::F16, 48),
            (GgmlType::F16, 48),
        ];
        assert_eq!(best_scheme(&tensors), Some(Scheme::Q4_1));
        assert_eq!(fitting(Scheme::Q4_1, &tensors), 5);
        assert_eq!(best_scheme(&[(GgmlType::Q6_K, 256)]), None);
    }
}
