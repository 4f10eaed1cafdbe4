//! `edgebench run`: a matrix end to end. Parse and validate, expand into
//! cells, make each (model, recipe) file once, compute accuracy once per
//! (recipe file, reference file, text), run every cell's agent on its
//! recipe file, persist each result the moment it arrives, print a summary
//! and write the reports.

pub mod accuracy;
pub mod gated;
pub mod models;
mod progress;
pub mod recipes;
pub mod schedule;
pub mod summary;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, bail};
use edgebench_schema::{AccuracyReport, JobResult, Runtime, Status};

use crate::artifacts::ArtifactStore;
use crate::matrix::{self, Connection, Matrix};
use crate::plan::{Cell, CellStatus, Plan};
use crate::recipe_files::RecipeCache;
use crate::regression::blocks::BlockPlan;
use crate::regression::canaries;
use crate::regression::config::{GateConfig, GateSettings};
use crate::regression::gate::{
    CellGate, GateDevice, GateOutcome, GateProgress, compare_deterministic, run_gate, unmeasured,
};
use crate::regression::gate_report;
use crate::report;
use crate::store::{
    AccuracyKey, CellMeta, GateVerdict, NewRun, RunStatus, RunStore, Store, host_facts,
};
use crate::target::Target;
use crate::target::agent_binary::AgentRequest;
use crate::target::local::LocalTarget;
use crate::target::ssh::{AgentBinaries, SshTarget, TrustPolicy};
use models::ModelFiles;
use progress::Progress;
use recipes::RunFiles;
use schedule::{DeviceWork, Event, RetryPolicy, Work};

/// What `edgebench run` was asked to do.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The matrix file.
    pub matrix: PathBuf,
    /// Continue this run instead of starting a new one.
    pub resume: Option<String>,
    /// Where run directories, the model cache and the store live.
    pub runs_dir: PathBuf,
    /// The SQLite store (default `<runs_dir>/edgebench.sqlite`).
    pub store: Option<PathBuf>,
    /// The command line, for `env.json`.
    pub command_line: Vec<String>,
    /// How SSH host keys are trusted.
    pub trust: TrustPolicy,
    /// Retries of devices whose link fails.
    pub retry: RetryPolicy,
    /// Compare against this stored run (`latest`, a tag, a run id).
    pub baseline: Option<String>,
    /// Blocks, repetitions and seed of the comparison.
    pub blocks: GatePlanOptions,
}

/// The comparison's blocks and repetitions as the command line gives
/// them: each `None` takes the matrix's `[regression]` value.
#[derive(Debug, Clone, Copy, Default)]
pub struct GatePlanOptions {
    /// Paired blocks per cell.
    pub blocks: Option<u32>,
    /// Measured repetitions per arm of a block.
    pub reps: Option<u32>,
    /// Seed of the arms' order and of the canaries' choice.
    pub seed: u64,
}

impl GatePlanOptions {
    /// The plan: the command line's values over the matrix's.
    pub fn plan(&self, regression: &crate::matrix::Regression) -> BlockPlan {
        BlockPlan {
            blocks: self.blocks.unwrap_or(regression.blocks) as usize,
            reps: self.reps.unwrap_or(regression.reps),
            seed: self.seed,
        }
    }
}

/// How a run ended.
#[derive(Debug)]
pub struct RunOutcome {
    /// The run id.
    pub run_id: String,
    /// The run directory.
    pub dir: PathBuf,
    /// Cells measured in this invocation.
    pub measured: usize,
    /// Cells whose status is not `ok` (over the whole run).
    pub not_ok: usize,
    /// Whether Ctrl-C stopped the run early.
    pub interrupted: bool,
    /// With a baseline: the gate's outcome.
    pub gate: Option<GateOutcome>,
}

