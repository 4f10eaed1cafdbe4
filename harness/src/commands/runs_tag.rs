//! `edgebench runs tag RUN NAME`: name a stored run, or move a name to it.

use clap::Args;
use serde::Serialize;

use super::store_args::StoreArgs;
use crate::store::{TagOutcome, check_tag_name};

/// Arguments of `runs tag`.
#[derive(Debug, Args)]
#[command(after_help = "\
RUN is `latest` (the newest finished run of any matrix), a tag, a run id or
its first 6 or more characters. A tag name is 1 to 64 ASCII letters,
digits, '.', '_' or '-', not starting with '-'; it cannot be `latest` or
look like a run id. Tagging a name that names another run moves it.

Examples:
  edgebench runs tag latest nightly
  edgebench runs tag 20261124T1015 v0.3-baseline")]
pub struct TagArgs {
    /// The run: `latest`, a tag, a run id or its start.
    #[arg(value_name = "RUN")]
    pub run: String,
    /// The tag to give it.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Print one JSON object instead of a sentence.
    #[arg(long)]
    pub json: bool,
    /// Where the runs are stored.
    #[command(flatten)]
    pub store: StoreArgs,
}

/// `runs tag --json`.
#[derive(Debug, Serialize)]
struct Tagged<'a> {
    name: &'a str,
    run_id: &'a str,
    /// `created`, `moved` or `unchanged`.
    outcome: &'static str,
    /// The run the name named before a move.
    moved_from: Option<&'a str>,
}

/// Runs `runs tag`.
pub fn run(args: &TagArgs) -> anyhow::Result<()> {
    check_tag_name(&args.name)?;
    let mut store = args.store.open_required()?;
    let run = store.resolve_run(&args.run, None)?;
    let outcome = store.tag_run(&args.name, &run.id)?;
    let (word, from) = match &outcome {
        TagOutcome::Created => ("created", None),
        TagOutcome::Unchanged => ("unchanged", None),
        TagOutcome::Moved { from } => ("moved", Some(from.as_str())),
    };
    let report = Tagged {
        name: &args.name,
        run_id: &run.id,
        outcome: word,
        moved_from: from,
    };
    super::print_report(args.json, &report, |out| {
        let (name, id, matrix) = (&args.name, &run.id, &run.matrix_name);
        match &outcome {
            TagOutcome::Created => writeln!(out, "tag {name} names {id} ({matrix})"),
            TagOutcome::Unchanged => writeln!(out, "tag {name} already names {id} ({matrix})"),
            TagOutcome::Moved { from } => {
                writeln!(out, "tag {name} moved from {from} to {id} ({matrix})")
            }
        }
    })
}
