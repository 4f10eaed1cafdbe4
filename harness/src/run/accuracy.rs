//! Accuracy of a recipe file against the reference recipe's file on this
//! machine (the eval device): the agent's accuracy scoring, in this process
//! for the kernel, in a built agent for a runtime this controller lacks.
//! Either way the test file runs on its runtime and the reference on the
//! kernel, in one process.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};
use edgebench_schema::{AccuracyReport, EvalFile, ModelRef, SCHEMA_VERSION};

use crate::matrix::BUILTIN;
use crate::plan::AccuracyJob;
use crate::recipe_files::RecipeFile;

/// The path of an accuracy job's text: its file, or the built-in text
/// written once into `dir`.
///
/// # Errors
/// When the built-in text cannot be written.
pub fn eval_text_path(job: &AccuracyJob, dir: &Path) -> anyhow::Result<PathBuf> {
    if job.text != BUILTIN {
        return Ok(PathBuf::from(&job.text));
    }
    let path = dir.join("eval-text.txt");
    if !path.is_file() {
        std::fs::write(&path, crate::matrix::BUILTIN_TEXT)
            .with_context(|| format!("cannot write the evaluation text to {}", path.display()))?;
    }
    Ok(path)
}

/// The agent's job for `job` on the recipe files `test` and `reference`.
pub fn agent_job(
    job: &AccuracyJob,
    test: &RecipeFile,
    reference: &RecipeFile,
    text: &Path,
    threads: usize,
) -> edgebench_schema::AccuracyJob {
    let file = |f: &RecipeFile, recipe: &str| EvalFile {
        model: ModelRef {
            path: f.path.display().to_string(),
            sha256: f.sha256.clone(),
            source_sha256: None,
        },
        recipe: recipe.to_owned(),
    };
    edgebench_schema::AccuracyJob {
        schema_version: SCHEMA_VERSION,
        test: file(test, &job.recipe_canonical),
        reference: file(reference, &job.reference_canonical),
        text_path: text.display().to_string(),
        text_sha256: job.text_sha256.clone(),
        ctx: job.ctx,
        windows: job.windows,
        threads: u32::try_from(threads).unwrap_or(1).clamp(1, 1024),
        runtime: job.runtime,
    }
}

/// Scores `job` in this process (on files this controller vouches for), or
/// with the agent at `agent` when given (`agent accuracy`, the job on its
/// stdin, which hashes the files as any agent does).
///
/// # Errors
/// What the scoring reports, naming the recipe, reference and runtime.
pub fn measure(
    job: &edgebench_schema::AccuracyJob,
    agent: Option<&Path>,
) -> anyhow::Result<AccuracyReport> {
    let what = || {
        format!(
            "accuracy of recipe {} on {} against {}",
            job.test.recipe, job.runtime, job.reference.recipe
        )
    };
    match agent {
        // The files come from this controller's recipe cache, checked
        // against their hashes when they were made or taken from it.
        None => edgebench_targets::agent::score_accuracy(
            job,
            edgebench_targets::agent::FileCheck::Vouched,
            &mut |_| {},
        )
        .map_err(|e| anyhow::anyhow!(edgebench_targets::agent::error_chain(&e)))
        .with_context(what),
        Some(agent) => in_agent(job, agent).with_context(what),
    }
}

/// Runs `agent accuracy` with `job` on its stdin.
fn in_agent(job: &edgebench_schema::AccuracyJob, agent: &Path) -> anyhow::Result<AccuracyReport> {
    let mut child = Command::new(agent)
        .args(["accuracy", "--quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {}", agent.display()))?;
    if let Some(mut stdin) = child.stdin.take() {
        writeln!(stdin, "{}", job.to_json())
            .with_context(|| format!("cannot send the job to {}", agent.display()))?;
    }
    let out = child
        .wait_with_output()
        .with_context(|| format!("{} did not finish", agent.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().next().unwrap_or_default();
    if let Ok(report) = serde_json::from_str::<AccuracyReport>(line) {
        return Ok(report);
    }
    if let Some(error) = serde_json::from_str::<serde_json::Value>(line)
        .ok()
        .and_then(|v| v.get("error")?.as_str().map(str::to_owned))
    {
        bail!("{error}");
    }
    bail!(
        "{} gave no report ({}): {}",
        agent.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr).trim()
    )
}