/// Runs a matrix.
pub fn execute(options: &RunOptions) -> anyhow::Result<RunOutcome> {
    let matrix = match matrix::load(&options.matrix) {
        Ok(m) => m,
        Err(diagnostics) => bail!(
            "{}\n{} in {}",
            diagnostics.render().trim_end(),
            plural(diagnostics.0.len(), "error"),
            options.matrix.display()
        ),
    };
    let plan = Plan::new(&matrix);
    let matrix_text = std::fs::read_to_string(&options.matrix)
        .with_context(|| format!("cannot read {}", options.matrix.display()))?;
    let store_path = options
        .store
        .clone()
        .unwrap_or_else(|| Store::default_path(&options.runs_dir));
    let store = Store::open(&store_path)?;
    let mut run = match &options.resume {
        None => RunStore::create(
            &options.runs_dir,
            store,
            NewRun {
                matrix_name: plan.name.clone(),
                matrix_text,
                command_line: options.command_line.clone(),
                host: host_facts(),
            },
        )?,
        Some(id) => RunStore::open(&options.runs_dir, store, id, options.command_line.clone())?,
    };
    for warning in run.warnings() {
        eprintln!("warning: {warning}");
    }
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = Arc::clone(&stop);
        // A second Ctrl-C while stopping exits at once.
        let _ = ctrlc::set_handler(move || {
            if stop.swap(true, Ordering::SeqCst) {
                std::process::exit(130);
            }
            eprintln!("\nstopping after saving what is measured (Ctrl-C again to quit now)");
        });
    }
    let finished = run.finished_cells().clone();
    let todo: Vec<&Cell> = plan
        .cells
        .iter()
        .filter(|c| !finished.contains(&c.id))
        .collect();
    let mut sources = ModelFiles::new(options.runs_dir.join("models"));
    let cache = RecipeCache::in_runs_dir(&options.runs_dir);
    let files = recipes::prepare(&matrix, &plan, &todo, &mut sources, &cache, &stop);
    let mut progress = Progress::new(plan.cells.len(), finished.len());
    let agents = Arc::new(AgentBinaries::for_runtimes(&matrix.runtimes));
    let accuracy = if todo.is_empty() {
        BTreeMap::new()
    } else {
        accuracy_reports(&plan, &run, &files, &agents, &mut progress)?
    };
    let mut measured = 0;
    let mut by_device: BTreeMap<String, Vec<Work>> = BTreeMap::new();
    let cells_by_id: BTreeMap<&str, &Cell> = todo.iter().map(|c| (c.id.as_str(), *c)).collect();
    let with_accuracy = |cell: &Cell, mut r: JobResult| {
        r.accuracy = accuracy
            .get(&(
                cell.model_identity.clone(),
                cell.recipe_canonical.clone(),
                cell.runtime,
            ))
            .cloned();
        r
    };
    for cell in &todo {
        match prepare_cell(&matrix, cell, &files) {
            Prepared::Done(r) => {
                let r = with_accuracy(cell, *r);
                run.record(&r, &cell_meta(cell)).with_context(|| {
                    format!("cannot save the result of cell {}", cell.short_id())
                })?;
                progress.finish_cell(cell, &r);
                measured += 1;
            }
            Prepared::Run(work) => by_device
                .entry(cell.device.clone())
                .or_default()
                .push(*work),
        }
    }
    // What the cells measure is kept, so a later run can measure it again.
    let artifacts = ArtifactStore::in_runs_dir(&options.runs_dir);
    let mut kept: BTreeSet<String> = BTreeSet::new();
    for w in by_device.values().flatten() {
        if kept.insert(w.file.sha256.clone())
            && let Err(e) = artifacts.keep(&w.file.path, &w.file.sha256)
        {
            eprintln!("warning: {e}");
        }
    }
    let pairing = match &options.baseline {
        Some(reference) => Some(gated::pair(
            &options.runs_dir,
            run.store(),
            reference,
            &plan.name,
            run.id().as_str(),
            &mut by_device,
            |w| cell_meta(&w.cell),
        )?),
        None => None,
    };
    let target_for = |name: &str| -> anyhow::Result<Option<Box<dyn Target>>> {
        let Some(device) = matrix.devices.iter().find(|d| d.name == name) else {
            return Ok(None);
        };
        Ok(Some(match &device.connection {
            Connection::Local if !agents.features().is_empty() => {
                let agent = local_agent(&agents)?;
                Box::new(LocalTarget::with_agent(device, agent, Arc::clone(&stop)))
            }
            Connection::Local => Box::new(LocalTarget::for_device(device, Arc::clone(&stop))?),
            Connection::Ssh(settings) => Box::new(SshTarget::new(
                device,
                settings,
                options.trust,
                Arc::clone(&agents),
                Arc::clone(&stop),
            )),
        }))
    };
    let mut work = Vec::new();
    for (name, cells) in by_device {
        let Some(target) = target_for(&name)? else {
            continue;
        };
        progress.add_device(&name, cells.len());
        work.push(DeviceWork {
            device: name,
            target,
            cells,
        });
    }
    let mut save_error = None;
    let mut overheads: Vec<f64> = Vec::new();
    schedule::run_devices(work, options.retry, &stop, |event| match event {
        Event::Finished { result } => {
            let Some(cell) = cells_by_id.get(result.cell_id.as_str()) else {
                return;
            };
            let r = with_accuracy(cell, *result);
            if let Some(o) = r.timing.as_ref().and_then(|t| t.overhead_s()) {
                overheads.push(o);
            }
            if let Err(e) = run.record(&r, &cell_meta(cell)) {
                save_error.get_or_insert_with(|| {
                    format!("cannot save the result of cell {}: {e}", cell.short_id())
                });
                stop.store(true, Ordering::SeqCst);
                return;
            }
            progress.finish_cell(cell, &r);
            measured += 1;
        }
        Event::Started { cell_id } => {
            if let Some(cell) = cells_by_id.get(cell_id.as_str()) {
                progress.start_cell(cell);
            }
        }
        Event::Step { device, text } => progress.device_step(&device, &text),
        Event::Bytes {
            device,
            sent,
            total,
        } => progress.device_bytes(&device, sent, total),
        Event::Deployed { device, deployment } => {
            if let Some(file) = &deployment.agent_file
                && kept.insert(deployment.agent_sha256.clone())
                && let Err(e) = artifacts.keep(file, &deployment.agent_sha256)
            {
                eprintln!("warning: {e}");
            }
            progress.deployed(&device, &deployment);
        }
        Event::Down { device, reason } => progress.device_down(&device, &reason),
    });
    if let Some(e) = save_error {
        bail!("{e}");
    }
    let mut gate = None;
    if let Some(mut pairing) = pairing
        && !stop.load(Ordering::SeqCst)
    {
        let block_plan = options.blocks.plan(&matrix.regression);
        let canaries = canaries::pick(
            &pairing.paired,
            matrix.regression.canaries as usize,
            block_plan.seed,
        );
        for (device, cells) in canaries {
            pairing.paired.entry(device).or_default().extend(cells);
        }
        let mut devices = Vec::new();
        for (name, cells) in pairing.paired {
            let Some(target) = target_for(&name)? else {
                continue;
            };
            progress.add_device(&name, cells.iter().filter(|c| !c.canary).count());
            devices.push(GateDevice {
                name,
                target,
                cells,
            });
        }
        let config = GateSettings {
            base: GateConfig::with_threshold_pct(matrix.regression.threshold_pct),
            thresholds: matrix.regression.thresholds.clone(),
            tolerances: matrix.regression.tolerances.clone(),
        };
        let mut recorder = Recorder {
            run: &mut run,
            progress: &mut progress,
            artifacts: &artifacts,
            kept: &mut kept,
            cells: &cells_by_id,
            with_accuracy: &with_accuracy,
            error: None,
            measured: 0,
        };
        let mut gates = run_gate(devices, &block_plan, &config, &stop, &mut recorder);
        measured += recorder.measured;
        if let Some(e) = recorder.error {
            bail!("{e}");
        }
        for (id, gate) in &mut gates {
            let current = run.results().iter().find(|r| &r.result.cell_id == id);
            if let (Some(b), Some(c)) = (pairing.baseline_results.get(id), current) {
                compare_deterministic(gate, b, &c.result, &config);
            }
        }
        for (id, why) in pairing.not_comparable {
            gates.entry(id.clone()).or_insert_with(|| CellGate {
                cell_id: id,
                not_comparable: Some(why),
                comparisons: Vec::new(),
                exact: Vec::new(),
                blocks: 0,
                invalid_blocks: 0,
                result: None,
                same_artifacts: false,
                canary_of: None,
            });
        }
        gate = Some((pairing.baseline, gates));
    }
    let interrupted = stop.load(Ordering::SeqCst);
    progress.done();
    let results: BTreeMap<String, JobResult> = run
        .results()
        .iter()
        .map(|s| (s.result.cell_id.clone(), s.result.clone()))
        .collect();
    let not_ok = results.values().filter(|r| r.status != Status::Ok).count();
    let status = if interrupted {
        RunStatus::Interrupted
    } else {
        RunStatus::Finished
    };
    let paths = run.finish(status)?.clone();
    let reference = matrix
        .accuracy
        .as_ref()
        .map(|a| a.reference.recipe.to_string());
    println!(
        "{}",
        summary::render(&plan.cells, &results, reference.as_deref())
    );
    if let Some(line) = summary::overhead(&overheads) {
        println!("{line}");
    }
    let gate_outcome = match &gate {
        Some((baseline, gates)) => {
            let metas: BTreeMap<String, CellMeta> = plan
                .cells
                .iter()
                .map(|c| (c.id.clone(), cell_meta(c)))
                .collect();
            let outcome = GateOutcome::of(gates);
            let rows = gate_report::rows(gates, &metas);
            println!("{}", gate_report::terminal(&rows, outcome, baseline));
            write_gate_reports(&paths.dir, &rows, outcome, baseline);
            let id = run.id().as_str().to_owned();
            let verdicts: Vec<GateVerdict> = rows.iter().map(gate_report::Row::verdict).collect();
            if let Err(e) = run.store_mut().record_gate(&id, baseline, &verdicts) {
                eprintln!(
                    "warning: the gate's verdicts are in regression.json but not in the store: {e}"
                );
            }
            Some(outcome)
        }
        None => None,
    };
    println!(
        "run {}: {} of {} cells done",
        run.id(),
        results.len(),
        plan.cells.len()
    );
    for path in [&paths.jsonl, &paths.csv, &paths.env] {
        println!("  {}", path.display());
    }
    println!("  {}", store_path.display());
    // The results are saved whatever happens here; a report that cannot be
    // written is an error the user can retry with `edgebench report`.
    let mut input = report::report_input(run.id(), run.env(), run.results());
    if let Err(warning) = report::add_history(run.store(), &mut input) {
        eprintln!("warning: {warning}");
    }
    let reports = report::write_reports(&paths.dir, &input, &matrix.select).with_context(|| {
        format!(
            "the results are saved, but the report is not: retry with `edgebench report {}`",
            run.id()
        )
    })?;
    println!("  {}", reports.summary.display());
    println!("  {}", reports.html.display());
    let dir = paths.dir.clone();
    if interrupted {
        println!(
            "interrupted: continue with `edgebench run {} --resume {}`",
            options.matrix.display(),
            run.id()
        );
    }
    Ok(RunOutcome {
        run_id: run.id().as_str().to_owned(),
        dir,
        measured,
        not_ok,
        interrupted,
        gate: gate_outcome,
    })
}

