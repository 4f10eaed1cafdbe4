//! `edgebench runs untag NAME`: remove a tag (the run stays).

use clap::Args;

use super::store_args::StoreArgs;

/// Arguments of `runs untag`.
#[derive(Debug, Args)]
#[command(after_help = "\
Removes the name only; the run and its results stay.

Examples:
  edgebench runs untag nightly")]
pub struct UntagArgs {
    /// The tag to remove.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Print the removed tag as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Where the runs are stored.
    #[command(flatten)]
    pub store: StoreArgs,
}

/// Runs `runs untag`.
pub fn run(args: &UntagArgs) -> anyhow::Result<()> {
    let store = args.store.open_required()?;
    let removed = store.delete_tag(&args.name)?;
    super::print_report(args.json, &removed, |out| {
        writeln!(
            out,
            "removed tag {} (it named {})",
            removed.name, removed.run_id
        )
    })
}
