//! `edgebench models cache list|prune`: what the model cache of a runs
//! directory holds (recipe files, synthetic models), with sizes, and
//! removing what has not been used for a while.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use clap::{Args, Subcommand};
use serde::Serialize;

use super::models_inspect::human_bytes;
use crate::recipe_files::{self, CacheEntry, EntryKind};

/// Arguments of `models cache`.
#[derive(Debug, Args)]
#[command(after_help = "\
Every run makes each (model, recipe) file once into RUNS_DIR/models/recipes
and generates synthetic models into RUNS_DIR/models; later runs reuse them.
An entry's last use is refreshed whenever a run uses it.

Examples:
  edgebench models cache list
  edgebench models cache prune --keep-days 30 --dry-run
  edgebench models cache prune --keep-days 0 --runs-dir /data/runs --json")]
pub struct CacheArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: CacheAction,
    /// Directory of run directories, the model cache and the store.
    #[arg(long, value_name = "DIR", default_value = "runs", global = true)]
    pub runs_dir: PathBuf,
    /// Print one JSON object instead of a table.
    #[arg(long, global = true)]
    pub json: bool,
}

/// `models cache …`
#[derive(Debug, Subcommand)]
pub enum CacheAction {
    /// List every entry: kind, recipe and source, size, last use.
    List,
    /// Remove the entries not used in the last N days.
    Prune {
        /// Keep entries used in the last N days (0 removes everything).
        #[arg(long, value_name = "N")]
        keep_days: u32,
        /// Say what would be removed, remove nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// `models cache list --json`.
#[derive(Debug, Serialize)]
struct Listing {
    dir: String,
    entries: Vec<CacheEntry>,
    total_bytes: u64,
}

/// Runs `models cache`.
pub fn run(args: &CacheArgs) -> anyhow::Result<()> {
    let dir = args.runs_dir.join("models");
    match &args.action {
        CacheAction::List => {
            let entries = recipe_files::list(&dir)?;
            let listing = Listing {
                dir: dir.display().to_string(),
                total_bytes: entries.iter().map(|e| e.bytes).sum(),
                entries,
            };
            super::print_report(args.json, &listing, |out| {
                write_table(out, &listing.entries)?;
                writeln!(
                    out,
                    "{} entries, {} in {}",
                    listing.entries.len(),
                    human_bytes(listing.total_bytes),
                    listing.dir
                )
            })
        }
        CacheAction::Prune { keep_days, dry_run } => {
            let keep = Duration::from_secs(u64::from(*keep_days) * 86_400);
            let pruned = recipe_files::prune(&dir, keep, SystemTime::now(), *dry_run)?;
            super::print_report(args.json, &pruned, |out| {
                write_table(out, &pruned.removed)?;
                writeln!(
                    out,
                    "{} {} entries ({}) not used in the last {keep_days} days; kept {} ({})",
                    if *dry_run { "would remove" } else { "removed" },
                    pruned.removed.len(),
                    human_bytes(pruned.freed_bytes),
                    pruned.kept,
                    human_bytes(pruned.kept_bytes)
                )
            })
        }
    }
}

fn write_table(out: &mut dyn std::io::Write, entries: &[CacheEntry]) -> std::io::Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "{:<10} {:<40} {:>10}  {:<24} problem",
        "kind", "entry", "size", "last used"
    )?;
    for e in entries {
        let kind = match e.kind {
            EntryKind::Recipe => "recipe",
            EntryKind::Synthetic => "synthetic",
            EntryKind::Partial => "partial",
        };
        writeln!(
            out,
            "{kind:<10} {:<40} {:>10}  {:<24} {}",
            e.label,
            human_bytes(e.bytes),
            e.last_used,
            e.problem.as_deref().unwrap_or("")
        )?;
    }
    Ok(())
}