/// Records each gated cell's result as its stage-1 blocks finish (the
/// candidate arm of its first valid block), and shows progress.
struct Recorder<'a, 'c, F: Fn(&Cell, JobResult) -> JobResult> {
    run: &'a mut RunStore,
    progress: &'a mut Progress,
    artifacts: &'a ArtifactStore,
    kept: &'a mut BTreeSet<String>,
    cells: &'a BTreeMap<&'c str, &'c Cell>,
    with_accuracy: &'a F,
    error: Option<String>,
    measured: usize,
}

impl<F: Fn(&Cell, JobResult) -> JobResult> GateProgress for Recorder<'_, '_, F> {
    fn started(&mut self, device: &str, cell_id: &str, stage: u8) {
        if let Some(base) = canaries::canary_of(cell_id) {
            self.progress.message(&format!(
                "A/A canary {} on {device}{}",
                &base[..base.len().min(12)],
                if stage == 2 { ": fresh blocks" } else { "" }
            ));
            return;
        }
        if let Some(cell) = self.cells.get(cell_id) {
            if stage == 1 {
                self.progress.start_cell(cell);
            } else {
                self.progress
                    .message(&format!("confirming {} on fresh blocks", cell.short_id()));
            }
        }
    }

    fn agent_deployed(&mut self, sha256: &str, file: &std::path::Path) {
        if self.kept.insert(sha256.to_owned())
            && let Err(e) = self.artifacts.keep(file, sha256)
        {
            eprintln!("warning: {e}");
        }
    }

