//! `edgebench report RUN [--format html|md|csv|json] [-o PATH]`: render a
//! stored run again, without measuring anything.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};
use edgebench_reports::{render_html, render_json, render_markdown};

use crate::report::{self, REPORT_HTML, SUMMARY_MD};
use crate::store::{RESULTS_CSV, Store, csv_bytes, list_runs, write_atomically};

/// What to render.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// The self-contained HTML report (`report.html`).
    Html,
    /// The comparison tables in Markdown (`summary.md`).
    Md,
    /// One flat row per cell (`results.csv`).
    Csv,
    /// Tables, recommendations, trend lines and full results (`report.json`).
    Json,
}

impl Format {
    /// The file name in the run directory.
    fn file_name(self) -> &'static str {
        match self {
            Format::Html => REPORT_HTML,
            Format::Md => SUMMARY_MD,
            Format::Csv => RESULTS_CSV,
            Format::Json => "report.json",
        }
    }
}

/// Arguments of `report`.
#[derive(Debug, Args)]
#[command(after_help = "\
Without --output the file is written into the run's directory
(runs/<run-id>/report.html, summary.md, results.csv or report.json);
`-o -` writes to standard output.

Examples:
  edgebench report latest
  edgebench report 20261124T101500Z-3fa2 --format md -o -")]
pub struct ReportArgs {
    /// The run id, or `latest` for the newest run.
    #[arg(value_name = "RUN")]
    pub run: String,
    /// What to render.
    #[arg(long, value_enum, default_value_t = Format::Html)]
    pub format: Format,
    /// Where to write it (`-` for standard output).
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Directory of run directories and the store.
    #[arg(long, value_name = "DIR", default_value = "runs")]
    pub runs_dir: PathBuf,
    /// The SQLite store for trend lines [default: RUNS_DIR/edgebench.sqlite].
    #[arg(long, value_name = "PATH")]
    pub store: Option<PathBuf>,
}

/// Renders the run and writes it where asked.
pub fn run(args: &ReportArgs) -> anyhow::Result<()> {
    let run_id = if args.run == "latest" {
        list_runs(&args.runs_dir)
            .into_iter()
            .next()
            .with_context(|| format!("no runs under {}", args.runs_dir.display()))?
            .to_string()
    } else {
        args.run.clone()
    };
    let store_path = args
        .store
        .clone()
        .unwrap_or_else(|| Store::default_path(&args.runs_dir));
    // Trend lines are a bonus: a report renders without the store.
    let store = if store_path.is_file() {
        match Store::open(&store_path) {
            Ok(s) => Some(s),
            Err(e) => {
                eprintln!("warning: no trend lines: {e}");
                None
            }
        }
    } else {
        None
    };
    let loaded = report::load(&args.runs_dir, &run_id, store.as_ref())?;
    for w in &loaded.warnings {
        eprintln!("warning: {w}");
    }
    let (input, selection) = (&loaded.input, &loaded.selection);
    let bytes = match args.format {
        Format::Html => render_html(input, selection)?.into_bytes(),
        Format::Md => render_markdown(input, selection).into_bytes(),
        Format::Json => render_json(input, selection)?.into_bytes(),
        Format::Csv => {
            csv_bytes(&run_id, &loaded.files.results.records).context("cannot write the CSV")?
        }
    };
    let path = match &args.output {
        Some(p) if p.as_os_str() == "-" => {
            let mut out = std::io::stdout().lock();
            return out
                .write_all(&bytes)
                .and_then(|()| out.flush())
                .context("cannot write to standard output");
        }
        Some(p) => p.clone(),
        None => loaded.files.paths.dir.join(args.format.file_name()),
    };
    write_atomically(&path, &bytes)?;
    println!("{}", path.display());
    Ok(())
}
