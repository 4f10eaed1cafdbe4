//! Command-line definition and dispatch.

use clap::{Parser, Subcommand};

use crate::commands::compare::{self, CompareArgs};
use crate::commands::devices_check::{self, CheckDevicesArgs};
use crate::commands::devices_clean::{self, CleanDevicesArgs};
use crate::commands::eval::{self, EvalArgs};
use crate::commands::generate::{self, GenerateArgs};
use crate::commands::history::{self, HistoryArgs};
use crate::commands::matrix_check::{self, CheckArgs};
use crate::commands::matrix_expand::{self, ExpandArgs};
use crate::commands::models_cache::{self, CacheArgs};
use crate::commands::models_inspect::{self, InspectArgs};
use crate::commands::models_quantize::{self, QuantizeArgs};
use crate::commands::models_synth::{self, SynthArgs};
use crate::commands::report::{self, ReportArgs};
use crate::commands::run::{self, RunArgs};
use crate::commands::runs_artifacts::{self, ArtifactsArgs};
use crate::commands::runs_list::{self, ListArgs};
use crate::commands::runs_tag::{self, TagArgs};
use crate::commands::runs_untag::{self, UntagArgs};
use std::process::ExitCode;

/// Exit code for a failure (bad input, I/O error).
pub const EXIT_ERROR: u8 = 1;

/// Benchmark small language models across compression recipes on edge devices.
#[derive(Debug, Parser)]
#[command(name = "edgebench", version, about, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a matrix: every model × recipe × device × workload cell, accuracy
    /// against the reference, results stored as they arrive, a summary.
    Run(RunArgs),
    /// Work with model files.
    #[command(subcommand)]
    Models(ModelsCommand),
    /// Generate text from a prompt with a model and a recipe, and report
    /// prefill and decode speed.
    Generate(GenerateArgs),
    /// Perplexity of a recipe over a text, and its drift from a reference
    /// recipe (PPL ratio, KL divergence, top-1 agreement).
    Eval(EvalArgs),
    /// Validate a matrix or list its cells, without running anything.
    #[command(subcommand)]
    Matrix(MatrixCommand),
    /// Check the lab's devices or clean their caches.
    #[command(subcommand)]
    Devices(DevicesCommand),
    /// Render a stored run again: the HTML report, the Markdown summary,
    /// the CSV of every cell or the JSON of tables and results.
    Report(ReportArgs),
    /// Two stored runs side by side, cell by cell: values, changes and
    /// whether the reps overlap. UNPAIRED, for inspection: the runs were
    /// measured in different sessions, so no verdict is given (`run
    /// --baseline` gives one).
    Compare(CompareArgs),
    /// List the stored runs and name them with tags.
    #[command(subcommand)]
    Runs(RunsCommand),
    /// A metric of each cell across the stored runs, oldest first, with its
    /// change points: slow creep and device drift.
    History(HistoryArgs),
    /// The device agent, run by the controller as a child process for the
    /// local device (`edgebench agent run < job.json`).
    #[command(hide = true, disable_help_flag = true, disable_version_flag = true)]
    Agent {
        /// The agent's own arguments (`run`, `probe`, `--version`).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
        args: Vec<String>,
    },
}

/// `edgebench matrix …`
#[derive(Debug, Subcommand)]
pub enum MatrixCommand {
    /// Validate a matrix and the files it names; prints the number of cells
    /// and accuracy jobs, or every error with its file, line and column.
    Check(CheckArgs),
    /// List the cells of a matrix: id, device, model, recipe, workload,
    /// estimated memory and whether it is skipped.
    Expand(ExpandArgs),
}

/// `edgebench devices …`
#[derive(Debug, Subcommand)]
pub enum DevicesCommand {
    /// One line per device: reachable, host key, login, target triple, free
    /// memory and disk, meter, agent deployed. Exit code 0 only if all are
    /// usable.
    Check(CheckDevicesArgs),
    /// Remove what the devices' caches have not used for N days.
    Clean(CleanDevicesArgs),
}

/// `edgebench runs …`
#[derive(Debug, Subcommand)]
pub enum RunsCommand {
    /// One line per stored run, newest first: id, matrix, status, start,
    /// cells with a result, tags.
    List(ListArgs),
    /// Name a run (`latest`, a tag, a run id or its start) with a tag; an
    /// existing tag moves to it.
    Tag(TagArgs),
    /// Remove a tag; the run stays.
    Untag(UntagArgs),
    /// List or prune the artifact store: the agent binaries and recipe
    /// files runs measured, kept so a baseline can run again.
    Artifacts(ArtifactsArgs),
}

/// `edgebench models …`
#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// Summarize a GGUF model file: architecture, hyperparameters, tokenizer,
    /// tensor types, parameter count and sizes.
    Inspect(InspectArgs),
    /// Write a synthetic Llama-architecture GGUF model (random weights with
    /// realistic statistics and a real byte-level BPE tokenizer).
    Synth(SynthArgs),
    /// Apply a compression recipe (quantization, pruning) to a GGUF model
    /// and write the result as GGUF.
    Quantize(QuantizeArgs),
    /// List or prune the cache of recipe files and synthetic models that
    /// runs make.
    Cache(CacheArgs),
}

/// Parses the command line, runs the command and maps the outcome to an exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        // The reader went away (`edgebench matrix expand … | head`): what
        // it wanted was written; stop quietly, as a pipeline expects.
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("Error: {err:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// Whether `err` comes from writing to a closed pipe.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    let pipe = Some(std::io::ErrorKind::BrokenPipe);
    err.chain().any(|cause| {
        cause.downcast_ref::<std::io::Error>().map(|e| e.kind()) == pipe
            || cause
                .downcast_ref::<serde_json::Error>()
                .and_then(serde_json::Error::io_error_kind)
                == pipe
    })
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Run(args) => run::run(&args),
        Command::Agent { args } => Ok(edgebench_targets::agent::cli::main(&args)),
        Command::Generate(args) => {
            generate::run(&args)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval(args) => {
            eval::run(&args)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Report(args) => {
            report::run(&args)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Compare(args) => {
            compare::run(&args)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::History(args) => {
            history::run(&args)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Runs(RunsCommand::List(args)) => {
            runs_list::run(&args)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Runs(RunsCommand::Tag(args)) => {
            runs_tag::run(&args)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Runs(RunsCommand::Artifacts(args)) => {
            runs_artifacts::run(&args)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Runs(RunsCommand::Untag(args)) => {
            runs_untag::run(&args)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Matrix(MatrixCommand::Check(args)) => Ok(matrix_check::run(&args)),
        Command::Devices(DevicesCommand::Check(args)) => devices_check::run(&args),
        Command::Devices(DevicesCommand::Clean(args)) => devices_clean::run(&args),
        Command::Matrix(MatrixCommand::Expand(args)) => matrix_expand::run(&args),
        Command::Models(ModelsCommand::Inspect(args)) => {
            models_inspect::run(&args)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Models(ModelsCommand::Synth(args)) => {
            models_synth::run(&args)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Models(ModelsCommand::Cache(args)) => {
            models_cache::run(&args)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Models(ModelsCommand::Quantize(args)) => {
            models_quantize::run(&args)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_valid() {
        Cli::command().debug_assert();
    }
}