    fn finished(&mut self, gate: &CellGate) {
        let Some(cell) = self.cells.get(gate.cell_id.as_str()) else {
            return;
        };
        let result = match &gate.result {
            Some(r) => r.clone(),
            None => unmeasured(
                &gate.cell_id,
                gate.not_comparable.as_deref().unwrap_or("no valid block"),
            ),
        };
        let r = (self.with_accuracy)(cell, result);
        if let Err(e) = self.run.record(&r, &cell_meta(cell)) {
            self.error.get_or_insert_with(|| {
                format!("cannot save the result of cell {}: {e}", cell.short_id())
            });
            return;
        }
        self.progress.finish_cell(cell, &r);
        self.measured += 1;
    }
}

/// `regression.json`, `regression.md` and `regression-junit.xml` in the
/// run directory; the Markdown is also appended to a CI job summary
/// (`$GITHUB_STEP_SUMMARY`) when there is one.
fn write_gate_reports(
    dir: &std::path::Path,
    rows: &[gate_report::Row],
    outcome: GateOutcome,
    baseline: &str,
) {
    let json = serde_json::json!({
        "baseline": baseline,
        "outcome": outcome,
        "exit_code": outcome.exit_code(),
        "rows": rows,
    });
    let md = gate_report::markdown(rows, outcome, baseline);
    let files = [
        (
            "regression.json",
            serde_json::to_string_pretty(&json).unwrap_or_default(),
        ),
        ("regression.md", md.clone()),
        ("regression-junit.xml", gate_report::junit(rows, baseline)),
    ];
    for (name, text) in files {
        let path = dir.join(name);
        match std::fs::write(&path, text) {
            Ok(()) => println!("  {}", path.display()),
            Err(e) => eprintln!("warning: cannot write {}: {e}", path.display()),
        }
    }
    if let Some(summary) = std::env::var_os("GITHUB_STEP_SUMMARY") {
        use std::io::Write as _;
        let appended = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&summary)
            .and_then(|mut f| f.write_all(md.as_bytes()));
        if let Err(e) = appended {
            eprintln!("warning: cannot append to $GITHUB_STEP_SUMMARY: {e}");
        }
    }
}

