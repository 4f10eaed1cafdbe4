//! `edgebench-agent run`: one job in, one result out.

use std::path::Path;

use edgebench_schema::result::Workload;
use edgebench_schema::{Job, JobResult, MemoryReport, SCHEMA_VERSION, Status, Validity};

use super::device::{self, DeviceReport, check_device, hottest, run_gate, seconds};
use super::meter_setup::{meter_config, start_meter};
use super::model::{load, prompt_tokens, verify_model};
use super::{AgentError, agent_info, error_chain};
use crate::counters::Counters;
use crate::meters::read_process_memory;
use crate::protocol::{AssembleOptions, RepPolicy, assemble, measure};
use crate::runtime::{self, SessionSpec};

/// The job's `cell_id` when the text is a JSON object that has one, so a
/// failure result still names its cell.
fn cell_id_of(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v.get("cell_id")?.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A failure result for `error`.
fn failure(cell_id: String, error: &AgentError) -> JobResult {
    let mut r = JobResult::failure(cell_id, error.status(), error_chain(error));
    r.agent = agent_info();
    r
}

/// The failure result for the job in `text` when `error` kept it from
/// running: it names the job's cell when `text` has one.
pub fn refuse(text: &str, error: &AgentError) -> JobResult {
    failure(cell_id_of(text), error)
}

/// Runs the job in `text` (JSON): always a result, `ok` or the failure.
/// `progress` receives a line at each step.
pub fn run(text: &str, progress: &mut dyn FnMut(&str)) -> JobResult {
    match Job::from_json(text) {
        Err(e) => failure(cell_id_of(text), &AgentError::Job(e)),
        Ok(job) => run_job(&job, progress).unwrap_or_else(|e| failure(job.cell_id.clone(), &e)),
    }
}

/// Measures `job`.
///
/// # Errors
/// Anything that keeps the job from being measured; see [`AgentError`].
pub fn run_job(job: &Job, progress: &mut dyn FnMut(&str)) -> Result<JobResult, AgentError> {
    if job.gen_tokens < 2 {
        return Err(AgentError::Workload(format!(
            "gen_tokens is {}, at least 2 are needed to time a decode step",
            job.gen_tokens
        )));
    }
    runtime::check_built(job.runtime)?;
    let file_bytes = verify_model(job, progress)?;
    progress(&format!(
        "loading the {} recipe file as it is with {}",
        job.recipe, job.runtime
    ));
    let loaded = load(job, file_bytes)?;
    progress(&format!(
        "loaded in {:.3} s: {} parameters, {} bytes",
        loaded.report.load_seconds, loaded.report.parameters, loaded.report.recipe_bytes
    ));
    let recipe = loaded.recipe.as_ref();
    let runtime_info = recipe.info();
    progress(&format!(
        "{} {} on {}",
        runtime_info.name, runtime_info.version, runtime_info.cpu_backend
    ));
    let (prompt, generated) = (u64::from(job.prompt_tokens), u64::from(job.gen_tokens));
    let context = prompt + generated;
    let context_length = recipe.context_length() as u64;
    if context > context_length {
        return Err(AgentError::ContextTooLong {
            prompt,
            generated,
            context: context_length,
        });
    }
    let n_vocab = recipe.n_vocab();

    let mut validity = Validity::default();
    let gate = job.thermal_gate.as_ref().map(|g| {
        progress("waiting for a steady temperature");
        run_gate(g, Path::new("/"))
    });
    if let Some(g) = gate.as_ref().filter(|g| !g.settled) {
        validity.invalidate(format!("thermal gate: {}", g.reason));
    }
    let before = device::collect();
    for reason in device::frequency_capped(&before) {
        validity.invalidate(reason);
    }

    // The meter's sampler thread starts before the counters open so it is
    // not counted; the session's thread pool starts after, so it is.
    let mut started = start_meter(&meter_config(&job.meter));
    progress(&format!("meter: {}", started.meter.description()));
    let counters = job
        .meter
        .counters
        .then(|| Counters::open(Path::new("/proc")));
    let spec = SessionSpec {
        context: context as usize,
        threads: job.threads as usize,
        kv_f16: job.kv_f16,
        prompt_tokens: job.prompt_tokens as usize,
    };
    let prompt_ids = prompt_tokens(job.prompt_tokens as usize, n_vocab, job.seed);
    let mut inference = recipe.generation(&spec, &prompt_ids)?;

    let m = &job.measure;
    let policy = RepPolicy {
        warmup: m.warmup_reps,
        min_reps: m.min_reps,
        min_time: seconds(m.min_seconds),
        max_reps: m.max_reps,
        gen_tokens: job.gen_tokens,
    };
    progress(&format!(
        "measuring: {:.1} s idle, {} warm-up, at least {} reps and {} s",
        m.idle_seconds, m.warmup_reps, m.min_reps, m.min_seconds
    ));
    let measured = measure(
        &mut inference,
        &policy,
        started.meter.as_mut(),
        counters.as_ref(),
        seconds(m.idle_seconds),
        progress,
    );
    // Samples taken stay queryable; the thread is not needed any more.
    let _ = started.meter.stop();
    let measurement = measured?;
    drop(inference);
    let after = device::collect();

    let assembled = assemble(
        &measurement,
        &AssembleOptions {
            prompt_tokens: job.prompt_tokens,
            bootstrap_seed: job.seed,
            sample_hz: started.sample_hz,
            counters_off_reason: "not read: the job sets meter.counters to false".to_owned(),
        },
    );
    check_device(&before, &after, &mut validity);
    if let Some(problem) = assembled.samples.problem() {
        validity.invalidate(problem);
    }
    if assembled.reps.len() < m.min_reps as usize {
        validity.invalidate(format!(
            "{} measured repetitions, fewer than min_reps {}",
            assembled.reps.len(),
            m.min_reps
        ));
    }
    let memory = read_process_memory(Path::new("/proc"), "self")
        .ok()
        .map(|p| MemoryReport {
            peak_rss_kib: p.peak_rss_kib.or(p.rss_kib).unwrap_or(0),
            rss_anon_kib: p.rss_anon_kib,
            rss_file_kib: p.rss_file_kib,
        });
    // After the memory is read: the profiled session's cache replaces the
    // measured one's and must not count.
    let profile = if job.profile {
        progress("one more repetition, profiled per op");
        match recipe.profile(&spec, &prompt_ids, job.gen_tokens) {
            Some(report) => Some(report?),
            None => {
                progress(&format!("{} has no per-op profile", job.runtime));
                None
            }
        }
    } else {
        None
    };
    let device = DeviceReport {
        temp_before_c: hottest(&before),
        temp_after_c: hottest(&after),
        before,
        after: Some(after),
        thermal_gate: gate,
        meter: measurement.meter_description.clone(),
        meters_rejected: started.rejected,
    };
    progress("done");
    Ok(JobResult {
        schema_version: SCHEMA_VERSION,
        cell_id: job.cell_id.clone(),
        status: Status::Ok,
        error: None,
        agent: agent_info(),
        device: serde_json::to_value(&device).unwrap_or(serde_json::Value::Null),
        model: Some(loaded.report),
        workload: Some(Workload {
            threads: job.threads,
            prompt_tokens: job.prompt_tokens,
            gen_tokens: job.gen_tokens,
        }),
        latency: assembled.latency,
        memory,
        energy: Some(assembled.energy),
        counters: Some(assembled.counters),
        accuracy: None,
        validity,
        warmup_reps: measurement.warmup_reps,
        reps: assembled.reps,
        timing: None,
        profile,
        runtime: Some(runtime_info),
    })
}