fn cell_meta(cell: &Cell) -> CellMeta {
    CellMeta {
        device: cell.device.clone(),
        model: cell.model.clone(),
        recipe: cell.recipe_canonical.clone(),
        runtime: cell.runtime,
        threads: cell.threads,
        prompt_tokens: cell.prompt_tokens,
        gen_tokens: cell.gen_tokens,
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// A cell before any agent runs it.
enum Prepared {
    /// Its result is known already: skipped (its estimate or its recipe
    /// file's real size does not fit in the device's memory) or failed
    /// (its recipe file could not be made).
    Done(Box<JobResult>),
    /// It runs on its device.
    Run(Box<Work>),
}

fn prepare_cell(matrix: &Matrix, cell: &Cell, files: &RunFiles) -> Prepared {
    let failure = |status, reason: String| {
        Prepared::Done(Box::new(JobResult::failure(&cell.id, status, reason)))
    };
    if let CellStatus::Skipped { reason } = &cell.status {
        return failure(Status::Skipped, reason.clone());
    }
    let Some(device) = matrix.devices.iter().find(|d| d.name == cell.device) else {
        return failure(Status::Failed, format!("unknown device '{}'", cell.device));
    };
    let file = match files.get(&cell.model, &cell.recipe_canonical) {
        Ok(f) => f,
        Err(e) => return failure(Status::Failed, e),
    };
    // The plan estimated the weights; the file's real size decides.
    if let Some(reason) = device
        .memory_bytes
        .and_then(|m| cell.memory.with_file(file.bytes).exceeds(&device.name, m))
    {
        return failure(Status::Skipped, reason);
    }
    Prepared::Run(Box::new(Work {
        cell: cell.clone(),
        file: file.clone(),
    }))
}

/// The agent for this machine with the features `agents` are built with
/// (this controller runs the kernel alone).
fn local_agent(agents: &AgentBinaries) -> anyhow::Result<std::path::PathBuf> {
    let request = AgentRequest {
        target: crate::matrix::host_target(),
        prebuilt: None,
        linker: None,
        features: agents.features().to_vec(),
    };
    Ok(agents.get(&request)?.path)
}

/// Accuracy per (model identity, canonical recipe, runtime), scored on the
/// recipe files the cells run: from the store's cache or computed now (on
/// the kernel in this process, on another runtime by the local agent built
/// with it). A recipe whose file or whose reference's file could not be
/// made has none, with a warning naming why; so has one another runtime
/// could not score.
fn accuracy_reports(
    plan: &Plan,
    run: &RunStore,
    files: &RunFiles,
    agents: &AgentBinaries,
    progress: &mut Progress,
) -> anyhow::Result<BTreeMap<(String, String, Runtime), AccuracyReport>> {
    let mut out = BTreeMap::new();
    let threads = crate::commands::loading::default_threads();
    for job in &plan.accuracy {
        let (test, reference) = match (
            files.get(&job.model, &job.recipe_canonical),
            files.get(&job.model, &job.reference_canonical),
        ) {
            (Ok(t), Ok(r)) => (t, r),
            (Err(e), _) | (_, Err(e)) => {
                eprintln!(
                    "warning: no accuracy for {} {} against {}: {e}",
                    job.model, job.recipe, job.reference
                );
                continue;
            }
        };
        let key = AccuracyKey {
            file_sha256: test.sha256.clone(),
            reference_sha256: reference.sha256.clone(),
            recipe: job.recipe_canonical.clone(),
            reference: job.reference_canonical.clone(),
            text_sha256: job.text_sha256.clone(),
            ctx: job.ctx,
            windows: job.windows,
            runtime: job.runtime,
        };
        let cache = run.store().accuracy();
        let report = match cache.get(&key)? {
            Some(r) => r,
            None => {
                progress.message(&format!(
                    "accuracy: {} {} on {} against {}",
                    job.model, job.recipe, job.runtime, job.reference
                ));
                let text = accuracy::eval_text_path(job, &run.paths().dir)?;
                let agent_job = accuracy::agent_job(job, test, reference, &text, threads);
                let scored = if job.runtime.is_default() {
                    accuracy::measure(&agent_job, None)
                } else {
                    local_agent(agents)
                        .and_then(|agent| accuracy::measure(&agent_job, Some(&agent)))
                };
                let r = match scored {
                    Ok(r) => r,
                    Err(e) if !job.runtime.is_default() => {
                        eprintln!(
                            "warning: no accuracy for {} {}: {e:#}",
                            job.model, job.recipe
                        );
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                cache.put(&key, &r)?;
                r
            }
        };
        out.insert(
            (
                job.model_identity.clone(),
                job.recipe_canonical.clone(),
                job.runtime,
            ),
            report,
        );
    }
    Ok(out)
}
